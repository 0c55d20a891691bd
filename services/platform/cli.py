"""The ``osprey`` command line: migrate the database, create users, run services,
load demo data.

Configuration comes from the environment like everywhere else
(:mod:`services.platform.config`). ``users create`` and the user part of
``demo-data`` work on the identity schema directly, through the identity service's
own rules, so they work before any service runs; their events wait in the outbox
until the identity service's relay publishes them.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Importing Nameko warns that eventlet is deprecated; an operator can do nothing about it.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import sqlalchemy as sa  # noqa: E402
import typer  # noqa: E402

from .access import Actor  # noqa: E402
from .config import settings  # noqa: E402
from .db import ServiceSession, create_db_engine, make_sessionmaker  # noqa: E402
from .errors import OspreyError  # noqa: E402
from .registry import SERVICES  # noqa: E402

app = typer.Typer(help="Operate an Osprey CRM installation.", no_args_is_help=True)
users_app = typer.Typer(help="Manage users directly in the database.", no_args_is_help=True)
app.add_typer(users_app, name="users")

#: who the events written by this tool name as their actor
CLI_ACTOR = Actor.system("osprey-cli").to_dict()
DEFAULT_ADMIN_EMAIL = "admin@osprey.local"


# --- commands -----------------------------------------------------------------------------


@app.command()
def migrate() -> None:
    """Create the database if it is missing, then bring every service's schema up to date."""
    from .migrations import create_database
    from .migrations import migrate as run_migrations

    url = settings().database_url
    if create_database(url):
        typer.echo("Created the database.")
    done = run_migrations(url)
    typer.echo("Migrated: " + ", ".join(done))


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., "--email", help="Login email (stored lower-case)."),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 8 characters; asked for when not given.",
    ),
    full_name: str = typer.Option(..., "--full-name", help="The name colleagues see."),
    admin: bool = typer.Option(False, "--admin", help="Give the admin role."),
    role: list[str] = typer.Option(
        [], "--role", help="A role name (repeatable); sales_rep when none is given."
    ),
) -> None:
    """Create a user and print their id."""
    roles = list(dict.fromkeys([*role, *(["admin"] if admin else [])]))
    with _failures_reported(), identity_session() as db:
        user = _create_user(db, email=email, password=password, full_name=full_name, roles=roles)
    typer.echo(user["id"])


@app.command()
def run(
    services: list[str] = typer.Argument(..., help="Service names, e.g. identity leads."),
) -> None:
    """Run one or more services in this process until SIGTERM or Ctrl-C."""
    known = [info.name for info in SERVICES]
    unknown = [name for name in services if name not in known]
    if unknown:
        raise typer.BadParameter(
            f"unknown service {', '.join(unknown)}; known: {', '.join(known)}",
            param_hint="SERVICES",
        )
    # Imported here: importing run monkey-patches eventlet, which no other command wants.
    from .run import main

    main(list(services))


@app.command("demo-data")
def demo_data() -> None:
    """Create demo users (an admin, a "Sales" team with a manager and two reps), about
    forty demo leads through the running leads service, and demo accounts, contacts,
    deals across the pipeline, activities and quarter plans through the sales service,
    then products with a default price list, confirmed orders from the won deals and an
    invoice paid in part through the orders service. Safe to run again: what exists
    already is kept."""
    with _failures_reported():
        with identity_session() as db:
            people = _demo_people(db)
        created = _demo_leads(people)
        sales_created = _demo_sales(people)
        orders_created = _demo_orders(people)
        feed_created = _demo_feed(people)
    typer.echo(
        f"Created {created} demo leads."
        if created
        else "Demo leads exist already; none were added."
    )
    typer.echo(
        f"Created {sales_created} demo sales records (accounts, contacts, deals, activities, "
        "plans)."
        if sales_created
        else "Demo sales records exist already; none were added."
    )
    typer.echo(
        f"Created {orders_created} demo order records (products, a default price list, "
        "confirmed orders from the won deals, an invoice paid in part)."
        if orders_created
        else "Demo products and orders exist already; none were added."
    )
    typer.echo(
        f"Created {feed_created} demo feed records (channels and posts)."
        if feed_created
        else "Demo feed channels exist already; none were added."
    )
    typer.echo(f"Admin login: {people['admin_email']} / {people['admin_password_note']}")
    if people["demo_password"]:
        typer.echo(f"Demo users' password: {people['demo_password']}")


