"""The read models rebuilt from the services' exports equal the ones kept from events."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy

from services.analytics.models import metadata
from services.analytics.rebuild import rebuild
from services.orders.service import OrdersService
from services.platform.db import make_sessionmaker
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.ids import new_id

from .conftest import ADMIN, ANN, BOB, call, wait_for


@pytest.fixture
def orders(container_factory: Any, config: dict) -> Any:
    container = container_factory(OrdersService, config)
    container.start()
    return container


@pytest.fixture
def processes(container_factory: Any, config: dict) -> Any:
    from services.processes.service import ProcessesService

    container = container_factory(ProcessesService, config)
    container.start()
    return container


@pytest.fixture
def mail(container_factory: Any, config: dict) -> Any:
    from services.integrations.mail.service import MailService

    container = container_factory(MailService, config)
    container.start()
    return container


def snapshot(engine: sa.Engine) -> tuple[list, list]:
    with engine.connect() as conn:
        kept = conn.execute(
            sa.text(
                "SELECT entity, id, version, owner_id, team_id, created_at, updated_at, data "
                "FROM analytics.records WHERE NOT deleted ORDER BY entity, id"
            )
        ).all()
        stays = conn.execute(
            sa.text(
                "SELECT entity, record_id, stage, entered_at, left_at FROM analytics.stage_periods "
                "ORDER BY entity, record_id, entered_at, stage"
            )
        ).all()
    return [tuple(row) for row in kept], [tuple(row) for row in stays]


def test_a_rebuild_equals_the_models_kept_from_events(
    analytics, crm, orders, processes, mail, config, db_engine
) -> None:
    leads, sales = crm["leads"], crm["sales"]
    made = [
        call(leads, "create_lead", {"contact_name": f"L{n}", "source": "web"}, actor=ANN)
        for n in range(5)
    ]
    call(leads, "disqualify_lead", made[0]["id"], "no_need", actor=ANN)
    call(
        leads,
        "qualify_lead",
        made[1]["id"],
        {
            "contact": {"full_name": "Rita Rebuild"},
            "need_type": "purchase",
            "allow_duplicates": True,
        },
        actor=ANN,
    )
    call(leads, "create_lead", {"contact_name": "Unowned", "owner_id": None}, actor=ANN)
    call(leads, "delete_lead", made[4]["id"], actor=ADMIN)
    stages = sorted(call(sales, "list_opportunity_stages"), key=lambda s: s["position"])
    deals = [
        call(
            sales,
            "create_opportunity",
            {"title": f"D{n}", "amount": "10.00", "currency": "EUR"},
            actor=BOB,
        )
        for n in range(3)
    ]
    call(sales, "move_opportunity", deals[0]["id"], stages[2]["id"], actor=BOB)  # skips one
    call(sales, "win_opportunity", deals[1]["id"], actor=BOB)
    call(sales, "lose_opportunity", deals[2]["id"], "price", actor=BOB)
    call(sales, "create_activity", {"type": "call", "title": "Call back"}, actor=ANN)
    order = call(orders, "create_order", {"currency": "EUR"}, actor=ANN)
    seat = call(orders, "create_product", {"code": "SEAT", "name": "Seat"}, actor=ADMIN)
    call(orders, "update_product", seat["id"], {"category": "Software"}, actor=ADMIN)

    def settled() -> bool:
        kept, _ = snapshot(db_engine)
        counts: dict[str, int] = {}
        for row in kept:
            counts[row[0]] = counts.get(row[0], 0) + 1
        return (
            counts.get("lead") == 5
            and counts.get("opportunity") == 3
            and counts.get("activity", 0) >= 1
            and counts.get("order") == 2  # mine and the one proposed for the won deal
            and counts.get("contact") == 1  # made by the qualification
            and counts.get("product") == 1
            and counts.get("opportunity_stage") is None  # no stage events: made at start-up
        )

    wait_for(settled, what="every event kept")
    wait_for(lambda: _won(db_engine, deals[1]["id"]), what="the win kept")
    incremental = snapshot(db_engine)

    Session = make_sessionmaker(db_engine, metadata, "analytics")  # noqa: N806
    progress: list[tuple[str, int]] = []
    with ClusterRpcProxy(config) as cluster, Session() as db:

        def rpc(service: str, method: str, **kwargs: Any) -> dict[str, Any]:
            return getattr(getattr(cluster, service), method)(**kwargs)

        counts = rebuild(db, rpc, lambda what, done: progress.append((what, done)))
    assert counts["lead"] == 5 and counts["opportunity"] == 3 and counts["order"] == 2
    assert counts["product"] == 1
    assert counts["opportunity_stage"] == len(stages)
    assert ("lead", 5) in progress
    rebuilt = snapshot(db_engine)
    # the stages themselves come with the rebuild (the service made them before analytics
    # listened); everything else is equal, field by field and stay by stay
    rebuilt_records = [row for row in rebuilt[0] if row[0] != "opportunity_stage"]
    assert rebuilt_records == incremental[0]
    opportunity_stays = [s for s in rebuilt[1] if s[0] == "opportunity"]
    assert opportunity_stays == [s for s in incremental[1] if s[0] == "opportunity"]
    assert rebuilt[1] == incremental[1]
    assert order["id"] in {row[1] for row in rebuilt_records if row[0] == "order"}


def _won(engine: sa.Engine, deal_id: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(
                sa.text(
                    "SELECT data->>'status' FROM analytics.records "
                    "WHERE entity = 'opportunity' AND id = :id"
                ),
                {"id": deal_id},
            ).scalar()
            == "won"
        )


def test_exports_are_for_administrators_and_checked(crm) -> None:
    with pytest.raises(PermissionDenied):
        call(crm["leads"], "export_records", "lead", actor=ANN)
    with pytest.raises(ValidationFailed):
        call(crm["sales"], "export_records", "passwords", actor=ADMIN)
    with pytest.raises(ValidationFailed):
        call(crm["leads"], "export_records", "lead", "not-an-id", actor=ADMIN)
    with pytest.raises(ValidationFailed):
        call(crm["leads"], "export_records", "lead", None, 5000, actor=ADMIN)
    first = call(crm["leads"], "export_records", "lead", actor=ADMIN)
    assert first == {"items": [], "next_after": None}


def test_a_rebuild_of_process_figures_equals_the_ones_kept_from_events(
    analytics, crm, orders, processes, mail, config, db_engine
) -> None:
    """A process whose user task's activity is completed in sales: its instance and task
    as their events left them equal what the processes service's export rebuilds."""
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[2] / "processes" / "integration" / "bpmn"
    xml = (fixtures / "call_with_deadline.bpmn").read_text(encoding="utf-8")
    definition = call(processes, "create_process_definition", xml, actor=ADMIN)
    call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)
    runs = [
        call(
            processes,
            "start_process_instance",
            {
                "definition_id": definition["id"],
                "data": {"assignee": ANN["id"], "deadline": "PT1H"},
            },
            actor=ANN,
        )
        for _ in range(2)
    ]

    def activity_of(instance_id: str) -> str | None:
        with db_engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT activity_id FROM processes.process_tasks WHERE instance_id = :i"),
                {"i": instance_id},
            ).scalar()

    activity = wait_for(lambda: activity_of(runs[0]["id"]), what="the task's activity")
    call(crm["sales"], "complete_activity", activity, {"result": "reached"}, actor=ANN)

    def kept(entity: str) -> dict[str, str]:
        with db_engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, data->>'state' FROM analytics.records WHERE entity = :e"),
                {"e": entity},
            ).all()
        return {row[0]: row[1] for row in rows}

    wait_for(
        lambda: (
            kept("process_instance").get(runs[0]["id"]) == "completed"
            and len(kept("process_instance")) == 2
            and sorted(kept("process_task").values()) == ["completed", "open"]
        ),
        what="the process figures kept",
    )

    def processes_rows() -> list:
        return [row for row in snapshot(db_engine)[0] if row[0].startswith("process_")]

    incremental = processes_rows()
    Session = make_sessionmaker(db_engine, metadata, "analytics")  # noqa: N806
    with ClusterRpcProxy(config) as cluster, Session() as db:

        def rpc(service: str, method: str, **kwargs: Any) -> dict[str, Any]:
            return getattr(getattr(cluster, service), method)(**kwargs)

        counts = rebuild(db, rpc)
    assert counts["process_instance"] == 2 and counts["process_task"] == 2
    assert processes_rows() == incremental
    with pytest.raises(PermissionDenied):
        call(processes, "export_records", "process_task", actor=ANN)
    with pytest.raises(ValidationFailed):
        call(processes, "export_records", "process_log", actor=ADMIN)


