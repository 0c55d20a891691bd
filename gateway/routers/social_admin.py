"""Administration of the social service: social channels (Facebook Lead Ads, Telegram,
VK) with their request log, outbound webhooks with their delivery log, and the inbound
bus's refused messages (send again, discard). Served by the social service;
administrators only (403 for anyone else)."""

# No ``from __future__ import annotations``: FastAPI reads the annotations at run time.

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import Field

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import etag, expected_version, require_json
from .records import IF_MATCH_DOC

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]
ChannelId = Annotated[str, Path(description="The social channel's id")]
WebhookId = Annotated[str, Path(description="The webhook's id")]
DeliveryId = Annotated[str, Path(description="The delivery's id")]
LetterId = Annotated[str, Path(description="The refused message's id")]
Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page")]
Cursor = Annotated[str | None, Query(max_length=64, description="next_cursor of a page")]


# --- social channels ----------------------------------------------------------------------


class SocialChannelFields(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    is_active: bool | None = None
    owner_id: str | None = Field(default=None, description="Who owns the leads it makes")
    team_id: str | None = None
    source: str | None = Field(default=None, max_length=100, description="A lead-sources code")
    page_id: str | None = Field(default=None, max_length=100, description="facebook")
    graph_url: str | None = Field(default=None, max_length=2000, description="facebook")
    app_secret: str | None = Field(default=None, min_length=1, max_length=1000,
                                   description="facebook; write-only")  # fmt: skip
    verify_token: str | None = Field(default=None, min_length=1, max_length=1000,
                                     description="facebook; write-only")  # fmt: skip
    page_access_token: str | None = Field(default=None, min_length=1, max_length=1000,
                                          description="facebook; write-only")  # fmt: skip
    bot_username: str | None = Field(default=None, max_length=100, description="telegram")
    language: Literal["en", "ru"] | None = Field(default=None, description="telegram")
    secret_token: str | None = Field(default=None, min_length=1, max_length=256,
                                     description="telegram; write-only")  # fmt: skip
    group_id: str | None = Field(default=None, max_length=100, description="vk")
    confirmation: str | None = Field(default=None, max_length=100, description="vk")
    secret: str | None = Field(default=None, min_length=1, max_length=1000,
                               description="vk; write-only")  # fmt: skip


class SocialChannelCreate(SocialChannelFields):
    kind: Literal["facebook", "telegram", "vk"]
    name: str = Field(min_length=1, max_length=300)


class SocialChannelUpdate(SocialChannelFields):
    pass


class SocialChannelOut(ResponseModel):
    id: str
    kind: str
    name: str
    is_active: bool
    owner_id: str | None = None
    team_id: str | None = None
    secrets_set: list[str]
    hook_path: str
    health: dict[str, Any]
    version: int
    created_at: str | None = None
    updated_at: str | None = None


class SocialChannelList(ResponseModel):
    items: list[SocialChannelOut]
    next_cursor: str | None = None


class SocialChannelLogEntry(ResponseModel):
    id: str
    outcome: str
    detail: str | None = None
    external_id: str | None = None
    lead_id: str | None = None
    client_ip: str | None = None
    received_at: str


class SocialChannelLog(ResponseModel):
    items: list[SocialChannelLogEntry]
    next_cursor: str | None = None


@router.get(
    "/social-channels", tags=["social"], response_model=SocialChannelList,
    name="list_social_channels",
)  # fmt: skip
async def list_social_channels(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Every social channel with its health (administrators only)."""
    return await rpc.call("social", "list_social_channels", actor=actor)


@router.post(
    "/social-channels",
    tags=["social"],
    status_code=201,
    response_model=SocialChannelOut,
    dependencies=[Depends(require_json)],
    name="create_social_channel",
)
async def create_social_channel(
    body: SocialChannelCreate,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """A Facebook Lead Ads, Telegram or VK channel; its secrets are stored encrypted
    and never shown again (`secrets_set` names them). Its platform calls `hook_path`."""
    record = await rpc.call("social", "create_social_channel", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/social-channels/{record['id']}"
    response.headers["ETag"] = etag(record)
    return record


@router.get(
    "/social-channels/{channel_id}", tags=["social"], response_model=SocialChannelOut,
    name="get_social_channel",
)  # fmt: skip
async def get_social_channel(
    channel_id: ChannelId,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """One social channel."""
    record = await rpc.call("social", "get_social_channel", channel_id, actor=actor)
    response.headers["ETag"] = etag(record)
    return record


@router.patch(
    "/social-channels/{channel_id}",
    tags=["social"],
    response_model=SocialChannelOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
    name="update_social_channel",
)
async def update_social_channel(
    channel_id: ChannelId,
    body: SocialChannelUpdate,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Change a channel (a secret sent replaces the stored one; one not sent is kept)."""
    record = await rpc.call(
        "social", "update_social_channel", channel_id, body.changes(), actor=actor,
        expected_version=expected_version(request),
    )  # fmt: skip
    response.headers["ETag"] = etag(record)
    return record


@router.delete(
    "/social-channels/{channel_id}",
    tags=["social"],
    status_code=204,
    response_class=Response,
    openapi_extra=IF_MATCH_DOC,
    name="delete_social_channel",
)
async def delete_social_channel(
    channel_id: ChannelId,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Delete a channel and its log; the leads it made stay."""
    await rpc.call(
        "social", "delete_social_channel", channel_id, actor=actor,
        expected_version=expected_version(request),
    )  # fmt: skip
    return Response(status_code=204)


@router.get(
    "/social-channels/{channel_id}/log", tags=["social"], response_model=SocialChannelLog,
    name="list_social_channel_log",
)  # fmt: skip
async def list_social_channel_log(
    channel_id: ChannelId,
    limit: Limit = 50,
    cursor: Cursor = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The channel's requests, newest first: accepted, redelivered, and refused ones
    (unsigned, forged, replayed) with the reason."""
    return await rpc.call(
        "social", "list_social_channel_log", channel_id, actor=actor, limit=limit, before=cursor
    )


# --- outbound webhooks --------------------------------------------------------------------

EventName = Literal[
    "lead_created", "lead_qualified", "lead_disqualified", "lead_converted",
    "account_created", "contact_created", "opportunity_created", "opportunity_won",
    "opportunity_lost", "activity_created", "order_placed",
]  # fmt: skip


class WebhookFields(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=8, max_length=2000,
                            description="http(s) address the events are POSTed to")  # fmt: skip
    events: list[EventName] | None = Field(default=None, min_length=1, max_length=20)
    is_active: bool | None = None
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="Made for you when left out"
    )


class WebhookCreate(WebhookFields):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=8, max_length=2000)
    events: list[EventName] = Field(min_length=1, max_length=20)


class WebhookUpdate(WebhookFields):
    pass


class WebhookOut(ResponseModel):
    id: str
    name: str
    url: str
    events: list[str]
    is_active: bool
    deliveries: dict[str, int]
    secret: str | None = Field(default=None, description="Only in the answer that made it")
    version: int
    created_at: str | None = None
    updated_at: str | None = None


class WebhookList(ResponseModel):
    items: list[WebhookOut]
    next_cursor: str | None = None
    events: list[str]


class WebhookAttempt(ResponseModel):
    attempt: int
    at: str
    by_hand: bool
    status_code: int | None = None
    response: str | None = None
    error: str | None = None
    duration_ms: int | None = None


class WebhookDelivery(ResponseModel):
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: str
    last_attempt_at: str | None = None
    delivered_at: str | None = None
    body: str
    log: list[WebhookAttempt]


class WebhookDeliveryPage(ResponseModel):
    items: list[WebhookDelivery]
    next_cursor: str | None = None


@router.get("/webhooks", tags=["webhooks"], response_model=WebhookList, name="list_webhooks")
async def list_webhooks(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Every outbound webhook with its deliveries counted, and the events one may choose."""
    return await rpc.call("social", "list_webhooks", actor=actor)


@router.post(
    "/webhooks",
    tags=["webhooks"],
    status_code=201,
    response_model=WebhookOut,
    dependencies=[Depends(require_json)],
    name="create_webhook",
)
async def create_webhook(
    body: WebhookCreate,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Subscribe a URL to events. The answer shows the signing `secret` this once."""
    record = await rpc.call("social", "create_webhook", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/webhooks/{record['id']}"
    response.headers["ETag"] = etag(record)
    return record


@router.get(
    "/webhooks/{webhook_id}", tags=["webhooks"], response_model=WebhookOut, name="get_webhook"
)
async def get_webhook(
    webhook_id: WebhookId,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """One webhook."""
    record = await rpc.call("social", "get_webhook", webhook_id, actor=actor)
    response.headers["ETag"] = etag(record)
    return record


@router.patch(
    "/webhooks/{webhook_id}",
    tags=["webhooks"],
    response_model=WebhookOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
    name="update_webhook",
)
async def update_webhook(
    webhook_id: WebhookId,
    body: WebhookUpdate,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Change a webhook's name, URL, events, state or secret."""
    record = await rpc.call(
        "social", "update_webhook", webhook_id, body.changes(), actor=actor,
        expected_version=expected_version(request),
    )  # fmt: skip
    response.headers["ETag"] = etag(record)
    return record


@router.delete(
    "/webhooks/{webhook_id}",
    tags=["webhooks"],
    status_code=204,
    response_class=Response,
    openapi_extra=IF_MATCH_DOC,
    name="delete_webhook",
)
async def delete_webhook(
    webhook_id: WebhookId,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Delete a webhook with its delivery log."""
    await rpc.call(
        "social", "delete_webhook", webhook_id, actor=actor,
        expected_version=expected_version(request),
    )  # fmt: skip
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    tags=["webhooks"],
    response_model=WebhookDeliveryPage,
    name="list_webhook_deliveries",
)
async def list_webhook_deliveries(
    webhook_id: WebhookId,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The delivery log, newest first: each delivery's body and every try with the
    answer received."""
    return await rpc.call(
        "social", "list_webhook_deliveries", webhook_id, actor=actor, limit=limit,
        status=status, before=cursor,
    )  # fmt: skip


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/resend",
    tags=["webhooks"],
    response_model=WebhookDelivery,
    name="resend_webhook_delivery",
)
async def resend_webhook_delivery(
    webhook_id: WebhookId,
    delivery_id: DeliveryId,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Send a delivery again now, signed afresh; the answer carries this try's result."""
    return await rpc.call("social", "resend_webhook_delivery", webhook_id, delivery_id, actor=actor)


# --- the inbound bus's refused messages ---------------------------------------------------


class DeadLetter(ResponseModel):
    id: str
    message_id: str | None = Field(default=None, description="The id the message named, if any")
    routing_key: str
    content_type: str | None = None
    reason: str = Field(description="Why the bus refused it (docs/inbound.md)")
    received_at: str
    size: int = Field(description="The body's size in bytes")
    body: str = Field(description="The body as text (its first 64 KiB)")


class DeadLetterPage(ResponseModel):
    items: list[DeadLetter]
    next_cursor: str | None = None


class DeadLetterResent(ResponseModel):
    id: str
    resent_at: str


@router.get(
    "/inbound/dead-letters",
    tags=["inbound bus"],
    response_model=DeadLetterPage,
    name="list_dead_letters",
)
async def list_dead_letters(
    limit: Annotated[int, Query(ge=1, le=200, description="Rows per page")] = 50,
    cursor: Cursor = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The messages the inbound bus refused, newest first, each with its reason, routing
    key and body as it came."""
    return await rpc.call("social", "list_dead_letters", actor=actor, limit=limit, before=cursor)


@router.get(
    "/inbound/dead-letters/{letter_id}",
    tags=["inbound bus"],
    response_model=DeadLetter,
    name="get_dead_letter",
)
async def get_dead_letter(
    letter_id: LetterId, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """One refused message."""
    return await rpc.call("social", "get_dead_letter", letter_id, actor=actor)


@router.post(
    "/inbound/dead-letters/{letter_id}/resend",
    tags=["inbound bus"],
    response_model=DeadLetterResent,
    name="resend_dead_letter",
)
async def resend_dead_letter(
    letter_id: LetterId, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Publish the message again to the inbound exchange, as it came, and take it off the
    list: the bus applies it, or refuses it again as a new entry."""
    return await rpc.call("social", "resend_dead_letter", letter_id, actor=actor)


@router.delete(
    "/inbound/dead-letters/{letter_id}",
    tags=["inbound bus"],
    status_code=204,
    response_class=Response,
    name="discard_dead_letter",
)
async def discard_dead_letter(
    letter_id: LetterId, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> Response:
    """Forget a refused message."""
    await rpc.call("social", "discard_dead_letter", letter_id, actor=actor)
    return Response(status_code=204)
