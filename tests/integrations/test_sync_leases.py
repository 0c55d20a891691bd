"""Leases on the real PostgreSQL: two instances claiming at once never take the same
connection, an expired lease is taken over, and a holder that lost its lease cannot
overwrite the new holder's state."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from services.integrations.mail.models import connections
from services.integrations.sync import leases
from services.platform.events import utcnow
from services.platform.ids import new_id


def add_connections(engine: sa.Engine, count: int) -> list[str]:
    now = utcnow()
    ids = [new_id() for _ in range(count)]
    with engine.begin() as conn:
        conn.execute(
            connections.insert(),
            [
                {
                    "id": i,
                    "kind": "imap",
                    "name": f"c{n}",
                    "next_sync_at": now - timedelta(seconds=n),
                    "created_at": now,
                    "updated_at": now,
                }
                for n, i in enumerate(ids)
            ],
        )
    return ids


def test_two_instances_claiming_at_once_take_different_connections(db_engine):
    add_connections(db_engine, 10)
    with db_engine.connect() as first, db_engine.connect() as second:
        a = leases.claim_due(first, connections, "instance-a", lease_seconds=60, limit=6)
        # the first has not committed: its rows are locked, the second skips them
        b = leases.claim_due(second, connections, "instance-b", lease_seconds=60, limit=6)
        first.commit()
        second.commit()
    assert len(a) == 6 and len(b) == 4 and not set(a) & set(b)
    with db_engine.connect() as conn:
        assert leases.claim_due(conn, connections, "instance-c", lease_seconds=60, limit=10) == []


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_write(db_engine):
    (only,) = add_connections(db_engine, 1)
    with db_engine.begin() as conn:
        assert leases.claim_due(conn, connections, "stalled", lease_seconds=60, limit=5) == [only]
    later = utcnow() + timedelta(seconds=61)
    with db_engine.begin() as conn:
        assert leases.claim_due(
            conn, connections, "healthy", lease_seconds=60, limit=5, now=later
        ) == [only]
    with db_engine.begin() as conn:
        assert leases.renew(conn, connections, only, "stalled", 60) is False
        assert (
            leases.release_success(conn, connections, only, "stalled", next_in_seconds=1) is False
        )
        assert leases.release_failure(conn, connections, only, "stalled", error="x") is None
        assert leases.claim_one(conn, connections, only, "someone", lease_seconds=60) is False
    with db_engine.begin() as conn:
        assert leases.release_success(
            conn, connections, only, "healthy", next_in_seconds=30, counts={"messages": 5}
        )
    with db_engine.begin() as conn:
        leases.claim_one(conn, connections, only, "healthy", lease_seconds=60)
        leases.release_success(
            conn, connections, only, "healthy", next_in_seconds=30, counts={"messages": 2}
        )
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(connections).where(connections.c.id == only)).one()
    assert row.lease_owner is None and row.counts == {"messages": 7} and row.failures == 0


def test_failures_back_off_and_a_permanent_one_waits_for_a_person(db_engine):
    (only,) = add_connections(db_engine, 1)
    for expected in (1, 2):
        with db_engine.begin() as conn:
            leases.claim_one(conn, connections, only, "me", lease_seconds=60)
            outcome = leases.release_failure(
                conn, connections, only, "me", error="The server could not be reached"
            )
        assert outcome["failures"] == expected and outcome["state"] == "active"
        assert outcome["next_sync_at"] > utcnow() + timedelta(seconds=20 * expected)
    with db_engine.begin() as conn:
        leases.claim_one(conn, connections, only, "me", lease_seconds=60)
        outcome = leases.release_failure(
            conn, connections, only, "me", error="wrong password", permanent=True
        )
    assert outcome["state"] == "needs_attention"
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(connections).where(connections.c.id == only)).one()
        assert row.last_error == "wrong password" and row.failures == 3
        far = utcnow() + timedelta(days=1)
        assert (
            leases.claim_due(conn, connections, "other", lease_seconds=60, limit=5, now=far) == []
        )
