"""Record sharing of leads: the reads and writes (the part is ``shares.py``).

Every function takes the session ``db`` first and none commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.values import is_uuid

from .models import LeadShare

_TABLE = LeadShare.__table__


def dump_share(share: Any) -> dict[str, Any]:
    return {
        "id": str(share.id),
        "lead_id": str(share.record_id),
        "user_id": share.user_id and str(share.user_id),
        "team_id": share.team_id and str(share.team_id),
        "access": share.access,
        "created_by": share.created_by and str(share.created_by),
        "created_at": isoformat(share.created_at),
    }


def list_shares(db: Any, lead_id: str) -> list[dict[str, Any]]:
    """The lead's shares, oldest first."""
    rows = db.execute(
        sa.select(_TABLE)
        .where(_TABLE.c.record_id == lead_id)
        .order_by(_TABLE.c.created_at, _TABLE.c.id)
    ).all()
    return [dump_share(row) for row in rows]


def put_share(db: Any, lead_id: str, share: dict[str, Any], created_by: str) -> dict[str, Any]:
    """Share the lead (``share``: :func:`shares.clean_share`'s), or change the access of
    the share it has with that user or team already; the share."""
    target = "user_id" if share["user_id"] else "team_id"
    stmt = pg_insert(_TABLE).values(
        id=new_id(),
        record_id=lead_id,
        **share,
        created_by=created_by if is_uuid(created_by) else None,
        created_at=utcnow(),
    )
    row = db.execute(
        stmt.on_conflict_do_update(
            index_elements=[_TABLE.c.record_id, _TABLE.c[target]],
            index_where=_TABLE.c[target].isnot(None),
            set_={"access": stmt.excluded.access},
        ).returning(*_TABLE.c)
    ).one()
    return dump_share(row)


def delete_share(db: Any, lead_id: str, share_id: Any) -> dict[str, Any] | None:
    """Take the share back; the share as it was, or None when the lead has no such one."""
    if not is_uuid(share_id):
        return None
    row = db.execute(
        sa.delete(_TABLE)
        .where(_TABLE.c.id == share_id, _TABLE.c.record_id == lead_id)
        .returning(*_TABLE.c)
    ).first()
    return None if row is None else dump_share(row)
