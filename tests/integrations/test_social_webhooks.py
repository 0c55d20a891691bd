"""Outbound webhooks in the social service with the leads service, on the real broker
and database: only the events a webhook chose reach it, once each however often the
bus redelivers them; a receiver that keeps failing is tried with back-off up to the
limit and the delivery is then failed, with every answer in its log."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook

from services.integrations.social.dependencies import read_settings
from services.integrations.social.service import SocialService
from services.leads.service import LeadsService
from services.platform.ids import new_id

from .social_senders import WebhookReceiver

ADMIN = {"id": new_id(), "email": "ada@osprey.test", "roles": ["admin"], "team_id": None}


@pytest.fixture
def services(container_factory, service_config):
    config = {
        **service_config,
        "NAME_INDEX": False,
        "SECRET_KEYS": [Fernet.generate_key().decode()],
        "WEBHOOK_RETRY_BASE_SECONDS": 0.2,
        "WEBHOOK_MAX_ATTEMPTS": 3,
    }
    started = {}
    for cls in (LeadsService, SocialService):
        container = container_factory(cls, config)
        container.start()
        started[cls.name] = container
    return started


def call(container: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_chosen_events_only_once_each_and_failed_after_the_limit(
    services, service_config, db_engine
):
    social, leads = services["social"], services["leads"]
    with WebhookReceiver(statuses=[503, 503, 503]) as receiver:
        chosen = {"name": "ERP", "url": receiver.url, "events": ["lead_created"]}
        hook = call(social, "create_webhook", chosen, ADMIN)
        paused = call(social, "create_webhook",
                      {"name": "Off", "url": receiver.url, "events": ["lead_created"],
                       "is_active": False}, ADMIN)  # fmt: skip
        lead = call(leads, "create_lead", {"contact_name": "Once Only"}, ADMIN)
        call(leads, "update_lead", lead["id"], {"notes": "lead_updated is not chosen"}, ADMIN)

        def failed() -> Any:
            page = call(social, "list_webhook_deliveries", hook["id"], ADMIN)
            return (
                page["items"] if page["items"] and page["items"][0]["status"] == "failed" else None
            )

        [delivery] = wait_for(failed)
        assert delivery["attempts"] == 3 and delivery["next_attempt_at"] is None
        assert [(a["status_code"], a["response"]) for a in delivery["log"]] == [
            (503, "status 503")] * 3  # fmt: skip
        assert len(receiver.received) == 3
        assert call(social, "list_webhook_deliveries", paused["id"], ADMIN)["items"] == []

        # the bus delivers lead_created again (at least once): nothing new is queued; a
        # later lead's delivery shows the repeat was handled before it
        dispatch = event_dispatcher({**service_config, "serializer": "json"})
        envelope = {"id": delivery["event_id"], "type": "lead_created",
                    "occurred_at": None, "source": "leads", "data": lead}  # fmt: skip
        dispatch("leads", "lead_created", envelope)
        receiver.statuses.clear()
        later = call(leads, "create_lead", {"contact_name": "Later One"}, ADMIN)
        wait_for(lambda: any(later["id"].encode() in body for _h, body in receiver.received))
        with db_engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM social.deliveries")).scalar()
        assert count == 2
        assert sum(lead["id"].encode() in body for _h, body in receiver.received) == 3

        # sent again by hand after the receiver recovered: delivered
        again = call(social, "resend_webhook_delivery", hook["id"], delivery["id"], ADMIN)
        assert again["status"] == "delivered" and again["log"][-1]["by_hand"] is True


def test_the_delivery_log_is_pruned_after_its_days(services, db_engine):
    assert read_settings({}, {}).log_days == 30
    assert read_settings({}, {"OSPREY_WEBHOOK_LOG_DAYS": "7"}).log_days == 7
    assert read_settings({"WEBHOOK_LOG_DAYS": 2}, {}).log_days == 2
    social = services["social"]
    hook = call(social, "create_webhook", {"name": "Log", "url": "https://erp.example/hook",
                                           "events": ["lead_created"]}, ADMIN)  # fmt: skip
    # (status, days since made, days since the last try or None): which must stay
    cases = {
        "delivered long ago": ("delivered", 40, 40, False),
        "failed long ago": ("failed", 45, 44, False),
        "pending long ago": ("pending", 40, None, True),  # still to be sent
        "delivered lately": ("delivered", 10, 10, True),
        "old, resent by hand lately": ("failed", 40, 1, True),
        "failed, never tried, long ago": ("failed", 31, None, False),
    }
    ids = {}
    with db_engine.begin() as conn:
        for name, (status, made, tried, _stays) in cases.items():
            ids[name] = new_id()
            conn.execute(
                sa.text(
                    "INSERT INTO social.deliveries (id, subscription_id, event_id, event_type,"
                    " body, status, attempts, created_at, last_attempt_at) VALUES (:id, :s,"
                    " :e, 'lead_created', '{}', :status, 1, now() - make_interval(days => :m),"
                    " now() - make_interval(days => :t))"
                ),
                {"id": ids[name], "s": hook["id"], "e": new_id(), "status": status,
                 "m": made, "t": tried},
            )  # fmt: skip
            if tried is not None:
                conn.execute(
                    sa.text(
                        "INSERT INTO social.delivery_attempts (delivery_id, attempt, at,"
                        " status_code) VALUES (:id, 1, now(), 200)"
                    ),
                    {"id": ids[name]},
                )

    def left() -> set[str]:
        with db_engine.connect() as conn:
            kept = {str(i) for i in conn.execute(sa.text("SELECT id FROM social.deliveries"))
                    .scalars()}  # fmt: skip
            tries = {str(i) for i in conn.execute(
                sa.text("SELECT delivery_id FROM social.delivery_attempts")).scalars()}  # fmt: skip
        assert tries <= kept  # a delivery's tries go with it
        return {name for name, i in ids.items() if i in kept}

    assert call(social, "prune_webhook_log") == 3
    assert left() == {name for name, case in cases.items() if case[3]}
    assert call(social, "prune_webhook_log") == 0
    assert call(social, "prune_webhook_log", days=5) == 1  # the one delivered lately
    assert left() == {"pending long ago", "old, resent by hand lately"}
    assert call(social, "list_webhook_deliveries", hook["id"], ADMIN)["items"]


def test_an_event_no_webhook_chose_never_reaches_the_service(
    services, rabbit_config, rabbit_manager
):
    """The gate (services/platform/event_gate.py): a handler's queue is bound to its
    event only while an active webhook chose it — bound before the webhook's commit,
    unbound once no webhook wants it (after a change, and on the gate's timer)."""
    social = services["social"]
    vhost = rabbit_config["vhost"]

    def bound() -> set[str]:
        out = set()
        for queue in rabbit_manager.get_queues(vhost):
            if "--social.handle_" in queue["name"]:
                for binding in rabbit_manager.get_queue_bindings(vhost, queue["name"]):
                    if binding["source"]:  # not the default exchange's
                        out.add(binding["routing_key"])
        return out

    # started: nameko bound every handler; the timer's refresh unbinds them all
    assert "lead_created" in bound()
    call(social, "refresh_event_gate")
    assert bound() == set()

    chosen = {"name": "CRM", "url": "https://erp.example/hook",
              "events": ["lead_created", "order_placed"]}  # fmt: skip
    hook = call(social, "create_webhook", chosen, ADMIN)
    assert bound() == {"lead_created", "order_placed"}
    call(social, "refresh_event_gate")
    assert bound() == {"lead_created", "order_placed"}
    hook = call(social, "update_webhook", hook["id"], {"events": ["lead_qualified"]}, ADMIN)
    assert bound() == {"lead_qualified"}
    hook = call(social, "update_webhook", hook["id"], {"is_active": False}, ADMIN)
    assert bound() == set()
    hook = call(social, "update_webhook", hook["id"], {"is_active": True}, ADMIN)
    chosen = {"name": "BI", "url": "https://bi.example/hook",
              "events": ["lead_qualified", "lead_created"]}  # fmt: skip
    other = call(social, "create_webhook", chosen, ADMIN)
    assert bound() == {"lead_qualified", "lead_created"}
    call(social, "delete_webhook", hook["id"], ADMIN)
    assert bound() == {"lead_qualified", "lead_created"}  # still chosen by the other
    call(social, "delete_webhook", other["id"], ADMIN)
    assert bound() == set()
