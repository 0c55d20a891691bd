"""Accounts, contacts, deals and activities created — and deals won, activities
completed — with an idempotency key act once, however often the request is sent
(services/platform/requests_once.py)."""

from __future__ import annotations

from typing import Any

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.platform.errors import Conflict, DuplicatesFound
from services.platform.ids import new_id
from services.sales.service import SalesService
from tests.platform.keyed_requests import count, send_together

REP = {"id": new_id(), "email": "ann@osprey.test", "roles": ["sales_rep"], "team_id": new_id()}


@pytest.fixture
def sales(container_factory: Any, service_config: dict) -> Any:
    container = container_factory(SalesService, {**service_config, "max_workers": 20})
    container.start()
    return container


def key() -> str:
    return f"{new_id()}:{new_id()}:action"


def test_one_key_sent_twice_creates_one_of_each_and_answers_alike(sales, service_config, db_engine):
    with ServiceRpcProxy("sales", service_config) as rpc:
        k = key()
        account = rpc.create_account({"name": "Acme Ltd"}, actor=REP, idempotency_key=k)
        # the account it made is no duplicate of itself: the same answer, not a refusal
        assert rpc.create_account({"name": "Acme Ltd"}, actor=REP, idempotency_key=k) == account
        k = key()
        contact = rpc.create_contact({"full_name": "Vera Lind"}, actor=REP, idempotency_key=k)
        assert (
            rpc.create_contact({"full_name": "Vera Lind"}, actor=REP, idempotency_key=k) == contact
        )
        k = key()
        deal = rpc.create_opportunity({"title": "Fleet"}, actor=REP, idempotency_key=k)
        assert rpc.create_opportunity({"title": "Fleet"}, actor=REP, idempotency_key=k) == deal
        k = key()
        call_back = {"type": "call", "title": "Call Vera"}
        activity = rpc.create_activity(call_back, actor=REP, idempotency_key=k)
        assert rpc.create_activity(call_back, actor=REP, idempotency_key=k) == activity
        # without a key the look-alike is refused, as always
        with pytest.raises(DuplicatesFound):
            rpc.create_account({"name": "Acme Ltd"}, actor=REP)
    for table in ("accounts", "contacts", "opportunities", "activities"):
        assert count(db_engine, f"SELECT count(*) FROM sales.{table}") == 1, table
    created = "SELECT count(*) FROM sales.outbox WHERE type = :t"
    assert count(db_engine, created, t="activity_created") == 1


def test_a_refused_duplicate_keeps_no_key(sales, service_config, db_engine):
    with ServiceRpcProxy("sales", service_config) as rpc:
        rpc.create_account({"name": "Acme Ltd"}, actor=REP)
        k = key()
        with pytest.raises(DuplicatesFound):
            rpc.create_account({"name": "Acme Ltd"}, actor=REP, idempotency_key=k)
        # the refusal kept nothing: insisting under the same key creates the account
        made = rpc.create_account(
            {"name": "Acme Ltd"}, actor=REP, allow_duplicates=True, idempotency_key=k
        )
    assert made["name"] == "Acme Ltd"
    assert count(db_engine, "SELECT count(*) FROM sales.accounts") == 2
    assert count(db_engine, "SELECT count(*) FROM sales.applied_requests") == 1


def test_two_keys_create_two_activities_and_no_key_acts_every_time(
    sales, service_config, db_engine
):
    call_back = {"type": "call", "title": "Call Vera"}
    with ServiceRpcProxy("sales", service_config) as rpc:
        one = rpc.create_activity(call_back, actor=REP, idempotency_key="k-1")
        two = rpc.create_activity(call_back, actor=REP, idempotency_key="k-2")
        rpc.create_activity(call_back, actor=REP)
        rpc.create_activity(call_back, actor=REP)
    assert one["id"] != two["id"]
    assert count(db_engine, "SELECT count(*) FROM sales.activities") == 4


def test_a_concurrent_pair_with_one_key_creates_one_activity(sales, service_config, db_engine):
    k = key()

    def send() -> dict:
        with ServiceRpcProxy("sales", service_config) as rpc:
            data = {"type": "call", "title": "Call Vera"}
            return rpc.create_activity(data, actor=REP, idempotency_key=k)

    first, second = send_together(db_engine, "sales.activities", send)
    assert first == second
    assert count(db_engine, "SELECT count(*) FROM sales.activities") == 1


def test_a_win_or_a_completion_sent_again_answers_as_the_first(sales, service_config):
    with ServiceRpcProxy("sales", service_config) as rpc:
        deal = rpc.create_opportunity({"title": "Fleet"}, actor=REP)
        k = key()
        won = rpc.win_opportunity(deal["id"], actor=REP, idempotency_key=k)
        assert rpc.win_opportunity(deal["id"], actor=REP, idempotency_key=k) == won
        with pytest.raises(Conflict):  # another request: the deal is closed
            rpc.win_opportunity(deal["id"], actor=REP)
        activity = rpc.create_activity({"type": "call", "title": "Call"}, actor=REP)
        k = key()
        done = rpc.complete_activity(activity["id"], {"result": "ok"}, actor=REP, idempotency_key=k)
        again = rpc.complete_activity(
            activity["id"], {"result": "ok"}, actor=REP, idempotency_key=k
        )
        assert again == done and done["status"] == "completed"
        with pytest.raises(Conflict):
            rpc.complete_activity(activity["id"], None, actor=REP)
