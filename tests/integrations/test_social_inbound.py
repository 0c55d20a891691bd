"""The inbound bus end to end: the pika reference sender (deploy/inbound/sender.py, the
plain AMQP client a partner uses) publishes to ``osprey.inbound``; the social service
applies each message once through the leads and sales services, and puts a refused
one in the dead-letter queue with its reason."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import sqlalchemy as sa

from deploy.inbound.sender import InboundSender
from services.integrations.social.service import SocialService
from services.leads.service import LeadsService
from services.sales.service import SalesService


@pytest.fixture
def services(container_factory, service_config):
    config = {**service_config, "NAME_INDEX": False}
    started = {}
    for cls in (LeadsService, SalesService, SocialService):
        container = container_factory(cls, config)
        container.start()
        started[cls.name] = container
    return started


@pytest.fixture
def sender(services, rabbit_config) -> Any:
    # pika speaks amqp:// (Nameko's test URI says pyamqp://, kombu's name for it)
    uri = rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)
    with InboundSender(uri, source="website") as partner:
        yield partner


def rows(engine: sa.Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def dead_letters(sender: InboundSender, count: int) -> list[tuple[str, str, bytes]]:
    found: list[tuple[str, str, bytes]] = []

    def enough() -> bool:
        found.extend(sender.dead_letters(take=True))
        return len(found) >= count

    wait_for(enough)
    return found


def test_a_lead_and_an_activity_applied_once_each(sender, db_engine):
    lead_id = sender.send("lead", {"contact_name": "Web Visitor", "email": "visitor@web.test",
                                   "source": "website", "utm_campaign": "spring"})  # fmt: skip
    # the partner lost the confirm and sends the same message again
    assert sender.send("lead", {"contact_name": "Web Visitor", "email": "visitor@web.test",
                                "source": "website", "utm_campaign": "spring"},
                       message_id=lead_id) == lead_id  # fmt: skip
    sender.send("activity", {"type": "call", "title": "Call from +1 555 0100",
                             "status": "completed"})  # fmt: skip
    leads = wait_for(lambda: rows(db_engine, "SELECT contact_name, source, utm_campaign, "
                                             "owner_id FROM leads.leads"))  # fmt: skip
    calls = wait_for(lambda: rows(db_engine, "SELECT type, title FROM sales.activities"))
    assert [tuple(r) for r in leads] == [("Web Visitor", "website", "spring", None)]
    assert [tuple(r) for r in calls] == [("call", "Call from +1 555 0100")]
    # the repeat was taken off the queue without a second lead
    wait_for(lambda: rows(db_engine, "SELECT 1 FROM social.processed_events"))
    time.sleep(0.5)
    assert len(rows(db_engine, "SELECT 1 FROM leads.leads")) == 1
    assert sender.dead_letters(take=True) == []


def test_malformed_messages_go_to_the_dead_letters_with_their_reason(sender, db_engine):
    sender.send_raw(b"{not json", "lead.create")
    no_id = {"version": 1, "type": "lead", "source": "erp", "data": {"contact_name": "X"}}
    sender.send_raw(json.dumps(no_id).encode(), "lead.create")
    good = sender.message("lead", {"contact_name": "Y", "favourite_colour": "red"})
    sender.send_raw(json.dumps(good).encode(), "lead.create")
    refused = sender.message("lead", {"email": "not-an-email"})
    sender.send_raw(json.dumps(refused).encode(), "lead.create")
    wrong_key = sender.message("activity", {"type": "task", "title": "T"})
    sender.send_raw(json.dumps(wrong_key).encode(), "lead.create")
    sender.send_raw(json.dumps(sender.message("lead", {"contact_name": "Z"}, "x")).encode(),
                    "lead.create", content_type="text/plain")  # fmt: skip
    letters = dead_letters(sender, 6)
    reasons = {body: reason for reason, _key, body in letters}
    assert reasons[b"{not json"].startswith("the body is not JSON")
    assert [r for r in reasons.values() if r.startswith("message_id: a UUID is required")]
    assert reasons[json.dumps(good).encode()] == (
        "data: fields not in the contract: favourite_colour"
    )
    assert "data.email" in reasons[json.dumps(refused).encode()]
    assert "routing key 'lead.create' is not for a activity" in reasons[
        json.dumps(wrong_key).encode()]  # fmt: skip
    assert [r for r in reasons.values() if "text/plain" in r]
    assert {key for _r, key, _b in letters} == {"lead.create"}
    assert rows(db_engine, "SELECT 1 FROM leads.leads") == []
    # a good message after the bad ones is applied: the consumer goes on
    sender.send("lead", {"contact_name": "After The Storm"})
    wait_for(lambda: rows(db_engine, "SELECT 1 FROM leads.leads"))


def test_a_message_waits_while_the_leads_service_is_away(
    container_factory, service_config, rabbit_config, db_engine
):
    # the social service alone: the leads service is not there to answer yet
    social = container_factory(SocialService, {**service_config, "NAME_INDEX": False})
    social.start()
    uri = rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)
    with InboundSender(uri, source="call-tracking") as partner:
        partner.send("lead", {"contact_name": "Patient Caller", "phone": "+1 555 0199"})
        # until the leads service is there, each try fails (no one serves rpc-leads)
        # and the message goes back to the queue: neither dead nor lost
        assert rows(db_engine, "SELECT 1 FROM social.processed_events") == []
        leads = container_factory(LeadsService, {**service_config, "NAME_INDEX": False})
        leads.start()
        applied = wait_for(lambda: rows(db_engine, "SELECT contact_name FROM leads.leads"), 30)
        assert [tuple(r) for r in applied] == [("Patient Caller",)]
        assert partner.dead_letters(take=True) == []
