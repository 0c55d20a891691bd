"""Web forms (web-to-lead) as pure rules: their settings, origins, the embed snippet,
what a submission may carry, and the rate limit's arithmetic.

``submit_web_form`` is the public side: a website's form creates a lead without a
login. The form must exist and be active, the ``Origin`` must be one of the form's
allowed origins when it names any, the sender's address must be under the form's
``rate_limit_per_minute`` in the rolling minute, a filled honeypot field is answered
like a success but creates nothing, and the fields are validated like any lead's.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from services.platform.access import Actor
from services.platform.errors import PermissionDenied, RateLimited
from services.platform.fields import failed
from services.platform.values import InvalidValue, is_uuid, validation_failed

from .lead import FIELD_NAMES, FIELDS_BY_NAME

#: The lead fields a website may send; anything else is refused, naming the field.
PUBLIC_FIELDS: tuple[str, ...] = (
    "contact_name",
    "account_name",
    "email",
    "phone",
    "need_type",
    "region",
    "notes",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
)
UTM_FIELDS: tuple[str, ...] = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)
#: Filled from the visitor's URL, not typed by them: cut to fit rather than refused.
TRUNCATED_FIELDS: tuple[str, ...] = (*UTM_FIELDS, "referrer")
FORM_FIELDS: tuple[str, ...] = (
    "name",
    "is_active",
    "allowed_origins",
    "source",
    "channel",
    "team_id",
    "owner_id",
    "honeypot_field",
    "rate_limit_per_minute",
    "redirect_url",
)
HONEYPOT_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,49}")
MAX_ORIGINS = 100
MIN_RATE, MAX_RATE = 1, 10_000
RATE_WINDOW = timedelta(minutes=1)
#: The actor a public submission acts as (leads record it as their creator).
WEB_FORM_ACTOR = Actor.system("web-form")

#: ``(kind) -> active codes``: how :func:`clean_form` reads a lookup list, only when a
#: form's source or channel changes.
ActiveCodes = Callable[[str], set[str]]


def submit_path(form_id: str) -> str:
    """Where a website posts this form (relative to the gateway's base URL)."""
    return f"/api/v1/web-forms/{form_id}/submissions"


def new_form(values: Mapping[str, Any]) -> dict[str, Any]:
    """A new form's settings: what the admin sent; active, any site, a ``website``
    honeypot and 10 submissions a minute from one address where not."""
    return {
        "is_active": True,
        "allowed_origins": [],
        "honeypot_field": "website",
        "rate_limit_per_minute": 10,
        **values,
    }


def require_form_admin(caller: Actor) -> None:
    """Web forms are administered by administrators."""
    if not caller.is_admin:
        raise PermissionDenied(
            "Only an administrator may manage web forms",
            [{"field": "actor", "message": "only an administrator may manage web forms"}],
        )


def normalize_origin(value: Any) -> str:
    """``scheme://host[:port]`` lower-cased, default port dropped; else InvalidValue.

    A lone trailing ``/`` is forgiven (pasted from an address bar); any other path,
    a query, a fragment or credentials are not: a browser's ``Origin`` has none.
    """
    if not isinstance(value, str):
        raise InvalidValue("must be a string like https://www.example.com")
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidValue("must be an origin like https://www.example.com") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValue("must be an origin like https://www.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in text:
        raise InvalidValue("must be an origin without a path, e.g. https://www.example.com")
    if parts.username is not None or parts.password is not None:
        raise InvalidValue("must not carry a user name or password")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def origin_allowed(allowed_origins: list[str] | None, origin: str | None) -> bool:
    """Any origin (or none) when the form lists none; else only a listed one."""
    if not allowed_origins:
        return True
    if not origin:
        return False
    try:
        return normalize_origin(origin) in allowed_origins
    except InvalidValue:
        return False  # "null" (sandboxed or file pages) and other non-origins


def check_origin(allowed_origins: list[str] | None, origin: str | None) -> None:
    """``PermissionDenied`` when a page at ``origin`` may not post the form."""
    if not origin_allowed(allowed_origins, origin):
        shown = origin if origin else "a page that sent no Origin"
        raise PermissionDenied(
            f"This form does not accept posts from {shown}",
            [{"field": "origin", "message": "is not one of the form's allowed origins"}],
        )


def ip_hash(form_id: str, client_ip: str | None) -> str:
    """SHA-256 of the form and the sender's address (canonical form); the address is not kept."""
    address = (client_ip or "").strip()
    # unknown or not an address: all such senders share one bucket
    with contextlib.suppress(ValueError):
        address = ipaddress.ip_address(address).compressed
    return hashlib.sha256(f"{form_id}|{address}".encode()).hexdigest()


def retry_after(oldest: datetime, now: datetime) -> int:
    """Whole seconds (at least 1) until the attempt ``oldest`` leaves the rolling minute."""
    return max(1, math.ceil((oldest + RATE_WINDOW - now).total_seconds()))


def rate_limited(limit: int, seconds: int) -> RateLimited:
    """The error for a sender whose rolling minute is full."""
    return RateLimited(
        f"Too many submissions of this form from your address; try again in {seconds} seconds",
        [
            {
                "field": "rate_limit",
                "message": f"at most {limit} submissions a minute from one address",
            }
        ],
        seconds,
    )


_EMBED_INPUTS = (
    ("contact_name", "Your name", "text", "name"),
    ("account_name", "Company", "text", "organization"),
    ("email", "Email", "email", "email"),
    ("phone", "Phone", "tel", "tel"),
    ("need_type", "What do you need?", "text", "off"),
)


def embed_html(form: Any, base_url: str | None) -> str:
    """A plain HTML form posting to the public endpoint, ready to paste into a page.

    Hidden ``utm_*`` and ``referrer`` inputs are filled by a few lines of inline script
    from the page's query string and ``document.referrer``; the honeypot input is moved
    off screen, skipped by the Tab key and by autofill, so only robots fill it.
    """
    action = f"{(base_url or '').rstrip('/')}{submit_path(form.id)}"
    e = html.escape
    lines = [
        f'<form method="post" action="{e(action)}" accept-charset="utf-8"'
        f' data-osprey-form="{e(form.id)}">'
    ]
    for name, label, kind, autocomplete in _EMBED_INPUTS:
        lines.append(
            f'  <p><label>{e(label)}<br><input type="{kind}" name="{name}"'
            f' autocomplete="{autocomplete}" maxlength="300"></label></p>'
        )
    lines.append(
        '  <p><label>Message<br><textarea name="notes" rows="4" maxlength="20000">'
        "</textarea></label></p>"
    )
    for name in (*UTM_FIELDS, "referrer"):
        lines.append(f'  <input type="hidden" name="{name}" value="">')
    lines.append(
        '  <div style="position:absolute;left:-10000px;top:auto;width:1px;height:1px;'
        'overflow:hidden" aria-hidden="true">'
        f'<label>Leave this empty<input type="text" name="{e(form.honeypot_field)}"'
        ' value="" tabindex="-1" autocomplete="off"></label></div>'
    )
    lines.append('  <p><button type="submit">Send</button></p>')
    lines.append("</form>")
    lines.append(
        "<script>(function () {\n"
        "  var f = document.currentScript.previousElementSibling;\n"
        "  var q = new URLSearchParams(window.location.search);\n"
        f"  {list(UTM_FIELDS)!r}.forEach(function (n) {{\n"
        "    if (q.get(n)) { f.elements[n].value = q.get(n); }\n"
        "  });\n"
        '  f.elements["referrer"].value = document.referrer || "";\n'
        "})();</script>"
    )
    return "\n".join(lines) + "\n"


def honeypot_filled(value: Any) -> bool:
    """A honeypot counts as filled by any non-blank value."""
    return bool(value.strip()) if isinstance(value, str) else value is not None


def check_submission(data: Any) -> None:
    """A submission is an object of fields."""
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object of lead fields")


def submitted_fields(data: Mapping[str, Any], honeypot_field: str) -> dict[str, Any]:
    """The lead fields of a submission; anything else is refused, naming the field."""
    errors = []
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name == honeypot_field:
            continue
        if name not in PUBLIC_FIELDS:
            errors.append(
                {
                    "field": str(name),
                    "message": "unknown field; a web form sends " + ", ".join(PUBLIC_FIELDS),
                }
            )
            continue
        if name in TRUNCATED_FIELDS and isinstance(value, str):
            value = value.strip()[: FIELDS_BY_NAME[name].max_length]
        fields[name] = value
    if errors:
        raise validation_failed(errors)
    return fields


def submission_lead(data: Mapping[str, Any], form: Any, referrer: str | None) -> dict[str, Any]:
    """The create payload of a submission: its lead fields, the HTTP ``Referer`` when the
    page sent no ``referrer`` (cut to fit), and the form's source, channel, team and
    owner."""
    lead_data = submitted_fields(data, form.honeypot_field)
    if not lead_data.get("referrer") and isinstance(referrer, str) and referrer.strip():
        lead_data["referrer"] = referrer.strip()[: FIELDS_BY_NAME["referrer"].max_length]
    lead_data.update(
        source=form.source, channel=form.channel, team_id=form.team_id, owner_id=form.owner_id
    )
    return lead_data


def clean_form(data: Any, current: Any, active_codes: ActiveCodes) -> dict[str, Any]:
    """Validate a web form's fields (create when ``current`` is None); every error at once.

    ``active_codes(kind)`` gives a lookup list's active codes (read only when a form's
    source or channel changes)."""
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object of web form fields")
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}

    def bad(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for name, value in data.items():
        if name not in FORM_FIELDS:
            bad(str(name), "unknown field")
        elif name == "name":
            if not isinstance(value, str) or not value.strip():
                bad("name", "must be a non-empty string")
            elif len(value.strip()) > 200:
                bad("name", "must be at most 200 characters")
            else:
                clean["name"] = value.strip()
        elif name == "is_active":
            if not isinstance(value, bool):
                bad("is_active", "must be true or false")
            else:
                clean["is_active"] = value
        elif name == "allowed_origins":
            clean_origins = _clean_origins(value, bad)
            if clean_origins is not None:
                clean["allowed_origins"] = clean_origins
        elif name in ("source", "channel"):
            _clean_code(name, value, current, active_codes, clean, bad)
        elif name in ("team_id", "owner_id"):
            if value is None or (isinstance(value, str) and not value.strip()):
                clean[name] = None
            elif not is_uuid(value):
                bad(name, "must be a UUID")
            else:
                clean[name] = str(value).strip().lower()
        elif name == "honeypot_field":
            if not isinstance(value, str) or not HONEYPOT_PATTERN.fullmatch(value):
                bad(name, "must be a field name: a-z, digits and _ (at most 50)")
            elif value in FIELD_NAMES:
                bad(name, "must not be the name of a lead field")
            else:
                clean[name] = value
        elif name == "rate_limit_per_minute":
            if not isinstance(value, int) or isinstance(value, bool):
                bad(name, "must be a whole number")
            elif not MIN_RATE <= value <= MAX_RATE:
                bad(name, f"must be between {MIN_RATE} and {MAX_RATE}")
            else:
                clean[name] = value
        elif name == "redirect_url":
            if value is None or (isinstance(value, str) and not value.strip()):
                clean[name] = None
            elif not _is_web_url(value):
                bad(name, "must be an http:// or https:// address (at most 2000 characters)")
            else:
                clean[name] = value.strip()
    if current is None and "name" not in clean and not any(e["field"] == "name" for e in errors):
        bad("name", "is required")
    if errors:
        raise validation_failed(errors)
    return clean


def _clean_origins(value: Any, bad: Any) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        bad("allowed_origins", "must be a list of origins like https://www.example.com")
        return None
    if len(value) > MAX_ORIGINS:
        bad("allowed_origins", f"must list at most {MAX_ORIGINS} origins")
        return None
    origins: list[str] = []
    ok = True
    for i, item in enumerate(value):
        try:
            origin = normalize_origin(item)
        except InvalidValue as exc:
            bad(f"allowed_origins[{i}]", str(exc))
            ok = False
            continue
        if origin not in origins:
            origins.append(origin)
    return origins if ok else None


def _clean_code(
    name: str,
    value: Any,
    current: Any,
    active_codes: ActiveCodes,
    clean: dict[str, Any],
    bad: Any,
) -> None:
    """A form's source or channel: an active code of its list (or none).

    Checked only when it changes, so a code deactivated later does not block
    other edits of a form that still names it.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        clean[name] = None
        return
    if not isinstance(value, str):
        bad(name, "must be a string")
        return
    code = value.strip()
    if current is not None and getattr(current, name) == code:
        clean[name] = code
        return
    codes = active_codes(name)
    if code not in codes:
        bad(name, f"must be one of the active {name} codes: {', '.join(sorted(codes))}")
        return
    clean[name] = code


def _is_web_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    if len(text) > 2000 or any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def form_changes(form: Any, values: Mapping[str, Any]) -> list[str]:
    """The form's settings an update really changes, in field order."""
    return [n for n in FORM_FIELDS if n in values and values[n] != getattr(form, n)]
