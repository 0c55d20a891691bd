"""The ``osprey`` command line against a real PostgreSQL (and RabbitMQ for demo data)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook
from typer.testing import CliRunner

from osprey.cli import app
from services.feed.service import FeedService
from services.identity.service import IdentityService
from services.leads.service import LeadsService
from services.orders.service import OrdersService
from services.platform.config import settings
from services.platform.db import create_db_engine
from services.platform.migrations import alembic_config
from services.platform.registry import service
from services.platform.testing import sibling_database_url
from services.processes.service import ProcessesService
from services.sales.service import SalesService

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()


@pytest.fixture
def cli_env(database_url, monkeypatch):
    """The CLI reads the environment once (``settings()``); point it at the test database."""
    monkeypatch.setenv("OSPREY_DATABASE_URL", database_url)
    for name in ("OSPREY_ADMIN_EMAIL", "OSPREY_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    settings.cache_clear()
    yield monkeypatch
    settings.cache_clear()


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def osprey(*args: str):
    result = runner.invoke(app, list(args))
    return result


# --- osprey migrate --------------------------------------------------------------------


@pytest.fixture
def fresh_database_url(database_url):
    """A database that does not exist yet, named after the test database (so runs with
    different ``OSPREY_TEST_DATABASE_URL`` never share it); dropped afterwards."""
    url = sa.make_url(sibling_database_url("cli"))
    admin = create_db_engine(
        url.set(database="postgres"), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))

    drop()
    yield url.render_as_string(hide_password=False)
    drop()
    admin.dispose()


# --- osprey users create ---------------------------------------------------------------


def test_users_create_prints_the_id_of_an_admin_who_can_log_in(
    cli_env, db_engine, container_factory, service_config
):
    result = osprey(
        "users", "create", "--email", "Boss@Osprey.test", "--password", "Lantern-quay-8812",
        "--full-name", "Big Boss", "--admin",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user_id = result.stdout.strip()
    assert scalar(db_engine, "SELECT email FROM identity.users WHERE id = :i", i=user_id) == (
        "boss@osprey.test"
    )

    identity = container_factory(IdentityService, {**service_config, "ADMIN_EMAIL": ""})
    identity.start()
    with entrypoint_hook(identity, "login") as login:
        user = login("boss@osprey.test", "Lantern-quay-8812")["user"]
    assert user["id"] == user_id and user["roles"] == ["admin"]
    # the event waited in the outbox for the service's relay
    assert (
        scalar(
            db_engine,
            "SELECT count(*) FROM identity.outbox WHERE type = 'user_created' "
            "AND envelope->'data'->>'id' = :i",
            i=user_id,
        )
        == 1
    )


def test_users_create_takes_roles_by_name_and_defaults_to_sales_rep(cli_env, db_engine):
    manager = osprey(
        "users", "create", "--email", "m@osprey.test", "--password", "Kettle-violet-2291",
        "--full-name", "M", "--role", "sales_manager",
    )  # fmt: skip
    rep = osprey(
        "users", "create", "--email", "r@osprey.test", "--password", "Kettle-violet-2291",
        "--full-name", "R",
    )  # fmt: skip
    assert manager.exit_code == 0 and rep.exit_code == 0, manager.output + rep.output
    roles = scalar(
        db_engine,
        "SELECT array_agg(u.email || ':' || r.name ORDER BY u.email) FROM identity.users u"
        " JOIN identity.user_roles ur ON ur.user_id = u.id"
        " JOIN identity.roles r ON r.id = ur.role_id",
    )
    assert roles == ["m@osprey.test:sales_manager", "r@osprey.test:sales_rep"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", "short"], "password: must be at least 10 characters"),
        (["--role", "emperor"], "no such role: emperor"),
        (["--email", "taken@osprey.test"], "A user with this email already exists"),
    ],
)
def test_users_create_explains_a_mistake_and_writes_nothing(cli_env, db_engine, args, message):
    taken = osprey(
        "users", "create", "--email", "taken@osprey.test", "--password", "Kettle-violet-2291",
        "--full-name", "T",
    )  # fmt: skip
    assert taken.exit_code == 0
    base = {"--email": "new@osprey.test", "--password": "Kettle-violet-2291", "--full-name": "New"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    extra = [a for pair in base.items() for a in pair]

    result = osprey("users", "create", *extra)

    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert scalar(db_engine, "SELECT count(*) FROM identity.users") == 1


# --- osprey demo-data ------------------------------------------------------------------


def test_demo_data_creates_people_leads_and_sales_once(
    cli_env, db_engine, container_factory, service_config
):
    cli_env.setenv("OSPREY_AMQP_URI", service_config["AMQP_URI"])
    settings.cache_clear()
    leads = container_factory(LeadsService, service_config)
    leads.start()
    sales = container_factory(SalesService, service_config)
    sales.start()
    orders = container_factory(OrdersService, service_config)
    orders.start()
    feed = container_factory(FeedService, service_config)
    feed.start()
    processes = container_factory(ProcessesService, service_config)
    processes.start()

    first = osprey("demo-data")
    assert first.exit_code == 0, first.output
    match = re.search(r"Admin login: admin@osprey\.local / (\S+)", first.stdout)
    assert match, first.stdout
    assert "Created 40 demo leads." in first.stdout
    assert scalar(db_engine, "SELECT count(*) FROM leads.leads") == 40
    assert scalar(db_engine, "SELECT count(*) FROM identity.users") == 4
    team_id = scalar(db_engine, "SELECT id::text FROM identity.teams WHERE name = 'Sales'")
    assert (
        scalar(db_engine, "SELECT count(*) FROM identity.users WHERE team_id = :t", t=team_id) == 3
    )
    assert scalar(db_engine, "SELECT count(DISTINCT team_id) FROM leads.leads") == 1
    assert "Created 36 demo sales records" in first.stdout
    for table, count in (
        ("accounts", 8),
        ("contacts", 9),
        ("opportunities", 11),
        ("activities", 5),
        ("forecast_plans", 3),
        ("opportunity_tactics", 2),
        ("opportunity_competitors", 1),
    ):
        assert scalar(db_engine, f"SELECT count(*) FROM sales.{table}") == count, table
    with db_engine.connect() as conn:
        statuses = dict(
            conn.execute(
                sa.text("SELECT status, count(*) FROM sales.opportunities GROUP BY status")
            ).all()
        )
    assert statuses == {"open": 8, "won": 2, "lost": 1}
    assert "Created 13 demo order records" in first.stdout
    for table, count in (
        ("products", 8),
        ("price_lists", 1),
        ("prices", 8),
        ("orders", 2),
        ("order_lines", 3),
        ("invoices", 1),
        ("invoice_payments", 1),
    ):
        assert scalar(db_engine, f"SELECT count(*) FROM orders.{table}") == count, table
    assert scalar(db_engine, "SELECT count(*) FROM orders.price_lists WHERE is_default") == 1
    with db_engine.connect() as conn:
        placed = conn.execute(
            sa.text(
                "SELECT o.status, o.subtotal, d.status AS deal_status, d.amount"
                " FROM orders.orders o JOIN sales.opportunities d ON d.id = o.opportunity_id"
            )
        ).all()
        invoice = conn.execute(
            sa.text(
                "SELECT i.status, i.total, i.paid_amount, o.total AS order_total"
                " FROM orders.invoices i JOIN orders.orders o ON o.id = i.order_id"
            )
        ).one()
    assert sorted((row.status, row.deal_status) for row in placed) == [
        ("confirmed", "won"),
        ("confirmed", "won"),
    ]
    assert all(row.subtotal == row.amount for row in placed)
    assert invoice.status == "issued"
    assert invoice.total == invoice.order_total
    assert 0 < invoice.paid_amount < invoice.total

    identity = container_factory(IdentityService, {**service_config, "ADMIN_EMAIL": ""})
    identity.start()
    with entrypoint_hook(identity, "login") as login:
        assert login("admin@osprey.local", match.group(1))["user"]["roles"] == ["admin"]

    again = osprey("demo-data")
    assert again.exit_code == 0, again.output
    assert "none were added" in again.stdout
    assert "(unchanged" in again.stdout
    assert scalar(db_engine, "SELECT count(*) FROM leads.leads") == 40
    assert scalar(db_engine, "SELECT count(*) FROM sales.opportunities") == 11
    assert "Demo products and orders exist already" in again.stdout
    assert "Created 6 demo feed records" in first.stdout
    assert "Demo feed channels exist already" in again.stdout
    # The shipped processes are deployed once, whatever demo-data is run again.
    shipped = "Business processes deployed: Lead management, Opportunity management."
    assert shipped in first.stdout and shipped in again.stdout
    assert scalar(db_engine, "SELECT count(*) FROM processes.definitions") == 2
    assert scalar(db_engine, "SELECT count(*) FROM processes.definition_versions") == 2
    assert scalar(db_engine, "SELECT count(*) FROM feed.channels") == 2
    assert scalar(db_engine, "SELECT count(*) FROM feed.posts WHERE kind = 'user'") == 4
    for table, count in (("products", 8), ("orders", 2), ("invoices", 1), ("invoice_payments", 1)):
        assert scalar(db_engine, f"SELECT count(*) FROM orders.{table}") == count, table
    assert scalar(db_engine, "SELECT count(*) FROM identity.users") == 4
    assert scalar(db_engine, "SELECT count(*) FROM identity.teams") == 1


def test_demo_data_says_when_the_leads_service_is_not_running(cli_env, rabbit_config, db_engine):
    cli_env.setenv("OSPREY_AMQP_URI", rabbit_config["AMQP_URI"])
    cli_env.setenv("OSPREY_ADMIN_EMAIL", "chief@osprey.test")
    cli_env.setenv("OSPREY_ADMIN_PASSWORD", "Harbour-quill-6620")
    settings.cache_clear()

    result = osprey("demo-data")

    assert result.exit_code == 1
    assert "the leads service does not answer" in result.stderr
    assert scalar(db_engine, "SELECT email FROM identity.users u JOIN identity.user_roles ur "
                  "ON ur.user_id = u.id JOIN identity.roles r ON r.id = ur.role_id "
                  "WHERE r.name = 'admin'") == "chief@osprey.test"  # fmt: skip


# --- python -m osprey: every sub-command from a checkout --------------------------------

DEMO_SERVICES = ("identity", "leads", "sales", "orders", "feed", "processes")


def python_m_osprey(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "osprey", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def consumers(rabbit_manager, vhost: str, queue: str) -> int:
    try:
        return rabbit_manager.get_queue(vhost, queue).get("consumers", 0)
    except Exception:  # the queue is declared when its service starts
        return 0


def test_python_m_osprey_migrates_creates_a_user_runs_the_services_and_loads_demo_data(
    fresh_database_url, rabbit_config, rabbit_manager, tmp_path
):
    env = {
        **os.environ,
        "OSPREY_DATABASE_URL": fresh_database_url,
        "OSPREY_AMQP_URI": rabbit_config["AMQP_URI"],
    }
    for name in ("OSPREY_ADMIN_EMAIL", "OSPREY_ADMIN_PASSWORD"):
        env.pop(name, None)

    migrated = python_m_osprey(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "Created the database." in migrated.stdout
    assert "identity" in migrated.stdout
    engine = create_db_engine(fresh_database_url, poolclass=sa.pool.NullPool)
    try:  # every schema at its head, the roles seeded
        head = ScriptDirectory.from_config(alembic_config(service("identity"))).get_current_head()
        assert scalar(engine, "SELECT version_num FROM identity.alembic_version") == head
        names = scalar(engine, "SELECT array_agg(name ORDER BY name) FROM identity.roles")
        assert names == ["admin", "sales_manager", "sales_rep"]
    finally:
        engine.dispose()
    again = python_m_osprey(env, "migrate")  # a second run finds nothing to do
    assert again.returncode == 0, again.stderr
    assert "Created the database." not in again.stdout

    made = python_m_osprey(
        env, "users", "create", "--email", "boss@osprey.test", "--password", "Lantern-quay-8812",
        "--full-name", "Big Boss", "--role", "sales_manager",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr

    log = tmp_path / "services.log"
    with log.open("w") as out:
        services = subprocess.Popen(
            [sys.executable, "-m", "osprey", "run", *DEMO_SERVICES],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    engine = create_db_engine(fresh_database_url, poolclass=sa.pool.NullPool)
    try:
        vhost = rabbit_config["vhost"]
        deadline = time.monotonic() + 90
        while not all(consumers(rabbit_manager, vhost, f"rpc-{n}") for n in DEMO_SERVICES):
            assert services.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "services did not start:\n" + log.read_text()
            time.sleep(0.2)

        demo = python_m_osprey(env, "demo-data")
        assert demo.returncode == 0, demo.stdout + demo.stderr + log.read_text()[-3000:]
        assert "Created 40 demo leads." in demo.stdout
        assert "Created 36 demo sales records" in demo.stdout
        assert "Created 13 demo order records" in demo.stdout
        assert "Created 6 demo feed records" in demo.stdout
        for table, count in (
            ("identity.users", 5),
            ("leads.leads", 40),
            ("sales.opportunities", 11),
            ("orders.orders", 2),
            ("orders.invoices", 1),
            ("feed.channels", 2),
        ):
            assert scalar(engine, f"SELECT count(*) FROM {table}") == count, table
        user_id = made.stdout.strip()
        assert (
            scalar(engine, "SELECT email FROM identity.users WHERE id = :i", i=user_id)
            == "boss@osprey.test"
        )

        # the admin login the command printed works against the running identity service
        match = re.search(r"Admin login: admin@osprey\.local / (\S+)", demo.stdout)
        assert match, demo.stdout
        with ClusterRpcProxy(
            {"AMQP_URI": rabbit_config["AMQP_URI"], "serializer": "json"}, timeout=30
        ) as cluster:
            user = cluster.identity.login("admin@osprey.local", match.group(1))["user"]
        assert user["roles"] == ["admin"]
    finally:
        engine.dispose()
        services.send_signal(signal.SIGTERM)
        try:
            services.wait(timeout=30)
        except subprocess.TimeoutExpired:
            services.kill()
            services.wait()
