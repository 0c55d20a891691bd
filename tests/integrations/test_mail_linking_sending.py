"""Linking synced mail to the records the sales and leads services keep, and sending
through a real Postfix: each linking rule, an unknown sender to a shared mailbox
becoming one lead, a reply threaded and read back over IMAP, a failed send kept."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.integrations.mail.service import MailService
from services.leads.service import LeadsService
from services.platform.errors import Unavailable
from services.platform.ids import new_id
from services.sales.service import SalesService

from .conftest import append, call, imap, mailbox_data, message, person, wait_for

ADMIN = person("boss@osprey.test", "admin")


@pytest.fixture
def crm(container_factory, mail_config):
    sales = container_factory(SalesService, mail_config)
    sales.start()
    leads = container_factory(LeadsService, mail_config)
    leads.start()
    mail = container_factory(MailService, mail_config)
    mail.start()
    return mail, sales, leads


def linked(db_engine: sa.Engine, subject: str) -> set[tuple[str, str, str]]:
    with db_engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT l.record_type, l.record_id, l.rule FROM mail.links l "
                "JOIN mail.messages m ON m.id = l.message_id WHERE m.subject = :s"
            ),
            {"s": subject},
        ).all()
    return {tuple(r) for r in rows}


def all_linked(db_engine: sa.Engine) -> bool:
    with db_engine.connect() as conn:
        return not conn.execute(
            sa.text("SELECT count(*) FROM mail.messages WHERE link_state = 'pending'")
        ).scalar()


def link_state(db_engine: sa.Engine, subject: str) -> tuple[str, bool]:
    with db_engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT link_state, needs_processing FROM mail.messages WHERE subject = :s"),
            {"s": subject},
        ).one()
    return row.link_state, row.needs_processing


def test_each_linking_rule(crm, dovecot, mail_user, db_engine):
    mail, sales, leads = crm
    owner = person(mail_user, "sales_manager")
    contact = call(
        sales,
        "create_contact",
        {"full_name": "Carla Customer", "emails": [{"email": "carla@customer.test"}]},
        actor=owner,
    )
    account = call(
        sales,
        "create_account",
        {"name": "Acme Widgets", "web": "https://acme-widgets.test"},
        actor=owner,
    )
    lead = call(
        leads,
        "create_lead",
        {"contact_name": "Lena Lead", "email": "lena@leadco.test"},
        actor=owner,
    )
    deal_account = call(sales, "create_account", {"name": "Deal Holder"}, actor=owner)
    rule = call(
        mail,
        "create_subject_rule",
        {
            "name": "Deal codes",
            "pattern": r"DEAL-\d+",
            "record_type": "account",
            "record_id": deal_account["id"],
        },
        actor=ADMIN,
    )
    assert rule["record_id"] == deal_account["id"]

    append(
        dovecot,
        mail_user,
        "INBOX",
        message(
            sender="Carla <carla@customer.test>",
            to=mail_user,
            subject="From a contact",
            message_id="root-1@customer.test",
        ),
        message(
            sender="Bob <bob@acme-widgets.test>", to=mail_user, subject="From an account's domain"
        ),
        message(sender="lena@leadco.test", to=mail_user, subject="From a lead"),
        message(
            sender="nobody@unknown.test",
            to=f"{mail_user}, carla@customer.test",
            subject="Cc names a contact",
        ),
        message(sender="nobody@unknown.test", to=mail_user, subject="About DEAL-42"),
        message(
            sender="someone@else.test",
            to=mail_user,
            subject="Re: From a contact",
            headers="In-Reply-To: <root-1@customer.test>\r\nReferences: <root-1@customer.test>\r\n",
        ),
        message(sender="stranger@nowhere.test", to=mail_user, subject="Matches nothing"),
    )
    mailbox = call(mail, "create_mailbox", mailbox_data(dovecot, mail_user), actor=owner)
    call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    wait_for(lambda: all_linked(db_engine), what="the linking pass")

    assert linked(db_engine, "From a contact") == {("contact", contact["id"], "sender")}
    assert linked(db_engine, "From an account's domain") == {("account", account["id"], "sender")}
    assert linked(db_engine, "From a lead") == {("lead", lead["id"], "sender")}
    assert linked(db_engine, "Cc names a contact") == {("contact", contact["id"], "recipient")}
    assert linked(db_engine, "About DEAL-42") == {("account", deal_account["id"], "subject")}
    assert linked(db_engine, "Re: From a contact") == {("contact", contact["id"], "thread")}
    assert linked(db_engine, "Matches nothing") == set()
    assert link_state(db_engine, "Matches nothing") == ("done", True)

    waiting = call(mail, "list_emails", {"filter": {"needs_processing": ["true"]}}, actor=owner)[
        "items"
    ]
    assert [e["subject"] for e in waiting] == ["Matches nothing"]
    call(mail, "link_email", waiting[0]["id"], "account", account["id"], actor=owner)
    assert (
        call(mail, "list_emails", {"filter": {"needs_processing": ["true"]}}, actor=owner)["items"]
        == []
    )

    tab = call(
        mail,
        "list_emails",
        {"filter": {"record_type": ["contact"], "record_id": [contact["id"]]}},
        actor=owner,
    )
    assert {e["subject"] for e in tab["items"]} == {
        "From a contact",
        "Cc names a contact",
        "Re: From a contact",
    }
    with db_engine.connect() as conn:
        events = (
            conn.execute(sa.text("SELECT envelope FROM mail.outbox WHERE type = 'email_linked'"))
            .scalars()
            .all()
        )
    assert {e["data"]["subject"] for e in events} >= {
        "From a contact",
        "About DEAL-42",
        "Matches nothing",
    }
    assert all(e["data"]["links"] for e in events)


def test_unknown_senders_to_a_shared_mailbox_become_one_lead_each(
    crm, dovecot, mail_user, db_engine
):
    mail, _sales, leads = crm
    append(
        dovecot,
        mail_user,
        "INBOX",
        message(
            sender="Nina New <nina@prospect.test>",
            to=mail_user,
            subject="Interested in your product",
            date=datetime.now(UTC) - timedelta(hours=2),
        ),
        message(sender="nina@prospect.test", to=mail_user, subject="Interested, again"),
        message(sender="omar@other-prospect.test", to=mail_user, subject="Price list please"),
    )
    mailbox = call(
        mail, "create_mailbox", mailbox_data(dovecot, mail_user, is_shared=True), actor=ADMIN
    )
    call(mail, "sync_mailbox", mailbox["id"], actor=ADMIN, wait=True)
    wait_for(lambda: link_state(db_engine, "Price list please")[0] == "done", what="linking")
    wait_for(lambda: link_state(db_engine, "Interested, again")[0] == "done", what="linking")

    nina = call(leads, "list_leads", {"filter": {"email": ["nina@prospect.test"]}}, actor=ADMIN)[
        "items"
    ]
    assert len(nina) == 1
    assert nina[0]["source"] == "email" and nina[0]["contact_name"] == "Nina New"
    lead_id = nina[0]["id"]
    assert linked(db_engine, "Interested in your product") == {("lead", lead_id, "new_lead")}
    assert linked(db_engine, "Interested, again") in (
        {("lead", lead_id, "new_lead")},
        {("lead", lead_id, "sender")},
    )
    assert (
        len(
            call(
                leads,
                "list_leads",
                {"filter": {"email": ["omar@other-prospect.test"]}},
                actor=ADMIN,
            )["items"]
        )
        == 1
    )

    # a second sync of the same mail (a new UIDVALIDITY, another instance) makes no lead
    with db_engine.begin() as conn:
        conn.execute(sa.text("UPDATE mail.messages SET link_state = 'pending'"))
    wait_for(lambda: link_state(db_engine, "Price list please")[0] == "done", what="linking again")
    wait_for(
        lambda: link_state(db_engine, "Interested in your product")[0] == "done",
        what="linking again",
    )
    assert (
        len(
            call(leads, "list_leads", {"filter": {"email": ["nina@prospect.test"]}}, actor=ADMIN)[
                "items"
            ]
        )
        == 1
    )


def test_a_reply_is_sent_through_smtp_threaded_and_saved_to_sent(
    crm, dovecot, postfix, mail_user, db_engine
):
    mail, sales, _leads = crm
    owner = person(mail_user, "sales_manager")
    customer = f"cust{new_id()[-6:]}"
    dovecot.add_user(customer, "s3cret-pass")
    customer_address = f"{customer}@customer.test"
    contact = call(
        sales,
        "create_contact",
        {"full_name": "Dana Buyer", "emails": [{"email": customer_address}]},
        actor=owner,
    )
    template = call(
        mail,
        "create_mail_template",
        {
            "name": "Follow-up",
            "subject": "Our offer, {{contact.first_name}}",
            "body": "Dear {{contact.first_name}},\nsee attached.\n{{user.full_name}}",
        },
        actor=ADMIN,
    )
    append(
        dovecot,
        mail_user,
        "INBOX",
        message(
            sender=f"Dana <{customer_address}>",
            to=mail_user,
            subject="Question",
            message_id="q-1@customer.test",
            headers="References: <first@customer.test>\r\n",
        ),
    )
    mailbox = call(
        mail,
        "create_mailbox",
        mailbox_data(
            dovecot,
            mail_user,
            smtp_host="127.0.0.1",
            smtp_port=postfix.smtp_port,
            smtp_security="none",
        ),
        actor=owner,
    )
    call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    wait_for(lambda: link_state(db_engine, "Question")[0] == "done", what="linking")
    question = call(mail, "list_emails", {"filter": {"mailbox_id": [mailbox["id"]]}}, actor=owner)[
        "items"
    ][0]

    sent = call(
        mail,
        "send_email",
        {
            "mailbox_id": mailbox["id"],
            "to": [customer_address],
            "template_id": template["id"],
            "related": {"type": "contact", "id": contact["id"]},
            "reply_to_id": question["id"],
            "attachments": [
                {
                    "filename": "offer.txt",
                    "content_type": "text/plain",
                    "content_base64": "T2ZmZXI=",
                }
            ],
        },
        actor=owner,
    )
    assert sent["subject"] == "Our offer, Dana" and sent["saved_to_sent"] is True
    assert {"type": "contact", "id": contact["id"], "rule": "sent_from"} in sent["links"]

    def delivered():
        with imap(dovecot, customer_address) as client:
            client.select_folder("INBOX")
            uids = client.search(["SUBJECT", "Our offer"])
            return client.fetch(uids, [b"BODY[]"]) if uids else None

    got = wait_for(delivered, what="Postfix to deliver the reply")
    received = email.message_from_bytes(
        next(iter(got.values()))[b"BODY[]"], policy=email.policy.default
    )
    assert received["In-Reply-To"] == "<q-1@customer.test>"
    assert received["References"].split() == ["<first@customer.test>", "<q-1@customer.test>"]
    body = next(
        p for p in received.walk() if p.get_content_type() == "text/plain" and not p.get_filename()
    )
    assert "Dear Dana," in body.get_content() and owner["full_name"] in body.get_content()
    assert [p.get_filename() for p in received.walk() if p.get_filename()] == ["offer.txt"]

    with imap(dovecot, mail_user) as client:
        client.select_folder("Sent")
        assert client.search(["HEADER", "In-Reply-To", "q-1@customer.test"])
    with db_engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM mail.outbox WHERE type = 'email_sent'")
            ).scalar()
            == 1
        )
        thread = (
            conn.execute(sa.text("SELECT DISTINCT thread_key FROM mail.messages")).scalars().all()
        )
    assert thread == ["mid:first@customer.test"]

    # the Sent copy found by the next sync is the same message, not a second one
    call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    with db_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM mail.messages")).scalar() == 2


def test_a_failed_send_says_why_and_is_kept_to_retry(crm, dovecot, postfix, mail_user, db_engine):
    mail, _sales, _leads = crm
    owner = person(mail_user)
    mailbox = call(
        mail,
        "create_mailbox",
        mailbox_data(
            dovecot,
            mail_user,
            smtp_host="127.0.0.1",
            smtp_port=postfix.smtp_port,
            smtp_security="none",
        ),
        actor=owner,
    )
    postfix.stop()
    try:
        with pytest.raises(Unavailable) as caught:
            call(
                mail,
                "send_email",
                {
                    "mailbox_id": mailbox["id"],
                    "to": ["x@customer.test"],
                    "subject": "Hi",
                    "body": "b",
                },
                actor=owner,
            )
    finally:
        postfix.start()
    assert "could not be reached" in caught.value.message
    send_id = next(e["message"] for e in caught.value.errors if e["field"] == "send_id")
    with db_engine.connect() as conn:
        state = conn.execute(
            sa.text("SELECT state, error FROM mail.sends WHERE id = :i"), {"i": send_id}
        ).one()
    assert state.state == "failed" and "could not be reached" in state.error

    sent = call(mail, "retry_send", send_id, actor=owner)
    assert sent["subject"] == "Hi"
    with db_engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT state FROM mail.sends WHERE id = :i"), {"i": send_id}
            ).scalar()
            == "sent"
        )
