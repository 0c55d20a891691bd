"""What crosses the wire: accounts and contacts as JSON-safe dicts, and their metadata."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.platform.events import isoformat

from .domain import ACCOUNT, CONTACT, Entity


def wire(value: Any) -> Any:
    """A stored value as JSON carries it: money as a decimal string, times ISO 8601 UTC."""
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, list):
        return [dict(item) if isinstance(item, dict) else wire(item) for item in value]
    return value


def dump_entity(entity: Entity, record: Any) -> dict[str, Any]:
    """A record's fields, in the entity's order, as JSON-safe values."""
    return {name: wire(getattr(record, name)) for name in entity.field_names}


_dump = dump_entity


def dump_account(account: Any) -> dict[str, Any]:
    """An account with ids as strings and times as ISO 8601 UTC ending in ``Z``."""
    return _dump(ACCOUNT, account)


def dump_contact(contact: Any) -> dict[str, Any]:
    """A contact with ids as strings and times as ISO 8601 UTC ending in ``Z``."""
    return _dump(CONTACT, contact)


def describe_entity(entity: Entity, name: str, label: str, singular: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "label_singular": singular,
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "label": f.label,
                "required": f.required,
                "read_only": f.read_only,
                "options": list(f.options) if f.type == "enum" else None,
                "max_length": f.max_length,
                "items": f.items,
                "filterable": f.filterable,
                "filter_op": f.filter_op if f.filterable else None,
                "sortable": f.sortable,
                "lookup": f.lookup,
                "minimum": f.minimum,
                "maximum": f.maximum,
            }
            for f in entity.fields
        ],
    }


def describe_accounts() -> dict[str, Any]:
    """The account entity for ``meta/entities``."""
    return describe_entity(ACCOUNT, "accounts", "Accounts", "Account")


def describe_contacts() -> dict[str, Any]:
    """The contact entity for ``meta/entities``."""
    return describe_entity(CONTACT, "contacts", "Contacts", "Contact")


def dump_career(career: Any) -> dict[str, Any]:
    """A career with dates as ``YYYY-MM-DD`` and ``created_at`` as ISO 8601 UTC."""
    return {
        "id": career.id,
        "contact_id": career.contact_id,
        "account_id": career.account_id,
        "job_title": career.job_title,
        "is_primary": career.is_primary,
        "start_date": career.start_date.isoformat() if career.start_date else None,
        "end_date": career.end_date.isoformat() if career.end_date else None,
        "created_at": isoformat(career.created_at),
    }
