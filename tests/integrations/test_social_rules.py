"""The social service's rules with no I/O: the platforms' proofs, form answers to lead
fields, the Telegram dialogue, the outbound signature and the inbound contract."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.integrations.social import contract, domain


def test_facebook_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"object":"page","entry":[]}'
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    domain.check_facebook_signature("s3cret", body, expected)
    with pytest.raises(domain.Refused) as forged:
        domain.check_facebook_signature("s3cret", body + b" ", expected)
    assert forged.value.outcome == "forged"
    with pytest.raises(domain.Refused) as unsigned:
        domain.check_facebook_signature("s3cret", body, None)
    assert unsigned.value.outcome == "unsigned"
    assert type(unsigned.value.error()).__name__ == "Unauthenticated"
    assert type(forged.value.error()).__name__ == "PermissionDenied"


def test_replay_window_per_platform() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    domain.check_fresh("facebook", now - timedelta(hours=47), now)
    with pytest.raises(domain.Refused) as old:
        domain.check_fresh("facebook", now - timedelta(hours=49), now)
    assert old.value.outcome == "replayed"
    with pytest.raises(domain.Refused):
        domain.check_fresh("telegram", now - timedelta(hours=26), now)
    with pytest.raises(domain.Refused) as future:
        domain.check_fresh("telegram", now + timedelta(hours=1), now)
    assert future.value.outcome == "forged"
    domain.check_fresh("vk", None, now)  # VK's events carry no time


def test_form_answers_become_lead_fields_and_notes() -> None:
    lead = domain.lead_from_answers(
        [("first_name", "Anna"), ("last_name", "Lee"), ("EMAIL", "anna@x.test"),
         ("phone_number", "+1 555"), ("company_name", "Acme"), ("budget", "10k"),
         ("city", "Riga"), ("empty", "")]
    )  # fmt: skip
    assert lead == {
        "contact_name": "Anna Lee",
        "email": "anna@x.test",
        "phone": "+1 555",
        "account_name": "Acme",
        "notes": "region: Riga\nbudget: 10k",
    }


def test_telegram_dialogue_asks_name_then_phone() -> None:
    def message(text: str | None = None, phone: str | None = None) -> dict:
        m: dict = {"chat": {"id": 7}, "from": {"username": "ann"}, "text": text}
        if phone:
            m["contact"] = {"phone_number": phone}
        return m

    first = domain.next_step(None, {}, message("hello"), "en")
    assert (first.step, first.reply["text"]) == ("name", "Hello! What is your name?")
    second = domain.next_step("name", {}, message("Ann"), "en")
    assert second.step == "phone" and second.answers == {"name": "Ann"}
    wrong = domain.next_step("phone", second.answers, message("tomorrow"), "en")
    assert wrong.step == "phone" and wrong.lead is None
    done = domain.next_step("phone", second.answers, message(phone="+15550100"), "ru")
    assert done.step == "done" and done.reply["text"].startswith("Спасибо")
    assert done.lead == {
        "contact_name": "Ann",
        "phone": "+15550100",
        "notes": "Telegram @ann chat 7",
    }
    again = domain.next_step("done", done.answers, message("more?"), "en")
    assert again.lead is None and again.step == "done"


def test_outbound_signature_checks_time_and_body() -> None:
    body = domain.webhook_body(
        {"id": "e1", "type": "lead_created", "occurred_at": "t", "data": {"n": "Ä"}}
    )
    assert json.loads(body)["data"] == {"n": "Ä"}
    header = domain.webhook_signature("whsec_x", body, 1_000_000)
    t, v1 = header.split(",")
    assert t == "t=1000000"
    assert (
        v1 == "v1=" + hmac.new(b"whsec_x", f"1000000.{body}".encode(), hashlib.sha256).hexdigest()
    )
    raw = body.encode()
    assert domain.verify_webhook_signature("whsec_x", raw, header, 1_000_100)
    assert not domain.verify_webhook_signature("whsec_x", raw, header, 1_000_301)  # too old
    assert not domain.verify_webhook_signature("whsec_y", raw, header, 1_000_100)
    assert not domain.verify_webhook_signature("whsec_x", raw + b" ", header, 1_000_100)


def test_subscription_checks_every_field() -> None:
    with pytest.raises(Exception) as bad:
        domain.check_subscription(
            {"name": "", "url": "ftp://x", "events": ["lead_eaten"], "colour": 1}, creating=True
        )
    fields = {e["field"] for e in bad.value.errors}
    assert fields == {"name", "url", "events", "colour"}
    domain.check_subscription({"is_active": False}, creating=False)


def message(**fields: object) -> bytes:
    base = {"message_id": str(uuid.uuid4()), "version": 1, "type": "lead", "source": "erp",
            "data": {"contact_name": "X"}}  # fmt: skip
    base.update(fields)
    return json.dumps(base).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1]", "the body is not a JSON object"),
        (message(message_id="42"), "message_id: a UUID is required"),
        (message(version=2), "version: 2 is not one of [1]"),
        (message(version=True), "version: True is not one of [1]"),
        (message(type="order"), "type: 'order' is not one of ['lead', 'activity']"),
        (message(source="Big ERP"), "source: the sending system's name is required"),
        (message(data={}), "data: an object of the record's fields is required"),
        (message(data={"contact_name": "X", "id": "1"}), "data: fields not in the contract: id"),
        (message(extra=1), "fields not in the contract: extra"),
    ],
)
def test_the_inbound_contract_names_what_is_wrong(body: bytes, reason: str) -> None:
    with pytest.raises(contract.Malformed) as refused:
        contract.parse_message(body, "application/json")
    assert refused.value.reason.startswith(reason)


def test_the_inbound_contract_accepts_a_good_message() -> None:
    parsed = contract.parse_message(message(type="activity", data={"type": "call", "title": "T"}),
                                    None)  # fmt: skip
    assert parsed.type == "activity" and parsed.data == {"type": "call", "title": "T"}
    with pytest.raises(contract.Malformed):
        contract.parse_message(message(), "text/plain")