def test_a_rebuild_of_mail_figures_equals_the_ones_kept_from_events(
    analytics, crm, orders, processes, mail, config, db_engine
) -> None:
    """Two messages stored by a mailbox sync (its storing step, on the mail service's own
    tables), one linked by hand to a contact: the figures kept from email_received and
    email_linked equal what mail's export rebuilds."""
    from datetime import UTC, datetime

    from services.integrations.mail import models as mail_models
    from services.integrations.mail import storing as mail_store
    from services.integrations.mail.parsing import parse_message

    mailbox_id = new_id()
    now = datetime.now(UTC)
    with db_engine.begin() as conn:
        conn.execute(
            mail_models.connections.insert().values(
                id=mailbox_id,
                kind="imap",
                name="ann@example.test",
                owner_id=ANN["id"],
                team_id=ANN["team_id"],
                state="paused",
                next_sync_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    raws = [
        (
            f"From: Stranger {n} <s{n}@nowhere.test>\r\nTo: ann@example.test\r\n"
            f"Subject: Hello {n}\r\nMessage-ID: <m{n}-{new_id()}@nowhere.test>\r\n"
            f"Date: Mon, 0{n} Dec 2026 10:00:00 +0000\r\n\r\nHi {n}\r\n"
        ).encode()
        for n in (1, 2)
    ]
    Mail = make_sessionmaker(db_engine, mail_models.metadata, "mail")  # noqa: N806
    with Mail() as db:
        stored = mail_store.store_messages(
            db,
            mailbox_id=mailbox_id,
            folder="INBOX",
            uidvalidity=1,
            items=[(n + 1, parse_message(raw)) for n, raw in enumerate(raws)],
            direction="incoming",
            user_id=ANN["id"],
            team_id=ANN["team_id"],
        )
        db.commit()
    contact = call(crm["sales"], "create_contact", {"full_name": "Cora Contact"}, actor=ANN)
    call(mail, "link_email", stored[0]["id"], "contact", contact["id"], actor=ANN)

    def mail_rows() -> list:
        return [row for row in snapshot(db_engine)[0] if row[0] == "email"]

    wait_for(
        lambda: len(mail_rows()) == 2 and any(r[7].get("linked") == "yes" for r in mail_rows()),
        what="the mail figures kept",
    )
    incremental = mail_rows()
    assert {row[3] for row in incremental} == {ANN["id"]}  # they count for the owner
    Session = make_sessionmaker(db_engine, metadata, "analytics")  # noqa: N806
    with ClusterRpcProxy(config) as cluster, Session() as db:

        def rpc(service: str, method: str, **kwargs: Any) -> dict[str, Any]:
            return getattr(getattr(cluster, service), method)(**kwargs)

        counts = rebuild(db, rpc)
    assert counts["email"] == 2
    rebuilt = mail_rows()
    assert rebuilt == incremental, "\n".join(
        f"{a}\n{b}" for a, b in zip(rebuilt, incremental, strict=False) if a != b
    )
    with pytest.raises(PermissionDenied):
        call(mail, "export_records", "email", actor=ANN)
    with pytest.raises(ValidationFailed):
        call(mail, "export_records", "mailbox", actor=ADMIN)
