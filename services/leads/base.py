"""What every part of the leads service shares: the database, loading, stages, saving.

The leads service is one Nameko service (``leads``) made of parts, a module each
(the lead record in ``service.py``, the process in ``process.py``, distribution,
scoring, duplicates, web forms); each part is a class of ``@rpc`` methods built on
:class:`LeadsBase`, and ``service.py`` puts them together (docs/architecture.md).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.db import Database
from services.platform.errors import Conflict, NotFound, PermissionDenied
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.name_index import NameIndexes

from . import domain
from .models import Lead, StageChange, metadata
from .schemas import dump_lead

_LEAD_BY_ID = sa.select(Lead).where(Lead.id == sa.bindparam("lead_id"))
_LEAD_FOR_UPDATE = _LEAD_BY_ID.with_for_update()
_LEAD_ROW = sa.select(*(Lead.__table__.c[name] for name in domain.FIELD_NAMES)).where(
    Lead.__table__.c.id == sa.bindparam("lead_id")
)
#: The columns a new lead is written with (the computed ones are the database's).
_LEAD_COLUMNS = tuple(c.name for c in Lead.__table__.columns if c.computed is None)
#: A new lead and its first stage change (from nothing to its stage), one statement.
_INSERT_LEAD = sa.text(
    f"WITH lead AS (INSERT INTO {Lead.__table__.fullname} ({', '.join(_LEAD_COLUMNS)})"
    f" VALUES ({', '.join(f':{c}' for c in _LEAD_COLUMNS)}) RETURNING id, stage)"
    f" INSERT INTO {StageChange.__table__.fullname}"
    " (id, lead_id, from_stage, to_stage, action, changed_by, changed_at)"
    " SELECT :history_id, lead.id, NULL, lead.stage, :action, :created_by, :created_at"
    " FROM lead"
).bindparams(
    *(sa.bindparam(c.name, type_=c.type) for c in Lead.__table__.columns if c.computed is None)
)


class LeadsBase:
    """The shared steps; the ``@rpc`` methods live in the parts that inherit this."""

    name = "leads"

    db = Database(metadata)
    #: The in-memory trigram index of the name keys (the duplicate search).
    name_indexes = NameIndexes("leads.lead_name_keys")

    def _new_lead(self, data: dict[str, Any], caller: Actor, actor: dict[str, Any]) -> dict:
        """Add a lead in stage ``qualification`` from a create payload, with its first
        stage change, and emit ``lead_created``; flushed, not committed. Returns the
        lead as the API shows it. Raises ``ValidationFailed``, ``PermissionDenied``."""
        changes = domain.clean_changes(data)
        domain.check_initial_stage(changes)
        team_id = changes.pop("team_id", None)
        if team_id is not None and team_id != caller.team_id and not caller.is_admin:
            raise PermissionDenied(
                "Only an administrator may put a lead in another team",
                [{"field": "team_id", "message": "only an administrator may set another team"}],
            )
        now = utcnow()
        values = {
            **changes,
            "id": new_id(),
            "stage": domain.INITIAL_STAGE,
            # an explicit null leaves the lead unassigned, waiting for distribution
            "owner_id": changes.get("owner_id", caller.id),
            "team_id": team_id or caller.team_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": caller.id,
        }
        domain.check_new_lead(values)
        # Scored and dumped as a plain object (no ORM instance), written with one
        # statement made once: the hot path of every form, import and API create.
        lead = SimpleNamespace(**{**dict.fromkeys(domain.FIELD_NAMES), **values})
        self._rescore(lead)  # type: ignore[arg-type]
        self.db.execute(
            _INSERT_LEAD,
            {
                **dict.fromkeys(_LEAD_COLUMNS),
                **values,
                "score": lead.score,
                "score_reasons": lead.score_reasons,
                "history_id": new_id(),
                "action": "create",
            },
        )
        result = dump_lead(lead)  # type: ignore[arg-type]
        self.db.emit("lead_created", result, actor=actor)
        return result

    def _load(self, lead_id: Any, caller: Actor, *, for_update: bool = False) -> Lead:
        """The lead the caller may read; otherwise ``NotFound`` (the same for both)."""
        # An id that is not a UUID names no lead; asking PostgreSQL would only fail.
        if not domain.is_uuid(lead_id):
            raise NotFound("No such lead", [{"field": "lead_id", "message": "no such lead"}])
        # Held until commit when changing, so the version check and the change are one step.
        stmt = _LEAD_FOR_UPDATE if for_update else _LEAD_BY_ID
        lead = self.db.execute(stmt, {"lead_id": lead_id}).scalar_one_or_none()
        # A lead the caller may not read is reported exactly like a missing one.
        if lead is None or not caller.can_read(lead.owner_id, lead.team_id):
            raise NotFound("No such lead", [{"field": "lead_id", "message": "no such lead"}])
        return lead

    def _read(self, lead_id: Any, caller: Actor) -> sa.Row[Any]:
        """The lead's row if the caller may read it, read in autocommit (for an entrypoint
        that only reads it); otherwise ``NotFound``, as :meth:`_load`."""
        rows = self.db.read(_LEAD_ROW, {"lead_id": lead_id}) if domain.is_uuid(lead_id) else []
        if not rows or not caller.can_read(rows[0].owner_id, rows[0].team_id):
            raise NotFound("No such lead", [{"field": "lead_id", "message": "no such lead"}])
        return rows[0]

    def _load_for_change(self, lead_id: Any, caller: Actor, expected_version: Any) -> Lead:
        """The lead under a row lock, once the caller may change it and the version holds."""
        expected = domain.parse_expected_version(expected_version)
        lead = self._load(lead_id, caller, for_update=True)
        caller.require_change(lead.owner_id, lead.team_id)
        self._check_version(lead, expected)
        return lead

    @staticmethod
    def _check_version(lead: Lead, expected: int | None) -> None:
        if expected is not None and expected != lead.version:
            raise Conflict(
                f"The lead was changed meanwhile (version {lead.version}, not {expected})",
                [{"field": "version", "message": f"is {lead.version}, not {expected}"}],
            )

    @staticmethod
    def _check_open(lead: Lead) -> None:
        """A converted or disqualified lead is read-only until a manager reopens it."""
        if lead.stage in domain.CLOSED_STAGES:
            raise Conflict(
                f"The lead is {lead.stage}; a manager must reopen it before it changes",
                [{"field": "stage", "message": f"the lead is {lead.stage}"}],
            )

    def _change_stage(
        self,
        lead: Lead,
        to_stage: str,
        action: str,
        caller: Actor,
        actor: dict[str, Any],
        reason: str | None = None,
    ) -> dict[str, Any] | None:
        """Move the lead and log it (who, when, from, to, action); the change's event data.

        Going back or skipping ahead is allowed; only closed leads are held (see
        :meth:`_check_open`, which callers apply first). Nothing happens when the
        lead is in ``to_stage`` already. The caller saves the lead afterwards.
        """
        if to_stage not in domain.STAGES:
            raise domain.failed("stage", f"must be one of {', '.join(domain.STAGES)}")
        if lead.stage == to_stage:
            return None
        change = StageChange(
            id=new_id(),
            lead_id=lead.id,
            from_stage=lead.stage,
            to_stage=to_stage,
            action=action,
            reason=reason,
            changed_by=caller.id,
            changed_at=utcnow(),
        )
        self.db.add(change)
        lead.stage = to_stage
        return {
            "lead_id": lead.id,
            "from_stage": change.from_stage,
            "to_stage": to_stage,
            "action": action,
            "reason": reason,
            "changed_at": change.changed_at,
        }

    def _save(
        self,
        lead: Lead,
        actor: dict[str, Any],
        changed: list[str],
        *,
        event: str = "lead_updated",
        stage_change: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Bump the version, re-score, flush and emit ``event`` (and ``lead_stage_changed``).

        ``extra`` joins the event's data (a reason, the rule that chose an owner).
        Commits; returns the lead as sent.
        """
        before = (lead.score, list(lead.score_reasons or []))
        if self._rescore(lead):
            after = (lead.score, list(lead.score_reasons or []))
            for name, was, now in zip(("score", "score_reasons"), before, after, strict=True):
                if was != now and name not in changed:
                    changed = [*changed, name]
        lead.version = lead.version + 1
        lead.updated_at = utcnow()
        self.db.flush()
        result = dump_lead(lead)
        if stage_change is not None:
            self.db.emit(
                "lead_stage_changed",
                {
                    **stage_change,
                    "changed_at": isoformat(stage_change["changed_at"]),
                    "lead": result,
                },
                actor=actor,
            )
        self.db.emit(event, {**result, "changed_fields": changed, **(extra or {})}, actor=actor)
        self.db.commit()
        return result

    def _rescore(self, lead: Lead) -> bool:
        """Recompute the lead's score; True when it changed (the scoring part overrides)."""
        return False

    @staticmethod
    def _require_manager(caller: Actor, what: str) -> None:
        if not caller.is_manager:
            raise PermissionDenied(
                f"Only a sales manager or an administrator may {what}",
                [{"field": "actor", "message": f"only a manager may {what}"}],
            )
