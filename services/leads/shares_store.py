"""Record sharing of leads: the reads and writes (the part is ``shares.py``), the
platform's :mod:`~services.platform.record_shares` on ``leads.lead_shares``.

Every function takes the session ``db`` first and none commits.
"""

from __future__ import annotations

from typing import Any

from services.platform import record_shares

from .models import LeadShare

_TABLE = LeadShare.__table__
_KEY = "lead_id"


def list_shares(db: Any, lead_id: str) -> list[dict[str, Any]]:
    """The lead's shares, oldest first."""
    return record_shares.list_shares(db, _TABLE, lead_id, _KEY)


def put_share(db: Any, lead_id: str, share: dict[str, Any], created_by: str) -> dict[str, Any]:
    """Share the lead, or change the access of its share with that user or team."""
    return record_shares.put_share(db, _TABLE, lead_id, share, created_by, _KEY)


def delete_share(db: Any, lead_id: str, share_id: Any) -> dict[str, Any] | None:
    """Take the share back; the share as it was, or None when the lead has no such one."""
    return record_shares.delete_share(db, _TABLE, lead_id, share_id, _KEY)
