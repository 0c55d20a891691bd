"""Web forms (web-to-lead): a part of the leads service.

**Web forms** are administered by admins. ``submit_web_form`` is the public side: a
website's form creates a lead without a login. In order: the form must exist and be
active (else ``NotFound``), the ``Origin`` must be one of the form's allowed origins
when it names any (else ``PermissionDenied``), the sender's address must be under the
form's ``rate_limit_per_minute`` in the rolling minute (else ``RateLimited``; the
attempt rows are shared by every replica through the database, the address stored only
as a SHA-256 and forgotten after the minute), a filled honeypot field is answered like
a success but creates nothing (``web_form_spam``), and the fields are validated like
any lead's. The lead is created as ``create_lead`` creates one (scored, stage-logged,
``lead_created``) together with ``web_form_submitted`` and the form's counter, in one
transaction.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import sqlalchemy as sa
from nameko.timer import timer

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import domain, lookups_store, scoring_store, store, webforms_store
from .dependencies import LeadsBase
from .schemas import form_out

#: How often each replica also prunes on its own, and at most how many batches then.
PRUNE_SECONDS = 60
PRUNE_ROUNDS = 20


class WebFormsRpc(LeadsBase):
    """Web forms (admins) and their public submission endpoint."""

    # --- administration -------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_web_forms(self, actor: dict[str, Any], base_url: str | None = None) -> dict[str, Any]:
        """Every web form by name, each with its ``embed_html`` (admins only).

        ``base_url`` (e.g. ``https://crm.example.com``) makes the snippet's address
        absolute. Raises ``PermissionDenied``.
        """
        domain.require_form_admin(Actor.from_dict(actor))
        items = [form_out(form, base_url) for form in webforms_store.list_forms(self.db)]
        self.db.commit()
        return {"items": items, "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def get_web_form(
        self, form_id: str, actor: dict[str, Any], base_url: str | None = None
    ) -> dict[str, Any]:
        """One web form with ``submit_url`` and ``embed_html``. Raises ``PermissionDenied``,
        ``NotFound``."""
        domain.require_form_admin(Actor.from_dict(actor))
        result = form_out(webforms_store.load_form(self.db, form_id), base_url)
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
        caller = Actor.from_dict(actor)
        domain.require_form_admin(caller)
        values = domain.clean_form(data, None, partial(lookups_store.active_codes, self.db))
        form = webforms_store.add_form(self.db, values, caller, actor)
        self.db.commit()
        return form_out(form, base_url)

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
        domain.require_form_admin(Actor.from_dict(actor))
        expected = parse_expected_version(expected_version)
        form = webforms_store.load_form(self.db, form_id, for_update=True)
        check_version("web form", form.version, expected)
        values = domain.clean_form(data, form, partial(lookups_store.active_codes, self.db))
        changed = domain.form_changes(form, values)
        if changed:
            webforms_store.update_form(self.db, form, values, changed, actor)
        result = form_out(form, base_url)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_web_form(
        self, form_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a web form (its leads stay); emit ``web_form_deleted`` with its last state.

        Raises ``PermissionDenied``, ``NotFound``, ``Conflict`` (stale version).
        """
        domain.require_form_admin(Actor.from_dict(actor))
        expected = parse_expected_version(expected_version)
        form = webforms_store.load_form(self.db, form_id, for_update=True)
        check_version("web form", form.version, expected)
        webforms_store.delete_form(self.db, form, actor)
        self.db.commit()

    # --- the public side ----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def check_web_form_origin(self, form_id: str, origin: str | None) -> dict[str, Any]:
        """May a page at ``origin`` post this form (the gateway's CORS preflight)?

        Returns ``{"origin": origin}``. Raises ``NotFound`` (unknown or inactive form),
        ``PermissionDenied`` (the origin is not allowed). Needs no caller.
        """
        form = webforms_store.public_form(self.db, form_id)
        domain.check_origin(form.allowed_origins, origin)
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
        ``data`` may hold the lead fields in ``domain.PUBLIC_FIELDS`` and the honeypot;
        ``referrer`` (the HTTP ``Referer``) is used when ``data`` has none. A filled
        honeypot answers ``{"lead_id": None, ...}``, creates nothing and emits
        ``web_form_spam``. Every attempt counts toward the rate limit.
        Raises ``NotFound`` (unknown or inactive form), ``PermissionDenied`` (origin not
        allowed), ``RateLimited`` (with ``retry_after`` seconds), ``ValidationFailed``
        (unknown fields, bad values, none of contact_name/account_name/email/phone).
        """
        form = webforms_store.public_form(self.db, form_id)
        domain.check_origin(form.allowed_origins, origin)
        retry_after = webforms_store.record_attempt(self.db, form, client_ip)
        self.db.commit()  # keeps the attempt (or the pruning) and releases the lock
        if retry_after is not None:
            raise domain.rate_limited(form.rate_limit_per_minute, retry_after)
        answer = {"lead_id": None, "redirect_url": form.redirect_url}
        domain.check_submission(data)
        system = domain.WEB_FORM_ACTOR.to_dict()
        if domain.honeypot_filled(data.get(form.honeypot_field)):
            # A robot filled the field no person sees: look accepted, keep nothing.
            self.db.emit(
                "web_form_spam",
                {"form_id": form.id, "honeypot_field": form.honeypot_field},
                actor=system,
            )
            self.db.commit()
            return answer
        lead_data = domain.submission_lead(data, form, referrer)
        values = domain.new_lead(lead_data, domain.WEB_FORM_ACTOR, new_id(), utcnow())
        values.update(scoring_store.score_new_lead(self.db, values))
        lead = store.insert_lead(self.db, values, system)
        webforms_store.count_submission(self.db, form.id, lead["id"], system)
        self.db.commit()
        return {**answer, "lead_id": lead["id"]}

    @timer(interval=PRUNE_SECONDS)
    def prune_web_form_submissions(self) -> None:
        """Forget attempts older than the rate limit's minute even when no post comes.

        Submissions prune as they come; this keeps a quiet installation from holding
        address hashes longer than the limit needs. Every replica runs it (cheap).
        """
        before = sa.func.clock_timestamp(type_=sa.DateTime(timezone=True)) - domain.RATE_WINDOW
        for _ in range(PRUNE_ROUNDS):
            deleted = webforms_store.prune_attempts(self.db, before)
            self.db.commit()
            if deleted < webforms_store.PRUNE_BATCH:
                break
