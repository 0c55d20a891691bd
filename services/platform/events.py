"""The one envelope every Osprey event travels in: ``{id, type, occurred_at, actor, source, data}``.

``data`` carries the full record after the change (event-carried state), so a
consumer never has to call the source back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .ids import new_id


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def envelope(
    event_type: str, data: dict[str, Any], *, actor: dict | None = None, source: str
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "type": event_type,
        "occurred_at": isoformat(utcnow()),
        "actor": _actor_summary(actor),
        "source": source,
        "data": data,
    }


def _actor_summary(actor: dict | None) -> dict | None:
    if not actor:
        return None
    summary = {"id": actor.get("id"), "email": actor.get("email")}
    # Where the change came from ("web", "api", "import"), when the caller said: the
    # audit trail's source (docs/events.md).
    via = actor.get("via")
    if via:
        summary["via"] = via
    return summary
