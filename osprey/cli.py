"""The ``osprey`` command line: migrate the database, create users, run services,
load demo data and the demo mailbox (``osprey --help``; ``python -m osprey`` is the same command).

Configuration comes from the environment like everywhere else
(:mod:`services.platform.config`). ``users create`` and the people of ``demo-data``
work on the identity schema directly (:mod:`osprey.identity`), so they work before
any service runs. The services' code is imported by the commands that use it, so that
``run`` imports as little as it did before eventlet's monkey patching.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Importing Nameko warns that eventlet is deprecated; an operator can do nothing about it.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import typer  # noqa: E402

from services.platform.config import settings  # noqa: E402
from services.platform.errors import OspreyError  # noqa: E402
from services.platform.registry import SERVICES  # noqa: E402

from .analytics import analytics_app  # noqa: E402

app = typer.Typer(help="Operate an Osprey CRM installation.", no_args_is_help=True)
users_app = typer.Typer(help="Manage users directly in the database.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(analytics_app, name="analytics")


@app.command()
def migrate() -> None:
    """Create the database if it is missing, then bring every service's schema up to date."""
    from services.platform.migrations import create_database
    from services.platform.migrations import migrate as run_migrations

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
        help="At least 10 characters, hard to guess; asked for when not given.",
    ),
    full_name: str = typer.Option(..., "--full-name", help="The name colleagues see."),
    admin: bool = typer.Option(False, "--admin", help="Give the admin role."),
    role: list[str] = typer.Option(
        [], "--role", help="A role name (repeatable); sales_rep when none is given."
    ),
) -> None:
    """Create a user and print their id."""
    from .identity import create_user, identity_session

    roles = list(dict.fromkeys([*role, *(["admin"] if admin else [])]))
    with _failures_reported(), identity_session() as db:
        user = create_user(db, email=email, password=password, full_name=full_name, roles=roles)
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
    from services.platform.run import main

    main(list(services))


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="xlsx, xls, ods or csv."),
    entity: str = typer.Option(
        ..., "--entity", help="leads, contacts, accounts, opportunities, activities, products"
    ),
    mapping: list[str] = typer.Option(
        [], "--map", help="COLUMN=FIELD (repeatable; COLUMN= leaves it out) over the suggestion."
    ),
    match: list[str] = typer.Option(
        [], "--match", help="Match existing records on: email, phone, name_company, name, code."
    ),
    on_duplicate: str = typer.Option("skip", "--on-duplicate", help="skip, update or create."),
    create_accounts: bool = typer.Option(
        False, "--create-accounts", help="Make the accounts named in the file that do not exist."
    ),
    url: str | None = typer.Option(None, "--url", help="Osprey's address (OSPREY_API_URL)."),
    token: str | None = typer.Option(
        None, "--token", help="A personal API token (OSPREY_API_TOKEN) with data:write."
    ),
) -> None:
    """Import a spreadsheet or CSV through the API of a running Osprey, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .importer import ApiError, apply_mapping, client_from, wait

    try:
        client = client_from(url, token)
        job = client.upload(file, entity)
        typer.echo(f"{job['format']} file, columns: " + ", ".join(
            f"{c} → {m or '—'}" for c, m in zip(job["columns"], job["mapping"], strict=True)
        ))  # fmt: skip
        change: dict = {"mapping": apply_mapping(job["columns"], job["mapping"], mapping)}
        options = {"on_duplicate": on_duplicate, "create_accounts": create_accounts}
        if match:
            options["match_on"] = match
        change["options"] = options
        client.json("PATCH", f"/api/v1/imports/{job['id']}", change)
        client.json("POST", f"/api/v1/imports/{job['id']}/start")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("failed {task.fields[failed]}"))  # fmt: skip
        with Progress(*columns) as bar:
            task = bar.add_task("Importing", total=None, failed=0)

            def show(current: dict) -> None:
                progress = current["progress"]
                bar.update(task, total=progress["total"] or None, completed=progress["done"],
                           failed=progress["failed"])  # fmt: skip

            done = wait(client, job["id"], show, ("done", "failed"))
    except ApiError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    counts = done["counts"]
    typer.echo(
        f"{done['status']}: {counts.get('created', 0)} created, {counts.get('updated', 0)} "
        f"updated, {counts.get('skipped', 0)} skipped, {done['progress']['failed']} failed "
        f"(import {done['id']})"
    )
    if done["progress"]["failed"]:
        typer.echo(f"Rejected rows with their reasons: {client.url}/api/v1/imports/"
                   f"{done['id']}/errors")  # fmt: skip
    if done["status"] == "failed":
        typer.echo(f"Error: {done['error']}", err=True)
        raise typer.Exit(1)


@app.command("demo-data")
def demo_data() -> None:
    """Create demo users (an admin, a "Sales" team with a manager and two reps), about
    forty demo leads through the running leads service, and demo accounts, contacts,
    deals across the pipeline, activities and quarter plans through the sales service,
    then products with a default price list, confirmed orders from the won deals and an
    invoice paid in part through the orders service. Safe to run again: what exists
    already is kept."""
    from .demo import ServiceNotAnswering, load_demo

    with _failures_reported():
        try:
            loaded = load_demo()
        except ServiceNotAnswering as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(
        f"Created {loaded.leads} demo leads."
        if loaded.leads
        else "Demo leads exist already; none were added."
    )
    typer.echo(
        f"Created {loaded.sales} demo sales records (accounts, contacts, deals, activities, plans)."
        if loaded.sales
        else "Demo sales records exist already; none were added."
    )
    typer.echo(
        f"Created {loaded.orders} demo order records (products, a default price list, "
        "confirmed orders from the won deals, an invoice paid in part)."
        if loaded.orders
        else "Demo products and orders exist already; none were added."
    )
    typer.echo(
        f"Created {loaded.feed} demo feed records (channels and posts)."
        if loaded.feed
        else "Demo feed channels exist already; none were added."
    )
    typer.echo(
        "Business processes deployed: " + ", ".join(loaded.processes) + "."
        if loaded.processes
        else "No shipped business processes were found."
    )
    people = loaded.people
    typer.echo(f"Admin login: {people['admin_email']} / {people['admin_password_note']}")
    if people["demo_password"]:
        typer.echo(f"Demo users' password: {people['demo_password']}")


@app.command("demo-mail")
def demo_mail(
    directory: Path = typer.Option(
        Path(".run/mail"), "--dir", help="Where the kept mail servers live (make up: .run/mail)."
    ),
    stop: bool = typer.Option(False, "--stop", help="Stop the kept mail servers instead."),
) -> None:
    """Give the demo a mailbox: start a private Dovecot (and Postfix, as root) under
    --dir on free local ports, deliver a few letters from the demo contacts to Maria's
    mailbox and one from an unknown sender to the shared sales@ mailbox (once), connect
    both through the running mail service and wait until the mail is synced and linked
    onto the records' timelines. Without Dovecot it says so and does nothing. Run after
    demo-data; safe to run again."""
    if stop:  # `make down`: only the servers' module, none of the services
        from .mailserver import stop_kept

        stopped = stop_kept(directory).get("was_running")
        typer.echo("Stopped the demo mail servers." if stopped else "No demo mail servers ran.")
        return
    from .demo import ServiceNotAnswering, load_demo_mail

    with _failures_reported():
        try:
            loaded = load_demo_mail(directory)
        except ServiceNotAnswering as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
    if loaded.skipped:
        typer.echo(f"Demo mail skipped: {loaded.skipped}.")
        return
    servers = f"Dovecot IMAP on 127.0.0.1:{loaded.imap_port}"
    if loaded.smtp_port:
        servers += f", Postfix SMTP on 127.0.0.1:{loaded.smtp_port}"
    typer.echo(f"Demo mail servers: {servers} (under {directory}).")
    if loaded.no_postfix:
        typer.echo(f"No Postfix ({loaded.no_postfix}): the demo mailboxes cannot send.")
    typer.echo(
        f"Delivered {loaded.delivered} demo letters."
        if loaded.delivered
        else "The demo letters were delivered before; none were added."
    )
    typer.echo("Demo mailboxes connected: " + ", ".join(loaded.mailboxes) + ".")
    typer.echo(
        f"Mail on the records' timelines: {loaded.email_activities} email activities; "
        f"leads made from the shared mailbox: {loaded.leads_from_mail}."
    )


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
