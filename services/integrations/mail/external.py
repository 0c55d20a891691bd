"""Mail that another integration fetched (Exchange over EWS, Gmail) enters the same
pipeline as IMAP mail: stored once per Message-ID, linked by the same pass, with the same
privacy. A thin RPC part of MailService.

The other service registers its connection here as a mailbox of its ``kind``
(``exchange``, ``google``) under the same id: the mailbox row carries the owner, team,
sharing and ``visibility`` that decide what colleagues see, and each message's location
names it. Such a mailbox is never synced by the IMAP runner (its state is ``paused`` and
it has no password); its owner changes it where it was connected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.platform.access import Actor
from services.platform.errors import EXPECTED, NotFound, ValidationFailed
from services.platform.events import utcnow
from services.platform.rpc import rpc

from . import domain, store, storing
from .dependencies import MailBase
from .models import connections
from .parsing import parse_message

log = logging.getLogger(__name__)

#: the kinds of mailbox another integration service keeps
EXTERNAL_KINDS = ("exchange", "google")
#: external locations have no UIDVALIDITY; one fixed value keeps the key's shape
EXTERNAL_UIDVALIDITY = 1
#: messages one call may carry
MAX_MESSAGES = 200


def remote_uid(remote_id: str) -> int:
    """A stable positive 63-bit number for a vendor's message id (EWS ItemIds and Gmail
    ids are strings; a location's key is a number)."""
    return int.from_bytes(hashlib.sha256(remote_id.encode()).digest()[:8], "big") >> 1


def _check_mailbox(data: dict[str, Any]) -> dict[str, Any]:
    errors = []
    if data.get("kind") not in EXTERNAL_KINDS:
        errors.append({"field": "kind", "message": f"must be one of {', '.join(EXTERNAL_KINDS)}"})
    if not data.get("id"):
        errors.append({"field": "id", "message": "is required"})
    if "@" not in str(data.get("email") or ""):
        errors.append({"field": "email", "message": "must be an email address"})
    if data.get("visibility", "headers") not in ("all", "headers", "none"):
        errors.append({"field": "visibility", "message": "must be all, headers or none"})
    if errors:
        raise ValidationFailed("The mailbox is not valid", errors)
    return data


