"""Mail on the records' timelines, end to end: a message delivered by a real Postfix into
a real Dovecot is synced and linked by the mail service, and the sales service (over the
real broker) shows it on the contact's activities; a reply sent through Postfix shows as
outgoing in the same thread; a mailbox whose mail colleagues may not see leaves no
subject on the timeline."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest

from services.integrations.mail.service import MailService
from services.leads.service import LeadsService
from services.platform.ids import new_id
from services.sales.service import SalesService

from .conftest import call, imap, mailbox_data, message, person, wait_for


@pytest.fixture
def crm(container_factory, mail_config):
    started = []
    for service in (SalesService, LeadsService, MailService):
        container = container_factory(service, mail_config)
        container.start()
        started.append(container)
    sales, _leads, mail = started
    return mail, sales


def deliver(postfix: Any, dovecot: Any, to: str, raw: bytes, subject: str) -> None:
    """Hand the message to Postfix over SMTP and wait until Dovecot holds it."""
    with smtplib.SMTP("127.0.0.1", postfix.smtp_port, timeout=10) as smtp:
        smtp.sendmail("customer@customer.test", [to], raw)

    def arrived() -> bool:
        with imap(dovecot, to) as client:
            client.select_folder("INBOX")
            return bool(client.search(["SUBJECT", subject]))

    wait_for(arrived, what="Postfix to deliver the message")


def timeline(sales: Any, contact_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
    return call(
        sales,
        "list_activities",
        {
            "filter": {"related_type": ["contact"], "related_id": [contact_id], "type": ["email"]},
            "sort": "start_at",
        },
        actor=actor,
    )["items"]


def test_delivered_mail_and_a_sent_reply_show_threaded_on_the_contact_timeline(
    crm, dovecot, postfix, mail_user
):
    mail, sales = crm
    owner = person(mail_user, "sales_manager")
    colleague = person("colleague@osprey.test", "sales_rep", new_id())
    customer = f"cust{new_id()[-6:]}"
    dovecot.add_user(customer, "s3cret-pass")
    address = f"{customer}@customer.test"
    account = call(sales, "create_account", {"name": "Buyer Ltd"}, actor=owner)
    contact = call(
        sales,
        "create_contact",
        {"full_name": "Dana Buyer", "emails": [{"email": address}], "account_id": account["id"]},
        actor=owner,
    )
    deliver(
        postfix,
        dovecot,
        mail_user,
        message(sender=f"Dana <{address}>", to=mail_user, subject="Price of boilers"),
        "Price of boilers",
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

    [incoming] = wait_for(
        lambda: timeline(sales, contact["id"], owner), what="the email activity on the contact"
    )
    [email_] = call(mail, "list_emails", {"filter": {"mailbox_id": [mailbox["id"]]}}, actor=owner)[
        "items"
    ]
    assert (incoming["title"], incoming["status"]) == ("Price of boilers", "completed")
    assert incoming["participants"] == [{"type": "contact", "id": contact["id"]}]
    assert incoming["email"]["id"] == email_["id"]
    assert incoming["email"]["direction"] == "incoming"
    assert incoming["email"]["visibility"] == "headers"
    # the mailbox shows subjects to colleagues: a colleague of another team sees it too
    assert [a["id"] for a in timeline(sales, contact["id"], colleague)] == [incoming["id"]]

    sent = call(
        mail,
        "send_email",
        {
            "mailbox_id": mailbox["id"],
            "to": [address],
            "body": "They are in the attached offer.",
            "related": {"type": "contact", "id": contact["id"]},
            "reply_to_id": email_["id"],
        },
        actor=owner,
    )
    items = wait_for(
        lambda: (lambda found: found if len(found) == 2 else None)(
            timeline(sales, contact["id"], owner)
        ),
        what="the reply on the timeline",
    )
    assert [(a["title"], a["email"]["direction"]) for a in items] == [
        ("Price of boilers", "incoming"),
        ("Re: Price of boilers", "outgoing"),
    ]
    assert items[1]["email"]["id"] == sent["id"]
    assert items[1]["email"]["thread_key"] == items[0]["email"]["thread_key"]
    assert items[1]["created_by"] == owner["id"]
    # once per message: the sent copy found by the next sync adds no second activity
    call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    assert len(timeline(sales, contact["id"], owner)) == 2


def test_a_mailbox_colleagues_may_not_see_leaves_no_subject_on_the_timeline(
    crm, dovecot, postfix, mail_user
):
    mail, sales = crm
    owner = person(mail_user, "sales_manager")
    contact = call(
        sales,
        "create_contact",
        {"full_name": "Pat Private", "emails": [{"email": "pat@private.test"}]},
        actor=owner,
    )
    deliver(
        postfix,
        dovecot,
        mail_user,
        message(sender="Pat <pat@private.test>", to=mail_user, subject="My health"),
        "My health",
    )
    mailbox = call(
        mail, "create_mailbox", mailbox_data(dovecot, mail_user, visibility="none"), actor=owner
    )
    call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    [activity] = wait_for(
        lambda: timeline(sales, contact["id"], owner), what="the email activity on the contact"
    )
    assert (activity["title"], activity["description"]) == ("Private email", None)
    assert activity["email"]["visibility"] == "none"
    assert "health" not in str(activity) and "pat@private.test" not in str(activity)


def test_links_made_and_removed_by_hand_move_the_message_between_timelines(
    crm, dovecot, postfix, mail_user
):
    mail, sales = crm
    owner = person(mail_user, "sales_manager")
    contact = call(
        sales,
        "create_contact",
        {"full_name": "Lou Linked", "emails": [{"email": "lou@linked.test"}]},
        actor=owner,
    )
    deal = call(sales, "create_opportunity", {"title": "Forty chairs"}, actor=owner)
    deliver(
        postfix,
        dovecot,
        mail_user,
        message(sender="Lou <lou@linked.test>", to=mail_user, subject="Chairs"),
        "Chairs",
    )
    mailbox = call(mail, "create_mailbox", mailbox_data(dovecot, mail_user), actor=owner)
    call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    [activity] = wait_for(lambda: timeline(sales, contact["id"], owner), what="the activity")

    def on_deal() -> list[dict[str, Any]]:
        return call(
            sales,
            "list_activities",
            {"filter": {"related_type": ["opportunity"], "related_id": [deal["id"]]}},
            actor=owner,
        )["items"]

    call(mail, "link_email", activity["email"]["id"], "opportunity", deal["id"], actor=owner)
    [shown] = wait_for(on_deal, what="the activity on the deal")
    assert shown["id"] == activity["id"]
    call(mail, "unlink_email", activity["email"]["id"], "contact", contact["id"], actor=owner)
    wait_for(lambda: not timeline(sales, contact["id"], owner), what="it to leave the contact")
    assert [a["id"] for a in on_deal()] == [activity["id"]]
    call(mail, "unlink_email", activity["email"]["id"], "opportunity", deal["id"], actor=owner)
    wait_for(lambda: not on_deal(), what="it to leave the deal")
