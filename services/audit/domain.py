"""The audit trail's rules: pure functions, no SQLAlchemy, no Nameko, no I/O.

* :data:`EVENTS` — which owning service's event records what, for which entity.
* :func:`source_of` — where a change came from (web app, API, import, process, sync…),
  from the actor the event's envelope carries.
* :func:`changes_between` — ``{field: [old, new]}`` between two states of a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRule:
    """What one event records: the ``entity``, the ``kind`` of change (``state``: a
    create or change, the record at ``path`` — None: the data itself; ``delete``; ``merge``:
    the kept record's state and the end of the merged ones)."""

    entity: str
    kind: str  # state | delete | merge
    path: str | None = None


def _entity(source: str, entity: str, states: list[str], deletes: list[str], **extra: EventRule):
    out = {(source, name): EventRule(entity, "state") for name in states}
    out.update({(source, name): EventRule(entity, "delete") for name in deletes})
    out.update({(source, name): rule for name, rule in extra.items()})
    return out


#: (source service, event type) → rule: every record event of the audited entities.
EVENTS: dict[tuple[str, str], EventRule] = {
    **_entity(
        "leads",
        "lead",
        [
            "lead_created",
            "lead_updated",
            "lead_qualified",
            "lead_disqualified",
            "lead_reopened",
            "lead_handed_off",
            "lead_converted",
            "lead_assigned",
        ],
        ["lead_deleted"],
        lead_stage_changed=EventRule("lead", "state", "lead"),
        leads_merged=EventRule("lead", "merge"),
    ),
    **_entity(
        "sales",
        "account",
        ["account_created", "account_updated"],
        ["account_deleted"],
        account_merged=EventRule("account", "merge"),
    ),
    **_entity(
        "sales",
        "contact",
        ["contact_created", "contact_updated"],
        ["contact_deleted"],
        contact_merged=EventRule("contact", "merge"),
    ),
    **_entity(
        "sales",
        "opportunity",
        ["opportunity_created", "opportunity_updated", "opportunity_won", "opportunity_lost"],
        ["opportunity_deleted"],
        opportunity_stage_changed=EventRule("opportunity", "state", "opportunity"),
    ),
    **_entity(
        "sales",
        "activity",
        ["activity_created", "activity_updated", "activity_completed"],
        ["activity_deleted"],
    ),
    **_entity("orders", "product", ["product_created", "product_updated"], ["product_deleted"]),
    **_entity(
        "orders",
        "order",
        ["order_placed", "order_updated", "order_cancelled", "stock_reserved"],
        [],
        order_status_changed=EventRule("order", "state", "order"),
        stock_reservation_failed=EventRule("order", "state", "order"),
    ),
    **_entity(
        "orders",
        "invoice",
        [
            "invoice_created",
            "invoice_updated",
            "invoice_issued",
            "invoice_paid",
            "invoice_overdue",
            "invoice_cancelled",
        ],
        [],
        invoice_payment_registered=EventRule("invoice", "state", "invoice"),
    ),
    **_entity("identity", "user", ["user_created", "user_updated"], []),
    **_entity("identity", "team", ["team_created", "team_updated"], ["team_deleted"]),
    **_entity("identity", "role", ["role_created", "role_updated"], ["role_deleted"]),
}

#: The entities kept, and those only administrators see (people, teams and roles).
ENTITIES: tuple[str, ...] = tuple(dict.fromkeys(rule.entity for rule in EVENTS.values()))
ADMIN_ONLY: frozenset[str] = frozenset({"user", "team", "role"})

#: What an event adds to the record it carries, never a field of the record.
EVENT_EXTRAS = frozenset(
    {
        "changed_fields",
        "merged_ids",
        "merged_records",
        "opportunity",
        "previous_owner_id",
        "rule_id",
        "strategy",
        "assigned_by",
        "proposed",
        "based_on",
    }
)
#: Fields that change with every change: a diff says nothing by listing them.
NOT_CHANGES = frozenset({"version", "updated_at", "created_at", "created_by", "id"})

STATE, END = 0, 1  # phases of an entry

# --- sources -----------------------------------------------------------------------------

SOURCES = ("web", "api", "import", "process", "sync", "web_form", "system", "unknown")
#: The system actor's id (services/platform/access.py Actor.system) and the process
#: engine's (services/processes/domain.py PROCESS_ACTOR_ID): copied, a service imports
#: no other service.
SYSTEM_ID = "00000000-0000-0000-0000-000000000000"
PROCESS_ACTOR_ID = "00000000-0000-0000-0000-000000000017"
#: System actors that bring other systems' changes in (mail sync, the accounting system).
SYNC_ACTORS = frozenset({"mail", "exchange", "google", "accounting"})


def source_of(actor: dict[str, Any] | None) -> str:
    """Where a change came from: the gateway marks its callers ``via`` ``web`` (the
    session cookie) or ``api`` (a bearer token), the leads import ``import``; the process
    engine and the system actors are known by their ids and names."""
    if not actor:
        return "system"
    via = actor.get("via")
    if via in SOURCES:
        return str(via)
    if actor.get("id") == PROCESS_ACTOR_ID:
        return "process"
    if actor.get("id") == SYSTEM_ID:
        email = actor.get("email") or ""
        if email in SYNC_ACTORS:
            return "sync"
        return "web_form" if email == "web-form" else "system"
    return "unknown"


# --- states and changes ------------------------------------------------------------------


def action_of(event_type: str, kind: str) -> str:
    if kind == "delete":
        return "deleted"
    if event_type.endswith(("_created", "_placed")):
        return "created"
    return "updated"


def state_of(rule: EventRule, data: dict[str, Any]) -> dict[str, Any] | None:
    """The record an event carries, without what the event adds to it; None if none."""
    record = data.get(rule.path) if rule.path else data
    if not isinstance(record, dict) or not record.get("id"):
        return None
    return {k: v for k, v in record.items() if k not in EVENT_EXTRAS}


def order_of(state: dict[str, Any], occurred_at: str | None) -> int:
    """The position of a state among the record's: its ``version``, or for records
    without one (users, teams) the event's time in microseconds."""
    version = state.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    at = parse_time(occurred_at) or datetime.now(UTC)
    return int(at.timestamp() * 1_000_000)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def changes_between(
    old: dict[str, Any] | None, new: dict[str, Any], changed_fields: list[str] | None = None
) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` of every field that differs. Without an old state (a
    record first seen on a change) the fields the event names as changed, old ``None``.
    A changed field the state does not carry (a password) is listed as ``[None, None]``."""
    if old is None:
        names = changed_fields if changed_fields is not None else list(new)
        out = {n: [None, new.get(n)] for n in names if n not in NOT_CHANGES}
        if changed_fields is None:  # a create: the fields it set
            out = {n: v for n, v in out.items() if v[1] not in (None, "", [], {})}
        return out
    out = {}
    for name in sorted(set(old) | set(new)):
        if name in NOT_CHANGES:
            continue
        if old.get(name) != new.get(name):
            out[name] = [old.get(name), new.get(name)]
    for name in changed_fields or ():
        if name not in new and name not in out and name not in NOT_CHANGES:
            out[name] = [None, None]
    return out


def merged_away(rule: EventRule, data: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """The records a merge ended, each with the id of the record it went into."""
    if rule.entity == "lead":
        kept = str(data.get("id") or "")
        return [(r, kept) for r in data.get("merged_records") or [] if r.get("id")]
    record = data.get("merged_record") or {}
    if not record.get("id") and data.get("merged_id"):
        record = {"id": data["merged_id"]}
    return [(record, str(data.get("kept_id") or ""))] if record.get("id") else []


def kept_state(rule: EventRule, data: dict[str, Any]) -> dict[str, Any] | None:
    """The kept record's state a merge event carries (the lead merges only: sales sends
    the kept contact's or account's change as its own ``*_updated``)."""
    return state_of(rule, data) if rule.entity == "lead" else None
