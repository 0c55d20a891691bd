"""The social platforms' webhooks, **no login** (``security: []``): each request is
proved by its channel's own signature or secret in the social service.

- ``GET /api/v1/hooks/facebook/{channel_id}``: Facebook's subscription check
  (``hub.mode``, ``hub.verify_token``, ``hub.challenge`` → the challenge as text).
- ``POST /api/v1/hooks/facebook/{channel_id}``: a Page webhook (``leadgen``), signed
  with ``X-Hub-Signature-256``.
- ``POST /api/v1/hooks/telegram/{channel_id}``: a bot's update, with
  ``X-Telegram-Bot-Api-Secret-Token``; answered with the dialogue's next message as a
  Bot API call in the webhook's answer.
- ``POST /api/v1/hooks/vk/{channel_id}``: a Callback API event; answered ``ok`` (or the
  confirmation string) as plain text, as VK wants it.

The gateway hands the service the exact body (the signature covers its bytes) after
checking only that it is JSON; unsigned requests are 401, forged or replayed ones 403,
an unknown or paused channel 404 — every problem as ``application/problem+json``.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations at run time.

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from services.platform import errors

from ..auth import rpc_client
from ..problems import also
from ..rpc import RpcClient

router = APIRouter(prefix="/api/v1", tags=["social"])

ChannelId = Annotated[str, Path(description="The social channel's id")]


def _body_doc(description: str) -> dict[str, Any]:
    return {
        "security": [],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": description,
        },
    }


async def exact_body(request: Request) -> str:
    """The body as sent (base64 for the RPC), once it is known to be a JSON object."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise HTTPException(415, "Platforms send application/json")
    raw = await request.body()
    try:
        json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.OspreyError("The request body is not valid JSON") from None
    return base64.b64encode(raw).decode()


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get(
    "/hooks/facebook/{channel_id}",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "hub.challenge, echoed",
        },  # fmt: skip
        **also(401, 403),
    },
    openapi_extra={"security": []},
    name="verify_facebook_hook",
)
async def verify_facebook_hook(
    channel_id: ChannelId,
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=50)] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token", max_length=1000)] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=1000)] = None,
    rpc: RpcClient = Depends(rpc_client),
) -> PlainTextResponse:
    """Facebook's webhook subscription check: the challenge when `hub.verify_token` is
    the channel's (401 without one, 403 with another)."""
    answer = await rpc.call(
        "social", "verify_facebook_hook", channel_id, mode, verify_token, challenge,
        client_ip=client_ip(request),
    )  # fmt: skip
    return PlainTextResponse(answer["challenge"])


@router.post(
    "/hooks/facebook/{channel_id}",
    responses=also(401, 403),
    openapi_extra=_body_doc("A Page webhook: {object: page, entry: [{changes: [leadgen]}]}"),
    name="receive_facebook_hook",
)
async def receive_facebook_hook(
    channel_id: ChannelId, request: Request, rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """New Lead Ads leads: each read from the Graph API and made a lead once.
    `{leads, redelivered}`; 401 without `X-Hub-Signature-256`, 403 when it does not
    match the body or the event is older than 48 hours."""
    body = await exact_body(request)
    return await rpc.call(
        "social", "receive_facebook_hook", channel_id, body,
        request.headers.get("x-hub-signature-256"), client_ip=client_ip(request),
    )  # fmt: skip


@router.post(
    "/hooks/telegram/{channel_id}",
    responses=also(401, 403),
    openapi_extra=_body_doc("A Bot API Update"),
    name="receive_telegram_hook",
)
async def receive_telegram_hook(
    channel_id: ChannelId, request: Request, rpc: RpcClient = Depends(rpc_client)
) -> JSONResponse:
    """A bot's update: the dialogue's next message as the answer (`{method:
    sendMessage, chat_id, text, …}`), or `{}`. 401 without
    `X-Telegram-Bot-Api-Secret-Token`, 403 with another one or an old update."""
    body = await exact_body(request)
    answer = await rpc.call(
        "social", "receive_telegram_hook", channel_id, body,
        request.headers.get("x-telegram-bot-api-secret-token"), client_ip=client_ip(request),
    )  # fmt: skip
    return JSONResponse(answer.get("reply") or {})


@router.post(
    "/hooks/vk/{channel_id}",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "ok, or the group's confirmation string",
        },  # fmt: skip
        **also(401, 403),
    },
    openapi_extra=_body_doc("A Callback API event: {type, object, group_id, secret}"),
    name="receive_vk_hook",
)
async def receive_vk_hook(
    channel_id: ChannelId, request: Request, rpc: RpcClient = Depends(rpc_client)
) -> Response:
    """A VK Callback API event: `confirmation` answered with the group's string,
    `lead_forms_new` made a lead once; 401 without `secret`, 403 with another."""
    body = await exact_body(request)
    answer = await rpc.call(
        "social", "receive_vk_hook", channel_id, body, client_ip=client_ip(request)
    )
    return PlainTextResponse(answer["text"])
