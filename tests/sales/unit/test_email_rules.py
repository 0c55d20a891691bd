"""The rules of an email activity: what it keeps of an event's message, by visibility."""

from __future__ import annotations

from datetime import UTC, datetime

from services.sales import domain

CONTACT = "0193a000-0000-7000-8000-000000000001"
DEAL = "0193a000-0000-7000-8000-000000000002"
EMAIL = "0193a000-0000-7000-8000-0000000000aa"


def data(**more):
    return {
        "id": EMAIL,
        "message_id": "m1@acme.test",
        "thread_key": "m0@acme.test",
        "subject": "  Quote  ",
        "from": "jane@acme.test",
        "to": ["ann@osprey.test", 7],
        "cc": ["max@osprey.test"],
        "sent_at": "2026-12-01T09:30:00Z",
        "direction": "outgoing",
        "visibility": "headers",
        "links": [{"type": "contact", "id": CONTACT}],
        "all_links": [{"type": "opportunity", "id": DEAL}, {"type": "contact", "id": CONTACT}],
        **more,
    }


def test_an_event_is_read_with_its_links_checked_and_its_text_trimmed():
    message = domain.read_email_event(data(), links_key="all_links")
    assert message is not None
    assert (message.email_id, message.thread_key, message.direction) == (
        EMAIL,
        "m0@acme.test",
        "outgoing",
    )
    assert message.subject == "Quote" and message.to == ("ann@osprey.test",)
    assert message.sent_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert message.links == (("contact", CONTACT), ("opportunity", DEAL))
    sent = domain.read_email_event(data(), links_key="links")
    assert sent is not None and sent.links == (("contact", CONTACT),)


def test_bad_parts_of_an_event_fall_back_and_no_id_is_no_message():
    assert domain.read_email_event(data(id="nope"), links_key="all_links") is None
    assert domain.read_email_event(["x"], links_key="all_links") is None
    message = domain.read_email_event(
        data(
            visibility="public",
            direction="sideways",
            sent_at="yesterday",
            thread_key=None,
            subject="",
            all_links=[{"type": "planet", "id": DEAL}, {"type": "lead", "id": "x"}, "junk"],
            links=None,
        ),
        links_key="all_links",
    )
    assert message is not None
    assert (message.visibility, message.direction, message.sent_at) == ("none", "incoming", None)
    assert message.thread_key == EMAIL and message.links == ()
    assert domain.email_title(message) == domain.PRIVATE_TITLE


def test_what_the_activity_keeps_follows_the_visibility():
    shown = domain.read_email_event(data(), links_key="all_links")
    assert shown is not None
    assert domain.email_title(shown) == "Quote"
    assert domain.email_description(shown) == (
        "From: jane@acme.test\nTo: ann@osprey.test\nCc: max@osprey.test"
    )
    assert domain.kept_message_id(shown) == "m1@acme.test"
    assert domain.email_participants(shown, shown.links) == [{"type": "contact", "id": CONTACT}]
    hidden = domain.read_email_event(data(visibility="none"), links_key="all_links")
    assert hidden is not None
    assert domain.email_title(hidden) == "Private email"
    assert domain.email_description(hidden) is None
    assert domain.kept_message_id(hidden) is None
    assert domain.email_participants(hidden, hidden.links) == []
    untitled = domain.read_email_event(data(subject=None), links_key="all_links")
    assert untitled is not None and domain.email_title(untitled) == "(no subject)"


def test_the_related_record_is_the_most_specific_link():
    lead, account, order = (f"0193a000-0000-7000-8000-00000000000{i}" for i in (3, 4, 5))
    assert domain.email_related({("contact", CONTACT), ("opportunity", DEAL)}) == (
        "opportunity",
        DEAL,
    )
    assert domain.email_related({("contact", CONTACT), ("lead", lead)}) == ("lead", lead)
    assert domain.email_related({("contact", CONTACT), ("account", account)}) == (
        "account",
        account,
    )
    assert domain.email_related({("contact", CONTACT), ("order", order)}) == ("order", order)
    assert domain.email_related({("contact", CONTACT)}) == ("contact", CONTACT)
    assert domain.email_related({("invoice", DEAL)}) is None
