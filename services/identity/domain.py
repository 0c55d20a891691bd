"""The rules of identity: what a user, team and role accept, who may change what,
how passwords and tokens are made. Pure: no database, no Nameko.

Every problem with the caller's data is collected and raised at once as one
:class:`ValidationFailed`, each error naming its field.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.platform.access import ADMIN, SALES_MANAGER, SALES_REP, Actor
from services.platform.errors import (
    Conflict,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)

LOCALES: tuple[str, ...] = ("en", "ru")
THEMES: tuple[str, ...] = ("light", "dark")
DEFAULT_LOCALE = "en"
DEFAULT_THEME = "light"
#: a new password's length; passwords set before this rule keep working
PASSWORD_MIN_LENGTH = 10
#: zxcvbn's estimate (0-4) a new password must reach: 3 is "safely unguessable"
PASSWORD_MIN_SCORE = 3
#: how much of a password zxcvbn judges (it refuses more, and takes longer the longer
#: a password is; what follows can only make it stronger)
PASSWORD_JUDGED_LENGTH = 72
# argon2 would hash a megabyte happily, slowly: a bound keeps a login from being a DoS.
PASSWORD_MAX_LENGTH = 1024
EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 200
#: a new user with no roles named gets this one, so they can work at all
DEFAULT_ROLE = SALES_REP

#: one message for every failed login, so it never tells which part was wrong
LOGIN_FAILED = "Wrong email or password"


@dataclass(frozen=True)
class Throttle:
    """``limit`` failed sign-ins within ``window`` seconds lock for ``lockout`` seconds."""

    limit: int
    window: int
    lockout: int


#: per account: a password guessed at slowly; per address: many accounts tried from one
THROTTLES = {
    "account": Throttle(limit=5, window=15 * 60, lockout=15 * 60),
    "address": Throttle(limit=30, window=15 * 60, lockout=15 * 60),
}


def throttle_keys(lookup: str | None, address: str | None) -> dict[str, str]:
    """The counters a sign-in counts against: its account (when the email is a valid
    one) and its client address (when known)."""
    keys = {}
    if lookup:
        keys["account"] = f"account:{lookup}"
    if address:
        keys["address"] = f"address:{address[:100]}"
    return keys


def seconds_locked(locked_until: datetime | None, now: datetime) -> int:
    """Whole seconds until a lock ends (0: not locked)."""
    if locked_until is None or locked_until <= now:
        return 0
    return max(1, math.ceil((locked_until - now).total_seconds()))


def after_failure(
    kind: str, failures: int, first_at: datetime, now: datetime
) -> tuple[int, datetime, datetime | None]:
    """``(failures, first_at, locked_until)`` after one more failure: the count starts
    again when the window has passed; reaching the limit locks."""
    rule = THROTTLES[kind]
    if (now - first_at).total_seconds() > rule.window:
        failures, first_at = 0, now
    failures += 1
    locked = now + timedelta(seconds=rule.lockout) if failures >= rule.limit else None
    return failures, first_at, locked


def locked_out(seconds: int) -> RateLimited:
    minutes = max(1, math.ceil(seconds / 60))
    return RateLimited(
        f"Too many failed sign-ins: try again in {minutes} minute{'s' if minutes > 1 else ''}",
        [{"field": "email", "message": "too many failed sign-ins"}],
        seconds,
    )


TOKEN_REJECTED = "The token is unknown, expired or revoked"

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True)
class RoleSpec:
    id: str
    name: str
    permissions: tuple[str, ...]


# Fixed ids, so the migration, the start-up seeding and every database agree on them.
# The migration writes the same rows out literally.
#: The sales and orders sections every seeded role sees (the web app shows ``<section>.read``).
SALES_SECTIONS: tuple[str, ...] = (
    "accounts.read",
    "contacts.read",
    "opportunities.read",
    "activities.read",
    "products.read",
    "orders.read",
    "invoices.read",
)

SEEDED_ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        "00000000-0000-7000-8000-000000000001",
        ADMIN,
        (
            "leads.read",
            *SALES_SECTIONS,
            "users.read",
            "users.manage",
            "teams.manage",
            "roles.read",
            "records.read_all",
            "records.change_all",
            "records.assign",
            "processes.manage",
            "imports.run",
            "reports.manage",
            "settings.manage",
        ),
    ),
    RoleSpec(
        "00000000-0000-7000-8000-000000000002",
        SALES_MANAGER,
        (
            "leads.read",
            *SALES_SECTIONS,
            "users.read",
            "roles.read",
            "records.read_team",
            "records.change_team",
            "records.assign",
            "imports.run",
            "reports.manage",
        ),
    ),
    RoleSpec(
        "00000000-0000-7000-8000-000000000003",
        SALES_REP,
        (
            "leads.read",
            *SALES_SECTIONS,
            "users.read",
            "roles.read",
            "records.read_team",
            "records.change_own",
        ),
    ),
)

#: what a user may change on their own record; everything else is an admin's
SELF_SERVICE_FIELDS: frozenset[str] = frozenset(
    {"full_name", "password", "locale", "theme", "accent_color"}
)
USER_FIELDS: tuple[str, ...] = (
    "email",
    "full_name",
    "password",
    "role_ids",
    "team_id",
    "is_active",
    "locale",
    "theme",
    "accent_color",
    "password_change_required",
)
READ_ONLY_USER_FIELDS: frozenset[str] = frozenset({"id", "roles", "created_at", "updated_at"})


class _Invalid(ValueError):
    """One field's problem, turned into a ``{field, message}`` by the caller."""


