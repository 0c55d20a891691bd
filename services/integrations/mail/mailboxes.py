"""Mailboxes: connect, test, change, remove, sync now. A thin RPC part of MailService."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from services.integrations.sync import leases
from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, PermissionDenied, ValidationFailed
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import domain, store
from .dependencies import MailBase, MailServerError
from .models import connections
from .runner import endpoint_of, holder_name, mailbox_dict, run_sync

#: How long a login tried for the user (test connection, connect, a new password) may
#: wait on the server: under the gateway's RPC timeout (OSPREY_RPC_TIMEOUT, 10 s), so a
#: host that never answers is "unreachable" in words, not the gateway's 504.
TRY_SECONDS = 7.0


def _visible(caller: Actor, row: Any) -> bool:
    return caller.is_admin or row.is_shared or row.owner_id == caller.id


def _check_imap(row: Any) -> None:
    """Mailboxes of other integrations (Exchange, Google) are changed and synced where
    they were connected (services/integrations/mail/external.py)."""
    if row.kind != "imap":
        raise Conflict(
            f"This mailbox is synced by its {row.kind.title()} connection: change or sync it"
            " in Settings there"
        )


class MailboxesRpc(MailBase):
    @rpc(expected_exceptions=EXPECTED)
    def test_mailbox_connection(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Try the IMAP login (and list the folders) with these settings, storing
        nothing: ``{ok, error, folders, capabilities}``; ``error`` is in words a user
        can act on (wrong password, host unreachable, certificate not trusted, no
        IMAP4rev1). Raises ``ValidationFailed`` (bad fields)."""
        Actor.from_dict(actor)
        changes = domain.clean_mailbox(data, creating=True)
        settings = domain.mailbox_settings(changes, None, datetime.now(UTC).date())
        return self._try_login(settings, changes["password"])

    def _try_login(self, settings: dict[str, Any], password: str) -> dict[str, Any]:
        mailbox = {"settings": settings}
        try:
            imap = self.servers.imap.connect(
                endpoint_of(mailbox, password, min(self.mail_settings.timeout, TRY_SECONDS))
            )
        except MailServerError as exc:
            return {
                "ok": False,
                "error": domain.failure_words(exc.kind, exc.detail),
                "error_kind": exc.kind,
                "folders": [],
                "capabilities": [],
            }
        try:
            folders = [name for name, flags in imap.folders() if "\\Noselect" not in flags]
            return {
                "ok": True,
                "error": None,
                "error_kind": None,
                "folders": folders,
                "capabilities": sorted(imap.capabilities),
                "sent_folder": imap.sent_folder(),
            }
        finally:
            imap.logout()

    @rpc(expected_exceptions=EXPECTED)
    def create_mailbox(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Connect a mailbox: the login is tried first and a refusal is a
        ``ValidationFailed`` in the user's words (nothing stored). The password is
        stored encrypted and never returned. ``is_shared`` (sales@) and ``owner_id`` of
        someone else are an admin's (``PermissionDenied``). Syncing starts at once."""
        caller = Actor.from_dict(actor)
        changes = domain.clean_mailbox(data, creating=True)
        is_shared = changes.get("is_shared", False)
        owner_id = None if is_shared else (changes.get("owner_id") or caller.id)
        domain.check_may_connect(caller, is_shared=is_shared, owner_id=owner_id)
        settings = domain.mailbox_settings(changes, None, datetime.now(UTC).date())
        secret = self.secrets.encrypt(changes["password"])  # SecretsUnavailable before any I/O
        tried = self._try_login(settings, changes["password"])
        if not tried["ok"]:
            field = "password" if tried["error_kind"] == "auth" else "imap_host"
            raise ValidationFailed(tried["error"], [{"field": field, "message": tried["error"]}])
        settings["sent_folder"] = tried.get("sent_folder")
        row = store.insert_mailbox(
            self.db,
            settings=settings,
            secret=secret,
            owner_id=owner_id,
            team_id=None if is_shared else caller.team_id,
            is_shared=is_shared,
            created_by=caller.id,
        )
        self.db.commit()
        return store.dump_mailbox(row)

    @rpc(expected_exceptions=EXPECTED)
    def get_mailbox(self, mailbox_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The mailbox with its health; ``NotFound`` also when the caller may not see it
        (their own, shared ones, all for admins)."""
        caller = Actor.from_dict(actor)
        row = store.mailbox_row(self.db, mailbox_id)
        if not _visible(caller, row):
            raise store._no_mailbox()
        return store.dump_mailbox(row)

    @rpc(expected_exceptions=EXPECTED)
    def list_mailboxes(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """``{items, next_cursor: null}``: the caller's mailboxes and the shared ones
        (admins: every mailbox)."""
        caller = Actor.from_dict(actor)
        rows = store.list_mailbox_rows(self.db, owner_id=caller.id, everyone=caller.is_admin)
        return {"items": [store.dump_mailbox(r) for r in rows], "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def update_mailbox(
        self,
        mailbox_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: Any = None,
    ) -> dict[str, Any]:
        """Change settings (a new password is tried first, like on create); a mailbox
        that needed attention is active again. Owner or admin; shared ones admins only.
        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale), ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        changes = domain.clean_mailbox(data, creating=False)
        row = store.mailbox_row(self.db, mailbox_id, for_update=True)
        if not _visible(caller, row):
            raise store._no_mailbox()
        _check_imap(row)
        mailbox = store.dump_mailbox(row)
        if not domain.may_manage(caller, mailbox) or (
            ("is_shared" in changes or "owner_id" in changes) and not caller.is_admin
        ):
            raise PermissionDenied("You may not change this mailbox")
        check_version("mailbox", row.version, parse_expected_version(expected_version))
        settings = domain.mailbox_settings(changes, dict(row.settings), datetime.now(UTC).date())
        values: dict[str, Any] = {"settings": settings, "state": "active", "failures": 0}
        if "password" in changes:
            tried = self._try_login(settings, changes["password"])
            if not tried["ok"]:
                field = "password" if tried["error_kind"] == "auth" else "imap_host"
                raise ValidationFailed(
                    tried["error"], [{"field": field, "message": tried["error"]}]
                )
            values["secret"] = self.secrets.encrypt(changes["password"])
        if "is_shared" in changes:
            values["is_shared"] = changes["is_shared"]
        if "owner_id" in changes:
            values["owner_id"] = changes["owner_id"]
        values["next_sync_at"] = datetime.now(UTC)
        row = store.update_mailbox(self.db, mailbox_id, values)
        self.db.commit()
        return store.dump_mailbox(row)

    @rpc(expected_exceptions=EXPECTED)
    def delete_mailbox(
        self, mailbox_id: str, actor: dict[str, Any], expected_version: Any = None
    ) -> None:
        """Disconnect: the mailbox, its password and cursors go; messages it alone held
        stay while links keep them (they are the records' history)."""
        caller = Actor.from_dict(actor)
        row = store.mailbox_row(self.db, mailbox_id, for_update=True)
        if not _visible(caller, row):
            raise store._no_mailbox()
        if not domain.may_manage(caller, store.dump_mailbox(row)):
            raise PermissionDenied("You may not remove this mailbox")
        check_version("mailbox", row.version, parse_expected_version(expected_version))
        self.db.execute(connections.delete().where(connections.c.id == mailbox_id))
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def sync_mailbox(
        self, mailbox_id: str, actor: dict[str, Any], wait: bool = False
    ) -> dict[str, Any]:
        """Sync now: the mailbox becomes due at once (the background sync takes it); with
        ``wait`` the sync runs in this call and its counts come back as ``last_sync``.
        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (another instance is
        syncing it right now, with ``wait``)."""
        caller = Actor.from_dict(actor)
        row = store.mailbox_row(self.db, mailbox_id)
        if not _visible(caller, row):
            raise store._no_mailbox()
        if not domain.may_manage(caller, store.dump_mailbox(row)):
            raise PermissionDenied("You may not sync this mailbox")
        _check_imap(row)
        if not wait:
            self.db.execute(
                connections.update()
                .where(connections.c.id == mailbox_id)
                .values(next_sync_at=datetime.now(UTC), state="active")
            )
            self.db.commit()
            return store.dump_mailbox(store.mailbox_row(self.db, mailbox_id))
        holder = f"{holder_name()}:rpc"
        if not leases.claim_one(
            self.db, connections, mailbox_id, holder, lease_seconds=self.mail_settings.lease_seconds
        ):
            self.db.rollback()
            raise Conflict("The mailbox is being synced right now; try again in a moment")
        self.db.commit()
        result = run_sync(
            self.runner.Session,
            self.servers.imap,
            self.secrets,
            self.mail_settings,
            mailbox_id,
            holder,
            user_addresses=self.runner.user_addresses,
        )
        out = store.dump_mailbox(store.mailbox_row(self.db, mailbox_id))
        self.db.rollback()
        out["last_sync"] = result.counts() if result is not None else None
        return out

    @rpc(expected_exceptions=EXPECTED)
    def list_mailbox_folders(self, mailbox_id: str, actor: dict[str, Any]) -> list[str]:
        """The folders on the server, to pick from. ``Unavailable`` when it fails;
        ``Conflict`` for a mailbox another integration syncs (Exchange, Google: its
        folders are chosen at its connection, and it keeps no IMAP password)."""
        caller = Actor.from_dict(actor)
        row = store.mailbox_row(self.db, mailbox_id)
        if not _visible(caller, row) or not domain.may_manage(caller, store.dump_mailbox(row)):
            raise store._no_mailbox()
        _check_imap(row)
        mailbox = mailbox_dict(row)
        password = self.secrets.decrypt(row.secret)
        self.db.rollback()
        from services.platform.errors import Unavailable

        tried = self._try_login(mailbox["settings"], password)
        if not tried["ok"]:
            raise Unavailable(tried["error"])
        return tried["folders"]

    @rpc(expected_exceptions=EXPECTED)
    def rotate_mailbox_secrets(self, actor: dict[str, Any]) -> dict[str, int]:
        """Re-encrypt every stored mailbox password with the first key of
        ``OSPREY_SECRET_KEYS`` (after a new key was put first); then the old key can go.
        Administrators only; ``{rotated}``. ``Unavailable`` when a secret opens with
        none of the keys (nothing is changed then)."""
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
