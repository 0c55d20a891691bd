"""What the tests of keyed requests (services/platform/requests_once.py) share: send
calls at the same moment, each service's tests naming what the call must write."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import eventlet
import sqlalchemy as sa


def waiting_on_locks(engine: sa.Engine) -> int:
    """How many sessions of the test database wait for a lock now."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def send_together(
    engine: sa.Engine, table: str, send: Callable[[], Any], times: int = 2
) -> list[Any]:
    """Run ``send`` ``times`` at once: ``table`` is locked against writes until every
    call waits in the database (the first for the table, the others for its key), so
    they are all in flight together; then they go. Returns each call's answer."""
    with engine.connect() as holder:
        holder.execute(sa.text(f"LOCK TABLE {table} IN SHARE MODE"))
        pool = eventlet.GreenPool()
        calls = [pool.spawn(send) for _ in range(times)]
        deadline = time.monotonic() + 20
        while waiting_on_locks(engine) < times:
            assert time.monotonic() < deadline, "the calls never all waited in the database"
            eventlet.sleep(0.01)
        holder.rollback()
    return [c.wait() for c in calls]


def count(engine: sa.Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()
