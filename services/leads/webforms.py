"""Web forms (web-to-lead) and the lookups: lead sources, channels, disqualification reasons.

**Lookups** are the configurable lists the web app offers as choices. A lead stores
the chosen *code* as text (its ``source``, ``channel`` and ``disqualification_reason``
stay free text for compatibility), so a code never changes once created, and a code
that leads, web forms or distribution rules use cannot be deleted: deactivate it
instead (it stays valid on the records that have it, and is no longer offered). A
kind with no rows at all gets its defaults back (:data:`DEFAULT_LOOKUPS`); to retire
a default, deactivate it. Everybody signed in reads them; managers and admins
change them.

**Web forms** are administered by admins. ``submit_web_form`` is the public side: a
website's form creates a lead without a login. In order: the form must exist and be
active (else ``NotFound``), the ``Origin`` must be one of the form's allowed origins
when it names any (else ``PermissionDenied``), the sender's address must be under the
form's ``rate_limit_per_minute`` in the rolling minute (else ``RateLimited``; the
attempt rows are shared by every replica through the database, the address stored only
as a SHA-256 and forgotten after the minute), a filled honeypot field is answered like
a success but creates nothing (``web_form_spam``), and the fields are validated like
any lead's. The lead is created through the service's own ``create_lead`` (scored,
stage-logged, ``lead_created``) together with ``web_form_submitted`` and the form's
counter, in one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import ipaddress
import math
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from nameko.timer import timer
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from services.platform.access import Actor
from services.platform.errors import (
    EXPECTED,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.rpc import rpc
from services.platform.values import InvalidValue, validation_failed

from . import domain
from .base import LeadsBase
from .models import DistributionRule, Lead, Lookup, WebForm, WebFormSubmission

# --- lookups ---------------------------------------------------------------------------

#: The lists a new (or emptied) installation starts with; the one place in code that
#: names them (migration leads_0003 seeds the same, written out there).
DEFAULT_LOOKUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "source": (
        ("website", "Website"),
        ("event", "Event"),
        ("referral", "Referral"),
        ("cold_call", "Cold call"),
        ("social", "Social networks"),
        ("email", "Email"),
        ("advertising", "Advertising"),
        ("partner", "Partner"),
    ),
    "channel": (
        ("web_form", "Web form"),
        ("phone", "Phone"),
        ("email", "Email"),
        ("chat", "Chat"),
        ("facebook", "Facebook"),
        ("telegram", "Telegram"),
        ("vk", "VK"),
    ),
    "disqualification_reason": (
        ("no_budget", "No budget"),
        ("no_need", "No need"),
        ("chose_competitor", "Chose a competitor"),
        ("no_response", "No response"),
        ("duplicate", "Duplicate"),
        ("spam", "Spam"),
    ),
}
#: Positions of defaults and of new entries without one step by this much.
POSITION_STEP = 10
MAX_POSITION = 1_000_000
CODE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")
LOOKUP_CREATE_FIELDS = ("code", "name", "position", "is_active")
LOOKUP_UPDATE_FIELDS = ("name", "position", "is_active")

#: Which lead column keeps each kind's code (for the "in use" check on delete).
_LEAD_COLUMN = {
    "source": Lead.source,
    "channel": Lead.channel,
    "disqualification_reason": Lead.disqualification_reason,
}

# --- web forms -------------------------------------------------------------------------

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
_TRUNCATED = (*UTM_FIELDS, "referrer")
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
#: Old attempt rows deleted per submission (enough to keep up, small enough to be quick).
PRUNE_BATCH = 500
#: How often each replica also prunes on its own, and at most how many batches then.
PRUNE_SECONDS = 60
PRUNE_ROUNDS = 20
#: The actor a public submission acts as (leads record it as their creator).
WEB_FORM_ACTOR = Actor.system("web-form")

_NO_FORM = "No such web form"


def submit_path(form_id: str) -> str:
    """Where a website posts this form (relative to the gateway's base URL)."""
    return f"/api/v1/web-forms/{form_id}/submissions"


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


def origin_allowed(form: WebForm, origin: str | None) -> bool:
    """Any origin (or none) when the form lists none; else only a listed one."""
    if not form.allowed_origins:
        return True
    if not origin:
        return False
    try:
        return normalize_origin(origin) in form.allowed_origins
    except InvalidValue:
        return False  # "null" (sandboxed or file pages) and other non-origins


def ip_hash(form_id: str, client_ip: str | None) -> str:
    """SHA-256 of the form and the sender's address (canonical form); the address is not kept."""
    address = (client_ip or "").strip()
    # unknown or not an address: all such senders share one bucket
    with contextlib.suppress(ValueError):
        address = ipaddress.ip_address(address).compressed
    return hashlib.sha256(f"{form_id}|{address}".encode()).hexdigest()


def dump_lookup(lookup: Lookup) -> dict[str, Any]:
    return {
        "id": lookup.id,
        "kind": lookup.kind,
        "code": lookup.code,
        "name": lookup.name,
        "position": lookup.position,
        "is_active": lookup.is_active,
        "version": lookup.version,
        "created_at": isoformat(lookup.created_at),
        "updated_at": isoformat(lookup.updated_at),
    }


def dump_form(form: WebForm) -> dict[str, Any]:
    """The form as events carry it (without the embed snippet, which needs a base URL)."""
    return {
        "id": form.id,
        "name": form.name,
        "is_active": form.is_active,
        "allowed_origins": list(form.allowed_origins or []),
        "source": form.source,
        "channel": form.channel,
        "team_id": form.team_id,
        "owner_id": form.owner_id,
        "honeypot_field": form.honeypot_field,
        "rate_limit_per_minute": form.rate_limit_per_minute,
        "redirect_url": form.redirect_url,
        "submissions": form.submissions,
        "version": form.version,
        "created_at": isoformat(form.created_at),
        "updated_at": isoformat(form.updated_at),
        "created_by": form.created_by,
    }


_EMBED_INPUTS = (
    ("contact_name", "Your name", "text", "name"),
    ("account_name", "Company", "text", "organization"),
    ("email", "Email", "email", "email"),
    ("phone", "Phone", "tel", "tel"),
    ("need_type", "What do you need?", "text", "off"),
)


def embed_html(form: WebForm, base_url: str | None) -> str:
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


class WebFormsRpc(LeadsBase):
    """Web forms (admins), their public submission endpoint, and the lookups."""

    # --- lookups -------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_lookups(self, kind: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Every entry of one list, active ones first, then by position and name.

        ``kind`` ∈ source, channel, disqualification_reason. A list with no entries at
        all gets its defaults back first. Raises ``NotFound`` for another kind.
        """
        Actor.from_dict(actor)
        self._check_kind(kind)
        items = [dump_lookup(row) for row in self._lookups(kind)]
        self.db.commit()
        return {"items": items, "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def create_lookup(
        self, kind: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add an entry ``{code, name, position?, is_active?}``; emit ``lookup_created``.

        ``code`` is lower_snake_case (``[a-z0-9][a-z0-9_]*``, ≤ 100) and never changes;
        ``position`` defaults to after the last entry. Raises ``PermissionDenied`` (not a
        manager), ``NotFound`` (unknown kind), ``ValidationFailed``, ``Conflict`` (the
        code exists in this list).
        """
        caller = Actor.from_dict(actor)
        self._check_kind(kind)
        self._require_manager(caller, "change lookups")
        values = self._clean_lookup(data, LOOKUP_CREATE_FIELDS)
        errors = []
        if "code" not in values:
            errors.append({"field": "code", "message": "is required"})
        if "name" not in values:
            errors.append({"field": "name", "message": "is required"})
        if errors:
            raise validation_failed(errors)
        existing = self._lookups(kind)
        if any(row.code == values["code"] for row in existing):
            raise self._code_taken(kind, values["code"])
        if "position" not in values:
            values["position"] = max((r.position for r in existing), default=0) + POSITION_STEP
        now = utcnow()
        lookup = Lookup(
            id=new_id(),
            kind=kind,
            is_active=values.pop("is_active", True),
            version=1,
            created_at=now,
            updated_at=now,
            **values,
        )
        self.db.add(lookup)
        try:
            self.db.flush()
        except IntegrityError:
            # Another request added the same code since we looked.
            self.db.rollback()
            raise self._code_taken(kind, lookup.code) from None
        result = dump_lookup(lookup)
        self.db.emit("lookup_created", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_lookup(
        self,
        kind: str,
        lookup_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change ``name``, ``position`` or ``is_active``; emit ``lookup_updated``.

        The code is fixed (leads store it). A change that changes nothing keeps the
        version and emits nothing. Raises ``PermissionDenied``, ``NotFound``,
        ``ValidationFailed`` (a bad value, or ``code``), ``Conflict`` (stale version).
        """
        caller = Actor.from_dict(actor)
        self._check_kind(kind)
        self._require_manager(caller, "change lookups")
        expected = domain.parse_expected_version(expected_version)
        values = self._clean_lookup(data, LOOKUP_UPDATE_FIELDS)
        lookup = self._lookup(kind, lookup_id, for_update=True)
        self._check_row_version(lookup, expected, "lookup")
        changed = [
            n for n in LOOKUP_UPDATE_FIELDS if n in values and values[n] != getattr(lookup, n)
        ]
        if not changed:
            result = dump_lookup(lookup)
            self.db.commit()
            return result
        for name in changed:
            setattr(lookup, name, values[name])
        lookup.version += 1
        lookup.updated_at = utcnow()
        self.db.flush()
        result = dump_lookup(lookup)
        self.db.emit("lookup_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_lookup(
        self,
        kind: str,
        lookup_id: str,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> None:
        """Delete an entry nothing uses; emit ``lookup_deleted`` with its last state.

        Raises ``Conflict`` when leads, web forms or distribution rules carry its code
        (deactivate it instead: ``is_active`` false) or the version is stale;
        ``PermissionDenied``, ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        self._check_kind(kind)
        self._require_manager(caller, "change lookups")
        expected = domain.parse_expected_version(expected_version)
        lookup = self._lookup(kind, lookup_id, for_update=True)
        self._check_row_version(lookup, expected, "lookup")
        uses = self._lookup_uses(kind, lookup.code)
        if uses:
            raise Conflict(
                f"'{lookup.code}' is in use ({', '.join(uses)}); deactivate it instead",
                [{"field": "code", "message": f"is in use: {', '.join(uses)}"}],
            )
        last_state = dump_lookup(lookup)
        self.db.delete(lookup)
        self.db.flush()
        self.db.emit("lookup_deleted", last_state, actor=actor)
        self.db.commit()

    def _lookup_codes(self, kind: str) -> set[str]:
        """The active codes of one list (defaults put back when it has no rows at all).

        For other parts (e.g. disqualify checks its reason); does not commit.
        """
        return {row.code for row in self._lookups(kind) if row.is_active}

    def _lookups(self, kind: str) -> list[Lookup]:
        """One list's rows, active first then by position; an empty list gets its defaults."""
        select = (
            sa.select(Lookup)
            .where(Lookup.kind == kind)
            .order_by(Lookup.is_active.desc(), Lookup.position, Lookup.name, Lookup.id)
        )
        rows = list(self.db.execute(select).scalars().all())
        if not rows and DEFAULT_LOOKUPS.get(kind):
            now = utcnow()
            self.db.execute(
                pg_insert(Lookup)
                .values(
                    [
                        {
                            "id": new_id(),
                            "kind": kind,
                            "code": code,
                            "name": name,
                            "position": (i + 1) * POSITION_STEP,
                            "is_active": True,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i, (code, name) in enumerate(DEFAULT_LOOKUPS[kind])
                    ]
                )
                # two first readers at once: the second one's rows are already there
                .on_conflict_do_nothing(constraint="uq_lookups_kind_code")
            )
            rows = list(self.db.execute(select).scalars().all())
        return rows

    @staticmethod
    def _check_kind(kind: Any) -> None:
        if kind not in domain.LOOKUP_KINDS:
            raise NotFound(
                f"No lookup list named {kind!r}",
                [{"field": "kind", "message": f"must be one of {', '.join(domain.LOOKUP_KINDS)}"}],
            )

    def _lookup(self, kind: str, lookup_id: Any, *, for_update: bool = False) -> Lookup:
        missing = NotFound("No such lookup", [{"field": "lookup_id", "message": "no such lookup"}])
        if not domain.is_uuid(lookup_id):
            raise missing
        stmt = sa.select(Lookup).where(Lookup.id == lookup_id, Lookup.kind == kind)
        if for_update:
            stmt = stmt.with_for_update()
        lookup = self.db.execute(stmt).scalar_one_or_none()
        if lookup is None:
            raise missing
        return lookup

    def _lookup_uses(self, kind: str, code: str) -> list[str]:
        """What carries this code, e.g. ``["3 leads", "1 web form"]``."""
        counts = [("lead", "leads", sa.select(sa.func.count()).where(_LEAD_COLUMN[kind] == code))]
        if kind in ("source", "channel"):
            column = WebForm.source if kind == "source" else WebForm.channel
            counts.append(
                ("web form", "web forms", sa.select(sa.func.count()).where(column == code))
            )
        if kind == "source":
            counts.append(
                (
                    "distribution rule",
                    "distribution rules",
                    sa.select(sa.func.count()).where(DistributionRule.source == code),
                )
            )
        uses = []
        for one, many, stmt in counts:
            n = self.db.execute(stmt).scalar_one()
            if n:
                uses.append(f"{n} {one if n == 1 else many}")
        return uses

    @staticmethod
    def _code_taken(kind: str, code: str) -> Conflict:
        return Conflict(
            f"The {kind.replace('_', ' ')} list has the code '{code}' already",
            [{"field": "code", "message": "exists already in this list"}],
        )

    @staticmethod
    def _clean_lookup(data: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise domain.failed("data", "must be an object")
        errors: list[dict[str, str]] = []
        clean: dict[str, Any] = {}
        for name, value in data.items():
            if name == "code" and "code" not in allowed:
                errors.append({"field": "code", "message": "cannot change: leads store it"})
            elif name not in allowed:
                errors.append({"field": str(name), "message": "unknown field"})
            elif name == "code":
                if not isinstance(value, str) or not CODE_PATTERN.fullmatch(value.strip()):
                    errors.append(
                        {
                            "field": "code",
                            "message": "must be lower_snake_case letters, digits and _"
                            " (at most 100)",
                        }
                    )
                else:
                    clean["code"] = value.strip()
            elif name == "name":
                if not isinstance(value, str) or not value.strip():
                    errors.append({"field": "name", "message": "must be a non-empty string"})
                elif len(value.strip()) > 200:
                    errors.append({"field": "name", "message": "must be at most 200 characters"})
                else:
                    clean["name"] = value.strip()
            elif name == "position":
                if not isinstance(value, int) or isinstance(value, bool):
                    errors.append({"field": "position", "message": "must be a whole number"})
                elif not 0 <= value <= MAX_POSITION:
                    errors.append(
                        {"field": "position", "message": f"must be between 0 and {MAX_POSITION}"}
                    )
                else:
                    clean["position"] = value
            elif name == "is_active":
                if not isinstance(value, bool):
                    errors.append({"field": "is_active", "message": "must be true or false"})
                else:
                    clean["is_active"] = value
        if errors:
            raise validation_failed(errors)
        return clean

    @staticmethod
    def _check_row_version(row: Any, expected: int | None, label: str) -> None:
        if expected is not None and expected != row.version:
            raise Conflict(
                f"The {label} was changed meanwhile (version {row.version}, not {expected})",
                [{"field": "version", "message": f"is {row.version}, not {expected}"}],
            )

    # --- web forms: administration -----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_web_forms(self, actor: dict[str, Any], base_url: str | None = None) -> dict[str, Any]:
        """Every web form by name, each with its ``embed_html`` (admins only).

        ``base_url`` (e.g. ``https://crm.example.com``) makes the snippet's address
        absolute. Raises ``PermissionDenied``.
        """
        self._require_form_admin(actor)
        rows = self.db.execute(sa.select(WebForm).order_by(WebForm.name, WebForm.id)).scalars()
        items = [self._form_out(form, base_url) for form in rows]
        self.db.commit()
        return {"items": items, "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def get_web_form(
        self, form_id: str, actor: dict[str, Any], base_url: str | None = None
    ) -> dict[str, Any]:
        """One web form with ``submit_url`` and ``embed_html``. Raises ``PermissionDenied``,
        ``NotFound``."""
        self._require_form_admin(actor)
        result = self._form_out(self._form(form_id), base_url)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def create_web_form(
        self, data: dict[str, Any], actor: dict[str, Any], base_url: str | None = None
    ) -> dict[str, Any]:
        """Create a web form; emit ``web_form_created``.

        ``data``: ``name`` (required), ``is_active`` (true), ``allowed_origins`` (list of
        ``scheme://host[:port]``; empty = any site), ``source`` / ``channel`` (active
        lookup codes), ``team_id`` / ``owner_id`` (the new leads'; none = unowned),
        ``honeypot_field`` ("website"), ``rate_limit_per_minute`` (1..10000, 10),
        ``redirect_url`` (http(s) URL). Raises ``PermissionDenied`` (not an admin),
        ``ValidationFailed`` (every bad field at once).
        """
        caller = self._require_form_admin(actor)
        values = self._clean_form(data, current=None)
        now = utcnow()
        form = WebForm(
            id=new_id(),
            **{
                "is_active": True,
                "allowed_origins": [],
                "honeypot_field": "website",
                "rate_limit_per_minute": 10,
                **values,
            },
            submissions=0,
            version=1,
            created_at=now,
            updated_at=now,
            created_by=caller.id,
        )
        self.db.add(form)
        self.db.flush()
        self.db.emit("web_form_created", dump_form(form), actor=actor)
        self.db.commit()
        return self._form_out(form, base_url)

    @rpc(expected_exceptions=EXPECTED)
    def update_web_form(
        self,
        form_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
        base_url: str | None = None,
    ) -> dict[str, Any]:
        """Change some fields of a web form; emit ``web_form_updated`` (+ ``changed_fields``).

        A change that changes nothing keeps the version and emits nothing. Raises
        ``PermissionDenied``, ``NotFound``, ``ValidationFailed``, ``Conflict`` (stale
        ``expected_version``; nothing changes).
        """
        self._require_form_admin(actor)
        expected = domain.parse_expected_version(expected_version)
        form = self._form(form_id, for_update=True)
        self._check_row_version(form, expected, "web form")
        values = self._clean_form(data, current=form)
        changed = [n for n in FORM_FIELDS if n in values and values[n] != getattr(form, n)]
        if not changed:
            result = self._form_out(form, base_url)
            self.db.commit()
            return result
        for name in changed:
            setattr(form, name, values[name])
        form.version += 1
        form.updated_at = utcnow()
        self.db.flush()
        self.db.emit(
            "web_form_updated", {**dump_form(form), "changed_fields": changed}, actor=actor
        )
        self.db.commit()
        return self._form_out(form, base_url)

    @rpc(expected_exceptions=EXPECTED)
    def delete_web_form(
        self, form_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a web form (its leads stay); emit ``web_form_deleted`` with its last state.

        Raises ``PermissionDenied``, ``NotFound``, ``Conflict`` (stale version).
        """
        self._require_form_admin(actor)
        expected = domain.parse_expected_version(expected_version)
        form = self._form(form_id, for_update=True)
        self._check_row_version(form, expected, "web form")
        last_state = dump_form(form)
        self.db.delete(form)
        self.db.flush()
        self.db.emit("web_form_deleted", last_state, actor=actor)
        self.db.commit()

    # --- web forms: the public side ----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def check_web_form_origin(self, form_id: str, origin: str | None) -> dict[str, Any]:
        """May a page at ``origin`` post this form (the gateway's CORS preflight)?

        Returns ``{"origin": origin}``. Raises ``NotFound`` (unknown or inactive form),
        ``PermissionDenied`` (the origin is not allowed). Needs no caller.
        """
        form = self._public_form(form_id)
        self._check_origin(form, origin)
        self.db.commit()
        return {"origin": origin}

    @rpc(expected_exceptions=EXPECTED)
    def submit_web_form(
        self,
        form_id: str,
        data: dict[str, Any],
        origin: str | None = None,
        client_ip: str | None = None,
        referrer: str | None = None,
    ) -> dict[str, Any]:
        """A website's form post: create a lead; ``{"lead_id", "redirect_url"}``.

        No caller: the lead is created by the ``web-form`` system actor with the form's
        source, channel, team and owner (unowned when the form has none), as
        ``create_lead`` does it (scored, stage-logged, ``lead_created``), plus
        ``web_form_submitted {form_id, lead_id}``; the form's ``submissions`` counts it.
        ``data`` may hold the lead fields in :data:`PUBLIC_FIELDS` and the honeypot;
        ``referrer`` (the HTTP ``Referer``) is used when ``data`` has none. A filled
        honeypot answers ``{"lead_id": None, ...}``, creates nothing and emits
        ``web_form_spam``. Every attempt counts toward the rate limit.
        Raises ``NotFound`` (unknown or inactive form), ``PermissionDenied`` (origin not
        allowed), ``RateLimited`` (with ``retry_after`` seconds), ``ValidationFailed``
        (unknown fields, bad values, none of contact_name/account_name/email/phone).
        """
        form = self._public_form(form_id)
        self._check_origin(form, origin)
        self._count_attempt(form, client_ip)  # commits the attempt, or raises RateLimited
        answer = {"lead_id": None, "redirect_url": form.redirect_url}
        if not isinstance(data, Mapping):
            raise domain.failed("data", "must be an object of lead fields")
        if _filled(data.get(form.honeypot_field)):
            # A robot filled the field no person sees: look accepted, keep nothing.
            self.db.emit(
                "web_form_spam",
                {"form_id": form.id, "honeypot_field": form.honeypot_field},
                actor=WEB_FORM_ACTOR.to_dict(),
            )
            self.db.commit()
            return answer
        lead_data = self._submitted_fields(data, form.honeypot_field)
        if not lead_data.get("referrer") and isinstance(referrer, str) and referrer.strip():
            lead_data["referrer"] = referrer.strip()[: domain.FIELDS_BY_NAME["referrer"].max_length]
        lead_data.update(
            source=form.source, channel=form.channel, team_id=form.team_id, owner_id=form.owner_id
        )
        system = WEB_FORM_ACTOR.to_dict()
        lead = self._new_lead(lead_data, WEB_FORM_ACTOR, system)
        self.db.execute(
            sa.update(WebForm)
            .where(WebForm.id == form.id)
            .values(submissions=WebForm.submissions + 1)
        )
        self.db.emit(
            "web_form_submitted", {"form_id": form.id, "lead_id": lead["id"]}, actor=system
        )
        self.db.commit()
        return {**answer, "lead_id": lead["id"]}

    # --- web forms: shared steps -------------------------------------------------------------

    @staticmethod
    def _require_form_admin(actor: dict[str, Any]) -> Actor:
        caller = Actor.from_dict(actor)
        if not caller.is_admin:
            raise PermissionDenied(
                "Only an administrator may manage web forms",
                [{"field": "actor", "message": "only an administrator may manage web forms"}],
            )
        return caller

    def _form(self, form_id: Any, *, for_update: bool = False) -> WebForm:
        missing = NotFound(_NO_FORM, [{"field": "form_id", "message": "no such web form"}])
        if not domain.is_uuid(form_id):
            raise missing
        stmt = sa.select(WebForm).where(WebForm.id == form_id)
        if for_update:
            stmt = stmt.with_for_update()
        form = self.db.execute(stmt).scalar_one_or_none()
        if form is None:
            raise missing
        return form

    def _public_form(self, form_id: Any) -> WebForm:
        """The form a website may post to: an inactive one is reported like a missing one."""
        form = self._form(form_id)
        if not form.is_active:
            raise NotFound(_NO_FORM, [{"field": "form_id", "message": "no such web form"}])
        return form

    @staticmethod
    def _check_origin(form: WebForm, origin: str | None) -> None:
        if not origin_allowed(form, origin):
            shown = origin if origin else "a page that sent no Origin"
            raise PermissionDenied(
                f"This form does not accept posts from {shown}",
                [{"field": "origin", "message": "is not one of the form's allowed origins"}],
            )

    def _count_attempt(self, form: WebForm, client_ip: str | None) -> None:
        """Record one attempt, or raise ``RateLimited`` when the rolling minute is full.

        Attempts of one form and address are serialized by a transaction-level advisory
        lock, so replicas racing each other cannot both take the last place. Commits.
        """
        key = ip_hash(form.id, client_ip)
        self.db.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))
        now = self.db.execute(sa.select(sa.func.clock_timestamp())).scalar_one()
        since = now - RATE_WINDOW
        self._prune_attempts(since)
        in_window = sa.select(WebFormSubmission.submitted_at).where(
            WebFormSubmission.form_id == form.id,
            WebFormSubmission.ip_hash == key,
            WebFormSubmission.submitted_at >= since,
        )
        count = self.db.execute(
            sa.select(sa.func.count()).select_from(in_window.subquery())
        ).scalar_one()
        limit = form.rate_limit_per_minute
        if count >= limit:
            # The place frees up when the attempt `count - limit + 1` from the oldest ages out.
            oldest = self.db.execute(
                in_window.order_by(WebFormSubmission.submitted_at).offset(count - limit).limit(1)
            ).scalar_one()
            retry_after = max(1, math.ceil((oldest + RATE_WINDOW - now).total_seconds()))
            self.db.commit()  # keeps the pruning, releases the lock
            raise RateLimited(
                f"Too many submissions of this form from your address; try again in"
                f" {retry_after} seconds",
                [
                    {
                        "field": "rate_limit",
                        "message": f"at most {limit} submissions a minute from one address",
                    }
                ],
                retry_after,
            )
        self.db.add(WebFormSubmission(id=new_id(), form_id=form.id, ip_hash=key, submitted_at=now))
        self.db.commit()

    def _prune_attempts(self, before: Any) -> int:
        """Forget one batch of attempts older than ``before`` (skipping rows others prune)."""
        stale = (
            sa.select(WebFormSubmission.id)
            .where(WebFormSubmission.submitted_at < before)
            .order_by(WebFormSubmission.submitted_at)
            .limit(PRUNE_BATCH)
            .with_for_update(skip_locked=True)
        )
        deleted = self.db.execute(
            sa.delete(WebFormSubmission).where(WebFormSubmission.id.in_(stale))
        )
        return deleted.rowcount or 0

    @timer(interval=PRUNE_SECONDS)
    def prune_web_form_submissions(self) -> None:
        """Forget attempts older than the rate limit's minute even when no post comes.

        Submissions prune as they come; this keeps a quiet installation from holding
        address hashes longer than the limit needs. Every replica runs it (cheap).
        """
        before = sa.func.clock_timestamp(type_=sa.DateTime(timezone=True)) - RATE_WINDOW
        for _ in range(PRUNE_ROUNDS):
            deleted = self._prune_attempts(before)
            self.db.commit()
            if deleted < PRUNE_BATCH:
                break

    @staticmethod
    def _submitted_fields(data: Mapping[str, Any], honeypot_field: str) -> dict[str, Any]:
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
            if name in _TRUNCATED and isinstance(value, str):
                value = value.strip()[: domain.FIELDS_BY_NAME[name].max_length]
            fields[name] = value
        if errors:
            raise validation_failed(errors)
        return fields

    def _clean_form(self, data: Any, current: WebForm | None) -> dict[str, Any]:
        """Validate a web form's fields (create when ``current`` is None); every error at once."""
        if not isinstance(data, Mapping):
            raise domain.failed("data", "must be an object of web form fields")
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
                clean_origins = self._clean_origins(value, bad)
                if clean_origins is not None:
                    clean["allowed_origins"] = clean_origins
            elif name in ("source", "channel"):
                self._clean_code(name, value, current, clean, bad)
            elif name in ("team_id", "owner_id"):
                if value is None or (isinstance(value, str) and not value.strip()):
                    clean[name] = None
                elif not domain.is_uuid(value):
                    bad(name, "must be a UUID")
                else:
                    clean[name] = str(value).strip().lower()
            elif name == "honeypot_field":
                if not isinstance(value, str) or not HONEYPOT_PATTERN.fullmatch(value):
                    bad(name, "must be a field name: a-z, digits and _ (at most 50)")
                elif value in domain.FIELD_NAMES:
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
        if (
            current is None
            and "name" not in clean
            and not any(e["field"] == "name" for e in errors)
        ):
            bad("name", "is required")
        if errors:
            raise validation_failed(errors)
        return clean

    @staticmethod
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
        self,
        name: str,
        value: Any,
        current: WebForm | None,
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
        codes = self._lookup_codes(name)
        if code not in codes:
            bad(name, f"must be one of the active {name} codes: {', '.join(sorted(codes))}")
            return
        clean[name] = code

    def _form_out(self, form: WebForm, base_url: str | None) -> dict[str, Any]:
        """The form as admins see it: with where to post and the snippet to paste."""
        return {
            **dump_form(form),
            "submit_url": f"{(base_url or '').rstrip('/')}{submit_path(form.id)}",
            "embed_html": embed_html(form, base_url),
        }


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


def _filled(value: Any) -> bool:
    """A honeypot counts as filled by any non-blank value."""
    return bool(value.strip()) if isinstance(value, str) else value is not None