# --- helpers ------------------------------------------------------------------------------


@contextmanager
def identity_session() -> Iterator[ServiceSession]:
    """A session on the identity schema that writes events into its outbox; commits
    when the block succeeds, rolls back when it raises."""
    from services.identity.models import metadata

    engine = create_db_engine(settings().database_url, poolclass=sa.pool.NullPool)
    try:
        with make_sessionmaker(engine, metadata, "identity")() as db:
            yield db
            db.commit()
    finally:
        engine.dispose()


@contextmanager
def _failures_reported() -> Iterator[None]:
    """A user's mistake ends the command with its message (and each field's), not a traceback."""
    try:
        yield
    except OspreyError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        if len(exc.errors) > 1:  # one error is already the message
            for item in exc.errors:
                typer.echo(f"  {item['field']}: {item['message']}", err=True)
        raise typer.Exit(1) from None


def _create_user(
    db: ServiceSession,
    *,
    email: str,
    password: str,
    full_name: str,
    roles: list[str],
    team_id: str | None = None,
) -> dict[str, Any]:
    from services.identity import domain, store

    changes = domain.clean_user_data(
        {"email": email, "password": password, "full_name": full_name, "team_id": team_id},
        creating=True,
    )
    store.ensure_roles(db)  # a freshly restored or emptied database may lack them
    if roles:
        changes["role_ids"] = store.role_ids_for_names(db, roles)
    return store.create_user(db, changes, actor=CLI_ACTOR)


DEMO_TEAM = "Sales"
DEMO_USERS = (
    # (email, full name, role)
    ("maria.ivanova@osprey.local", "Maria Ivanova", "sales_manager"),
    ("sam.carter@osprey.local", "Sam Carter", "sales_rep"),
    ("olga.petrova@osprey.local", "Olga Petrova", "sales_rep"),
)


def _demo_people(db: ServiceSession) -> dict[str, Any]:
    """The demo admin, team and sales people, created where missing."""
    from services.identity import domain, store

    s = settings()
    store.ensure_roles(db)
    admin_email = s.admin_email or DEFAULT_ADMIN_EMAIL
    admin_password = s.admin_password or secrets.token_urlsafe(12)
    admin, created = store.ensure_admin(db, admin_email, admin_password)
    if s.admin_password:
        note = "(the password in OSPREY_ADMIN_PASSWORD)"
    elif created:
        note = admin_password
    else:
        note = "(unchanged: the user existed already)"

    team = store.find_team_by_name(db, DEMO_TEAM)
    demo_password = secrets.token_urlsafe(9)
    made_any = False
    people: list[dict[str, Any]] = []
    for email, full_name, role in DEMO_USERS:
        user = store.find_user_by_email(db, email)
        if user is None:
            user = _create_user(
                db, email=email, password=demo_password, full_name=full_name, roles=[role]
            )
            made_any = True
        people.append(user)
    if team is None:
        changes = domain.clean_team_data({"name": DEMO_TEAM, "manager_id": people[0]["id"]})
        team = store.create_team(db, changes, actor=CLI_ACTOR)
    for user in people:
        if user["team_id"] is None:
            store.update_user(
                db,
                user["id"],
                {"team_id": team["id"]},
                actor=Actor.system("osprey-cli"),
                actor_data=CLI_ACTOR,
            )
    return {
        "admin_email": admin["email"],
        "admin_password_note": note,
        "admin_actor": store.actor_for(db, admin["id"]),
        "team_id": team["id"],
        "owner_ids": [user["id"] for user in people],
        "people": [{"id": user["id"], "email": user["email"]} for user in people],
        "demo_password": demo_password if made_any else None,
    }


_FIRST = ("Anna", "Boris", "Chloe", "Dmitri", "Elena", "Frank", "Grace", "Hugo", "Irina", "Jack")
_LAST = ("Smith", "Kuznetsova", "Garcia", "Novak", "Chen", "Orlov", "Brown", "Müller")
_COMPANIES = (
    "Acme Tools",
    "Northwind Foods",
    "Globex Logistics",
    "Initech Software",
    "Umbrella Pharma",
    "Stark Metals",
    "Wayne Construction",
    "Tyrell Robotics",
)
_SOURCES = ("website", "event", "referral", "cold_call", "social", "email")
_CHANNELS = ("web_form", "phone", "email", "facebook", "telegram")
_NEEDS = ("software", "consulting", "support", "hardware")
_MATURITIES = ("unknown", "interest", "need", "intention", "ready")
DEMO_LEAD_COUNT = 40


