"""The lead record: its fields, what each accepts, and the rules a lead as a whole keeps.

The fields are the platform's (:mod:`services.platform.fields`), as every entity's:
one :class:`Entity` whose order is the record's order on the wire and in the web
app's forms. Every problem with the caller's data is collected and raised at once as
one :class:`ValidationFailed`, each error naming its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.platform import fields
from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied
from services.platform.fields import Entity, EntityField, record_tail
from services.platform.values import validation_failed

STAGES: tuple[str, ...] = (
    "qualification",
    "distribution",
    "handoff",
    "awaiting_sale",
    "converted",
    "disqualified",
    "nurturing",
)
INITIAL_STAGE = "qualification"
#: Stages a lead leaves only when a manager reopens it.
CLOSED_STAGES: tuple[str, ...] = ("converted", "disqualified")
NEED_MATURITIES: tuple[str, ...] = ("unknown", "interest", "need", "intention", "ready")

#: a lead must say who or what it is about through at least one of these
IDENTIFYING_FIELDS: tuple[str, ...] = ("contact_name", "account_name", "email", "phone")

# The order here is the order of the record on the wire and in the web app's forms.
# A lead's stage and need maturity refuse an empty string (it names no option) rather
# than clearing it: a lead always has a stage.
LEAD = Entity(
    "lead",
    (
        EntityField("id", "uuid", "ID", read_only=True),
        EntityField(
            "contact_name",
            "string",
            "Contact name",
            max_length=300,
            sortable=True,
            filterable=True,
            filter_op="contains",
        ),
        EntityField(
            "account_name",
            "string",
            "Account name",
            max_length=300,
            sortable=True,
            filterable=True,
            filter_op="contains",
        ),
        EntityField("email", "email", "Email", max_length=254, filterable=True),
        EntityField("phone", "phone", "Phone", max_length=64),
        EntityField(
            "source",
            "string",
            "Source",
            max_length=100,
            filterable=True,
            suggestions="lead-sources",
        ),
        EntityField(
            "channel",
            "string",
            "Channel",
            max_length=100,
            filterable=True,
            suggestions="lead-channels",
        ),
        EntityField("need_type", "string", "Need type", max_length=100, filterable=True),
        EntityField(
            "need_maturity",
            "enum",
            "Need maturity",
            options=NEED_MATURITIES,
            filterable=True,
            empty_clears=False,
        ),
        EntityField("region", "string", "Region", max_length=100, filterable=True),
        EntityField(
            "stage",
            "enum",
            "Stage",
            options=STAGES,
            filterable=True,
            sortable=True,
            empty_clears=False,
        ),
        EntityField("owner_id", "uuid", "Owner", filterable=True, lookup="users"),
        EntityField("team_id", "uuid", "Team", filterable=True, lookup="teams"),
        EntityField("score", "integer", "Score", minimum=0, maximum=100, sortable=True),
        EntityField("score_reasons", "list", "Why this score", read_only=True),
        EntityField("disqualification_reason", "string", "Disqualification reason", max_length=300),
        EntityField("contact_id", "uuid", "Contact", lookup="contacts"),
        EntityField("account_id", "uuid", "Account", lookup="accounts"),
        EntityField("opportunity_id", "uuid", "Opportunity", lookup="opportunities"),
        EntityField("utm_source", "string", "UTM source", max_length=300),
        EntityField("utm_medium", "string", "UTM medium", max_length=300),
        EntityField("utm_campaign", "string", "UTM campaign", max_length=300),
        EntityField("utm_term", "string", "UTM term", max_length=300),
        EntityField("utm_content", "string", "UTM content", max_length=300),
        EntityField("referrer", "string", "Referrer", max_length=2000),
        EntityField("notes", "text", "Notes", max_length=20000),
        *record_tail(owned=False),
    ),
)
FIELDS: tuple[EntityField, ...] = LEAD.fields
FIELDS_BY_NAME: dict[str, EntityField] = LEAD.by_name
FIELD_NAMES: tuple[str, ...] = LEAD.field_names


def clean_changes(data: Any) -> dict[str, Any]:
    """The lead fields a caller sent (create or update), validated and normalized by the
    platform's field rules: unknown and read-only fields, wrong types and bad values
    all in one :class:`ValidationFailed`. An empty string clears a text field."""
    return fields.clean_changes(LEAD, data)


def changed_fields(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """The lead fields whose value really changes, in record order."""
    return fields.changed_fields(LEAD, current, changes)


def check_new_lead(values: Mapping[str, Any]) -> None:
    """The rules a lead as a whole must keep, on create and after every update."""
    errors = []
    if not any(values.get(name) for name in IDENTIFYING_FIELDS):
        errors.append(
            {
                "field": "contact_name",
                "message": "give at least one of contact_name, account_name, email, phone",
            }
        )
    if values.get("stage") is None:
        errors.append({"field": "stage", "message": "a lead always has a stage"})
    if errors:
        raise validation_failed(errors)


def check_initial_stage(changes: Mapping[str, Any]) -> None:
    """New leads enter the process at its start; the process moves them on."""
    stage = changes.get("stage")
    if stage is not None and stage != INITIAL_STAGE:
        raise fields.failed("stage", f"a new lead starts in {INITIAL_STAGE}")


def new_lead(data: Any, caller: Actor, lead_id: str, now: datetime) -> dict[str, Any]:
    """A new lead's values from a create payload, in stage ``qualification``.

    ``owner_id`` defaults to the caller (an explicit null leaves the lead unassigned,
    waiting for distribution), ``team_id`` to the caller's team; only an administrator
    names another team. Raises ``ValidationFailed`` (bad fields, another stage, none of
    the identifying fields) and ``PermissionDenied``, in that order.
    """
    changes = clean_changes(data)
    check_initial_stage(changes)
    team_id = changes.pop("team_id", None)
    if team_id is not None and team_id != caller.team_id and not caller.is_admin:
        raise PermissionDenied(
            "Only an administrator may put a lead in another team",
            [{"field": "team_id", "message": "only an administrator may set another team"}],
        )
    values = {
        **changes,
        "id": lead_id,
        "stage": INITIAL_STAGE,
        "owner_id": changes.get("owner_id", caller.id),
        "team_id": team_id or caller.team_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": caller.id,
    }
    check_new_lead(values)
    return values


def check_lead_change(
    current: Mapping[str, Any], changes: Mapping[str, Any], changed: list[str], caller: Actor
) -> None:
    """What an update may not do: move the lead to another team (unless an admin), close
    it by hand (it is converted by handoff and disqualified with a reason), or leave it
    without anything identifying it."""
    if "team_id" in changed and not caller.is_admin:
        raise PermissionDenied(
            "Only an administrator may move a lead to another team",
            [{"field": "team_id", "message": "only an administrator may change the team"}],
        )
    if changes.get("stage") in CLOSED_STAGES and "stage" in changed:
        raise fields.failed(
            "stage", "a lead is converted by handoff and disqualified with a reason"
        )
    check_new_lead({**current, **changes})


def check_open(stage: str) -> None:
    """A converted or disqualified lead is read-only until a manager reopens it."""
    if stage in CLOSED_STAGES:
        raise Conflict(
            f"The lead is {stage}; a manager must reopen it before it changes",
            [{"field": "stage", "message": f"the lead is {stage}"}],
        )


def check_stage(stage: Any) -> None:
    """A stage the process knows."""
    if stage not in STAGES:
        raise fields.failed("stage", f"must be one of {', '.join(STAGES)}")


def require_manager(caller: Actor, what: str) -> None:
    """Sales managers and administrators only (``what``: "change scoring rules")."""
    if not caller.is_manager:
        raise PermissionDenied(
            f"Only a sales manager or an administrator may {what}",
            [{"field": "actor", "message": f"only a manager may {what}"}],
        )
