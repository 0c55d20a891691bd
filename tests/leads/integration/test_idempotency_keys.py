"""A lead created with an idempotency key is created once, however often the request
is sent: over real RabbitMQ and PostgreSQL (services/platform/requests_once.py)."""

from __future__ import annotations

from typing import Any

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.leads.service import LeadsService
from services.platform.errors import Conflict, ValidationFailed
from services.platform.ids import new_id
from tests.platform.keyed_requests import count, send_together

REP = {"id": new_id(), "email": "ann@osprey.test", "roles": ["sales_rep"], "team_id": new_id()}
OTHER = {"id": new_id(), "email": "bob@osprey.test", "roles": ["sales_rep"], "team_id": None}


@pytest.fixture
def leads(container_factory: Any, service_config: dict) -> Any:
    container = container_factory(LeadsService, {**service_config, "max_workers": 20})
    container.start()
    return container


def lead_count(engine: Any) -> int:
    return count(engine, "SELECT count(*) FROM leads.leads")


def test_one_key_sent_twice_creates_one_lead_and_answers_alike(leads, service_config, db_engine):
    key = f"{new_id()}:{new_id()}:action"
    with ServiceRpcProxy("leads", service_config) as rpc:
        first = rpc.create_lead({"contact_name": "Ann Lee"}, actor=REP, idempotency_key=key)
        again = rpc.create_lead({"contact_name": "Ann Lee"}, actor=REP, idempotency_key=key)
    assert again == first and first["contact_name"] == "Ann Lee"
    assert lead_count(db_engine) == 1
    assert count(db_engine, "SELECT count(*) FROM leads.outbox WHERE type = 'lead_created'") == 1


def test_two_keys_create_two_leads_and_no_key_acts_every_time(leads, service_config, db_engine):
    with ServiceRpcProxy("leads", service_config) as rpc:
        one = rpc.create_lead({"contact_name": "Ann Lee"}, actor=REP, idempotency_key="k-1")
        two = rpc.create_lead({"contact_name": "Ann Lee"}, actor=REP, idempotency_key="k-2")
        rpc.create_lead({"contact_name": "Ann Lee"}, actor=REP)
        rpc.create_lead({"contact_name": "Ann Lee"}, actor=REP)
    assert one["id"] != two["id"]
    assert lead_count(db_engine) == 4


def test_a_concurrent_pair_with_one_key_creates_one_lead(leads, service_config, db_engine):
    key = f"{new_id()}:{new_id()}:action"

    def send() -> dict:
        with ServiceRpcProxy("leads", service_config) as rpc:
            return rpc.create_lead({"contact_name": "Ann Lee"}, actor=REP, idempotency_key=key)

    first, second = send_together(db_engine, "leads.leads", send)
    assert first == second
    assert lead_count(db_engine) == 1


def test_a_refused_request_keeps_no_key_and_a_key_is_one_callers_one_request(
    leads, service_config, db_engine
):
    with ServiceRpcProxy("leads", service_config) as rpc:
        with pytest.raises(ValidationFailed):
            rpc.create_lead({"source": "web"}, actor=REP, idempotency_key="k-1")
        # the refusal kept nothing: the corrected request under the same key acts
        made = rpc.create_lead({"contact_name": "Ann Lee"}, actor=REP, idempotency_key="k-1")
        assert lead_count(db_engine) == 1
        with pytest.raises(Conflict) as other_caller:
            rpc.create_lead({"contact_name": "Ann Lee"}, actor=OTHER, idempotency_key="k-1")
        with pytest.raises(Conflict) as other_method:
            rpc.disqualify_lead(made["id"], "spam", actor=REP, idempotency_key="k-1")
        with pytest.raises(ValidationFailed) as too_long:
            rpc.create_lead({"contact_name": "Ann Lee"}, actor=REP, idempotency_key="k" * 201)
    assert other_caller.value.errors[0]["field"] == "idempotency_key"
    assert "create_lead" in other_method.value.errors[0]["message"]
    assert too_long.value.errors[0]["field"] == "idempotency_key"
    assert lead_count(db_engine) == 1


def test_an_assignment_by_the_rules_sent_again_takes_one_turn(leads, service_config, db_engine):
    manager = {**REP, "id": new_id(), "roles": ["sales_manager"]}
    first_rep, second_rep = new_id(), new_id()
    with ServiceRpcProxy("leads", service_config) as rpc:
        rpc.create_distribution_rule(
            {"name": "In turn", "strategy": "round_robin", "owner_ids": [first_rep, second_rep]},
            actor=manager,
        )
        lead = rpc.create_lead({"contact_name": "Ann Lee", "owner_id": None}, actor=manager)
        key = f"{new_id()}:{new_id()}:action"
        first = rpc.assign_lead(lead["id"], {}, actor=manager, idempotency_key=key)
        again = rpc.assign_lead(lead["id"], {}, actor=manager, idempotency_key=key)
        assignments = rpc.list_lead_assignments(lead["id"], actor=manager)
        turn = "SELECT last_index FROM leads.distribution_rules"
        assert count(db_engine, turn) == 0
        # another request (no key) is the rules' next turn
        other = rpc.assign_lead(lead["id"], {}, actor=manager)
    assert first["owner_id"] == again["owner_id"] == first_rep
    assert len(assignments) == 1
    assert other["owner_id"] == second_rep
