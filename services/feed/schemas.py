"""What crosses the wire: input checks and the feed's records as JSON-safe dicts."""

from __future__ import annotations

from typing import Any

from services.platform.errors import ValidationFailed
from services.platform.events import isoformat

from . import domain


def invalid(exc: domain.Invalid) -> ValidationFailed:
    text = str(exc)
    field, _, message = text.partition(": ")
    return ValidationFailed(text, [{"field": field, "message": message or text}])


def bad(field: str, message: str) -> ValidationFailed:
    """One field's problem, worded as the feed words them."""
    return invalid(domain.Invalid(f"{field}: {message}"))


def clean_post_text(data: Any) -> str:
    """The text of a post or comment from its body (an object with ``text``)."""
    if not isinstance(data, dict):
        raise bad("body", "must be an object")
    try:
        return domain.clean_text(data.get("text"))
    except domain.Invalid as exc:
        raise invalid(exc) from None


def page_limit(value: Any, default: int = 50, maximum: int = 200) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "limit must be a whole number", [{"field": "limit", "message": "must be a number"}]
        ) from None
    if limit < 1 or limit > maximum:
        raise ValidationFailed(
            f"limit must be 1..{maximum}", [{"field": "limit", "message": f"1..{maximum}"}]
        )
    return limit


def stream_wire(row: Any) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    return {
        "seq": get("seq"),
        "type": get("type"),
        "occurred_at": isoformat(get("occurred_at")),
        "audience": get("audience"),
        "data": get("data"),
    }


def dump_post(
    row: Any,
    *,
    liked_by_me: bool = False,
    attachments: list[dict[str, Any]] | None = None,
    plain: bool = False,
) -> dict[str, Any]:
    """A post; ``plain``: its text without the record's fields it names (a reader whose
    role hides one of them)."""
    return {
        "id": row.id,
        "channel_id": row.channel_id,
        "related": {"type": row.related_type, "id": row.related_id} if row.related_id else None,
        "text": row.plain_text if plain else row.text,
        "html": row.plain_html if plain else row.html,
        "author_id": row.author_id,
        "kind": row.kind,
        "event_type": row.event_type,
        "mentions": list(row.mentions or []),
        "attachments": attachments or [],
        "like_count": row.like_count,
        "liked_by_me": liked_by_me,
        "comment_count": row.comment_count,
        "is_pinned": row.is_pinned,
        "created_at": isoformat(row.created_at),
        "edited_at": isoformat(row.edited_at),
        "version": row.version,
    }


def dump_comment(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "post_id": row.post_id,
        "text": row.text,
        "html": row.html,
        "author_id": row.author_id,
        "mentions": list(row.mentions or []),
        "created_at": isoformat(row.created_at),
        "edited_at": isoformat(row.edited_at),
        "version": row.version,
    }


def dump_notification(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "text": row.text,
        "related": {"type": row.related_type, "id": row.related_id} if row.related_id else None,
        "post_id": row.post_id,
        "actor_id": row.actor_id,
        "read_at": isoformat(row.read_at),
        "created_at": isoformat(row.created_at),
    }


def dump_subscription(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "target": {"type": row.target_type, "id": row.target_id},
        "created_at": isoformat(row.created_at),
    }
