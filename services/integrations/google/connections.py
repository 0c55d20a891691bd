"""Google connections: connect (OAuth 2.0 authorization-code flow), reconnect, change
what syncs, sync now, remove; the groups and calendars to choose from; the conflicts
log. A thin RPC part of GoogleService."""

from __future__ import annotations

import secrets as random_tokens
from datetime import UTC, datetime
from typing import Any

from services.integrations.sync import cursors as cursor_store
from services.integrations.sync import leases
from services.platform.access import Actor
from services.platform.errors import (
    EXPECTED,
    Conflict,
    Unavailable,
    ValidationFailed,
)
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import is_uuid, parse_expected_version

from . import domain, store
from .dependencies import GoogleBase, GoogleError
from .gmail_sync import SYSTEM, forget_mailbox
from .models import connections, cursors
from .runner import holder_name, make_due, run_sync


def _may_manage(caller: Actor, row: Any) -> bool:
    return caller.is_admin or row.owner_id == caller.id


def _field(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [{"field": name, "message": message}])


class ConnectionsRpc(GoogleBase):
    def _owned(self, connection_id: str, caller: Actor, *, for_update: bool = False) -> Any:
        row = store.connection_row(self.db, connection_id, for_update=for_update)
        if not _may_manage(caller, row):
            raise store._no_connection()
        return row

    @rpc(expected_exceptions=EXPECTED)
    def start_google_authorization(
        self, data: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Begin connecting (or, with ``connection_id``, reconnecting) the caller's Google
        account: ``{authorization_url, state}``; the web app sends the user to the URL,
        and Google sends them back to ``redirect_uri`` (default the server's) with a
        code for :meth:`complete_google_authorization`. ``Unavailable`` when Google
        sign-in is not configured on the server."""
        caller = Actor.from_dict(actor)
        data = data or {}
        if not isinstance(data, dict):
            raise _field("body", "must be an object")
        connection_id = data.get("connection_id")
        if connection_id is not None:
            self._owned(connection_id, caller)
        redirect_uri = data.get("redirect_uri") or self.google_settings.redirect_uri
        if not isinstance(redirect_uri, str) or not redirect_uri.startswith(
            ("https://", "http://")
        ):
            raise _field("redirect_uri", "must be an http(s) URL")
        self.secrets.encrypt("check")  # Unavailable now, not after the consent screen
        state = random_tokens.token_urlsafe(32)
        url, verifier = self.google.authorization_url(state, redirect_uri)
        store.add_authorization(
            self.db,
            {
                "state": state,
                "user_id": caller.id,
                "actor": caller.to_dict(),
                "code_verifier": verifier,
                "redirect_uri": redirect_uri,
                "connection_id": connection_id,
            },
        )
        self.db.commit()
        return {"authorization_url": url, "state": state}

    @rpc(expected_exceptions=EXPECTED)
    def complete_google_authorization(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Finish the flow with what Google sent back: ``{state, code}`` (or ``error``
        when the user declined). The refresh token is stored encrypted and never
        returned; the account's address names the connection; connecting an account
        already connected reconnects it. Syncing starts at once. Raises
        ``ValidationFailed`` (unknown or expired ``state``, a refused ``code``, the
        user declined)."""
        caller = Actor.from_dict(actor)
        if not isinstance(data, dict) or not isinstance(data.get("state"), str):
            raise _field("state", "is required")
        flow = store.take_authorization(self.db, data["state"])
        self.db.commit()
        if flow is None or flow.user_id != caller.id:
            raise _field("state", "this sign-in has expired or is not yours: connect again")
        if data.get("error"):
            raise _field("code", f"Google did not grant access ({str(data['error'])[:100]})")
        if not isinstance(data.get("code"), str) or not data["code"]:
            raise _field("code", "is required")
        try:
            tokens = self.google.exchange_code(
                data["code"], data["state"], flow.redirect_uri, flow.code_verifier
            )
            if not tokens["refresh_token"]:
                raise _field(
                    "code",
                    "Google sent no refresh token: remove Osprey's access in "
                    "your Google account and connect again",
                )
            session = self.google.session(tokens["refresh_token"], tokens["access_token"])
            profile = session.call(session.client("gmail").users().getProfile(userId="me"))
        except GoogleError as exc:
            if exc.kind == "revoked":
                raise _field("code", "Google refused the sign-in: connect again") from None
            raise Unavailable(domain.failure_words(exc.kind)) from None
        email = str(profile.get("emailAddress") or "").lower()
        secret = self.secrets.encrypt(tokens["refresh_token"])
        owner = dict(flow.actor)
        existing = (
            store.connection_row(self.db, flow.connection_id, for_update=True)
            if flow.connection_id
            else store.connection_of(self.db, caller.id, email)
        )
        now = datetime.now(UTC)
        if existing is not None:
            settings = {
                **existing.settings,
                "email": email,
                "scopes": tokens["scopes"],
                "owner": owner,
            }
            settings.pop("needs_reconnect", None)
            row = store.update_connection(
                self.db,
                existing.id,
                {
                    "secret": secret,
                    "settings": settings,
                    "name": email,
                    "state": "active",
                    "failures": 0,
                    "last_error": None,
                    "next_sync_at": now,
                },
            )
        else:
            settings = {
                "email": email,
                "scopes": tokens["scopes"],
                "owner": owner,
                **domain.default_settings(now.date()),
            }
            connection_id = store.insert_connection(
                self.db, email=email, owner=owner, settings=settings, secret=secret
            )
            row = store.connection_row(self.db, connection_id)
        out = store.dump_connection(row)
        self.db.emit("google_connection_created", _event(out), actor=actor)
        self.db.commit()
        return out

    @rpc(expected_exceptions=EXPECTED)
    def list_google_connections(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """``{items, next_cursor: null}``: the caller's Google connections (admins: all)."""
        caller = Actor.from_dict(actor)
        rows = store.list_connection_rows(self.db, owner_id=caller.id, everyone=caller.is_admin)
        self.db.commit()
        return {"items": [store.dump_connection(r) for r in rows], "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def get_google_connection(self, connection_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The connection with its health. ``NotFound`` unless it is the caller's (or
        they are an admin)."""
        row = self._owned(connection_id, Actor.from_dict(actor))
        self.db.commit()
        return store.dump_connection(row)

    @rpc(expected_exceptions=EXPECTED)
    def update_google_connection(
        self,
        connection_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: Any = None,
    ) -> dict[str, Any]:
        """Change what syncs: ``{contacts: {direction, groups, export, export_ids,
        deletions}, calendar: {direction, calendars, deletions}, mail: {enabled,
        visibility, sync_since}}`` (each partial). Due at once. Raises ``NotFound``,
        ``Conflict`` (stale version), ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        row = self._owned(connection_id, caller, for_update=True)
        check_version("google connection", row.version, parse_expected_version(expected_version))
        current = {k: row.settings.get(k) or {} for k in ("contacts", "calendar", "mail")}
        changed = domain.clean_settings(data, current)
        values: dict[str, Any] = {
            "settings": {**row.settings, **changed},
            "next_sync_at": datetime.now(UTC),
        }
        if row.state == "paused":
            values["state"] = "active"
        # a wider choice starts that side over: links keep anything from coming twice
        for key in domain.cursors_to_restart(current, changed):
            cursor_store.drop_cursor(self.db, cursors, connection_id, key)
        row = store.update_connection(self.db, connection_id, values)
        self.db.commit()
        return store.dump_connection(row)

    @rpc(expected_exceptions=EXPECTED)
    def delete_google_connection(
        self, connection_id: str, actor: dict[str, Any], expected_version: Any = None
    ) -> None:
        """Disconnect: the connection, its token, cursors and links go; contacts,
        activities and mail already in Osprey stay (they are the records' history)."""
        caller = Actor.from_dict(actor)
        row = self._owned(connection_id, caller, for_update=True)
        check_version("google connection", row.version, parse_expected_version(expected_version))
        out = store.dump_connection(row)
        self.db.execute(connections.delete().where(connections.c.id == connection_id))
        self.db.emit("google_connection_deleted", _event(out), actor=actor)
        self.db.commit()
        self.mail_rpc.remove_external_mailbox(connection_id, actor=SYSTEM)
        forget_mailbox(connection_id)

    @rpc(expected_exceptions=EXPECTED)
    def sync_google_connection(
        self, connection_id: str, actor: dict[str, Any], wait: bool = False
    ) -> dict[str, Any]:
        """Sync now: due at once for the background sync; with ``wait`` the sync runs
        in this call and its counts come back as ``last_sync``. ``Conflict`` when the
        connection must be reconnected first, or (``wait``) another instance syncs it
        right now."""
        caller = Actor.from_dict(actor)
        row = self._owned(connection_id, caller)
        if row.settings.get("needs_reconnect"):
            raise Conflict("Google no longer accepts Osprey's access: reconnect the account first")
        if not wait:
            make_due(self.db, connection_id)
            self.db.commit()
            return store.dump_connection(store.connection_row(self.db, connection_id))
        holder = f"{holder_name()}:rpc"
        if not leases.claim_one(
            self.db,
            connections,
            connection_id,
            holder,
            lease_seconds=self.google_settings.lease_seconds,
        ):
            self.db.rollback()
            raise Conflict("The connection is being synced right now; try again in a moment")
        self.db.commit()
        counts = run_sync(
            self.db,
            self.google,
            self.secrets,
            self.google_settings,
            connection_id,
            holder,
            {"sales": self.sales_rpc, "mail": self.mail_rpc, "identity": self.identity_rpc},
        )
        out = store.dump_connection(store.connection_row(self.db, connection_id))
        self.db.commit()
        out["last_sync"] = counts
        return out

    def _api(self, connection_id: str, actor: dict[str, Any]) -> Any:
        row = self._owned(connection_id, Actor.from_dict(actor))
        token = self.secrets.decrypt(row.secret)
        self.db.commit()
        try:
            return self.google.session(token)
        except GoogleError as exc:
            raise Unavailable(domain.failure_words(exc.kind)) from None

    @rpc(expected_exceptions=EXPECTED)
    def list_google_contact_groups(
        self, connection_id: str, actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The account's contact groups to import from: ``[{id, name, system}]``.
        ``Unavailable`` when Google does not answer."""
        api = self._api(connection_id, actor)
        try:
            page = api.call(api.client("people").contactGroups().list(pageSize=1000))
        except GoogleError as exc:
            raise Unavailable(domain.failure_words(exc.kind)) from None
        return [
            {
                "id": g["resourceName"],
                "name": g.get("formattedName") or g.get("name"),
                "system": g.get("groupType") == "SYSTEM_CONTACT_GROUP",
            }
            for g in page.get("contactGroups") or []
        ]

    @rpc(expected_exceptions=EXPECTED)
    def list_google_calendars(
        self, connection_id: str, actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The account's calendars: ``[{id, name, time_zone, primary}]``."""
        api = self._api(connection_id, actor)
        try:
            page = api.call(api.client("calendar").calendarList().list())
        except GoogleError as exc:
            raise Unavailable(domain.failure_words(exc.kind)) from None
        return [
            {
                "id": c["id"],
                "name": c.get("summaryOverride") or c.get("summary") or c["id"],
                "time_zone": c.get("timeZone"),
                "primary": bool(c.get("primary")) or c["id"] == "primary",
            }
            for c in page.get("items") or []
        ]

    @rpc(expected_exceptions=EXPECTED)
    def list_google_conflicts(self, connection_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The last 100 fields changed on both sides and which side won: ``{items}``."""
        if not is_uuid(connection_id):
            raise store._no_connection()
        self._owned(connection_id, Actor.from_dict(actor))
        items = store.list_conflicts(self.db, connection_id)
        self.db.commit()
        return {"items": items, "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def rotate_google_secrets(self, actor: dict[str, Any]) -> dict[str, int]:
        """Re-encrypt every stored refresh token with the first key of
        ``OSPREY_SECRET_KEYS``. Administrators only; ``{rotated}``."""
        Actor.from_dict(actor).require_admin()
        rows = self.db.execute(
            connections.select().where(connections.c.secret.is_not(None)).with_for_update()
        ).all()
        for row in rows:
            self.db.execute(
                connections.update()
                .where(connections.c.id == row.id)
                .values(secret=self.secrets.rotate(row.secret))
            )
        self.db.commit()
        return {"rotated": len(rows)}


def _event(connection: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": connection["id"],
        "email": connection["email"],
        "owner_id": connection["owner_id"],
        "state": connection["state"],
    }
