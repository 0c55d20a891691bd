"""The leads service: the lead record (create, read, list, change, delete) and the parts.

Every change writes its event into the outbox in the same transaction
(``self.db.emit``) and commits before the entrypoint returns, because Nameko sends
the reply before dependency providers see the result. The shared steps live in
:mod:`services.leads.base`; the lead process and its rules in the other parts.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import EXPECTED, PermissionDenied
from services.platform.listing import (
    Filter,
    ListSpec,
    Lookup,
    Sort,
    after_first_word,
    fetch_page,
    readable_by,
)
from services.platform.name_index import NameIndexStatusRpc
from services.platform.rpc import rpc

from . import domain
from .distribution import DistributionRpc
from .duplicates import DuplicatesRpc
from .imports import ImportsRpc
from .merges import MergesHandlers
from .models import Lead
from .process import ProcessRpc
from .schemas import describe, dump_lead
from .scoring import ScoringRpc
from .webforms import WebFormsRpc

# The stage sorts in the order the process moves through, not alphabetically.
_STAGE_POSITION = sa.case(
    {stage: position for position, stage in enumerate(domain.STAGES)}, value=Lead.stage
)

_LIST_COLUMNS = tuple(Lead.__table__.c[name] for name in domain.FIELD_NAMES)

LIST_SPEC = ListSpec(
    id_column=Lead.id,
    filters={
        "stage": Filter(Lead.stage, "enum", options=domain.STAGES),
        "owner_id": Filter(Lead.owner_id, "uuid"),
        "team_id": Filter(Lead.team_id, "uuid"),
        "source": Filter(Lead.source, "text"),
        "region": Filter(Lead.region, "text"),
        "channel": Filter(Lead.channel, "text"),
        "need_type": Filter(Lead.need_type, "text"),
        "need_maturity": Filter(Lead.need_maturity, "enum", options=domain.NEED_MATURITIES),
        # stored lower-cased, so searched lower-cased
        "email": Filter(Lead.email, "text", normalize=lambda v: v.strip().lower()),
        "contact_name": Filter(Lead.contact_name, "contains"),
        "account_name": Filter(Lead.account_name, "contains"),
        "created_at": Filter(Lead.created_at, "datetime"),
        "updated_at": Filter(Lead.updated_at, "datetime"),
    },
    sorts={
        "created_at": Sort(Lead.created_at, nullable=False),
        "updated_at": Sort(Lead.updated_at, nullable=False),
        "contact_name": Sort(Lead.contact_name),
        "account_name": Sort(Lead.account_name),
        "score": Sort(Lead.score),
        "stage": Sort(_STAGE_POSITION, nullable=False),
    },
    default_sort="-created_at",
    # the search box (docs/architecture.md, "Lists at a million rows"): each kind of
    # text through its own index (leads_0009)
    search_emails=(Lookup(Lead.email),),
    search_phones=(Lookup(Lead.phone_key),),
    search_prefixes=(
        Lookup(sa.func.lower(Lead.contact_name)),
        Lookup(sa.func.lower(after_first_word(Lead.contact_name))),
        Lookup(sa.func.lower(Lead.account_name)),
    ),
    count_total=True,
)


class LeadsService(
    ProcessRpc,
    DistributionRpc,
    ScoringRpc,
    ImportsRpc,
    DuplicatesRpc,
    WebFormsRpc,
    MergesHandlers,
    NameIndexStatusRpc,
):
    """The lead record's own methods plus every part's (each part builds on LeadsBase)."""

    name = "leads"

    @rpc(expected_exceptions=EXPECTED)
    def create_lead(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create a lead in stage ``qualification`` and emit ``lead_created``.

        ``owner_id`` defaults to the caller (an explicit null leaves the lead
        unassigned), ``team_id`` to the caller's team. The answer is the lead plus
        ``similar``: the likely duplicates the caller may read (``similar_leads``).
        Raises ``ValidationFailed`` for unknown, read-only or bad fields, a stage
        other than ``qualification``, or none of contact_name, account_name, email,
        phone; ``PermissionDenied`` when a non-admin names another team.
        """
        caller = Actor.from_dict(actor)
        result = self._new_lead(data, caller, actor)
        # Look-alikes never block a lead (forms and imports must not lose any); they
        # come back with it, for the user to merge.
        similar = self._lead_candidates(result, caller, exclude_id=result["id"])
        self.db.commit()
        return {**result, "similar": similar}

    @rpc(expected_exceptions=EXPECTED)
    def get_lead(self, lead_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The lead. Raises ``NotFound`` when it does not exist or the caller may not read it."""
        caller = Actor.from_dict(actor)
        return dump_lead(self._read(lead_id, caller))

    @rpc(expected_exceptions=EXPECTED)
    def list_leads(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the leads the caller may read: ``{"items", "next_cursor", "total",
        "total_is_estimate"}`` (the total on the first page only; docs/rpc.md).

        Filters: stage, owner_id, team_id, source, channel, need_type, need_maturity,
        email. Sorts: created_at (default ``-created_at``), updated_at, contact_name,
        account_name, score, stage (in process order). ``q``: an email or its start
        (it has an ``@``) matches the email, a phone number (7+ significant digits, any
        common spelling) the phone, other text the start of contact_name, of its
        surname (the name from its second word) or of account_name, in any letter
        case. Raises ``ValidationFailed`` naming the bad field (``filter[x]``,
        ``sort``, ``cursor``, ``limit``, ``q``).
        """
        caller = Actor.from_dict(actor)
        # Rows of the columns, not ORM objects; read in autocommit (nothing is written).
        stmt = sa.select(*_LIST_COLUMNS).where(readable_by(caller, Lead.owner_id, Lead.team_id))
        with self.db.reading() as conn:
            return fetch_page(conn, stmt, LIST_SPEC, query, dump_lead)

    @rpc(expected_exceptions=EXPECTED)
    def update_lead(
        self,
        lead_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields; emit ``lead_updated`` (the full lead plus ``changed_fields``).

        A change that changes nothing keeps the version and emits nothing.
        Raises ``NotFound`` (missing or unreadable), ``PermissionDenied`` (the caller
        may not change it, or a non-admin moves it to another team), ``Conflict``
        (``expected_version`` is stale; nothing changes), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        changes = domain.clean_changes(data)
        lead = self._load_for_change(lead_id, caller, expected_version)
        self._check_open(lead)
        current = dump_lead(lead)
        changed = domain.changed_fields(current, changes)
        if "team_id" in changed and not caller.is_admin:
            raise PermissionDenied(
                "Only an administrator may move a lead to another team",
                [{"field": "team_id", "message": "only an administrator may change the team"}],
            )
        if changes.get("stage") in domain.CLOSED_STAGES and "stage" in changed:
            raise domain.failed(
                "stage", "a lead is converted by handoff and disqualified with a reason"
            )
        domain.check_new_lead({**current, **changes})
        if not changed:
            self.db.commit()  # ends the transaction that held the row lock
            return current
        stage_change = None
        if "stage" in changed:
            stage_change = self._change_stage(lead, changes["stage"], "manual", caller, actor)
        for name in changed:
            setattr(lead, name, changes[name])
        return self._save(lead, actor, changed, stage_change=stage_change)

    @rpc(expected_exceptions=EXPECTED)
    def delete_lead(
        self, lead_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the lead for good and emit ``lead_deleted`` with its last state.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale
        ``expected_version``; nothing is deleted), ``ValidationFailed`` (a bad
        ``expected_version``).
        """
        caller = Actor.from_dict(actor)
        lead = self._load_for_change(lead_id, caller, expected_version)
        last_state = dump_lead(lead)
        self.db.delete(lead)
        self.db.flush()
        self.db.emit("lead_deleted", last_state, actor=actor)
        self.db.commit()

    @rpc
    def describe_leads(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The lead entity's metadata: ``{name, label, fields: [{name, type, label,
        required, read_only, options, filterable, sortable, ...}]}``. Needs no caller;
        ``actor`` is accepted and ignored so callers may pass it like everywhere else."""
        return describe()
