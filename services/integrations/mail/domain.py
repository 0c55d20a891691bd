"""The mail service's rules: pure functions, no database, no sockets.

Mailbox settings and who may change them, what a server's failure means in a user's
words, the order in which a message is linked, what colleagues see of a mailbox's mail,
subject rules and merge fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.values import is_uuid

from .parsing import normalize_address

SECURITY = ("ssl", "starttls", "none")
VISIBILITY = ("all", "headers", "none")
KINDS = ("imap",)
DEFAULT_FOLDERS = ("INBOX",)
DEFAULT_SYNC_DAYS = 90
#: Record types a message links to, and the service that owns each.
RECORD_SERVICES = {
    "contact": "sales",
    "account": "sales",
    "opportunity": "sales",
    "lead": "leads",
    "order": "orders",
    "invoice": "orders",
}
#: Mail providers whose domain says nothing about a company.
PUBLIC_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "mail.ru",
        "yandex.ru",
        "ya.ru",
        "bk.ru",
        "list.ru",
        "inbox.ru",
        "rambler.ru",
    }
)

_WRITABLE = {
    "kind",
    "email",
    "login",
    "password",
    "imap_host",
    "imap_port",
    "smtp_host",
    "smtp_port",
    "security",
    "smtp_security",
    "folders",
    "sync_since",
    "visibility",
    "is_shared",
    "store_internal",
    "owner_id",
}
_READ_ONLY = {"id", "version", "created_at", "updated_at", "created_by", "health", "state"}
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def _bad(errors: list[dict[str, str]]) -> ValidationFailed:
    return ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


def clean_mailbox(
    data: Any, *, creating: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The mailbox fields of ``data``, checked; every bad field named at once.

    On create ``email``, ``imap_host`` and ``password`` are required; ``login``
    defaults to the email, ports to the security's usual ones (993/465 with ssl,
    143/587 otherwise), ``folders`` to INBOX (Sent is always synced when the server
    names one), ``sync_since`` to 90 days back, ``visibility`` to ``headers``."""
    if not isinstance(data, dict):
        raise _bad([{"field": "data", "message": "must be an object"}])
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for key in data:
        if key in _READ_ONLY:
            errors.append({"field": key, "message": "is read-only"})
        elif key not in _WRITABLE:
            errors.append({"field": key, "message": "unknown field"})

    def text(name: str, limit: int) -> None:
        if name not in data:
            return
        value = data[name]
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
            errors.append({"field": name, "message": f"must be text of 1..{limit} characters"})
        else:
            out[name] = value.strip()

    if "kind" in data:
        if data["kind"] not in KINDS:
            errors.append({"field": "kind", "message": "must be one of " + ", ".join(KINDS)})
        else:
            out["kind"] = data["kind"]
    if "email" in data:
        address = normalize_address(data["email"]) if isinstance(data["email"], str) else None
        if address is None:
            errors.append({"field": "email", "message": "is not an email address"})
        else:
            out["email"] = address
    text("login", 320)
    if "password" in data:
        value = data["password"]
        if not isinstance(value, str) or not value or len(value) > 1024:
            errors.append({"field": "password", "message": "must be 1..1024 characters"})
        else:
            out["password"] = value
    for name in ("imap_host", "smtp_host"):
        if name in data:
            value = data[name]
            if value in (None, "") and name == "smtp_host":
                out[name] = None
            elif not isinstance(value, str) or not _HOST.match(value.strip()):
                errors.append({"field": name, "message": "must be a host name or address"})
            else:
                out[name] = value.strip().lower()
    for name in ("imap_port", "smtp_port"):
        if name in data:
            value = data[name]
            if value is None:
                out[name] = None
            elif not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
                errors.append({"field": name, "message": "must be a port, 1..65535"})
            else:
                out[name] = value
    for name in ("security", "smtp_security"):
        if name in data:
            if data[name] not in SECURITY:
                errors.append({"field": name, "message": "must be one of " + ", ".join(SECURITY)})
            else:
                out[name] = data[name]
    if "visibility" in data:
        if data["visibility"] not in VISIBILITY:
            errors.append(
                {"field": "visibility", "message": "must be one of " + ", ".join(VISIBILITY)}
            )
        else:
            out["visibility"] = data["visibility"]
    for name in ("is_shared", "store_internal"):
        if name in data:
            if not isinstance(data[name], bool):
                errors.append({"field": name, "message": "must be true or false"})
            else:
                out[name] = data[name]
    if "folders" in data:
        folders = data["folders"]
        if (
            not isinstance(folders, list)
            or len(folders) > 50
            or not all(isinstance(f, str) and 0 < len(f) <= 500 for f in folders)
        ):
            errors.append(
                {"field": "folders", "message": "must be a list of up to 50 folder names"}
            )
        else:
            out["folders"] = list(dict.fromkeys(["INBOX", *folders]))
    if "sync_since" in data:
        try:
            out["sync_since"] = date.fromisoformat(data["sync_since"]).isoformat()
        except (TypeError, ValueError):
            errors.append({"field": "sync_since", "message": "must be a date, YYYY-MM-DD"})
    if "owner_id" in data:
        if data["owner_id"] is not None and not is_uuid(data["owner_id"]):
            errors.append({"field": "owner_id", "message": "must be a user's id (a UUID)"})
        else:
            out["owner_id"] = data["owner_id"]
    if creating:
        for name in ("email", "imap_host", "password"):
            if name not in data:
                errors.append({"field": name, "message": "is required"})
    if errors:
        raise _bad(errors)
    return out


