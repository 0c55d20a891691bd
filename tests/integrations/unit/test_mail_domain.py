"""The mail service's rules: settings, failure words, linking order, privacy, merge
fields, subject rules."""

from __future__ import annotations

from datetime import date

import pytest

from services.integrations.mail import domain
from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed

ANN = Actor(id="ann", roles=("sales_rep",))
ADMIN = Actor(id="boss", roles=("admin",))


def test_a_new_mailbox_gets_the_usual_ports_and_defaults() -> None:
    changes = domain.clean_mailbox(
        {"email": " Ann@Example.COM ", "imap_host": "IMAP.example.com", "password": "pw"},
        creating=True,
    )
    assert changes["email"] == "ann@example.com" and changes["imap_host"] == "imap.example.com"
    settings = domain.mailbox_settings(changes, None, date(2026, 12, 7))
    assert settings["imap_port"] == 993 and settings["smtp_port"] == 465
    assert settings["login"] == "ann@example.com" and settings["smtp_host"] == "imap.example.com"
    assert settings["folders"] == ["INBOX"] and settings["visibility"] == "headers"
    assert settings["sync_since"] == "2026-09-08"
    assert "password" not in settings
    plain = domain.mailbox_settings({**changes, "security": "starttls"}, None, date(2026, 12, 7))
    assert plain["imap_port"] == 143 and plain["smtp_port"] == 587


def test_every_bad_mailbox_field_is_named_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.clean_mailbox(
            {
                "email": "nope",
                "imap_port": 70000,
                "security": "tls",
                "visibility": "some",
                "id": "x",
                "colour": 1,
            },
            creating=True,
        )
    fields = {e["field"] for e in caught.value.errors}
    assert fields == {
        "email",
        "imap_port",
        "security",
        "visibility",
        "id",
        "colour",
        "imap_host",
        "password",
    }


def test_picked_folders_always_include_the_inbox() -> None:
    assert domain.clean_mailbox({"folders": ["Projects", "INBOX"]}, creating=False)["folders"] == [
        "INBOX",
        "Projects",
    ]


def test_shared_mailboxes_and_other_peoples_are_an_admins() -> None:
    domain.check_may_connect(ANN, is_shared=False, owner_id="ann")
    domain.check_may_connect(ADMIN, is_shared=True, owner_id=None)
    with pytest.raises(PermissionDenied):
        domain.check_may_connect(ANN, is_shared=True, owner_id=None)
    with pytest.raises(PermissionDenied):
        domain.check_may_connect(ANN, is_shared=False, owner_id="someone-else")


def test_failures_in_words_a_user_can_act_on() -> None:
    assert "password" in domain.failure_words("auth")
    assert "could not be reached" in domain.failure_words("unreachable")
    assert "certificate" in domain.failure_words("tls")
    assert "IMAP4rev1" in domain.failure_words("capability")
    assert domain.failure_words("whatever") == domain.FAILURES["protocol"]
    assert {"auth", "capability", "tls"} == domain.PERMANENT


def test_linking_tries_the_sender_then_recipients_without_our_own_addresses() -> None:
    steps = domain.link_steps(
        "carla@customer.test",
        [{"address": "me@osprey.test"}, {"address": "dan@customer.test"}],
        [{"address": "carla@customer.test"}, {"address": "eve@customer.test"}],
        own_addresses={"me@osprey.test"},
    )
    assert steps == [
        domain.LinkStep("sender", ("carla@customer.test",)),
        domain.LinkStep("recipient", ("dan@customer.test", "eve@customer.test")),
    ]
    sent = domain.link_steps(
        "me@osprey.test", [{"address": "dan@customer.test"}], [], own_addresses={"me@osprey.test"}
    )
    assert sent == [domain.LinkStep("recipient", ("dan@customer.test",))]
    assert domain.link_steps("me@osprey.test", [], [], own_addresses={"me@osprey.test"}) == []


def test_public_mail_domains_name_no_company() -> None:
    assert domain.company_domain("bob@acme.test") == "acme.test"
    assert domain.company_domain("bob@gmail.com") is None


def test_internal_mail_is_mail_only_between_crm_users() -> None:
    users = {"a@osprey.test", "b@osprey.test"}
    assert domain.is_internal(["a@osprey.test", "b@osprey.test"], users)
    assert not domain.is_internal(["a@osprey.test", "c@customer.test"], users)
    assert not domain.is_internal([], users)


def test_subject_rules_name_the_record_by_their_first_group_or_match() -> None:
    rules = [
        {"pattern": r"INV-(\d+)", "record_type": "invoice", "is_active": True},
        {"pattern": r"DEAL-\d+", "record_type": "opportunity", "is_active": True},
        {"pattern": r"OFF", "record_type": "account", "is_active": False},
    ]
    found = domain.subject_matches("Re: INV-2026 and DEAL-7 OFF", rules)
    assert [(r["record_type"], ref) for r, ref in found] == [
        ("invoice", "2026"),
        ("opportunity", "DEAL-7"),
    ]
    assert domain.subject_matches("nothing", rules) == []


def test_a_subject_rule_must_be_a_regular_expression() -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.clean_rule({"name": "x", "pattern": "(", "record_type": "invoice"}, creating=True)
    assert caught.value.errors[0]["field"] == "pattern"
    with pytest.raises(ValidationFailed):
        domain.clean_rule({"name": "x", "pattern": "a", "record_type": "planet"}, creating=True)


def test_privacy_own_mail_is_all_colleagues_see_what_the_mailbox_shows() -> None:
    mine = {"owner_id": "ann", "is_shared": False, "visibility": "none"}
    headers = {"owner_id": "bob", "is_shared": False, "visibility": "headers"}
    everything = {"owner_id": "cid", "is_shared": False, "visibility": "all"}
    hidden = {"owner_id": "dee", "is_shared": False, "visibility": "none"}
    assert domain.view_of(ANN, [mine]) == "all"
    assert domain.view_of(ANN, [headers]) == "headers"
    assert domain.view_of(ANN, [hidden]) == "none"
    assert domain.view_of(ANN, [hidden, headers]) == "headers"
    assert domain.view_of(ANN, [headers, everything]) == "all"
    assert domain.view_of(ADMIN, [hidden]) == "none"


def test_merge_fields_fill_in_and_never_leave_placeholders() -> None:
    contact = domain.contact_fields(
        {"full_name": "Dana Mae Buyer", "emails": [{"email": "d@x.test"}]}
    )
    assert contact["first_name"] == "Dana" and contact["last_name"] == "Mae Buyer"
    assert contact["email"] == "d@x.test"
    text = "Hi {{contact.first_name}} of {{ account.name }}, {{contact.nickname}}{{user.full_name}}"
    filled = domain.merge_fields(
        text, {"contact": contact, "account": {"name": "Acme"}, "user": {"full_name": "Ann"}}
    )
    assert filled == "Hi Dana of Acme, Ann"


def test_an_owner_that_is_no_id_is_refused_by_name():
    """An owner_id that is not a UUID names no user: a 422 on the field (it reached the
    database as a 500 in the fuzzer's run)."""
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_mailbox({"owner_id": "AAA"}, creating=False)
    assert exc.value.errors == [{"field": "owner_id", "message": "must be a user's id (a UUID)"}]
    owner = "01a253dc-c61e-70d0-9631-4af82ec83d42"
    assert domain.clean_mailbox({"owner_id": owner}, creating=False)["owner_id"] == owner
    assert domain.clean_mailbox({"owner_id": None}, creating=False)["owner_id"] is None
