"""The mail service's rules, field by field: what a user may type into a mailbox, a subject
rule or a template, the exact error the API answers with, what is stored from valid input,
who may manage or connect a mailbox and what a server's failure reads like."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.integrations.mail import domain
from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed

ANN = Actor(id="ann", roles=("sales_rep",))
BOB = Actor(id="bob", roles=("sales_rep",))
ADMIN = Actor(id="boss", roles=("admin",))
TODAY = date(2026, 12, 7)
NEW = {"email": "ann@example.com", "imap_host": "imap.example.com", "password": "pw"}

ANN_ID = "01a253dc-c61e-70d0-9631-4af82ec83d42"


def mailbox_errors(data: Any, *, creating: bool = False) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        domain.clean_mailbox(data, creating=creating)
    return caught.value.errors


def one_error(errors: list[dict[str, str]]) -> tuple[str, str]:
    assert len(errors) == 1, errors
    return errors[0]["field"], errors[0]["message"]


# --- the error the API returns ------------------------------------------------------------------


def test_the_message_lists_every_bad_field_in_order() -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.clean_mailbox({"imap_port": 0, "visibility": "public"}, creating=False)
    assert caught.value.errors == [
        {"field": "imap_port", "message": "must be a port, 1..65535"},
        {"field": "visibility", "message": "must be one of all, headers, none"},
    ]
    assert str(caught.value) == (
        "imap_port: must be a port, 1..65535; visibility: must be one of all, headers, none"
    )


@pytest.mark.parametrize("clean", [domain.clean_mailbox, domain.clean_rule, domain.clean_template])
@pytest.mark.parametrize("data", [None, [], "text"])
def test_a_body_that_is_not_an_object_is_refused(clean: Any, data: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean(data, creating=True)
    assert caught.value.errors == [{"field": "data", "message": "must be an object"}]
    assert str(caught.value) == "data: must be an object"


# --- mailbox fields -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["id", "version", "created_at", "updated_at", "created_by", "health", "state"]
)
def test_server_kept_mailbox_fields_are_read_only(key: str) -> None:
    assert one_error(mailbox_errors({key: "x"})) == (key, "is read-only")


def test_an_unknown_mailbox_field_is_named() -> None:
    assert one_error(mailbox_errors({"colour": "red"})) == ("colour", "unknown field")


def test_every_writable_mailbox_field_is_accepted_together() -> None:
    data = {
        "kind": "imap",
        "email": "Ann@Example.com",
        "login": " ann ",
        "password": " secret ",
        "imap_host": " IMAP.Example.com ",
        "imap_port": 1993,
        "smtp_host": "SMTP.example.com",
        "smtp_port": 2525,
        "security": "starttls",
        "smtp_security": "none",
        "folders": ["Sent"],
        "sync_since": "2026-01-05",
        "visibility": "all",
        "is_shared": True,
        "store_internal": False,
        "owner_id": ANN_ID,
    }
    assert domain.clean_mailbox(data, creating=True) == {
        "kind": "imap",
        "email": "ann@example.com",
        "login": "ann",
        "password": " secret ",
        "imap_host": "imap.example.com",
        "imap_port": 1993,
        "smtp_host": "smtp.example.com",
        "smtp_port": 2525,
        "security": "starttls",
        "smtp_security": "none",
        "folders": ["INBOX", "Sent"],
        "sync_since": "2026-01-05",
        "visibility": "all",
        "is_shared": True,
        "store_internal": False,
        "owner_id": ANN_ID,
    }


def test_a_new_mailbox_needs_email_host_and_password() -> None:
    assert mailbox_errors({}, creating=True) == [
        {"field": "email", "message": "is required"},
        {"field": "imap_host", "message": "is required"},
        {"field": "password", "message": "is required"},
    ]
    assert domain.clean_mailbox(NEW, creating=True) == NEW


def test_an_edit_needs_no_field() -> None:
    assert domain.clean_mailbox({}, creating=False) == {}


def test_only_imap_mailboxes_exist() -> None:
    assert domain.clean_mailbox({"kind": "imap"}, creating=False) == {"kind": "imap"}
    assert one_error(mailbox_errors({"kind": "pop3"})) == ("kind", "must be one of imap")


@pytest.mark.parametrize("email", ["nope", "", 42, None, "a b@example.com"])
def test_a_mailbox_email_must_be_an_address(email: Any) -> None:
    assert one_error(mailbox_errors({"email": email})) == ("email", "is not an email address")


def test_a_mailbox_email_is_stored_trimmed_and_lower_case() -> None:
    assert domain.clean_mailbox({"email": " Ann@Example.COM "}, creating=False) == {
        "email": "ann@example.com"
    }


def test_login_is_trimmed_text_of_up_to_320_characters() -> None:
    assert domain.clean_mailbox({"login": " " + "a" * 320 + " "}, creating=False) == {
        "login": "a" * 320
    }
    assert domain.clean_mailbox({"login": "a"}, creating=False) == {"login": "a"}
    for bad in ["a" * 321, "", "   ", 7, None]:
        assert one_error(mailbox_errors({"login": bad})) == (
            "login",
            "must be text of 1..320 characters",
        )


def test_password_is_kept_as_typed_up_to_1024_characters() -> None:
    for good in [" p ", "p", "p" * 1024]:
        assert domain.clean_mailbox({"password": good}, creating=False) == {"password": good}
    for bad in ["", "p" * 1025, 1234, None]:
        assert one_error(mailbox_errors({"password": bad})) == (
            "password",
            "must be 1..1024 characters",
        )


@pytest.mark.parametrize("name", ["imap_host", "smtp_host"])
def test_a_host_is_a_name_or_address_of_up_to_253_characters(name: str) -> None:
    longest = "a" * 253
    for good, stored in [
        (" Mail.Example.COM ", "mail.example.com"),
        ("a", "a"),
        ("10.0.0.1", "10.0.0.1"),
        ("mail-1.example.com", "mail-1.example.com"),
        (longest, longest),
    ]:
        assert domain.clean_mailbox({name: good}, creating=False) == {name: stored}
    for bad in ["a" * 254, "-mail.example.com", "mail.example.com-", "mail example.com", 5]:
        assert one_error(mailbox_errors({name: bad})) == (name, "must be a host name or address")


def test_an_empty_smtp_host_means_the_imap_host_but_imap_needs_one() -> None:
    for empty in [None, ""]:
        assert domain.clean_mailbox({"smtp_host": empty}, creating=False) == {"smtp_host": None}
        assert one_error(mailbox_errors({"imap_host": empty})) == (
            "imap_host",
            "must be a host name or address",
        )


@pytest.mark.parametrize("name", ["imap_port", "smtp_port"])
def test_a_port_is_1_to_65535_or_empty(name: str) -> None:
    for good in [1, 993, 65535, None]:
        assert domain.clean_mailbox({name: good}, creating=False) == {name: good}
    for bad in [0, -1, 65536, True, "993", 993.0]:
        assert one_error(mailbox_errors({name: bad})) == (name, "must be a port, 1..65535")


@pytest.mark.parametrize("name", ["security", "smtp_security"])
def test_security_is_ssl_starttls_or_none(name: str) -> None:
    for good in ["ssl", "starttls", "none"]:
        assert domain.clean_mailbox({name: good}, creating=False) == {name: good}
    for bad in ["tls", "SSL", None]:
        assert one_error(mailbox_errors({name: bad})) == (
            name,
            "must be one of ssl, starttls, none",
        )


def test_visibility_is_all_headers_or_none() -> None:
    for good in ["all", "headers", "none"]:
        assert domain.clean_mailbox({"visibility": good}, creating=False) == {"visibility": good}
    for bad in ["public", "ALL", None]:
        assert one_error(mailbox_errors({"visibility": bad})) == (
            "visibility",
            "must be one of all, headers, none",
        )


@pytest.mark.parametrize("name", ["is_shared", "store_internal"])
def test_flags_are_true_or_false(name: str) -> None:
    for good in [True, False]:
        assert domain.clean_mailbox({name: good}, creating=False) == {name: good}
    for bad in [1, 0, "true", None]:
        assert one_error(mailbox_errors({name: bad})) == (name, "must be true or false")


def test_folders_always_start_with_the_inbox_once() -> None:
    def folders(value: list[str]) -> list[str]:
        return domain.clean_mailbox({"folders": value}, creating=False)["folders"]

    assert folders([]) == ["INBOX"]
    assert folders(["Sent", "INBOX", "Sent", "Archive"]) == ["INBOX", "Sent", "Archive"]
    assert folders(["f"] * 50) == ["INBOX", "f"]
    assert folders(["x" * 500]) == ["INBOX", "x" * 500]


@pytest.mark.parametrize(
    "value",
    ["INBOX", None, ["f"] * 51, [""], ["x" * 501], [3], ("INBOX",)],
)
def test_folders_are_a_list_of_up_to_50_names(value: Any) -> None:
    assert one_error(mailbox_errors({"folders": value})) == (
        "folders",
        "must be a list of up to 50 folder names",
    )


def test_sync_since_is_an_iso_date() -> None:
    assert domain.clean_mailbox({"sync_since": "2026-01-05"}, creating=False) == {
        "sync_since": "2026-01-05"
    }
    for bad in ["05/01/2026", "2026-02-30", "", None, 20260105]:
        assert one_error(mailbox_errors({"sync_since": bad})) == (
            "sync_since",
            "must be a date, YYYY-MM-DD",
        )


def test_owner_is_passed_through_to_the_permission_check() -> None:
    bob = "01a253dc-c61e-70d0-9631-4af82ec83d43"
    assert domain.clean_mailbox({"owner_id": bob}, creating=False) == {"owner_id": bob}
    assert domain.clean_mailbox({"owner_id": None}, creating=False) == {"owner_id": None}


# --- stored settings ----------------------------------------------------------------------------


def test_a_new_mailbox_is_stored_with_every_default() -> None:
    assert domain.mailbox_settings(dict(NEW), None, TODAY) == {
        "email": "ann@example.com",
        "imap_host": "imap.example.com",
        "kind": "imap",
        "security": "ssl",
        "login": "ann@example.com",
        "folders": ["INBOX"],
        "visibility": "headers",
        "store_internal": False,
        "sync_since": "2026-09-08",
        "imap_port": 993,
        "smtp_host": "imap.example.com",
        "smtp_security": "ssl",
        "smtp_port": 465,
    }


def test_password_sharing_and_owner_are_not_settings() -> None:
    settings = domain.mailbox_settings(
        {**NEW, "is_shared": True, "owner_id": "bob", "visibility": "all"}, None, TODAY
    )
    assert "password" not in settings
    assert "is_shared" not in settings
    assert "owner_id" not in settings
    assert settings["visibility"] == "all"


def test_an_edit_keeps_what_it_does_not_change() -> None:
    current = {
        "kind": "imap",
        "email": "ann@example.com",
        "imap_host": "imap.example.com",
        "login": "ann",
        "security": "starttls",
        "folders": ["INBOX", "Sent"],
        "visibility": "none",
        "store_internal": True,
        "sync_since": "2025-01-01",
        "imap_port": 1143,
        "smtp_host": "smtp.example.com",
        "smtp_security": "none",
        "smtp_port": 2525,
    }
    assert domain.mailbox_settings({}, current, TODAY) == current
    changed = domain.mailbox_settings({"visibility": "all", "imap_port": 10993}, current, TODAY)
    assert changed == {**current, "visibility": "all", "imap_port": 10993}
    assert current["visibility"] == "none"


@pytest.mark.parametrize(
    ("security", "smtp_security", "imap_port", "smtp_port"),
    [
        ("ssl", None, 993, 465),
        ("starttls", None, 143, 587),
        ("none", None, 143, 587),
        ("starttls", "ssl", 143, 465),
        ("ssl", "starttls", 993, 587),
    ],
)
def test_ports_default_to_the_security_s_usual_ones(
    security: str, smtp_security: str | None, imap_port: int, smtp_port: int
) -> None:
    changes: dict[str, Any] = {**NEW, "security": security}
    if smtp_security:
        changes["smtp_security"] = smtp_security
    settings = domain.mailbox_settings(changes, None, TODAY)
    assert settings["smtp_security"] == (smtp_security or security)
    assert (settings["imap_port"], settings["smtp_port"]) == (imap_port, smtp_port)


def test_clearing_a_port_brings_back_the_usual_one() -> None:
    current = domain.mailbox_settings({**NEW, "imap_port": 1993, "smtp_port": 2465}, None, TODAY)
    assert (current["imap_port"], current["smtp_port"]) == (1993, 2465)
    cleared = domain.mailbox_settings({"imap_port": None, "smtp_port": None}, current, TODAY)
    assert (cleared["imap_port"], cleared["smtp_port"]) == (993, 465)


def test_sync_starts_90_days_back_by_default() -> None:
    settings = domain.mailbox_settings(dict(NEW), None, date(2026, 3, 31))
    assert settings["sync_since"] == "2025-12-31"


# --- who may connect and manage a mailbox -------------------------------------------------------


def test_a_user_connects_their_own_mailbox() -> None:
    domain.check_may_connect(ANN, is_shared=False, owner_id=None)
    domain.check_may_connect(ANN, is_shared=False, owner_id="ann")
    domain.check_may_connect(ANN, is_shared=False, owner_id="")


@pytest.mark.parametrize(("is_shared", "owner_id"), [(True, None), (True, "ann"), (False, "bob")])
def test_shared_and_others_mailboxes_are_an_administrators(
    is_shared: bool, owner_id: str | None
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        domain.check_may_connect(ANN, is_shared=is_shared, owner_id=owner_id)
    assert str(caught.value) == (
        "Only an administrator may connect a shared mailbox or another user's"
    )
    domain.check_may_connect(ADMIN, is_shared=is_shared, owner_id=owner_id)


def test_who_may_manage_a_mailbox() -> None:
    own = {"owner_id": "ann", "is_shared": False}
    shared = {"owner_id": "ann", "is_shared": True}
    others = {"owner_id": "bob", "is_shared": False}
    assert domain.may_manage(ANN, own) is True
    assert domain.may_manage(ANN, shared) is False
    assert domain.may_manage(ANN, others) is False
    assert domain.may_manage(BOB, others) is True
    for mailbox in (own, shared, others):
        assert domain.may_manage(ADMIN, mailbox) is True


# --- failure words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("auth", "The server refused the login: check the user name and password."),
        (
            "unreachable",
            "The server could not be reached: check the host name and port, "
            "and that the server is running.",
        ),
        (
            "timeout",
            "The server did not answer in time: check the host and port, or try again later.",
        ),
        (
            "tls",
            "The server's certificate is not trusted, or it does not speak TLS on this "
            "port: check the security setting (SSL, STARTTLS or none).",
        ),
        (
            "lost",
            "The connection to the server was lost in the middle of a sync; Osprey goes on "
            "from where it stopped at the next try.",
        ),
        ("capability", "The server does not speak IMAP4rev1, which Osprey needs."),
        ("protocol", "The server answered something Osprey did not understand."),
        (
            "smtp_auth",
            "The outgoing (SMTP) server refused the login: check the user name and password.",
        ),
        ("smtp_rejected", "The outgoing (SMTP) server refused the message."),
        ("gremlins", "The server answered something Osprey did not understand."),
    ],
)
def test_each_failure_reads_in_a_users_words(kind: str, words: str) -> None:
    assert domain.failure_words(kind) == words
    assert domain.failure_words(kind, "") == words


def test_only_unclear_answers_carry_the_servers_own_words() -> None:
    assert domain.failure_words("protocol", "BAD command") == (
        "The server answered something Osprey did not understand. (BAD command)"
    )
    assert domain.failure_words("smtp_rejected", "550 no such user") == (
        "The outgoing (SMTP) server refused the message. (550 no such user)"
    )
    assert domain.failure_words("auth", "NO [AUTHENTICATIONFAILED]") == (
        "The server refused the login: check the user name and password."
    )
    assert domain.failure_words("gremlins", "huh") == (
        "The server answered something Osprey did not understand."
    )


def test_a_servers_words_are_cut_at_300_characters() -> None:
    words = domain.failure_words("protocol", "x" * 299 + "yz")
    assert words.endswith(" (" + "x" * 299 + "y)")


# --- company domains ----------------------------------------------------------------------------


def test_a_company_domain_is_the_part_after_the_last_at() -> None:
    assert domain.company_domain("ann@acme.com") == "acme.com"
    assert domain.company_domain('"a@b"@acme.com') == "acme.com"
    assert domain.company_domain("acme.com") == "acme.com"


@pytest.mark.parametrize(
    "provider",
    ["gmail.com", "outlook.com", "yandex.ru", "mail.ru", "proton.me", "icloud.com"],
)
def test_public_providers_name_no_company(provider: str) -> None:
    assert domain.company_domain(f"ann@{provider}") is None


# --- what colleagues see ------------------------------------------------------------------------


def test_a_user_sees_all_of_their_own_mailbox() -> None:
    own = {"owner_id": "ann", "is_shared": False, "visibility": "none"}
    bobs = {"owner_id": "bob", "is_shared": False, "visibility": "headers"}
    assert domain.view_of(ANN, [bobs, own]) == "all"
    assert domain.view_of(BOB, [own]) == "none"


def test_colleagues_see_the_most_any_holding_mailbox_shows() -> None:
    def box(visibility: str | None, owner: str = "bob", shared: bool = False) -> dict[str, Any]:
        return {"owner_id": owner, "is_shared": shared, "visibility": visibility}

    assert domain.view_of(ANN, []) == "none"
    assert domain.view_of(ANN, [box("none")]) == "none"
    assert domain.view_of(ANN, [box(None)]) == "headers"
    assert domain.view_of(ANN, [box("none"), box("headers"), box("none")]) == "headers"
    assert domain.view_of(ANN, [box("all"), box("headers")]) == "all"
    assert domain.view_of(ANN, [box("headers", owner="ann", shared=True)]) == "headers"
    assert domain.view_of(ADMIN, [box("none", shared=True)]) == "none"


# --- subject rules ------------------------------------------------------------------------------


def rule_errors(data: Any, *, creating: bool = False) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        domain.clean_rule(data, creating=creating)
    return caught.value.errors


def test_a_subject_rule_is_stored_as_given() -> None:
    data = {
        "name": " Invoices ",
        "pattern": r"INV-(\d+)",
        "record_type": "invoice",
        "record_id": ANN_ID,
        "is_active": False,
    }
    assert domain.clean_rule(data, creating=True) == {**data, "name": "Invoices"}


def test_a_new_subject_rule_needs_name_pattern_and_record_type() -> None:
    assert rule_errors({}, creating=True) == [
        {"field": "name", "message": "is required"},
        {"field": "pattern", "message": "is required"},
        {"field": "record_type", "message": "is required"},
    ]
    assert domain.clean_rule({}, creating=False) == {}


def test_an_unknown_rule_field_is_named() -> None:
    assert one_error(rule_errors({"subject": "x"})) == ("subject", "unknown field")


def test_a_rule_name_is_text_of_up_to_200_characters() -> None:
    assert domain.clean_rule({"name": " " + "n" * 200 + " "}, creating=False) == {"name": "n" * 200}
    assert domain.clean_rule({"name": "n"}, creating=False) == {"name": "n"}
    for bad in ["n" * 201, "", "  ", 5, None]:
        assert one_error(rule_errors({"name": bad})) == (
            "name",
            "must be text of 1..200 characters",
        )


def test_a_rule_pattern_is_a_regular_expression_of_up_to_500_characters() -> None:
    for good in ["a", "a" * 500, r" (\d+) "]:
        assert domain.clean_rule({"pattern": good}, creating=False) == {"pattern": good}
    for bad in ["", "a" * 501, 5, None]:
        assert one_error(rule_errors({"pattern": bad})) == ("pattern", "must be 1..500 characters")
    field, message = one_error(rule_errors({"pattern": "INV-(\\d+"}))
    assert field == "pattern"
    assert (
        message == "is not a regular expression: missing ), unterminated subpattern at position 4"
    )


@pytest.mark.parametrize(
    "record_type", ["contact", "account", "opportunity", "lead", "order", "invoice"]
)
def test_a_rule_links_to_each_kind_of_record(record_type: str) -> None:
    assert domain.clean_rule({"record_type": record_type}, creating=False) == {
        "record_type": record_type
    }


def test_a_rule_cannot_link_to_other_kinds_of_record() -> None:
    for bad in ["user", "Contact", None]:
        assert one_error(rule_errors({"record_type": bad})) == (
            "record_type",
            "must be one of contact, account, opportunity, lead, order, invoice",
        )


def test_a_rule_record_id_is_optional_and_empty_means_none() -> None:
    assert domain.clean_rule({"record_id": ""}, creating=False) == {"record_id": None}
    assert domain.clean_rule({"record_id": None}, creating=False) == {"record_id": None}
    assert domain.clean_rule({"record_id": ANN_ID}, creating=False) == {"record_id": ANN_ID}


def test_a_rule_is_active_or_not() -> None:
    for good in [True, False]:
        assert domain.clean_rule({"is_active": good}, creating=False) == {"is_active": good}
    for bad in [1, "yes", None]:
        assert one_error(rule_errors({"is_active": bad})) == ("is_active", "must be true or false")


def test_every_bad_rule_field_is_named_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.clean_rule({"name": "", "record_type": "user", "x": 1}, creating=True)
    assert [e["field"] for e in caught.value.errors] == [
        "x",
        "name",
        "record_type",
        "pattern",
    ]
    assert str(caught.value).startswith("x: unknown field; name: must be text")


def test_subject_rules_find_the_reference() -> None:
    group = {"pattern": r"INV-(\d+)", "is_active": True}
    whole = {"pattern": r"ORD-\d+"}
    optional = {"pattern": r"Q-(\d+)?"}
    subject = "Re: INV-42 and ORD-7 and Q-"
    assert domain.subject_matches(subject, [group, whole, optional]) == [
        (group, "42"),
        (whole, "ORD-7"),
        (optional, "Q-"),
    ]


def test_inactive_and_broken_rules_are_skipped_but_later_ones_still_match() -> None:
    inactive = {"pattern": "INV", "is_active": False}
    broken = {"pattern": "INV-(", "is_active": True}
    good = {"pattern": "INV"}
    assert domain.subject_matches("INV-1", [inactive, broken, good]) == [(good, "INV")]


def test_a_message_without_subject_matches_only_empty_patterns() -> None:
    anything = {"pattern": "^$"}
    letters = {"pattern": "X"}
    assert domain.subject_matches(None, [anything, letters]) == [(anything, "")]  # type: ignore[arg-type]
    assert domain.subject_matches("", [letters]) == []


# --- templates and merge fields -----------------------------------------------------------------


def template_errors(data: Any, *, creating: bool = False) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        domain.clean_template(data, creating=creating)
    return caught.value.errors


def test_a_template_keeps_subject_and_body_as_typed() -> None:
    data = {"name": " Welcome ", "subject": " Hi {{contact.first_name}} ", "body": " Dear "}
    assert domain.clean_template(data, creating=True) == {**data, "name": "Welcome"}
    assert domain.clean_template({"subject": "", "body": ""}, creating=False) == {
        "subject": "",
        "body": "",
    }


def test_a_new_template_needs_name_subject_and_body() -> None:
    assert template_errors({}, creating=True) == [
        {"field": "name", "message": "is required"},
        {"field": "subject", "message": "is required"},
        {"field": "body", "message": "is required"},
    ]
    assert domain.clean_template({}, creating=False) == {}


def test_an_unknown_template_field_is_named() -> None:
    assert one_error(template_errors({"html": "x"})) == ("html", "unknown field")


@pytest.mark.parametrize(("name", "limit"), [("name", 200), ("subject", 998), ("body", 200_000)])
def test_template_text_limits(name: str, limit: int) -> None:
    assert domain.clean_template({name: "x" * limit}, creating=False) == {name: "x" * limit}
    for bad in ["x" * (limit + 1), None, 5]:
        assert one_error(template_errors({name: bad})) == (
            name,
            f"must be text of up to {limit} characters",
        )


def test_a_template_name_cannot_be_blank() -> None:
    for bad in ["", "   "]:
        assert one_error(template_errors({"name": bad})) == (
            "name",
            "must be text of up to 200 characters",
        )


def test_merge_fields_fill_in_known_values_and_blank_the_rest() -> None:
    context = {"contact": {"first_name": "Ann", "age": 0}, "account": {}}
    text = "Hi {{contact.first_name}}, {{ contact.age }} {{account.name}}{{user.name}}{{x}}"
    assert domain.merge_fields(text, context) == "Hi Ann, 0 {{x}}"
    assert domain.merge_fields(None, context) == ""  # type: ignore[arg-type]
    assert domain.merge_fields("", context) == ""


def test_a_contacts_merge_fields() -> None:
    assert domain.contact_fields(None) == {}
    assert domain.contact_fields({}) == {}
    contact = {
        "id": "c1",
        "full_name": "Ann Lee Smith",
        "emails": [
            {"email": "ann@work.com", "is_primary": False},
            {"email": "ann@home.com", "is_primary": True},
        ],
    }
    assert domain.contact_fields(contact) == {
        **contact,
        "first_name": "Ann",
        "last_name": "Lee Smith",
        "email": "ann@home.com",
    }


def test_a_contact_without_name_primary_or_emails() -> None:
    fields = domain.contact_fields(
        {"id": "c1", "emails": [{"email": "a@x.com"}, {"email": "b@x.com"}]}
    )
    assert (fields["first_name"], fields["last_name"], fields["email"]) == ("", "", "a@x.com")
    bare = domain.contact_fields({"id": "c2", "full_name": "Ann", "emails": []})
    assert (bare["first_name"], bare["last_name"], bare["email"]) == ("Ann", "", None)
    nameless = domain.contact_fields({"id": "c3", "full_name": None})
    assert (nameless["first_name"], nameless["last_name"], nameless["email"]) == ("", "", None)


def test_a_subject_rules_record_that_is_no_id_is_refused_by_name() -> None:
    """A record_id that is not a UUID names no record: a 422 on the field (it reached
    the database as a 500 in the fuzzer's run)."""
    rule = {"name": "Invoices", "pattern": "INV-", "record_type": "contact"}
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_rule({**rule, "record_id": "\u0086\u00a8"}, creating=True)
    assert exc.value.errors == [{"field": "record_id", "message": "must be a record's id (a UUID)"}]
    assert domain.clean_rule({**rule, "record_id": ANN_ID}, creating=True)["record_id"] == ANN_ID
    assert domain.clean_rule({**rule, "record_id": None}, creating=True)["record_id"] is None