def mailbox_settings(
    changes: dict[str, Any], current: dict[str, Any] | None, today: date
) -> dict[str, Any]:
    """The stored settings after ``changes`` (cleaned), with defaults filled in."""
    settings = dict(current or {})
    for key, value in changes.items():
        if key not in ("password", "is_shared", "owner_id"):
            settings[key] = value
    settings.setdefault("kind", "imap")
    settings.setdefault("security", "ssl")
    settings.setdefault("login", settings.get("email"))
    settings.setdefault("folders", list(DEFAULT_FOLDERS))
    settings.setdefault("visibility", "headers")
    settings.setdefault("store_internal", False)
    settings.setdefault("sync_since", (today - timedelta(days=DEFAULT_SYNC_DAYS)).isoformat())
    if settings.get("imap_port") is None:
        settings["imap_port"] = 993 if settings["security"] == "ssl" else 143
    settings.setdefault("smtp_host", settings.get("imap_host"))
    settings.setdefault("smtp_security", settings["security"])
    if settings.get("smtp_port") is None:
        settings["smtp_port"] = 465 if settings["smtp_security"] == "ssl" else 587
    return settings


def check_may_connect(caller: Actor, *, is_shared: bool, owner_id: str | None) -> None:
    """A user connects their own mailbox; shared mailboxes (sales@) and mailboxes of
    others are an administrator's."""
    if (is_shared or (owner_id and owner_id != caller.id)) and not caller.is_admin:
        raise PermissionDenied(
            "Only an administrator may connect a shared mailbox or another user's"
        )


def may_manage(caller: Actor, mailbox: dict[str, Any]) -> bool:
    return caller.is_admin or (mailbox["owner_id"] == caller.id and not mailbox["is_shared"])


# --- what a server's failure means ---------------------------------------------------------

#: failure kinds the adapters report, and what the user reads
FAILURES = {
    "auth": "The server refused the login: check the user name and password.",
    "unreachable": "The server could not be reached: check the host name and port, "
    "and that the server is running.",
    "timeout": "The server did not answer in time: check the host and port, or try again later.",
    "tls": "The server's certificate is not trusted, or it does not speak TLS on this "
    "port: check the security setting (SSL, STARTTLS or none).",
    "lost": "The connection to the server was lost in the middle of a sync; Osprey goes on "
    "from where it stopped at the next try.",
    "capability": "The server does not speak IMAP4rev1, which Osprey needs.",
    "protocol": "The server answered something Osprey did not understand.",
    "smtp_auth": "The outgoing (SMTP) server refused the login: check the user name and password.",
    "smtp_rejected": "The outgoing (SMTP) server refused the message.",
}
#: failures a retry will not fix: syncing stops until the mailbox is changed
PERMANENT = frozenset({"auth", "capability", "tls"})


def failure_words(kind: str, detail: str | None = None) -> str:
    words = FAILURES.get(kind, FAILURES["protocol"])
    if detail and kind in ("protocol", "smtp_rejected"):
        words = f"{words} ({detail[:300]})"
    return words


# --- linking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkStep:
    """One way of finding records for a message, in the order they are tried."""

    rule: str  # sender, recipient
    addresses: tuple[str, ...]


def link_steps(
    from_address: str | None,
    to: list[dict[str, str]],
    cc: list[dict[str, str]],
    *,
    own_addresses: set[str],
) -> list[LinkStep]:
    """The sender first; then To and Cc, leaving out CRM users' and the mailbox's own
    addresses (mail we send names us, and we are not the customer)."""
    steps: list[LinkStep] = []
    if from_address and from_address not in own_addresses:
        steps.append(LinkStep("sender", (from_address,)))
    recipients = tuple(
        dict.fromkeys(
            entry["address"]
            for entry in (*to, *cc)
            if entry["address"] not in own_addresses and entry["address"] != from_address
        )
    )
    if recipients:
        steps.append(LinkStep("recipient", recipients))
    return steps


def company_domain(address: str) -> str | None:
    """The domain that names a company (an account's web site), or None for a public
    mail provider's."""
    domain = address.rsplit("@", 1)[-1]
    return None if domain in PUBLIC_DOMAINS else domain


def is_internal(participants: list[str], user_addresses: set[str]) -> bool:
    """Mail only between CRM users (everyone on it is one)."""
    return bool(participants) and all(address in user_addresses for address in participants)


