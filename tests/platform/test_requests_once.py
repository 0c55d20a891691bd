"""The keyed-request helper on real PostgreSQL: a key claimed is answered once; a
duplicate waits for the first and answers as it did, or acts itself when the first
failed (services/platform/requests_once.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import eventlet
import pytest
import sqlalchemy as sa

from services.feed.models import metadata
from services.platform.db import ServiceSession, make_sessionmaker
from services.platform.errors import Conflict, ValidationFailed
from services.platform.ids import new_id
from services.platform.requests_once import Replay, claim_request, keep_answer

from .keyed_requests import waiting_on_locks

ANN = {"id": new_id()}
BOB = {"id": new_id()}


@pytest.fixture
def sessions(db_engine: sa.Engine) -> Iterator[Any]:
    make = make_sessionmaker(db_engine, metadata, "feed")
    opened: list[ServiceSession] = []

    def session() -> ServiceSession:
        opened.append(make())
        return opened[-1]

    yield session
    for s in opened:
        s.rollback()
        s.close()


def test_a_key_is_claimed_once_and_answered_with_what_was_kept(sessions):
    first = sessions()
    assert claim_request(first, "k-1", "create_post", ANN) is None
    keep_answer(first, "k-1", {"id": "P1", "text": "hello"})
    first.commit()
    again = sessions()
    assert claim_request(again, "k-1", "create_post", ANN) == Replay({"id": "P1", "text": "hello"})
    # no key: nothing is claimed, nothing kept
    assert claim_request(again, None, "create_post", ANN) is None
    keep_answer(again, None, {"id": "P2"})
    again.commit()
    rows = again.execute(sa.text("SELECT key, method, answer FROM feed.applied_requests")).all()
    assert [(r.key, r.method, r.answer["id"]) for r in rows] == [("k-1", "create_post", "P1")]


def test_a_failed_request_keeps_nothing(sessions):
    failed = sessions()
    assert claim_request(failed, "k-1", "create_post", ANN) is None
    failed.rollback()
    assert claim_request(sessions(), "k-1", "create_post", ANN) is None


def test_a_duplicate_waits_for_the_first_and_answers_as_it_did(sessions, db_engine):
    first, second = sessions(), sessions()
    assert claim_request(first, "k-1", "create_post", ANN) is None
    waiting = eventlet.spawn(claim_request, second, "k-1", "create_post", ANN)
    wait_for_waiters(db_engine, 1)
    keep_answer(first, "k-1", {"id": "P1"})
    first.commit()
    assert waiting.wait() == Replay({"id": "P1"})


def test_a_duplicate_of_a_request_that_failed_acts_itself(sessions, db_engine):
    first, second = sessions(), sessions()
    assert claim_request(first, "k-1", "create_post", ANN) is None
    waiting = eventlet.spawn(claim_request, second, "k-1", "create_post", ANN)
    wait_for_waiters(db_engine, 1)
    first.rollback()
    assert waiting.wait() is None  # the key is the duplicate's now
    keep_answer(second, "k-1", {"id": "P2"})
    second.commit()
    assert claim_request(sessions(), "k-1", "create_post", ANN) == Replay({"id": "P2"})


def test_a_key_belongs_to_one_request_of_one_caller(sessions):
    first = sessions()
    claim_request(first, "k-1", "create_post", ANN)
    keep_answer(first, "k-1", {"id": "P1"})
    first.commit()
    with pytest.raises(Conflict) as other_method:
        claim_request(sessions(), "k-1", "add_comment", ANN)
    with pytest.raises(Conflict) as other_caller:
        claim_request(sessions(), "k-1", "create_post", BOB)
    assert other_method.value.errors == [
        {"field": "idempotency_key", "message": "used for create_post"}
    ]
    assert other_caller.value.errors[0]["field"] == "idempotency_key"
    for bad in ("", "k" * 201, 17):
        with pytest.raises(ValidationFailed) as refused:
            claim_request(sessions(), bad, "create_post", ANN)
        assert refused.value.errors[0]["field"] == "idempotency_key"


def wait_for_waiters(engine: sa.Engine, n: int) -> None:
    deadline = time.monotonic() + 10
    while waiting_on_locks(engine) < n:
        assert time.monotonic() < deadline, "the duplicate never waited for the key"
        eventlet.sleep(0.01)
