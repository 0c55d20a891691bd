"""Exchange connections: test, connect, change, remove, sync now, folders, conflicts. A
thin RPC part of ExchangeService."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from services.integrations.sync import cursors as cursor_store
from services.integrations.sync import leases
from services.platform.access import Actor
from services.platform.errors import (
    EXPECTED,
    Conflict,
    PermissionDenied,
    Unavailable,
    ValidationFailed,
)
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import domain, store
from .dependencies import ExchangeBase, ExchangeError
from .models import connections, cursors
from .runner import connection_dict, holder_name, open_secret, run_sync
from .sync import SERVICE_ACTOR, Remote

log = logging.getLogger(__name__)


def _visible(caller: Actor, row: Any) -> bool:
    return caller.is_admin or row.is_shared or row.owner_id == caller.id


def _needed_secret(settings: dict[str, Any]) -> str:
    """The secret the connection's sign-in needs: an OAuth2 token, else a password."""
    return "access_token" if settings.get("auth") == "oauth2" else "password"


def _secret_of(changes: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any] | None:
    """The secret sent for the sign-in the settings name (a password sent beside an
    OAuth2 token, or a token beside a password, is not the one tried)."""
    needed = _needed_secret(settings)
    return {needed: changes[needed]} if needed in changes else None


def _field_of(kind: str, settings: dict[str, Any]) -> str:
    if kind in ("auth", "token"):
        return "access_token" if settings.get("auth") == "oauth2" else "password"
    if kind == "mailbox":
        return "email"
    if kind == "autodiscover":
        return "ews_url"
    return "ews_url" if settings.get("ews_url") else "autodiscover_url"


