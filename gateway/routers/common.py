"""Pieces every router uses: the JSON content-type check, If-Match, pages."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.exceptions import HTTPException

from services.platform.errors import ValidationFailed


async def require_json(request: Request) -> None:
    """415 unless a request that carries a body says it is JSON.

    FastAPI would otherwise validate the raw bytes against the model and answer a
    confusing 422.
    """
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if not has_body:
        return
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise HTTPException(415, "Send the body as application/json")


def expected_version(request: Request) -> int | None:
    """The version named by ``If-Match`` (``3``, ``"3"`` or ``W/"3"``); None if absent or ``*``."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise ValidationFailed(
            "If-Match must be a record version",
            [{"field": "If-Match", "message": 'Must be the record\'s version, e.g. "3"'}],
        )
    return int(value)


def etag(record: dict[str, Any]) -> str:
    return f'"{record["version"]}"'


def as_page(result: Any) -> dict[str, Any]:
    """A list RPC's answer as a collection page (some return a bare list)."""
    if isinstance(result, list):
        return {"items": result, "next_cursor": None}
    return result
