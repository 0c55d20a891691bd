"""Subject rules that name a record by its number (issue 14, point 4): `INV-…` to that
invoice and "order 2026-…" to that order, looked up in the real orders service."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.integrations.mail.service import MailService
from services.leads.service import LeadsService
from services.orders.service import OrdersService
from services.sales.service import SalesService

from .conftest import append, call, mailbox_data, message, person, wait_for

ADMIN = person("boss@osprey.test", "admin")


@pytest.fixture
def crm(container_factory, mail_config):
    # the senders are looked up in sales and leads first, as for any message
    for service in (SalesService, LeadsService):
        container_factory(service, mail_config).start()
    orders = container_factory(OrdersService, mail_config)
    orders.start()
    mail = container_factory(MailService, mail_config)
    mail.start()
    return mail, orders


def links_of(db_engine: sa.Engine, subject: str) -> set[tuple[str, str, str]]:
    with db_engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT l.record_type, l.record_id, l.rule FROM mail.links l "
                "JOIN mail.messages m ON m.id = l.message_id WHERE m.subject = :s"
            ),
            {"s": subject},
        ).all()
    return {tuple(r) for r in rows}


def linked_all(db_engine: sa.Engine) -> bool:
    with db_engine.connect() as conn:
        return not conn.execute(
            sa.text("SELECT count(*) FROM mail.messages WHERE link_state = 'pending'")
        ).scalar()


def test_subject_rules_link_mail_to_invoices_and_orders_by_number(
    crm, dovecot, mail_user, db_engine
):
    mail, orders = crm
    owner = person(mail_user, "sales_manager")
    product = call(orders, "create_product", {"code": "P-1", "name": "Bolt"}, actor=ADMIN)
    line = {"product_id": product["id"], "quantity": "2", "price": "10.00"}
    order = call(orders, "create_order", {"currency": "EUR", "lines": [line]}, actor=owner)
    order = call(orders, "confirm_order", order["id"], actor=owner)
    invoice = call(orders, "create_invoice", {"order_id": order["id"]}, actor=owner)
    for name, pattern, record_type in (
        ("Invoices", r"INV-\d{4}-\d+", "invoice"),
        # order numbers have no prefix: the first group names the number
        ("Orders", r"(?i)order (\d{4}-\d+)", "order"),
    ):
        call(
            mail,
            "create_subject_rule",
            {"name": name, "pattern": pattern, "record_type": record_type},
            actor=ADMIN,
        )
    paid = f"Payment for {invoice['number']}"
    shipped = f"When does order {order['number']} ship?"
    unknown = "About INV-1999-999999"
    append(
        dovecot,
        mail_user,
        "INBOX",
        message(sender="ap@customer.test", to=mail_user, subject=paid),
        message(sender="buyer@customer.test", to=mail_user, subject=shipped),
        message(sender="ap@customer.test", to=mail_user, subject=unknown),
    )
    mailbox = call(mail, "create_mailbox", mailbox_data(dovecot, mail_user), actor=owner)
    call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    wait_for(lambda: linked_all(db_engine), what="the linking pass")

    assert links_of(db_engine, paid) == {("invoice", invoice["id"], "subject")}
    assert links_of(db_engine, shipped) == {("order", order["id"], "subject")}
    # a number no invoice has links nothing: the message waits for a person
    assert links_of(db_engine, unknown) == set()
    tab = call(
        mail,
        "list_emails",
        {"filter": {"record_type": ["invoice"], "record_id": [invoice["id"]]}},
        actor=owner,
    )
    assert [e["subject"] for e in tab["items"]] == [paid]