def demo_leads(team_id: str, owner_ids: list[str]) -> list[dict[str, Any]]:
    """The demo leads, always the same ones (their emails tell whether they were loaded)."""
    leads = []
    for i in range(DEMO_LEAD_COUNT):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 3) % len(_LAST)]
        company = _COMPANIES[i % len(_COMPANIES)]
        domain_name = company.split()[0].lower() + ".example"
        leads.append(
            {
                "contact_name": f"{first} {last}",
                "account_name": company,
                "email": f"{first.lower()}.{i:02d}@{domain_name}",
                "phone": f"+1555{1000000 + i * 7919:07d}",
                "source": _SOURCES[i % len(_SOURCES)],
                "channel": _CHANNELS[i % len(_CHANNELS)],
                "need_type": _NEEDS[i % len(_NEEDS)],
                "need_maturity": _MATURITIES[i % len(_MATURITIES)],
                "score": (i * 37) % 101,
                # every fifth lead waits unassigned, for distribution
                "owner_id": None if i % 5 == 4 else owner_ids[i % len(owner_ids)],
                "team_id": team_id,
            }
        )
    return leads


def _demo_leads(people: dict[str, Any]) -> int:
    """Create the demo leads by RPC unless some exist already; how many were created."""
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    s = settings()
    leads = demo_leads(people["team_id"], people["owner_ids"])
    actor = people["admin_actor"]
    config = {"AMQP_URI": s.amqp_uri, "serializer": "json"}
    try:
        with ClusterRpcProxy(config, timeout=s.rpc_timeout) as cluster:
            existing = cluster.leads.list_leads(
                {"filter": {"email": [lead["email"] for lead in leads]}, "limit": 1},
                actor=actor,
            )
            if existing["items"]:
                return 0
            for lead in leads:
                cluster.leads.create_lead(lead, actor=actor)
    except (UnknownService, RpcTimeout):
        typer.echo(
            "Error: the leads service does not answer; start it (osprey run leads) and "
            "run demo-data again. The demo users were created.",
            err=True,
        )
        raise typer.Exit(1) from None
    return len(leads)


if __name__ == "__main__":
    app()


def _demo_sales(people: dict[str, Any]) -> int:
    """Create the demo sales records by RPC unless they exist; how many were created."""
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.sales.demo import load_demo

    s = settings()
    config = {"AMQP_URI": s.amqp_uri, "serializer": "json"}
    try:
        with ClusterRpcProxy(config, timeout=s.rpc_timeout) as cluster:
            return load_demo(
                cluster.sales, people["admin_actor"], people["owner_ids"], people["team_id"]
            )
    except (UnknownService, RpcTimeout):
        typer.echo(
            "Error: the sales service does not answer; start it (osprey run sales) and "
            "run demo-data again.",
            err=True,
        )
        raise typer.Exit(1) from None


def _demo_orders(people: dict[str, Any]) -> int:
    """Create the demo products, orders and invoice by RPC unless they exist; how many
    records were created."""
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.orders.demo import load_demo

    s = settings()
    config = {"AMQP_URI": s.amqp_uri, "serializer": "json"}
    try:
        with ClusterRpcProxy(config, timeout=s.rpc_timeout) as cluster:
            return load_demo(cluster.orders, cluster.sales, people["admin_actor"])
    except (UnknownService, RpcTimeout):
        typer.echo(
            "Error: the orders service does not answer; start it (osprey run orders) and "
            "run demo-data again.",
            err=True,
        )
        raise typer.Exit(1) from None


def _demo_feed(people: dict[str, Any]) -> int:
    """Create the demo channels and posts by RPC unless they exist; how many were made."""
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.feed.demo import load_demo

    s = settings()
    config = {"AMQP_URI": s.amqp_uri, "serializer": "json"}
    try:
        with ClusterRpcProxy(config, timeout=s.rpc_timeout) as cluster:
            return load_demo(cluster.feed, people["admin_actor"], people["people"])
    except (UnknownService, RpcTimeout):
        typer.echo(
            "Error: the feed service does not answer; start it (osprey run feed) and "
            "run demo-data again.",
            err=True,
        )
        raise typer.Exit(1) from None