class ConnectionsRpc(ExchangeBase):
    def _try(self, settings: dict[str, Any], secret: dict[str, Any]) -> dict[str, Any]:
        try:
            session = self.exchange.connect(settings, secret)
        except ExchangeError as exc:
            return self._refused(exc)
        try:
            found = session.check()
        except ExchangeError as exc:
            return self._refused(exc)
        finally:
            session.close()
        return {
            "ok": True,
            "error": None,
            "error_kind": None,
            "ews_url": found["ews_url"],
            "contact_folders": found["contact_folders"],
        }

    def _refused(self, exc: ExchangeError) -> dict[str, Any]:
        return {
            "ok": False,
            "error": domain.failure_words(exc.kind, exc.detail, exc.back_off),
            "error_kind": exc.kind,
            "ews_url": None,
            "contact_folders": [],
        }

    @rpc(expected_exceptions=EXPECTED)
    def test_exchange_connection(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Sign in with these settings and open the mailbox, storing nothing: ``{ok,
        error, error_kind, ews_url, contact_folders}``; ``error`` says in words a user
        can act on what failed (wrong password, token refused, no mailbox, server
        unreachable, certificate, autodiscover found nothing). ``ValidationFailed`` for
        bad fields."""
        Actor.from_dict(actor)
        changes = domain.clean_connection(data, creating=True)
        settings = domain.connection_settings(changes, None)
        return self._try(settings, _secret_of(changes, settings) or {})

    @rpc(expected_exceptions=EXPECTED)
    def create_exchange_connection(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Connect an Exchange mailbox: the sign-in is tried first and a refusal is a
        ``ValidationFailed`` on the field at fault, in the user's words (nothing stored).
        The password or token is stored encrypted and never returned; shared
        connections and another user's are an admin's (``PermissionDenied``); without
        keys on the server ``Unavailable``. Syncing starts at once."""
        caller = Actor.from_dict(actor)
        changes = domain.clean_connection(data, creating=True)
        is_shared = changes.get("is_shared", False)
        owner_id = None if is_shared else (changes.get("owner_id") or caller.id)
        if (is_shared or owner_id != caller.id) and not caller.is_admin:
            raise PermissionDenied("Only an administrator may connect a mailbox for others")
        settings = domain.connection_settings(changes, None)
        secret = _secret_of(changes, settings) or {}
        token = self.secrets.encrypt(json.dumps(secret))  # Unavailable before any I/O
        tried = self._try(settings, secret)
        if not tried["ok"]:
            field = _field_of(tried["error_kind"], settings)
            raise ValidationFailed(tried["error"], [{"field": field, "message": tried["error"]}])
        if not settings.get("ews_url"):
            settings["discovered_ews_url"] = tried["ews_url"]
        settings["actor"] = _actor_to_keep(caller) if owner_id == caller.id else {"id": owner_id}
        row = store.insert_connection(
            self.db,
            settings=settings,
            secret=token,
            owner_id=owner_id,
            team_id=None if is_shared else caller.team_id,
            is_shared=is_shared,
            created_by=caller.id,
        )
        self.db.commit()
        return store.dump_connection(row)

    @rpc(expected_exceptions=EXPECTED)
    def get_exchange_connection(self, connection_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The connection with its health and what it linked; ``NotFound`` also when the
        caller may not see it."""
        caller = Actor.from_dict(actor)
        row = store.connection_row(self.db, connection_id)
        if not _visible(caller, row):
            raise store.no_connection()
        out = store.dump_connection(row)
        out["linked"] = store.count_links(self.db, connection_id)
        self.db.commit()
        return out

    @rpc(expected_exceptions=EXPECTED)
    def list_exchange_connections(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """``{items, next_cursor: null}``: the caller's connections and the shared ones
        (admins: every one)."""
        caller = Actor.from_dict(actor)
        rows = store.list_connection_rows(self.db, owner_id=caller.id, everyone=caller.is_admin)
        self.db.commit()
        return {"items": [store.dump_connection(r) for r in rows], "next_cursor": None}

    def _managed_row(self, caller: Actor, connection_id: str, *, for_update: bool = False) -> Any:
        row = store.connection_row(self.db, connection_id, for_update=for_update)
        if not _visible(caller, row):
            raise store.no_connection()
        if not domain.may_manage(caller, connection_dict(row)):
            raise PermissionDenied("You may not change this connection")
        return row

    @rpc(expected_exceptions=EXPECTED)
    def update_exchange_connection(
        self,
        connection_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: Any = None,
    ) -> dict[str, Any]:
        """Change settings (a new password, token or server is tried first, like on
        create); a connection that needed attention is active again. Raises
        ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale), ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        changes = domain.clean_connection(data, creating=False)
        row = self._managed_row(caller, connection_id, for_update=True)
        if ("is_shared" in changes or "owner_id" in changes) and not caller.is_admin:
            raise PermissionDenied("Only an administrator may share a connection")
        check_version("exchange connection", row.version, parse_expected_version(expected_version))
        settings = domain.connection_settings(changes, dict(row.settings))
        values: dict[str, Any] = {"state": "active", "failures": 0}
        secret = _secret_of(changes, settings)
        server_changed = any(
            k in changes for k in ("email", "login", "auth", "ews_url", "autodiscover_url")
        )
        if secret is not None or server_changed:
            if secret is None:
                secret = open_secret(self.secrets, row.secret)
            needed = _needed_secret(settings)
            if needed not in secret:  # another sign-in chosen without its secret
                raise ValidationFailed(
                    "The Exchange connection is not valid",
                    [{"field": needed, "message": "is required"}],
                )
            tried = self._try(settings, secret)
            if not tried["ok"]:
                field = _field_of(tried["error_kind"], settings)
                raise ValidationFailed(
                    tried["error"], [{"field": field, "message": tried["error"]}]
                )
            if not settings.get("ews_url"):
                settings["discovered_ews_url"] = tried["ews_url"]
            values["secret"] = self.secrets.encrypt(json.dumps(secret))
        for key in ("is_shared", "owner_id"):
            if key in changes:
                values[key] = changes[key]
        values["settings"] = settings
        values["next_sync_at"] = datetime.now(UTC)
        for key in domain.cursors_to_restart(dict(row.settings), settings):
            cursor_store.drop_cursor(self.db, cursors, connection_id, key)
        row = store.update_connection(self.db, connection_id, values)
        self.db.commit()
        return store.dump_connection(row)

    @rpc(expected_exceptions=EXPECTED)
    def delete_exchange_connection(
        self, connection_id: str, actor: dict[str, Any], expected_version: Any = None
    ) -> None:
        """Disconnect: the connection, its secret, cursors and links go; the records it
        brought stay in the CRM, and its mail stays while links keep it."""
        caller = Actor.from_dict(actor)
        row = self._managed_row(caller, connection_id, for_update=True)
        check_version("exchange connection", row.version, parse_expected_version(expected_version))
        self.db.execute(connections.delete().where(connections.c.id == connection_id))
        self.db.commit()
        try:
            self.mail_rpc.remove_external_mailbox(connection_id, actor=SERVICE_ACTOR)
        except Exception:  # noqa: BLE001 - the mailbox stays paused, holding its mail
            log.exception("exchange connection %s: its mailbox was not removed", connection_id)

    @rpc(expected_exceptions=EXPECTED)
    def sync_exchange_connection(
        self, connection_id: str, actor: dict[str, Any], wait: bool = False
    ) -> dict[str, Any]:
        """Sync now: the connection is due at once; with ``wait`` the sync runs in this
        call and its counts come back as ``last_sync``. Raises ``NotFound``,
        ``PermissionDenied``, ``Conflict`` (being synced right now, with ``wait``)."""
        caller = Actor.from_dict(actor)
        self._managed_row(caller, connection_id)
        if not wait:
            self.db.execute(
                connections.update()
                .where(connections.c.id == connection_id)
                .values(next_sync_at=datetime.now(UTC), state="active")
            )
            self.db.commit()
            return store.dump_connection(store.connection_row(self.db, connection_id))
        holder = f"{holder_name()}:rpc"
        if not leases.claim_one(
            self.db,
            connections,
            connection_id,
            holder,
            lease_seconds=self.exchange_settings.lease_seconds,
        ):
            self.db.rollback()
            raise Conflict("The connection is being synced right now; try again in a moment")
        self.db.commit()
        result = run_sync(
            self.db,
            self.exchange,
            self.secrets,
            self.exchange_settings,
            self.remote(),
            connection_id,
            holder,
        )
        out = store.dump_connection(store.connection_row(self.db, connection_id))
        self.db.commit()
        out["last_sync"] = result.counts()
        return out

    def remote(self) -> Remote:
        return Remote(sales=self.sales_rpc, mail=self.mail_rpc, identity=self.identity_rpc)

    @rpc(expected_exceptions=EXPECTED)
    def list_exchange_folders(
        self, connection_id: str, actor: dict[str, Any]
    ) -> list[dict[str, str]]:
        """The mailbox's contact folders ``[{id, name}]`` to choose from (``id``
        ``contacts`` is the Contacts folder). ``Unavailable`` when Exchange fails."""
        caller = Actor.from_dict(actor)
        row = self._managed_row(caller, connection_id)
        settings = dict(row.settings)
        secret = open_secret(self.secrets, row.secret)
        self.db.commit()
        tried = self._try(settings, secret)
        if not tried["ok"]:
            raise Unavailable(tried["error"])
        return tried["contact_folders"]

    @rpc(expected_exceptions=EXPECTED)
    def list_exchange_conflicts(self, connection_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The last 100 fields both sides had changed and which side won: ``{items}``."""
        caller = Actor.from_dict(actor)
        row = store.connection_row(self.db, connection_id)
        if not _visible(caller, row):
            raise store.no_connection()
        items = store.list_conflicts(self.db, connection_id)
        self.db.commit()
        return {"items": items, "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def rotate_exchange_secrets(self, actor: dict[str, Any]) -> dict[str, int]:
        """Re-encrypt every stored password and token with the first key of
        ``OSPREY_SECRET_KEYS``. Administrators only; ``{rotated}``."""
        Actor.from_dict(actor).require_admin()
        rows = self.db.execute(
            sa.select(connections.c.id, connections.c.secret)
            .where(connections.c.secret.is_not(None))
            .with_for_update()
        ).all()
        for row in rows:
            self.db.execute(
                connections.update()
                .where(connections.c.id == row.id)
                .values(secret=self.secrets.rotate(row.secret))
            )
        self.db.commit()
        return {"rotated": len(rows)}


def _actor_to_keep(caller: Actor) -> dict[str, Any]:
    return {
        "id": caller.id,
        "email": caller.email,
        "full_name": caller.full_name,
        "roles": list(caller.roles),
        "team_id": caller.team_id,
    }