# --- users --------------------------------------------------------------------------------


def clean_user_data(data: Any, *, creating: bool) -> dict[str, Any]:
    """Validate and normalize the user fields a caller sent.

    On create ``email``, ``full_name`` and ``password`` are required and the
    defaults (locale, theme, is_active) are filled in; on update only what was
    sent is returned. Raises one :class:`ValidationFailed` listing every problem.
    """
    if not isinstance(data, Mapping):
        raise _failed([{"field": "data", "message": "must be an object of user fields"}])
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name in READ_ONLY_USER_FIELDS:
            errors.append({"field": str(name), "message": "is read-only"})
            continue
        if name not in USER_FIELDS:
            errors.append({"field": str(name), "message": "unknown field"})
            continue
        try:
            if name == "password" and creating:
                # a new user's password is judged against their own email and name
                clean[name] = check_password(
                    value,
                    email=_or_none(data.get("email")),
                    full_name=_or_none(data.get("full_name")),
                )
            else:
                clean[name] = _USER_CLEANERS[name](value)
        except _Invalid as exc:
            errors.append({"field": name, "message": str(exc)})
    if creating:
        for name in ("email", "full_name", "password"):
            if data.get(name) is None and not any(e["field"] == name for e in errors):
                errors.append({"field": name, "message": "is required"})
        clean.setdefault("locale", DEFAULT_LOCALE)
        clean.setdefault("theme", DEFAULT_THEME)
        clean.setdefault("is_active", True)
    if errors:
        raise _failed(errors)
    return clean


def normalize_email(value: Any) -> str:
    """Lower-cased and stripped, so one address is always one string (and one user)."""
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    email = value.strip().lower()
    if not email:
        raise _Invalid("is required")
    if len(email) > EMAIL_MAX_LENGTH:
        raise _Invalid(f"must be at most {EMAIL_MAX_LENGTH} characters")
    if not _EMAIL.fullmatch(email):
        raise _Invalid("is not an email address")
    return email


