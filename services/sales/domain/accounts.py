"""The rules of accounts and contacts: their fields, careers, and what makes two alike.

Pure functions, no I/O: the parts load and store, these decide.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from services.platform import fields, similar
from services.platform.errors import DuplicatesFound
from services.platform.fields import Entity, EntityField, failed
from services.platform.values import is_uuid, validation_failed

ACCOUNT_TYPES: tuple[str, ...] = ("customer", "partner", "competitor", "supplier", "our_company")

# The order here is the order of the record on the wire and in the web app's forms.
ACCOUNT_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "name",
        "string",
        "Name",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("type", "enum", "Type", options=ACCOUNT_TYPES, filterable=True, sortable=True),
    EntityField("industry", "string", "Industry", max_length=100, filterable=True),
    EntityField("parent_id", "uuid", "Parent account", filterable=True, lookup="accounts"),
    EntityField("web", "string", "Website", max_length=2000),
    EntityField("phone", "phone", "Phone", max_length=64),
    EntityField("email", "email", "Email", max_length=254),
    EntityField("addresses", "list", "Addresses", items="address"),
    *fields.record_tail(),
)

CONTACT_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "full_name",
        "string",
        "Full name",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("emails", "list", "Emails", items="email"),
    EntityField("phones", "list", "Phones", items="phone"),
    EntityField("account_id", "uuid", "Account", filterable=True, lookup="accounts"),
    EntityField("job_title", "string", "Job title", max_length=200),
    *fields.record_tail(),
)


ACCOUNT = Entity("account", ACCOUNT_FIELDS)
CONTACT = Entity("contact", CONTACT_FIELDS)


def check_parent(account_id: str | None, parent_id: str | None) -> None:
    """An account may not be its own parent."""
    if parent_id is not None and parent_id == account_id:
        raise validation_failed(
            [{"field": "parent_id", "message": "an account cannot be its own parent"}]
        )


# --- careers ---------------------------------------------------------------------------

CAREER_FIELDS: tuple[str, ...] = ("account_id", "job_title", "is_primary", "start_date", "end_date")


def clean_career(data: Any) -> dict[str, Any]:
    """Validate a new career: ``account_id`` required, dates ISO ``YYYY-MM-DD``, end ≥ start."""
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object of career fields")
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {"job_title": None, "is_primary": False}
    for key in data:
        if key not in CAREER_FIELDS:
            errors.append({"field": str(key), "message": "unknown field"})
    account_id = data.get("account_id")
    if not is_uuid(account_id):
        errors.append({"field": "account_id", "message": "must be a UUID"})
    else:
        clean["account_id"] = str(uuid.UUID(account_id))
    title = data.get("job_title")
    if title is not None:
        if not isinstance(title, str):
            errors.append({"field": "job_title", "message": "must be a string"})
        elif len(title.strip()) > 200:
            errors.append({"field": "job_title", "message": "must be at most 200 characters"})
        else:
            clean["job_title"] = title.strip() or None
    primary = data.get("is_primary", False)
    if not isinstance(primary, bool):
        errors.append({"field": "is_primary", "message": "must be true or false"})
    else:
        clean["is_primary"] = primary
    for name in ("start_date", "end_date"):
        value = data.get(name)
        clean[name] = None
        if value is None:
            continue
        try:
            if not isinstance(value, str):
                raise ValueError
            clean[name] = date.fromisoformat(value.strip())
        except ValueError:
            errors.append({"field": name, "message": "must be a date (YYYY-MM-DD)"})
    start, end = clean.get("start_date"), clean.get("end_date")
    if start is not None and end is not None and end < start:
        errors.append({"field": "end_date", "message": "must not be before start_date"})
    if errors:
        raise validation_failed(errors)
    return clean


# --- duplicates ------------------------------------------------------------------------

#: How alike two names must be (pg_trgm similarity) to be offered as duplicates, and
#: how many are offered: the suite's one setting (services/platform/similar.py).
NAME_SIMILARITY_THRESHOLD = similar.NAME_SIMILARITY_THRESHOLD
MAX_SIMILAR = similar.MAX_SIMILAR

_DOMAIN = re.compile(r"^([a-z][a-z0-9+.-]*://)?(www\.)?([^/:?#]*)", re.IGNORECASE)


def web_domain(web: str | None) -> str | None:
    """A website's host without scheme, ``www.`` and path: ``https://www.Acme.io/x`` → ``acme.io``.

    The same as the SQL expression the accounts' domain index is built on.
    """
    if not web:
        return None
    match = _DOMAIN.match(web)
    host = (match.group(3) if match else web).lower()
    return host or None


def parse_allow(value: Any) -> bool:
    """``allow_duplicates``: true or false, nothing else."""
    if not isinstance(value, bool):
        raise failed("allow_duplicates", "must be true or false")
    return value


def candidate(record: dict[str, Any], reasons: list[str], name_score: float | None) -> dict:
    """One likely duplicate: 1 per exact match (``reasons``), plus the name's similarity
    when it reaches the threshold (reason ``name``)."""
    score = float(len(reasons))
    if name_score is not None and name_score >= NAME_SIMILARITY_THRESHOLD:
        reasons.append("name")
        score += float(name_score)
    return {"record": record, "score": round(score, 4), "reasons": reasons}


def best(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The candidates with a reason, best score first (then by id), at most ``MAX_SIMILAR``."""
    found = [f for f in found if f["reasons"]]
    found.sort(key=lambda f: (-f["score"], f["record"]["id"]))
    return found[:MAX_SIMILAR]


def refuse_duplicates(entity: Entity, candidates: list[dict[str, Any]]) -> None:
    """Raise ``DuplicatesFound`` when there are candidates; the caller may then insist."""
    if candidates:
        count = len(candidates)
        what = (
            f"1 {entity.name} like this one exists"
            if count == 1
            else (f"{count} {entity.name}s like this one exist")
        )
        raise DuplicatesFound(
            f"{what} already; open it instead, or send allow_duplicates to create it anyway",
            [],
            candidates,
        )
