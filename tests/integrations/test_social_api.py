"""Social channels and outbound webhooks through the gateway, with the identity, leads
and social services as real processes (the other registered services as bare
stand-ins): the platforms' public webhooks answer as each platform expects, refusals
are problems, and a lead a platform brings is delivered, signed, to a partner's URL —
retried after a failure, logged with the answers, and sent again by hand."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from services.integrations.social.domain import verify_webhook_signature
from services.platform.registry import SERVICES
from services.platform.testing import fresh_migrated_database, sibling_database_url
from tests.support.stack import Stack, service_command

from .social_senders import (
    GraphPeer,
    WebhookReceiver,
    facebook_delivery,
    telegram_update,
    vk_event,
)

REAL = ("identity", "leads", "social")
APP_SECRET = "fb-app-secret-api"
PAGE_TOKEN = "EAAB-token-api"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    others = [info.name for info in SERVICES if info.name not in REAL]
    services = {name: service_command(name) for name in REAL}
    services["stand-ins"] = [sys.executable, "-m", "tests.integrations.social_stand_ins", *others]
    env = {
        "OSPREY_SECRET_KEYS": Fernet.generate_key().decode(),
        "OSPREY_WEBHOOK_RETRY_BASE_SECONDS": "0.5",
        "OSPREY_NAME_INDEX": "0",
    }
    database = fresh_migrated_database(sibling_database_url("social_api"))
    with Stack(database, services=services, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    token = httpx.post(
        f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials, timeout=15
    ).json()["token"]
    with httpx.Client(
        base_url=stack.base_url, timeout=15, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


@pytest.fixture
def public(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=15) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def leads_by(admin: httpx.Client, channel: str) -> list[dict[str, Any]]:
    page = admin.get("/api/v1/leads", params={"filter[channel]": channel, "limit": 50}).json()
    return page["items"]


def test_facebook_through_the_gateway(admin, public):
    with GraphPeer(PAGE_TOKEN) as graph:
        made = admin.post("/api/v1/social-channels", json={
            "kind": "facebook", "name": "Lead Ads", "page_id": "777",
            "graph_url": graph.graph_url, "app_secret": APP_SECRET,
            "verify_token": "tok-123", "page_access_token": PAGE_TOKEN,
        })  # fmt: skip
        assert made.status_code == 201, made.text
        channel = made.json()
        assert made.headers["Location"] == f"/api/v1/social-channels/{channel['id']}"
        assert "app_secret" not in channel and sorted(channel["secrets_set"]) == [
            "app_secret", "page_access_token", "verify_token"]  # fmt: skip
        hook = channel["hook_path"]

        verified = public.get(hook, params={"hub.mode": "subscribe", "hub.verify_token": "tok-123",
                                            "hub.challenge": "987654"})  # fmt: skip
        assert verified.status_code == 200 and verified.text == "987654"
        assert verified.headers["content-type"].startswith("text/plain")
        problem(public.get(hook, params={"hub.mode": "subscribe", "hub.verify_token": "no",
                                         "hub.challenge": "1"}), 403)  # fmt: skip

        graph.add_lead("55501", {"full_name": "Pavel Orlov", "email": "pavel@orlov.test"})
        body, headers = facebook_delivery(APP_SECRET, "777", "55501")
        first = public.post(hook, content=body, headers=headers)
        assert first.status_code == 200 and first.json() == {"leads": 1, "redelivered": 0}
        again = public.post(hook, content=body, headers=headers)
        assert again.json() == {"leads": 0, "redelivered": 1}
        assert [lead["email"] for lead in leads_by(admin, "facebook")] == ["pavel@orlov.test"]

        forged = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
        assert "does not match" in problem(public.post(hook, content=body, headers=forged), 403)[
            "detail"]  # fmt: skip
        unsigned = {"Content-Type": "application/json"}
        problem(public.post(hook, content=body, headers=unsigned), 401)
        problem(public.post(hook, content=b"{not json", headers=headers), 400)
        problem(public.post(hook, content=body, headers={"Content-Type": "text/plain"}), 415)
        problem(public.post("/api/v1/hooks/facebook/0190aaaa-0000-7000-8000-000000000000",
                            content=body, headers=headers), 404)  # fmt: skip

        log = admin.get(f"/api/v1/social-channels/{channel['id']}/log").json()["items"]
        assert [e["outcome"] for e in log] == [
            "unsigned", "forged", "redelivered", "accepted", "forged", "verified"]  # fmt: skip
        assert log[0]["client_ip"] == "127.0.0.1"


def test_telegram_and_vk_through_the_gateway(admin, public):
    bot = admin.post("/api/v1/social-channels", json={
        "kind": "telegram", "name": "Bot", "secret_token": "S3cret_tg"}).json()  # fmt: skip
    hook = bot["hook_path"]
    secret = {"X-Telegram-Bot-Api-Secret-Token": "S3cret_tg", "Content-Type": "application/json"}
    asked = public.post(hook, content=telegram_update(100, 9001, text="/start"), headers=secret)
    assert asked.json()["text"] == "Hello! What is your name?"
    public.post(hook, content=telegram_update(101, 9001, text="Nina Gray"), headers=secret)
    done = public.post(hook, content=telegram_update(102, 9001, phone="+44 20 7946 0958"),
                       headers=secret)  # fmt: skip
    assert done.json()["method"] == "sendMessage" and "Thank you" in done.json()["text"]
    lead = leads_by(admin, "telegram")
    assert [(x["contact_name"], x["phone"], x["source"]) for x in lead] == [
        ("Nina Gray", "+442079460958", "social")]  # fmt: skip
    wrong = {**secret, "X-Telegram-Bot-Api-Secret-Token": "S3cret_tX"}
    problem(public.post(hook, content=telegram_update(103, 9001, text="/start"), headers=wrong),
            403)  # fmt: skip

    group = admin.post("/api/v1/social-channels", json={
        "kind": "vk", "name": "VK", "group_id": "4100", "confirmation": "5f3a9c1e",
        "secret": "vk-s3cret"}).json()  # fmt: skip
    hook = group["hook_path"]
    plain = {"Content-Type": "application/json"}
    confirm = public.post(hook, content=json.dumps({"type": "confirmation", "group_id": 4100}),
                          headers=plain)  # fmt: skip
    assert confirm.text == "5f3a9c1e"
    event = vk_event(4100, "vk-s3cret", 9, {"first_name": "Oleg", "phone_number": "+7 495 1"})
    assert public.post(hook, content=event, headers=plain).text == "ok"
    assert public.post(hook, content=event, headers=plain).text == "ok"
    assert [x["contact_name"] for x in leads_by(admin, "vk")] == ["Oleg"]
    problem(public.post(hook, content=vk_event(4100, "nope", 10, {"first_name": "X"}),
                        headers=plain), 403)  # fmt: skip


def wait_for(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_outbound_webhook_signed_retried_logged_and_resent(admin, public):
    with WebhookReceiver(statuses=[500]) as receiver:
        made = admin.post("/api/v1/webhooks", json={
            "name": "Partner CRM", "url": f"{receiver.url}/hooks/osprey",
            "events": ["lead_created"]})  # fmt: skip
        assert made.status_code == 201, made.text
        webhook = made.json()
        secret = webhook["secret"]
        assert secret.startswith("whsec_")
        assert admin.get(f"/api/v1/webhooks/{webhook['id']}").json()["secret"] is None
        problem(admin.post("/api/v1/webhooks", json={"name": "x", "url": "ftp://x",
                                                     "events": ["lead_created"]}), 422)  # fmt: skip
        problem(admin.post("/api/v1/webhooks", json={"name": "x", "url": "http://x.test",
                                                     "events": ["lead_eaten"]}), 422)  # fmt: skip

        lead = admin.post("/api/v1/leads", json={"contact_name": "Wendy Hook",
                                                 "email": "wendy@hook.test"}).json()  # fmt: skip
        # the first try gets a 500, the retry a 200
        wait_for(lambda: len(receiver.received) >= 2)
        headers, body = receiver.received[-1]
        sent = json.loads(body)
        assert sent["type"] == "lead_created" and sent["data"]["id"] == lead["id"]
        assert headers["Osprey-Event"] == "lead_created"
        assert verify_webhook_signature(secret, body, headers["Osprey-Signature"], int(time.time()))
        assert not verify_webhook_signature("whsec_other", body, headers["Osprey-Signature"],
                                            int(time.time()))  # fmt: skip
        assert receiver.received[0][1] == body  # the same exact body every try

        def delivered() -> Any:
            page = admin.get(f"/api/v1/webhooks/{webhook['id']}/deliveries").json()
            items = [d for d in page["items"] if d["status"] == "delivered"]
            return items[0] if items else None

        delivery = wait_for(delivered)
        assert [(a["status_code"], a["response"]) for a in delivery["log"]] == [
            (500, "status 500"), (200, "status 200")]  # fmt: skip
        receiver.statuses.append(410)
        resent = admin.post(f"/api/v1/webhooks/{webhook['id']}/deliveries/{delivery['id']}/resend")
        assert resent.status_code == 200, resent.text
        last = resent.json()["log"][-1]
        assert (last["attempt"], last["by_hand"], last["status_code"]) == (3, True, 410)
        assert len(receiver.received) == 3
        listed = admin.get("/api/v1/webhooks").json()
        assert "opportunity_won" in listed["events"]
        assert listed["items"][0]["deliveries"]["delivered"] == 1

    rep = public.get("/api/v1/webhooks")
    problem(rep, 401)
