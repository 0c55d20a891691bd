"""The rules of a lead: which fields it has, what each accepts, how values are normalized.

Pure functions, no I/O: the service loads and stores, these decide. Every problem
with the caller's data is collected and raised at once as one
:class:`ValidationFailed`, each error naming its field.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from services.platform.errors import ValidationFailed
from services.platform.values import (
    InvalidValue,
    normalize_email,
    normalize_phone,
    validation_failed,
)
from services.platform.values import is_uuid as is_uuid  # re-exported: domain.is_uuid
from services.platform.values import (  # re-exported: domain.parse_expected_version
    parse_expected_version as parse_expected_version,
)

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
LOOKUP_KINDS: tuple[str, ...] = ("source", "channel", "disqualification_reason")
DISTRIBUTION_STRATEGIES: tuple[str, ...] = ("round_robin", "least_open", "fixed_owner")
SCORING_OPERATORS: tuple[str, ...] = (
    "equals",
    "not_equals",
    "in",
    "contains",
    "is_set",
    "is_empty",
    "gte",
    "lte",
)
NEED_MATURITIES: tuple[str, ...] = ("unknown", "interest", "need", "intention", "ready")

#: a lead must say who or what it is about through at least one of these
IDENTIFYING_FIELDS: tuple[str, ...] = ("contact_name", "account_name", "email", "phone")

FieldType = Literal[
    "string", "email", "phone", "enum", "uuid", "integer", "datetime", "text", "list"
]


@dataclass(frozen=True)
class LeadField:
    name: str
    type: FieldType
    label: str
    max_length: int | None = None
    options: tuple[str, ...] = ()
    read_only: bool = False
    filterable: bool = False
    #: how the list filters it: equals (any of), contains (substring) or range (from..to)
    filter_op: str = "equals"
    sortable: bool = False
    minimum: int | None = None
    maximum: int | None = None
    #: for ``uuid`` fields that point at a record: the entity they point at
    lookup: str | None = None
    #: for text fields: the lookup list whose codes the web app offers (any text is kept)
    suggestions: str | None = None


# The order here is the order of the record on the wire and in the web app's forms.
FIELDS: tuple[LeadField, ...] = (
    LeadField("id", "uuid", "ID", read_only=True),
    LeadField(
        "contact_name",
        "string",
        "Contact name",
        max_length=300,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    LeadField(
        "account_name",
        "string",
        "Account name",
        max_length=300,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    LeadField("email", "email", "Email", max_length=254, filterable=True),
    LeadField("phone", "phone", "Phone", max_length=64),
    LeadField(
        "source", "string", "Source", max_length=100, filterable=True, suggestions="lead-sources"
    ),
    LeadField(
        "channel", "string", "Channel", max_length=100, filterable=True, suggestions="lead-channels"
    ),
    LeadField("need_type", "string", "Need type", max_length=100, filterable=True),
    LeadField("need_maturity", "enum", "Need maturity", options=NEED_MATURITIES, filterable=True),
    LeadField("region", "string", "Region", max_length=100, filterable=True),
    LeadField("stage", "enum", "Stage", options=STAGES, filterable=True, sortable=True),
    LeadField("owner_id", "uuid", "Owner", filterable=True, lookup="users"),
    LeadField("team_id", "uuid", "Team", filterable=True, lookup="teams"),
    LeadField("score", "integer", "Score", minimum=0, maximum=100, sortable=True),
    LeadField("score_reasons", "list", "Why this score", read_only=True),
    LeadField("disqualification_reason", "string", "Disqualification reason", max_length=300),
    LeadField("contact_id", "uuid", "Contact", lookup="contacts"),
    LeadField("account_id", "uuid", "Account", lookup="accounts"),
    LeadField("opportunity_id", "uuid", "Opportunity", lookup="opportunities"),
    LeadField("utm_source", "string", "UTM source", max_length=300),
    LeadField("utm_medium", "string", "UTM medium", max_length=300),
    LeadField("utm_campaign", "string", "UTM campaign", max_length=300),
    LeadField("utm_term", "string", "UTM term", max_length=300),
    LeadField("utm_content", "string", "UTM content", max_length=300),
    LeadField("referrer", "string", "Referrer", max_length=2000),
    LeadField("notes", "text", "Notes", max_length=20000),
    LeadField("version", "integer", "Version", read_only=True),
    LeadField(
        "created_at",
        "datetime",
        "Created",
        read_only=True,
        sortable=True,
        filterable=True,
        filter_op="range",
    ),
    LeadField(
        "updated_at",
        "datetime",
        "Updated",
        read_only=True,
        sortable=True,
        filterable=True,
        filter_op="range",
    ),
    LeadField("created_by", "uuid", "Created by", read_only=True),
)
FIELDS_BY_NAME: dict[str, LeadField] = {f.name: f for f in FIELDS}
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
WRITABLE: frozenset[str] = frozenset(f.name for f in FIELDS if not f.read_only)


_Invalid = InvalidValue


def clean_changes(data: Any) -> dict[str, Any]:
    """Validate and normalize the writable fields a caller sent (create or update).

    Unknown and read-only fields, wrong types and bad values are all reported in one
    :class:`ValidationFailed`. An empty string clears a text field (stored as None).
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            "data: must be an object of lead fields",
            [{"field": "data", "message": "must be an object of lead fields"}],
        )
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name, value in data.items():
        spec = FIELDS_BY_NAME.get(name) if isinstance(name, str) else None
        if spec is None:
            errors.append({"field": str(name), "message": "unknown field"})
            continue
        if spec.read_only:
            errors.append({"field": name, "message": "is read-only"})
            continue
        try:
            clean[name] = normalize_value(spec, value)
        except _Invalid as exc:
            errors.append({"field": name, "message": str(exc)})
    if errors:
        raise _failed(errors)
    return clean


def normalize_value(spec: LeadField, value: Any) -> Any:
    """One field's value as it is stored, or :class:`_Invalid` saying why not."""
    if value is None:
        return None
    if spec.type == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Invalid("must be a whole number")
        if spec.minimum is not None and value < spec.minimum:
            raise _Invalid(f"must be at least {spec.minimum}")
        if spec.maximum is not None and value > spec.maximum:
            raise _Invalid(f"must be at most {spec.maximum}")
        return value
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    text = value.strip()
    if spec.type == "uuid":
        if not text:
            return None
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise _Invalid("must be a UUID") from None
    if spec.type == "enum":
        if text not in spec.options:
            raise _Invalid(f"must be one of {', '.join(spec.options)}")
        return text
    if spec.max_length is not None and len(text) > spec.max_length:
        raise _Invalid(f"must be at most {spec.max_length} characters")
    if not text:
        return None
    if spec.type == "email":
        return normalize_email(text)
    if spec.type == "phone":
        return normalize_phone(text)
    return text


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
        raise _failed(errors)


def check_initial_stage(changes: Mapping[str, Any]) -> None:
    """New leads enter the process at its start; the process moves them on."""
    stage = changes.get("stage")
    if stage is not None and stage != INITIAL_STAGE:
        raise _failed([{"field": "stage", "message": f"a new lead starts in {INITIAL_STAGE}"}])


def changed_fields(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """The fields whose value really changes, in record order."""
    return [name for name in FIELD_NAMES if name in changes and changes[name] != current.get(name)]


_failed = validation_failed


def failed(field: str, message: str) -> ValidationFailed:
    """One field's problem as a :class:`ValidationFailed`."""
    return validation_failed([{"field": field, "message": message}])
