"""The rules of personal API tokens: what a new one accepts, who manages whose, how
one is made and shown. Pure: no database, no Nameko.

A personal token is a bearer token like a session, made by a user for an integration:
named, limited to scopes (``services/platform/scopes.py``) and to a date at most a
year away. It is shown once; afterwards only its first characters (``prefix``) are, so
its owner can recognise it in a list. Only its SHA-256 is stored, like a session's.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed
from services.platform.scopes import SCOPES, grantable_scopes

#: every personal token starts with this, so a leaked one is recognised (and a secret
#: scanner can look for it)
TOKEN_PREFIX = "osp_"
#: how much of a token is kept and shown: the prefix and 8 random characters
SHOWN_LENGTH = len(TOKEN_PREFIX) + 8
NAME_MAX_LENGTH = 100
#: a user with this many live personal tokens revokes one before making another
MAX_LIVE_TOKENS = 50
TOKEN_FIELDS: tuple[str, ...] = ("name", "scopes", "expires_on")


def new_personal_token() -> str:
    """``osp_`` and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def shown_prefix(token: str) -> str:
    return token[:SHOWN_LENGTH]


def latest_expiry(today: date) -> date:
    """One year from ``today`` (29 February gives 28 February)."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


def expiry_moment(expires_on: date) -> datetime:
    """A token works through its expiry date (UTC) and stops at the day's end."""
    return datetime.combine(expires_on + timedelta(days=1), time(0), tzinfo=UTC)


def clean_token_data(
    data: Any, *, today: date, roles: Iterable[str], permissions: Iterable[str]
) -> dict[str, Any]:
    """``{name, scopes, expires_on}`` of a new token, or one :class:`ValidationFailed`
    naming every bad field. ``scopes`` must be known and within what the owner (with
    these ``roles`` and ``permissions``) may give; they come back in catalog order."""
    if not isinstance(data, Mapping):
        raise _failed([{"field": "data", "message": "must be an object of token fields"}])
    errors: list[dict[str, str]] = []
    for name in data:
        if name not in TOKEN_FIELDS:
            errors.append({"field": str(name), "message": "unknown field"})
    clean: dict[str, Any] = {}

    name = data.get("name")
    if name is None:
        errors.append({"field": "name", "message": "is required"})
    elif not isinstance(name, str):
        errors.append({"field": "name", "message": "must be a string"})
    elif not " ".join(name.split()):
        errors.append({"field": "name", "message": "is required"})
    elif len(" ".join(name.split())) > NAME_MAX_LENGTH:
        errors.append({"field": "name", "message": f"must be at most {NAME_MAX_LENGTH} characters"})
    else:
        clean["name"] = " ".join(name.split())

    scopes = data.get("scopes")
    if scopes is None:
        errors.append({"field": "scopes", "message": "is required"})
    elif not isinstance(scopes, list | tuple) or not all(isinstance(s, str) for s in scopes):
        errors.append({"field": "scopes", "message": "must be a list of scopes"})
    elif not scopes:
        errors.append({"field": "scopes", "message": "give at least one scope"})
    else:
        unknown = [s for s in dict.fromkeys(scopes) if s not in SCOPES]
        allowed = set(grantable_scopes(roles, permissions))
        beyond = [s for s in dict.fromkeys(scopes) if s in SCOPES and s not in allowed]
        if unknown:
            errors.append({"field": "scopes", "message": "no such scope: " + ", ".join(unknown)})
        elif beyond:
            errors.append(
                {
                    "field": "scopes",
                    "message": "beyond your own rights: " + ", ".join(beyond),
                }
            )
        else:
            clean["scopes"] = [s for s in SCOPES if s in set(scopes)]

    expires_on = data.get("expires_on")
    try:
        clean["expires_on"] = _expires_on(expires_on, today)
    except ValueError as exc:
        errors.append({"field": "expires_on", "message": str(exc)})

    if errors:
        raise _failed(errors)
    return clean


def _expires_on(value: Any, today: date) -> date:
    if value is None or value == "":
        raise ValueError("is required: a date at most a year away")
    if not isinstance(value, str):
        raise ValueError("must be a date (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be a date (YYYY-MM-DD)") from None
    if len(value.strip()) != 10:
        raise ValueError("must be a date (YYYY-MM-DD)")
    if day <= today:
        raise ValueError("must be after today")
    last = latest_expiry(today)
    if day > last:
        raise ValueError(f"must be at most a year away (by {last.isoformat()})")
    return day


def check_signed_in(actor_data: Mapping[str, Any]) -> None:
    """Tokens are made, listed and revoked from a signed-in session only: a personal
    token cannot (a leaked one must not be able to make itself a successor)."""
    if actor_data.get("scopes") is not None:
        raise PermissionDenied(
            "Personal tokens are managed from a signed-in session, not with a token"
        )


def check_may_manage_tokens(actor: Actor, actor_data: Mapping[str, Any], user_id: str) -> None:
    """A user lists and revokes their own tokens, an administrator anyone's."""
    check_signed_in(actor_data)
    if actor.id != user_id and not actor.is_admin:
        raise PermissionDenied("Only an administrator may manage another user's tokens")


def check_live_token_count(live: int) -> None:
    if live >= MAX_LIVE_TOKENS:
        raise Conflict(
            f"You have {MAX_LIVE_TOKENS} personal tokens: revoke one you no longer use first",
            [{"field": "name", "message": f"at most {MAX_LIVE_TOKENS} live tokens"}],
        )


def _failed(errors: list[dict[str, str]]) -> ValidationFailed:
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ValidationFailed(message, errors)
