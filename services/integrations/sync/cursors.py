"""A connection's per-folder cursors: the vendor's own sync state (IMAP's UIDVALIDITY,
UIDNEXT and HIGHESTMODSEQ; an EWS sync state; a Google history id), kept as JSON."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.platform.events import utcnow


def read_cursors(db: Any, cursors: sa.Table, connection_id: str) -> dict[str, dict[str, Any]]:
    rows = db.execute(
        sa.select(cursors.c.key, cursors.c.state).where(cursors.c.connection_id == connection_id)
    ).all()
    return {row.key: dict(row.state) for row in rows}


def write_cursor(
    db: Any, cursors: sa.Table, connection_id: str, key: str, state: dict[str, Any]
) -> None:
    """Store the cursor of one folder, in the caller's transaction: commit it with what
    was synced up to it, so a crash never moves a cursor past mail not stored."""
    stmt = insert(cursors).values(
        connection_id=connection_id, key=key, state=state, updated_at=utcnow()
    )
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=[cursors.c.connection_id, cursors.c.key],
            set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
        )
    )


def drop_cursor(db: Any, cursors: sa.Table, connection_id: str, key: str) -> None:
    db.execute(
        cursors.delete().where(cursors.c.connection_id == connection_id, cursors.c.key == key)
    )
