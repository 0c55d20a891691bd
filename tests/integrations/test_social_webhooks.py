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
