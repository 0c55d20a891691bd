"""Emails: the list (a record's Emails tab, "needs processing", a mailbox), one email,
linking by hand, sending (with templates), and the admin's subject rules and templates.

Served by the mail service (services/integrations/mail).
"""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any

from fastapi import APIRouter, Depends, Path, Response

from ..auth import current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC, list_query
from ..problems import also
from ..rpc import RpcClient
from ..schemas_mail import (
    EmailDetail,
    EmailLinkIn,
    EmailPage,
    EmailSend,
    SentEmail,
    SubjectRuleIn,
    SubjectRuleList,
    SubjectRuleOut,
    TemplateCreate,
    TemplateIn,
    TemplateList,
    TemplateOut,
)
from .common import require_json

router = APIRouter(prefix="/api/v1", tags=["mail"])

Actor = dict[str, Any]


@router.get(
    "/emails",
    response_model=EmailPage,
    openapi_extra=FILTER_PARAMETER_DOC,
    responses=also(404),  # filter[record_id] of a record the caller may not read
)
async def list_emails(
    query: dict[str, Any] = Depends(list_query),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Emails newest first. `filter[record_type]` + `filter[record_id]`: a record's
    Emails tab (you must be able to read the record); `filter[needs_processing]=true`:
    what waits to be linked by hand; `filter[mailbox_id]`, `filter[thread_key]`.
    Colleagues' mail shows as its mailbox's privacy allows (`view`)."""
    return await rpc.call("mail", "list_emails", query, actor=actor)


# Before /emails/{email_id}: a fixed path.
@router.post(
    "/emails/send", status_code=201, response_model=SentEmail, dependencies=[Depends(require_json)]
)
async def send_email(
    body: EmailSend,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Send from one of your mailboxes: a template and merge fields
    (`{{contact.first_name}}`) filled from `related`, a reply threaded with
    `reply_to_id`, attachments as base64. Sent through SMTP, saved to Sent, linked.
    A send that fails answers 503 with the reason and is kept (`send_id` in `errors`)
    to retry."""
    sent = await rpc.call("mail", "send_email", body.model_dump(exclude_unset=True), actor=actor)
    response.headers["Location"] = f"/api/v1/emails/{sent['id']}"
    return sent


@router.post(
    "/email-sends/{send_id}/retry", response_model=SentEmail, operation_id="retry_email_send"
)
async def retry_send(
    send_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Send a failed send's same message again."""
    return await rpc.call("mail", "retry_send", send_id, actor=actor)


@router.get("/emails/{email_id}", response_model=EmailDetail)
async def get_email(
    email_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """One email; its body and attachments when your view of it is `all`."""
    return await rpc.call("mail", "get_email", email_id, actor=actor)


@router.get(
    "/emails/{email_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The bytes"}},
)
async def download_email_attachment(
    email_id: str = Path(),
    attachment_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """An attachment's bytes, always as a download (never shown inline: mail comes from
    strangers); 404 when your view of the email is not `all` or it was too large to keep."""
    answer = await rpc.call("mail", "get_email_attachment", email_id, attachment_id, actor=actor)
    quoted = urllib.parse.quote(answer["filename"])
    ascii_name = answer["filename"].encode("ascii", "replace").decode().replace('"', "'")
    return Response(
        content=base64.b64decode(answer["content_base64"]),
        media_type=answer["content_type"],
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/emails/{email_id}/dismiss", response_model=EmailDetail)
async def dismiss_email(
    email_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Take the email out of "needs processing" without linking it."""
    return await rpc.call("mail", "dismiss_email", email_id, actor=actor)


@router.post(
    "/emails/{email_id}/links", response_model=EmailDetail, dependencies=[Depends(require_json)]
)
async def link_email(
    body: EmailLinkIn,
    email_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Link the email to a record by hand (it leaves "needs processing")."""
    return await rpc.call("mail", "link_email", email_id, body.type, body.id, actor=actor)


@router.delete("/emails/{email_id}/links/{record_type}/{record_id}", response_model=EmailDetail)
async def unlink_email(
    email_id: str = Path(),
    record_type: str = Path(),
    record_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Remove one link; an email left without links needs processing again."""
    return await rpc.call("mail", "unlink_email", email_id, record_type, record_id, actor=actor)


# --- administration: subject rules and templates ----------------------------------------------


@router.get("/email-rules", response_model=SubjectRuleList, operation_id="list_email_rules")
async def list_subject_rules(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("mail", "list_subject_rules", actor=actor)


@router.post(
    "/email-rules",
    status_code=201,
    response_model=SubjectRuleOut,
    dependencies=[Depends(require_json)],
    operation_id="create_email_rule",
)
async def create_subject_rule(
    body: SubjectRuleIn,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Mail whose subject matches `pattern` links to `record_id`, or to the record the
    match (its first group) names, e.g. `INV-\\d+` to that invoice. Administrators."""
    return await rpc.call("mail", "create_subject_rule", body.changes(), actor=actor)


@router.delete(
    "/email-rules/{rule_id}",
    status_code=204,
    response_class=Response,
    operation_id="delete_email_rule",
)
async def delete_subject_rule(
    rule_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    await rpc.call("mail", "delete_subject_rule", rule_id, actor=actor)
    return Response(status_code=204)


@router.get("/email-templates", response_model=TemplateList, operation_id="list_email_templates")
async def list_mail_templates(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("mail", "list_mail_templates", actor=actor)


@router.post(
    "/email-templates",
    status_code=201,
    response_model=TemplateOut,
    dependencies=[Depends(require_json)],
    operation_id="create_email_template",
)
async def create_mail_template(
    body: TemplateCreate,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """`{name, subject, body}` with merge fields. Administrators."""
    return await rpc.call("mail", "create_mail_template", body.changes(), actor=actor)


@router.patch(
    "/email-templates/{template_id}",
    response_model=TemplateOut,
    dependencies=[Depends(require_json)],
    operation_id="update_email_template",
)
async def update_mail_template(
    body: TemplateIn,
    template_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    return await rpc.call("mail", "update_mail_template", template_id, body.changes(), actor=actor)


@router.delete(
    "/email-templates/{template_id}",
    status_code=204,
    response_class=Response,
    operation_id="delete_email_template",
)
async def delete_mail_template(
    template_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    await rpc.call("mail", "delete_mail_template", template_id, actor=actor)
    return Response(status_code=204)
