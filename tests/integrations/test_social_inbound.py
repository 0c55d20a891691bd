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
from nameko.testing.services import entrypoint_hook
from sqlalchemy.orm import Session

from deploy.inbound.sender import InboundSender
from services.integrations.social.dead_letters import keep
from services.integrations.social.service import SocialService
from services.leads.service import LeadsService
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
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


ADMIN = {"id": new_id(), "email": "ada@osprey.test", "roles": ["admin"], "team_id": None}
REP = {"id": new_id(), "email": "rep@osprey.test", "roles": ["sales_rep"], "team_id": None}


def call(container: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def test_refused_messages_listed_for_an_administrator_sent_again_or_discarded(
    services, sender, db_engine
):
    social = services["social"]
    sender.send_raw(b"{not json", "lead.create")
    refused = sender.message("lead", {"email": "not-an-email"})
    sender.send_raw(json.dumps(refused).encode(), "lead.create")
    page = wait_for(
        lambda: (p := call(social, "list_dead_letters", ADMIN)) and len(p["items"]) == 2 and p
    )
    newest, oldest = page["items"]
    assert oldest["body"] == "{not json" and oldest["message_id"] is None
    assert oldest["reason"].startswith("the body is not JSON")
    assert newest["message_id"] == refused["message_id"]
    assert newest["routing_key"] == "lead.create" and "data.email" in newest["reason"]
    assert json.loads(newest["body"]) == refused and newest["size"] == len(newest["body"])
    first = call(social, "list_dead_letters", ADMIN, limit=1)
    assert [i["id"] for i in first["items"]] == [newest["id"]]
    rest = call(social, "list_dead_letters", ADMIN, limit=1, before=first["next_cursor"])
    assert [i["id"] for i in rest["items"]] == [oldest["id"]] and rest["next_cursor"] is None
    assert call(social, "get_dead_letter", oldest["id"], ADMIN)["reason"] == oldest["reason"]
    with pytest.raises(PermissionDenied):
        call(social, "list_dead_letters", REP)
    with pytest.raises(PermissionDenied):
        call(social, "discard_dead_letter", oldest["id"], REP)
    for bad in ({"limit": 0}, {"limit": 201}, {"before": "not-a-cursor"}):
        with pytest.raises(ValidationFailed):
            call(social, "list_dead_letters", ADMIN, **bad)

    # discarded: gone, and a second time is a NotFound
    call(social, "discard_dead_letter", oldest["id"], ADMIN)
    with pytest.raises(NotFound):
        call(social, "discard_dead_letter", oldest["id"], ADMIN)
    with pytest.raises(NotFound):
        call(social, "resend_dead_letter", "not-an-id", ADMIN)

    # sent again as it came: refused again, it is a new dead letter with the same body
    call(social, "resend_dead_letter", newest["id"], ADMIN)
    again = wait_for(
        lambda: [
            i for i in call(social, "list_dead_letters", ADMIN)["items"] if i["id"] != newest["id"]
        ]  # fmt: skip
    )
    assert [(i["body"], i["reason"]) for i in again] == [(newest["body"], newest["reason"])]
    assert newest["id"] not in {i["id"] for i in call(social, "list_dead_letters", ADMIN)["items"]}

    # a message refused before and right now (here: kept as if refused earlier) is applied
    good = sender.message("lead", {"contact_name": "Second Chance"})
    with Session(db_engine) as session, session.begin():
        kept = keep(session, json.dumps(good).encode(), "application/json", "lead.create",
                    "NotFound: the owner was missing")  # fmt: skip
    call(social, "resend_dead_letter", kept, ADMIN)
    wait_for(lambda: rows(db_engine, "SELECT 1 FROM leads.leads WHERE contact_name ="
                                     " 'Second Chance'"))  # fmt: skip
    assert kept not in {i["id"] for i in call(social, "list_dead_letters", ADMIN)["items"]}
