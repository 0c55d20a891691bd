"""Exporting a report to Excel: the rows a run gives, as an ``.xlsx`` file.

Exporting needs what running needs — the caller may read the report (a saved one) and
counts only the records they may read; Osprey's rights model has no separate export
right (``services.platform.access``). Groups of records are named: records the read
models keep by their own names, users and teams by identity's (when identity does not
answer in time the ids are written as they are).
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import eventlet
from nameko.exceptions import UnknownService

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import domain, labels, reports_store, saved_store, xlsx
from .dependencies import AnalyticsBase

log = logging.getLogger(__name__)

#: how long the names of users and teams may take before the ids are written instead
NAMES_TIMEOUT_SECONDS = 5
#: id fields that name a user, and those that name a team
_USERS = {"owner_id", "assignee_id", "completed_by"}
_TEAMS = {"team_id"}
_USER_PAGES = 20


class ExportsRpc(AnalyticsBase):
    """``export_report`` and ``export_saved_report``."""

    @rpc(expected_exceptions=EXPECTED)
    def export_report(
        self, spec: dict[str, Any], *, actor: dict[str, Any], name: str | None = None
    ) -> dict[str, Any]:
        """A report spec (as ``run_report`` takes it) run and written as an xlsx file:
        ``{filename, content_type, content}`` (``content`` base64; ``filename`` from
        ``name``). Raises ``ValidationFailed`` naming the field of a wrong spec."""
        caller = Actor.from_dict(actor)
        report = domain.check_report(spec)
        if name is not None:
            name = saved_store.check_name(name)
        return self._export(report, name, caller, actor)

    @rpc(expected_exceptions=EXPECTED)
    def export_saved_report(self, report_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        """A saved report the caller may read, run and written as an xlsx file named
        after it. Raises ``NotFound`` (also for a report the caller may not read)."""
        caller = Actor.from_dict(actor)
        row = saved_store.report_row(self.db, report_id, caller)
        self.db.rollback()
        return self._export(domain.check_report(row.spec), row.name, caller, actor)

    def _export(
        self, report: domain.Report, name: str | None, caller: Actor, actor: dict[str, Any]
    ) -> dict[str, Any]:
        locale = labels.locale_of(actor)
        rows, truncated = reports_store.raw_rows(self.db, report, caller)
        names = reports_store.record_names(self.db, report, rows)
        names.update(self._people(report, rows, actor))
        content = xlsx.workbook(
            report, rows, name=name, locale=locale, names=names, truncated=truncated
        )
        return {
            "filename": xlsx.filename(name, locale),
            "content_type": xlsx.CONTENT_TYPE,
            "content": base64.b64encode(content).decode("ascii"),
        }

    def _people(
        self, report: domain.Report, rows: list[dict[str, Any]], actor: dict[str, Any]
    ) -> dict[str, dict[str, str]]:
        """Names of the users and teams the report's groups name, from identity."""
        wanted = {
            g.field: {str(row[g.key]) for row in rows if row.get(g.key)}
            for g in report.groups
            if g.field in _USERS | _TEAMS
        }
        if not any(wanted.values()):
            return {}
        users: dict[str, str] = {}
        teams: dict[str, str] = {}
        need_users = set().union(*(ids for f, ids in wanted.items() if f in _USERS))
        try:
            with eventlet.Timeout(NAMES_TIMEOUT_SECONDS):
                if any(f in _TEAMS for f in wanted):
                    teams = {t["id"]: t["name"] for t in self.identity.list_teams(actor=actor)}
                cursor = None
                for _page in range(_USER_PAGES):
                    if not need_users - set(users):
                        break
                    page = self.identity.list_users(
                        {"limit": 500, "cursor": cursor, "filter": {}}, actor=actor
                    )
                    for user in page["items"]:
                        users[user["id"]] = user.get("full_name") or user.get("email") or ""
                    cursor = page.get("next_cursor")
                    if not cursor:
                        break
        except (eventlet.Timeout, UnknownService):
            log.warning("identity did not name the users and teams of an export in time")
        return {
            field: {i: (teams if field in _TEAMS else users).get(i) or i for i in ids}
            for field, ids in wanted.items()
        }
