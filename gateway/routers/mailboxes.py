"""Mailboxes (Settings → Mail): connect, test, change, remove, sync now, folders.

Served by the mail service (services/integrations/mail). The password is write-only:
no answer carries it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Response

from ..auth import current_actor, rpc_client
from ..problems import also
from ..rpc import RpcClient
from ..schemas_mail import (
    ConnectionTest,
    MailboxCreate,
    MailboxOut,
    MailboxPage,
    MailboxUpdate,
)
from .common import etag, require_json
from .records import record_routes

router = APIRouter(prefix="/api/v1", tags=["mail"])

Actor = dict[str, Any]


# Before the record routes: a fixed path beside /mailboxes/{mailbox_id}.
@router.post(
    "/mailboxes/test-connection",
    response_model=ConnectionTest,
    dependencies=[Depends(require_json)],
)
async def test_mailbox_connection(
    body: MailboxCreate,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Try the login with these settings, storing nothing: `ok`, and when it failed the
    reason in words a user can act on (wrong password, host unreachable, certificate not
    trusted, no IMAP4rev1)."""
    return await rpc.call("mail", "test_mailbox_connection", body.changes(), actor=actor)


record_routes(
    router,
    service="mail",
    path="mailboxes",
    plural="mailboxes",
    singular="mailbox",
    create_model=MailboxCreate,
    update_model=MailboxUpdate,
    out_model=MailboxOut,
    page_model=MailboxPage,
    tags=["mail"],
)


@router.post("/mailboxes/{mailbox_id}/sync", status_code=202, response_model=MailboxOut)
async def sync_mailbox(
    response: Response,
    mailbox_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Sync now: the mailbox is due at once and the background sync takes it (202); its
    `health` shows when it ran and what it found."""
    mailbox = await rpc.call("mail", "sync_mailbox", mailbox_id, actor=actor)
    response.headers["ETag"] = etag(mailbox)
    return mailbox


@router.get(
    "/mailboxes/{mailbox_id}/folders",
    response_model=list[str],
    responses=also(409),  # a mailbox another integration syncs (Exchange, Google)
)
async def list_mailbox_folders(
    mailbox_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> list[str]:
    """The folders on the mail server, to pick which to sync (503 when it fails; 409 for
    a mailbox an Exchange or Google connection syncs: its folders are chosen there)."""
    return await rpc.call("mail", "list_mailbox_folders", mailbox_id, actor=actor)
