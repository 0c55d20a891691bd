"""How every service reads the values people type: emails, phones, ids, versions.

One definition, so a lead's phone and a contact's phone are the same string when they
are the same number (duplicate search relies on it).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from .errors import ValidationFailed

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE_CHARS = re.compile(r"[\d\s()+\-.]+")


class InvalidValue(ValueError):
    """One field's problem; the caller turns it into a ``{field, message}``."""


def normalize_email(text: str) -> str:
    """Lower-cased, so the same address is always the same string (search, duplicates)."""
    email = text.strip().lower()
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise InvalidValue("is not an email address")
    return email


def normalize_phone(text: str) -> str:
    """Digits with a leading ``+`` (E.164 shape): ``8 (800) 555-35-35`` → ``+88005553535``."""
    text = text.strip()
    if not _PHONE_CHARS.fullmatch(text) or "+" in text[1:]:
        raise InvalidValue("may hold only digits, spaces, ( ) - . and a leading +")
    digits = re.sub(r"\D", "", text)
    if not 5 <= len(digits) <= 15:
        raise InvalidValue("must have 5 to 15 digits")
    return "+" + digits


def is_uuid(value: Any) -> bool:
    """A string that is a UUID (an id that is not one names no record)."""
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def validation_failed(errors: list[dict[str, str]]) -> ValidationFailed:
    """One :class:`ValidationFailed` carrying every ``{field, message}``."""
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ValidationFailed(message, errors)


def parse_expected_version(value: Any) -> int | None:
    """The version a caller expects (``If-Match``), or None when not given."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise validation_failed(
            [{"field": "expected_version", "message": "must be a version number"}]
        )
    return value
