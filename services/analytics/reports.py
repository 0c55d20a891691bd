"""Reports: run one (saved or not), save, share with the team, change, delete; and the
figures of the section charts that are more than a grouping (the lead funnel, deals'
win rate, cycle and time in stage)."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import domain, reports_store, saved_store
from .dependencies import AnalyticsBase


class ReportsRpc(AnalyticsBase):
    """Reports and section charts."""

    @rpc(expected_exceptions=EXPECTED)
    def run_report(self, spec: dict[str, Any], *, actor: dict[str, Any]) -> dict[str, Any]:
        """Run a report spec (API.md's ``reports``) over what the caller may read:
        ``{report, rows: [{<group>: value, …, count | <fn>_<field>: n}], truncated}``."""
        caller = Actor.from_dict(actor)
        report = domain.check_report(spec)
        return {"report": report.as_spec(), **reports_store.run(self.db, report, caller)}

    @rpc(expected_exceptions=EXPECTED)
    def run_saved_report(self, report_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        row = saved_store.report_row(self.db, report_id, caller)
        self.db.rollback()
        report = domain.check_report(row.spec)
        return {"report": saved_store.report_out(row), **reports_store.run(self.db, report, caller)}

    @rpc(expected_exceptions=EXPECTED)
    def list_reports(
        self, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """The caller's reports and those shared with their team, by name (a short list:
        one page, ``next_cursor`` always null; ``query`` is taken as lists take it)."""
        return {
            "items": saved_store.list_reports(self.db, Actor.from_dict(actor)),
            "next_cursor": None,
        }

    @rpc(expected_exceptions=EXPECTED)
    def get_report(self, report_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        row = saved_store.report_row(self.db, report_id, Actor.from_dict(actor))
        self.db.rollback()
        return saved_store.report_out(row)

    @rpc(expected_exceptions=EXPECTED)
    def create_report(self, data: dict[str, Any], *, actor: dict[str, Any]) -> dict[str, Any]:
        out = saved_store.create_report(self.db, data, Actor.from_dict(actor))
        self.db.commit()
        return out

    @rpc(expected_exceptions=EXPECTED)
    def update_report(
        self,
        report_id: str,
        data: dict[str, Any],
        *,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        out = saved_store.update_report(
            self.db, report_id, data, Actor.from_dict(actor), expected_version
        )
        self.db.commit()
        return out

    @rpc(expected_exceptions=EXPECTED)
    def delete_report(
        self, report_id: str, *, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        saved_store.delete_report(self.db, report_id, Actor.from_dict(actor), expected_version)
        self.db.commit()

    # -- section charts ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def lead_funnel(
        self, filters: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """The qualification funnel of the leads matching ``filters``: per stage how many
        entered it, the conversion from the stage before, the average time in it."""
        report = domain.check_report({"entity": "leads", "filters": filters or {}})
        rows = reports_store.lead_funnel(self.db, Actor.from_dict(actor), report.filters)
        return {"stages": rows}

    @rpc(expected_exceptions=EXPECTED)
    def deal_summary(
        self, filters: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Win rate, average cycle, time in each stage and why deals were lost, over the
        deals matching ``filters``."""
        report = domain.check_report({"entity": "opportunities", "filters": filters or {}})
        return reports_store.deal_summary(self.db, Actor.from_dict(actor), report.filters)