class ExternalMailRpc(MailBase):
    @rpc(expected_exceptions=EXPECTED)
    def register_external_mailbox(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Create or update the mailbox of another integration's connection: ``{id (the
        connection's), kind ∈ exchange, google, email, owner_id, team_id, is_shared,
        visibility}``. Administrators and services only (``PermissionDenied``);
        ``ValidationFailed`` for bad fields. Returns the mailbox."""
        Actor.from_dict(actor).require_admin()
        data = _check_mailbox(data)
        now = utcnow()
        settings = {
            "email": data["email"].lower(),
            "visibility": data.get("visibility") or "headers",
            "external": True,
        }
        stmt = insert(connections).values(
            id=data["id"],
            kind=data["kind"],
            name=settings["email"],
            owner_id=data.get("owner_id"),
            team_id=data.get("team_id"),
            is_shared=bool(data.get("is_shared")),
            settings=settings,
            secret=None,
            state="paused",
            next_sync_at=now,
            created_at=now,
            updated_at=now,
            created_by=Actor.from_dict(actor).id,
        )
        self.db.execute(
            stmt.on_conflict_do_update(
                index_elements=[connections.c.id],
                set_={
                    "name": stmt.excluded.name,
                    "owner_id": stmt.excluded.owner_id,
                    "team_id": stmt.excluded.team_id,
                    "is_shared": stmt.excluded.is_shared,
                    "settings": stmt.excluded.settings,
                    "updated_at": now,
                },
                where=connections.c.kind == data["kind"],
            )
        )
        row = store.mailbox_row(self.db, data["id"])
        if row.kind != data["kind"]:
            raise ValidationFailed(
                "The id belongs to another mailbox", [{"field": "id", "message": "in use"}]
            )
        self.db.commit()
        return store.dump_mailbox(row)

    @rpc(expected_exceptions=EXPECTED)
    def remove_external_mailbox(self, mailbox_id: str, actor: dict[str, Any]) -> None:
        """Forget another integration's mailbox (its connection was removed); the
        messages stay while links keep them, as for an IMAP mailbox."""
        Actor.from_dict(actor).require_admin()
        self.db.execute(
            connections.delete().where(
                connections.c.id == mailbox_id, connections.c.kind.in_(EXTERNAL_KINDS)
            )
        )
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def store_external_messages(
        self,
        mailbox_id: str,
        folder: str,
        direction: str,
        messages: list[dict[str, Any]],
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """Store messages another integration fetched for its mailbox ``mailbox_id``
        (registered first): ``messages`` ``[{remote_id, raw_base64}]`` (the whole MIME
        message), from ``folder``, ``direction`` ∈ incoming, outgoing. A message already
        stored (by Message-ID) only gains a location; new ones emit ``email_received``
        and wait for the linking pass. Mail between CRM users only is skipped unless the
        mailbox stores internal mail. ``{stored, duplicates, internal_skipped,
        malformed, skipped, ids}``. Raises ``NotFound`` (no such mailbox),
        ``ValidationFailed``, ``PermissionDenied`` (not an administrator or service)."""
        Actor.from_dict(actor).require_admin()
        if direction not in ("incoming", "outgoing"):
            raise ValidationFailed(
                "direction must be incoming or outgoing",
                [{"field": "direction", "message": "must be incoming or outgoing"}],
            )
        if not isinstance(messages, list) or len(messages) > MAX_MESSAGES:
            raise ValidationFailed(
                f"messages must be a list of at most {MAX_MESSAGES}",
                [{"field": "messages", "message": f"at most {MAX_MESSAGES}"}],
            )
        row = self.db.execute(
            sa.select(connections).where(
                connections.c.id == mailbox_id, connections.c.kind.in_(EXTERNAL_KINDS)
            )
        ).first()
        if row is None:
            raise NotFound("No such mailbox", [{"field": "mailbox_id", "message": "not found"}])
        settings = dict(row.settings or {})
        own = self.runner.user_addresses | {settings.get("email")}
        counts = {"stored": 0, "duplicates": 0, "internal_skipped": 0, "malformed": 0}
        counts["skipped"] = 0
        items = []
        for position, item in enumerate(messages):
            try:
                raw = base64.b64decode(item["raw_base64"], validate=True)
                remote_id = str(item["remote_id"])
            except (KeyError, TypeError, binascii.Error) as exc:
                raise ValidationFailed(
                    "Each message needs remote_id and raw_base64",
                    [{"field": f"messages[{position}]", "message": str(exc)[:200]}],
                ) from exc
            try:
                parsed = parse_message(
                    raw, keep_attachment_bytes=self.mail_settings.keep_attachment_bytes
                )
            except Exception:  # noqa: BLE001 - one bad message never stops the others
                log.exception("mailbox %s: %s could not be read; skipped", mailbox_id, remote_id)
                counts["skipped"] += 1
                continue
            if (
                not settings.get("store_internal")
                and (parsed.from_address is None or parsed.from_address in own)
                and domain.is_internal(parsed.participants(), own)
            ):
                counts["internal_skipped"] += 1
                continue
            if parsed.problems:
                counts["malformed"] += 1
            items.append((remote_uid(remote_id), parsed))
        received = storing.store_messages(
            self.db,
            mailbox_id=mailbox_id,
            folder=folder,
            uidvalidity=EXTERNAL_UIDVALIDITY,
            items=items,
            direction=direction,
            user_id=row.owner_id,
            team_id=row.team_id,
        )
        self.db.commit()
        counts["stored"] = len(received)
        counts["duplicates"] = len(items) - len(received)
        return {**counts, "ids": [r["id"] for r in received]}