def clean_rule(data: Any, *, creating: bool) -> dict[str, Any]:
    """A subject rule ``{name, pattern, record_type, record_id?, is_active?}``: the
    pattern a regular expression (its first group, else the whole match, names the
    record when ``record_id`` is not set: an invoice's number)."""
    if not isinstance(data, dict):
        raise _bad([{"field": "data", "message": "must be an object"}])
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for key in data:
        if key not in ("name", "pattern", "record_type", "record_id", "is_active"):
            errors.append({"field": key, "message": "unknown field"})
    if "name" in data:
        if not isinstance(data["name"], str) or not 0 < len(data["name"].strip()) <= 200:
            errors.append({"field": "name", "message": "must be text of 1..200 characters"})
        else:
            out["name"] = data["name"].strip()
    if "pattern" in data:
        pattern = data["pattern"]
        if not isinstance(pattern, str) or not 0 < len(pattern) <= 500:
            errors.append({"field": "pattern", "message": "must be 1..500 characters"})
        else:
            try:
                re.compile(pattern)
                out["pattern"] = pattern
            except re.error as exc:
                errors.append(
                    {"field": "pattern", "message": f"is not a regular expression: {exc}"}
                )
    if "record_type" in data:
        if data["record_type"] not in RECORD_SERVICES:
            errors.append(
                {"field": "record_type", "message": "must be one of " + ", ".join(RECORD_SERVICES)}
            )
        else:
            out["record_type"] = data["record_type"]
    if "record_id" in data:
        if data["record_id"] and not is_uuid(data["record_id"]):
            errors.append({"field": "record_id", "message": "must be a record's id (a UUID)"})
        else:
            out["record_id"] = data["record_id"] or None
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors.append({"field": "is_active", "message": "must be true or false"})
        else:
            out["is_active"] = data["is_active"]
    if creating:
        for name in ("name", "pattern", "record_type"):
            if name not in data:
                errors.append({"field": name, "message": "is required"})
    if errors:
        raise _bad(errors)
    return out


def subject_matches(subject: str, rules: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """``(rule, reference)`` for each active rule whose pattern is found in the subject;
    the reference is the first group, else the whole match."""
    found: list[tuple[dict[str, Any], str]] = []
    for rule in rules:
        if not rule.get("is_active", True):
            continue
        try:
            match = re.search(rule["pattern"], subject or "")
        except re.error:
            continue
        if match:
            reference = match.group(1) if match.groups() and match.group(1) else match.group(0)
            found.append((rule, reference))
    return found


# --- what colleagues see -----------------------------------------------------------------------

_ORDER = {"none": 0, "headers": 1, "all": 2}


def view_of(caller: Actor, mailboxes: list[dict[str, Any]]) -> str:
    """What ``caller`` sees of a message held by ``mailboxes`` (``{owner_id,
    is_shared, visibility}`` each): ``all`` in their own mailbox, otherwise the most
    any holding mailbox shows colleagues (``all``, ``headers``: subject and
    participants, ``none``). Admins see what a shared mailbox shows, like everyone."""
    best = "none"
    for mailbox in mailboxes:
        if mailbox["owner_id"] == caller.id and not mailbox["is_shared"]:
            return "all"
        view = mailbox.get("visibility") or "headers"
        if _ORDER[view] > _ORDER[best]:
            best = view
    return best


# --- templates and merge fields ---------------------------------------------------------------

_FIELD = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}")


def merge_fields(text: str, context: dict[str, dict[str, Any]]) -> str:
    """``{{contact.first_name}}`` and friends filled from ``context``
    (``{"contact": {...}, "account": {...}, "user": {...}}``); a field that has no value
    becomes empty text, never the placeholder."""

    def value(match: re.Match[str]) -> str:
        record = context.get(match.group(1)) or {}
        found = record.get(match.group(2))
        return "" if found is None else str(found)

    return _FIELD.sub(value, text or "")


def contact_fields(contact: dict[str, Any] | None) -> dict[str, Any]:
    """A contact's merge fields: its own plus ``first_name``, ``last_name`` and ``email``."""
    if not contact:
        return {}
    parts = (contact.get("full_name") or "").split()
    emails = contact.get("emails") or []
    primary = next((e for e in emails if e.get("is_primary")), emails[0] if emails else None)
    return {
        **contact,
        "first_name": parts[0] if parts else "",
        "last_name": " ".join(parts[1:]),
        "email": primary["email"] if primary else None,
    }


def clean_template(data: Any, *, creating: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad([{"field": "data", "message": "must be an object"}])
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for key in data:
        if key not in ("name", "subject", "body"):
            errors.append({"field": key, "message": "unknown field"})
    limits = {"name": 200, "subject": 998, "body": 200_000}
    for name, limit in limits.items():
        if name in data:
            value = data[name]
            if (
                not isinstance(value, str)
                or (name == "name" and not value.strip())
                or len(value) > limit
            ):
                errors.append(
                    {"field": name, "message": f"must be text of up to {limit} characters"}
                )
            else:
                out[name] = value.strip() if name == "name" else value
        elif creating:
            errors.append({"field": name, "message": "is required"})
    if errors:
        raise _bad(errors)
    return out
