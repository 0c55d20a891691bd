"""The social service with the leads service, on the real broker and database: each
platform's webhook, signed by a local sender exactly as the platform documents it,
makes one lead with its source and channel; a redelivery makes none; forged, unsigned
and replayed requests are refused and kept in the channel's log."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from nameko.testing.services import entrypoint_hook

from services.integrations.social.service import SocialService
from services.leads.service import LeadsService
from services.platform.errors import NotFound, PermissionDenied, Unauthenticated
from services.platform.ids import new_id

from .social_senders import GraphPeer, facebook_delivery, telegram_update, vk_event

ADMIN = {"id": new_id(), "email": "ada@osprey.test", "roles": ["admin"], "team_id": None}
REP = {"id": new_id(), "email": "rex@osprey.test", "roles": ["sales_rep"], "team_id": None}
APP_SECRET = "fb-app-secret-0123456789"
PAGE_TOKEN = "EAAB-page-access-token"


@pytest.fixture
def services(container_factory, service_config):
    config = {
        **service_config,
        "NAME_INDEX": False,
        "SECRET_KEYS": [Fernet.generate_key().decode()],
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


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def leads(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT contact_name, email, phone, source, channel, notes FROM leads.leads "
                "ORDER BY created_at"
            )  # fmt: skip
        ).all()


def channel_log(social: Any, channel_id: str) -> list[str]:
    items = call(social, "list_social_channel_log", channel_id, ADMIN)["items"]
    return [item["outcome"] for item in reversed(items)]


@pytest.fixture
def graph():
    with GraphPeer(PAGE_TOKEN) as peer:
        yield peer


def facebook_channel(social: Any, graph: GraphPeer) -> dict[str, Any]:
    return call(
        social,
        "create_social_channel",
        {
            "kind": "facebook",
            "name": "Spring campaign",
            "page_id": "4242",
            "graph_url": graph.graph_url,
            "app_secret": APP_SECRET,
            "verify_token": "verify-me",
            "page_access_token": PAGE_TOKEN,
        },
        ADMIN,
    )


def test_channels_keep_secrets_write_only_and_only_admins_manage_them(services, db_engine):
    social = services["social"]
    made = call(social, "create_social_channel",
                {"kind": "vk", "name": "VK group", "group_id": "77", "confirmation": "c0nf",
                 "secret": "vk-secret"}, ADMIN)  # fmt: skip
    assert made["kind"] == "vk" and made["secrets_set"] == ["secret"]
    assert "vk-secret" not in json.dumps(made)
    assert made["hook_path"] == f"/api/v1/hooks/vk/{made['id']}"
    with db_engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT secret FROM social.connections")).scalar_one()
    assert b"vk-secret" not in bytes(stored)  # encrypted at rest
    with pytest.raises(PermissionDenied):
        call(social, "list_social_channels", REP)
    with pytest.raises(Exception) as bad:
        call(social, "create_social_channel", {"kind": "telegram", "name": "Bot",
                                               "secret_token": "has spaces"}, ADMIN)  # fmt: skip
    assert "secret_token" in str(bad.value.args)
    changed = call(social, "update_social_channel", made["id"], {"is_active": False}, ADMIN,
                   expected_version=1)  # fmt: skip
    assert changed["is_active"] is False and changed["version"] == 2


def test_facebook_verification_signature_and_one_lead_per_leadgen_id(services, graph, db_engine):
    social = services["social"]
    channel = facebook_channel(social, graph)
    answer = call(
        social, "verify_facebook_hook", channel["id"], "subscribe", "verify-me", "1158201444"
    )
    assert answer == {"challenge": "1158201444"}
    with pytest.raises(PermissionDenied):
        call(social, "verify_facebook_hook", channel["id"], "subscribe", "guess", "1")

    graph.add_lead("900001", {"full_name": "Olga Petrova", "email": "olga@example.ru",
                              "phone_number": "+7 921 000-11-22", "budget": "10k"})  # fmt: skip
    body, headers = facebook_delivery(APP_SECRET, "4242", "900001")
    signature = headers["X-Hub-Signature-256"]
    first = call(social, "receive_facebook_hook", channel["id"], b64(body), signature)
    assert first == {"leads": 1, "redelivered": 0}
    # Facebook redelivers the very same request: nothing new
    again = call(social, "receive_facebook_hook", channel["id"], b64(body), signature)
    assert again == {"leads": 0, "redelivered": 1}
    rows = leads(db_engine)
    assert len(rows) == 1
    assert rows[0].contact_name == "Olga Petrova" and rows[0].email == "olga@example.ru"
    assert (rows[0].source, rows[0].channel) == ("social", "facebook")
    assert "budget: 10k" in rows[0].notes
    assert graph.reads == ["900001"]

    # forged: signed with another secret; tampered: one byte of the body changed
    forged_body, forged = facebook_delivery("not-the-secret", "4242", "900002")
    with pytest.raises(PermissionDenied):
        call(social, "receive_facebook_hook", channel["id"], b64(forged_body),
             forged["X-Hub-Signature-256"])  # fmt: skip
    with pytest.raises(PermissionDenied):
        call(social, "receive_facebook_hook", channel["id"],
             b64(body.replace(b"900001", b"900009")), signature)  # fmt: skip
    with pytest.raises(Unauthenticated):
        call(social, "receive_facebook_hook", channel["id"], b64(body), None)
    # replayed: a genuine signature on a delivery three days old
    old_body, old = facebook_delivery(APP_SECRET, "4242", "900003", at=time.time() - 3 * 86400)
    with pytest.raises(PermissionDenied):
        call(social, "receive_facebook_hook", channel["id"], b64(old_body),
             old["X-Hub-Signature-256"])  # fmt: skip
    assert len(leads(db_engine)) == 1
    assert channel_log(social, channel["id"]) == [
        "verified", "forged", "accepted", "redelivered", "forged", "forged", "unsigned",
        "replayed",
    ]  # fmt: skip
    health = call(social, "get_social_channel", channel["id"], ADMIN)["health"]
    assert health["counts"] == {"leads": 1, "redelivered": 1, "forged": 3, "unsigned": 1,
                                "replayed": 1}  # fmt: skip


def test_facebook_graph_failure_is_retried_by_the_platform(services, graph, db_engine):
    social = services["social"]
    channel = facebook_channel(social, graph)
    body, headers = facebook_delivery(APP_SECRET, "4242", "900010")  # not on the Graph yet
    with pytest.raises(Exception) as failed:
        call(social, "receive_facebook_hook", channel["id"], b64(body),
             headers["X-Hub-Signature-256"])  # fmt: skip
    assert type(failed.value).__name__ == "Unavailable"
    graph.add_lead("900010", {"full_name": "Late Lead", "phone_number": "+7 900 111 22 33"})
    answer = call(social, "receive_facebook_hook", channel["id"], b64(body),
                  headers["X-Hub-Signature-256"])  # fmt: skip
    assert answer["leads"] == 1
    assert [r.contact_name for r in leads(db_engine)] == ["Late Lead"]
    assert channel_log(social, channel["id"]) == ["failed", "accepted"]


def test_telegram_dialogue_collects_name_and_phone_once(services, db_engine):
    social = services["social"]
    channel = call(social, "create_social_channel",
                   {"kind": "telegram", "name": "Sales bot", "language": "ru",
                    "secret_token": "tg_Secret-123"}, ADMIN)  # fmt: skip
    cid = channel["id"]

    def send(raw: bytes, token: str | None = "tg_Secret-123") -> Any:
        return call(social, "receive_telegram_hook", cid, b64(raw), token)["reply"]

    reply = send(telegram_update(1, 555, text="/start"))
    assert reply["method"] == "sendMessage" and reply["chat_id"] == 555
    assert "Как вас зовут" in reply["text"]
    reply = send(telegram_update(2, 555, text="Иван Петров"))
    assert reply["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert send(telegram_update(3, 555, text="not a phone"))["text"].startswith("Это не похоже")
    done = send(telegram_update(4, 555, phone="+79210001122"))
    assert "Спасибо" in done["text"]
    # Telegram redelivers the last update (our answer was lost): the same reply, no lead
    assert send(telegram_update(4, 555, phone="+79210001122")) == done
    rows = leads(db_engine)
    assert [(r.contact_name, r.phone, r.source, r.channel) for r in rows] == [
        ("Иван Петров", "+79210001122", "social", "telegram")
    ]
    assert "@ivan_p" in rows[0].notes
    with pytest.raises(PermissionDenied):
        send(telegram_update(5, 555, text="/start"), token="tg_Secret-124")
    with pytest.raises(Unauthenticated):
        send(telegram_update(5, 555, text="/start"), token=None)
    with pytest.raises(PermissionDenied):  # a genuine update two days old
        send(telegram_update(6, 555, text="/start", at=time.time() - 2 * 86400))
    assert channel_log(social, cid) == ["accepted", "redelivered", "forged", "unsigned",
                                        "replayed"]  # fmt: skip


def test_vk_confirmation_secret_and_one_lead_per_lead_id(services, db_engine):
    social = services["social"]
    channel = call(social, "create_social_channel",
                   {"kind": "vk", "name": "VK", "group_id": "77", "confirmation": "a1b2c3d4",
                    "secret": "vk-callback-secret", "source": "event"}, ADMIN)  # fmt: skip
    cid = channel["id"]
    confirmation = json.dumps({"type": "confirmation", "group_id": 77}).encode()
    assert call(social, "receive_vk_hook", cid, b64(confirmation)) == {"text": "a1b2c3d4"}
    answers = {"first_name": "Анна", "last_name": "Смирнова", "phone_number": "+7 911 222 33 44",
               "email": "anna@example.ru", "custom_1": "Москва"}  # fmt: skip
    raw = vk_event(77, "vk-callback-secret", 31, answers)
    assert call(social, "receive_vk_hook", cid, b64(raw)) == {"text": "ok"}
    assert call(social, "receive_vk_hook", cid, b64(raw)) == {"text": "ok"}  # VK retries
    rows = leads(db_engine)
    assert [(r.contact_name, r.email, r.source, r.channel) for r in rows] == [
        ("Анна Смирнова", "anna@example.ru", "event", "vk")
    ]
    assert "custom_1: Москва" in rows[0].notes and "Заявка на демо" in rows[0].notes
    with pytest.raises(PermissionDenied):
        call(social, "receive_vk_hook", cid, b64(vk_event(77, "guessed", 32, answers)))
    with pytest.raises(Unauthenticated):
        call(social, "receive_vk_hook", cid, b64(vk_event(77, None, 33, answers)))
    with pytest.raises(PermissionDenied):  # the right secret, another group
        call(social, "receive_vk_hook", cid, b64(vk_event(78, "vk-callback-secret", 34, answers)))
    assert len(leads(db_engine)) == 1
    assert channel_log(social, cid) == ["verified", "accepted", "redelivered", "forged",
                                        "unsigned", "forged"]  # fmt: skip
    with pytest.raises(NotFound):  # a VK channel is no Telegram bot
        call(social, "receive_telegram_hook", cid, b64(b"{}"), "x")