def _full_name(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    name = " ".join(value.split())
    if not name:
        raise _Invalid("is required")
    if len(name) > NAME_MAX_LENGTH:
        raise _Invalid(f"must be at most {NAME_MAX_LENGTH} characters")
    return name


def check_password(value: Any, *, email: str | None = None, full_name: str | None = None) -> str:
    """A new password as given (never stripped: spaces are part of it), or why not:
    10 to 1024 characters, not containing the local part of the user's ``email`` nor
    their ``full_name``, and not guessable by zxcvbn's estimate (common passwords,
    words, dates, keyboard runs, the user's own details: refused below score 3 with
    zxcvbn's reason). Applied when a password is set; a stored one is never judged."""
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    if len(value) < PASSWORD_MIN_LENGTH:
        raise _Invalid(f"must be at least {PASSWORD_MIN_LENGTH} characters")
    if len(value) > PASSWORD_MAX_LENGTH:
        raise _Invalid(f"must be at most {PASSWORD_MAX_LENGTH} characters")
    folded = value.casefold()
    local_part = email.split("@", 1)[0].casefold() if isinstance(email, str) else ""
    if len(local_part) >= 3 and local_part in folded:
        raise _Invalid("must not contain your email address")
    name = " ".join(full_name.split()).casefold() if isinstance(full_name, str) else ""
    if len(name) >= 3 and (name in folded or name.replace(" ", "") in folded):
        raise _Invalid("must not contain your name")
    weakness = password_weakness(value, _personal_words(email, full_name))
    if weakness:
        raise _Invalid(weakness)
    return value


def _or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def password_weakness(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why zxcvbn finds the password easy to guess (None when it does not)."""
    from zxcvbn import zxcvbn  # its dictionaries load on first use, not at import

    result = zxcvbn(password[:PASSWORD_JUDGED_LENGTH], user_inputs=list(user_inputs))
    if result["score"] >= PASSWORD_MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    reason = feedback.get("warning") or next(iter(feedback.get("suggestions") or ()), "")
    reason = reason.strip().rstrip(".")
    if not reason:
        return "is too easy to guess: add another word or two"
    return "is too easy to guess: " + reason[0].lower() + reason[1:]


def _personal_words(email: str | None, full_name: str | None) -> list[str]:
    """The user's own details as zxcvbn's extra dictionary: the email, its local part
    and its pieces, the name and its words."""
    words: list[str] = []
    if isinstance(email, str) and email:
        local = email.split("@", 1)[0]
        words += [email, local, *re.split(r"[._+\-]+", local)]
    if isinstance(full_name, str) and full_name:
        words += [full_name, *full_name.split()]
    return [w for w in dict.fromkeys(w.casefold() for w in words) if len(w) >= 2]


def _role_ids(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise _Invalid("must be a list of role ids")
    ids: list[str] = []
    for item in value:
        role_id = _uuid(item)
        if role_id is None:
            raise _Invalid("must be a list of role ids")
        if role_id not in ids:
            ids.append(role_id)
    return ids


def _team_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    team_id = _uuid(value)
    if team_id is None:
        raise _Invalid("must be a team id")
    return team_id


def _true_or_false(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("must be true or false")
    return value


def _choice(options: tuple[str, ...]) -> Any:
    def clean(value: Any) -> str:
        if value not in options:
            raise _Invalid(f"must be one of {', '.join(options)}")
        return value

    return clean


_ACCENT = re.compile(r"#[0-9a-f]{6}")


def _accent_color(value: Any) -> str | None:
    """``#rrggbb`` (stored lower-case), or null for the theme's own accent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ACCENT.fullmatch(value.strip().lower()):
        raise _Invalid("must be a colour like #1a73e8")
    return value.strip().lower()


_USER_CLEANERS = {
    "email": normalize_email,
    "full_name": _full_name,
    "password": check_password,
    "role_ids": _role_ids,
    "team_id": _team_id,
    "is_active": _true_or_false,
    "locale": _choice(LOCALES),
    "theme": _choice(THEMES),
    "accent_color": _accent_color,
    "password_change_required": _true_or_false,
}


def changed_user_fields(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """The fields whose value really changes, in a stable order. A password given
    is always a change: its hash cannot be compared without hashing it."""
    changed = []
    for name in USER_FIELDS:
        if name not in changes:
            continue
        if name == "password":
            changed.append(name)
        elif name == "role_ids":
            if set(changes[name]) != set(current.get("role_ids") or ()):
                changed.append(name)
        elif changes[name] != current.get(name):
            changed.append(name)
    return changed


def check_may_create_user(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only an administrator may create users")


def check_may_update_user(actor: Actor, user_id: str, changed: Iterable[str]) -> None:
    """An admin changes anything; a user changes their own name, password, locale
    and theme; nobody else changes anything. Names the fields refused."""
    if actor.is_admin:
        if actor.id == user_id and "is_active" in changed:
            # whoever deactivates an administrator must be able to undo it: another one
            raise Conflict(
                "You cannot deactivate yourself; another administrator can",
                [{"field": "is_active", "message": "you cannot deactivate yourself"}],
            )
        return
    if actor.id != user_id:
        raise PermissionDenied("You may change only your own profile")
    refused = [name for name in changed if name not in SELF_SERVICE_FIELDS]
    if refused:
        raise PermissionDenied(
            "Only an administrator may change " + ", ".join(refused),
            [
                {"field": name, "message": "only an administrator may change this"}
                for name in refused
            ],
        )


def check_admins_remain(
    *, was_active_admin: bool, stays_active_admin: bool, other_active_admins: int
) -> None:
    """Refuse the change that would leave nobody able to administer Osprey."""
    if was_active_admin and not stays_active_admin and other_active_admins == 0:
        raise Conflict(
            "This is the last active administrator; make another one first",
            [{"field": "role_ids", "message": "the last active administrator must stay one"}],
        )


def check_role_ids_exist(role_ids: Iterable[str], known: Iterable[str]) -> None:
    """Every role id named must exist."""
    missing = sorted(set(role_ids) - set(known))
    if missing:
        raise _failed([{"field": "role_ids", "message": "no such role: " + ", ".join(missing)}])


def actor_dict(
    user: Mapping[str, Any],
    permissions: Iterable[str],
    rights: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The caller as every service receives it (docs/rpc.md "Actor"); ``rights`` the
    effective access rights (``rights.compact_rights``), left out when not given."""
    actor = {
        "id": user["id"],
        "email": user["email"],
        "full_name": user["full_name"],
        "roles": list(user["roles"]),
        "team_id": user["team_id"],
        "permissions": sorted(set(permissions)),
        "locale": user["locale"],
        "theme": user["theme"],
    }
    if rights is not None:
        actor["rights"] = dict(rights)
    if user.get("password_change_required"):
        # the gateway lets such a caller only change the password (gateway/auth.py)
        actor["password_change_required"] = True
    return actor


# --- passwords and tokens ----------------------------------------------------------------


def check_login_input(email: Any, password: Any) -> tuple[str | None, str]:
    """The email to look up (None when no user can have it) and the password to verify.

    Malformed input fails later like a wrong password (a login form says nothing
    more), after the same dummy verification. An over-long password can match no
    user, and is cut so that verifying it costs what any other does.
    """
    if not isinstance(password, str) or not isinstance(email, str):
        raise Unauthenticated(LOGIN_FAILED)
    if len(password) > PASSWORD_MAX_LENGTH:
        return None, password[:PASSWORD_MAX_LENGTH]
    try:
        return normalize_email(email), password
    except _Invalid:
        return None, password


def new_token() -> str:
    """An opaque bearer token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored instead of the token: a leaked table grants no session."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_expiry(now: datetime, ttl_hours: int) -> datetime:
    return now + timedelta(hours=ttl_hours)


# --- helpers ------------------------------------------------------------------------------


def is_uuid(value: Any) -> bool:
    return _uuid(value) is not None


def _uuid(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def _failed(errors: list[dict[str, str]]) -> ValidationFailed:
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ValidationFailed(message, errors)


# --- preferences --------------------------------------------------------------------------

PREFERENCE_KEY = re.compile(r"[a-z][a-z0-9_.-]{0,99}")
PREFERENCE_MAX_BYTES = 64 * 1024


def clean_preference(key: Any, value: Any) -> tuple[str, Any]:
    """A user's UI setting: a short dotted key (``columns.leads``) and any JSON value
    up to 64 KB. Raises :class:`ValidationFailed` naming ``key`` or ``value``."""
    if not isinstance(key, str) or not PREFERENCE_KEY.fullmatch(key):
        raise _failed(
            [{"field": "key", "message": "must be 1-100 of a-z, 0-9, '.', '_', '-', from a letter"}]
        )
    try:
        size = len(json.dumps(value, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        raise _failed([{"field": "value", "message": "must be JSON"}]) from None
    if size > PREFERENCE_MAX_BYTES:
        raise _failed(
            [{"field": "value", "message": f"must be at most {PREFERENCE_MAX_BYTES} bytes of JSON"}]
        )
    return key, value
