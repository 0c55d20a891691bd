"""The rules of passwords an administrator hands on: a new user's (an invitation) and a
reset one. Osprey makes a temporary password when the administrator types none; it is
shown to them once, in the answer, and kept only as its hash. Pure: no database, no Nameko.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed

from .domain import clean_user_data

#: letters and digits nobody misreads for one another (no 0/O, 1/l/I)
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_temporary_password() -> str:
    """Four groups of four unambiguous letters and digits joined by hyphens (about 92
    random bits), with at least one capital, one small letter and one digit, so that
    it passes any password rule that asks for them."""
    while True:
        password = "-".join(
            "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4)
        )
        if (
            any(c.isupper() for c in password)
            and any(c.islower() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def with_password(data: Any) -> tuple[Any, str | None]:
    """A new user's data with a password: the one the administrator typed, else a new
    temporary one, returned beside it (None when one was typed). ``password: null``
    counts as none typed. Data that is not an object is returned as is, for
    :func:`~services.identity.domain.clean_user_data` to refuse."""
    if not isinstance(data, Mapping) or data.get("password") is not None:
        return data, None
    temporary = new_temporary_password()
    # a password someone else has seen: the user replaces it at the first sign-in
    return {**data, "password": temporary, "password_change_required": True}, temporary


def clean_password_reset(data: Any) -> tuple[dict[str, Any], str | None]:
    """``(changes, temporary_password)`` for an administrator's reset: ``{}`` or
    ``{"password": null}`` makes a temporary password, ``{"password": "..."}`` sets
    that one (checked as any password). Raises one :class:`ValidationFailed` naming
    each bad field."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            "data: must be an object", [{"field": "data", "message": "must be an object"}]
        )
    unknown = [
        {"field": str(name), "message": "unknown field"}
        for name in data
        if name not in ("password", "password_change_required")
    ]
    if unknown:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in unknown), unknown)
    data, temporary = with_password(data)
    return clean_user_data(data, creating=False), temporary


def check_may_issue_passwords(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(
            "Only an administrator may reset a password; change your own in your settings"
        )
