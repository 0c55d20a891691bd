"""``osprey analytics rebuild``: the analytics read models made again from scratch from
every owning service's ``export_records`` (services/analytics/rebuild.py), with a
progress line per kind of record. The services must be running; analytics may be."""

from __future__ import annotations

from typing import Any

import typer

from services.platform.config import settings

analytics_app = typer.Typer(help="Analytics read models.", no_args_is_help=True)


@analytics_app.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the read models from the leads, sales and orders services' records."""
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from services.analytics.models import metadata
    from services.analytics.rebuild import rebuild
    from services.platform.db import create_db_engine, make_sessionmaker

    s = settings()
    engine = create_db_engine(s.database_url)
    Session = make_sessionmaker(engine, metadata, "analytics")  # noqa: N806
    config = {"AMQP_URI": s.amqp_uri, "serializer": "json"}
    try:
        with (
            ClusterRpcProxy(config, timeout=max(s.rpc_timeout, 60)) as cluster,
            Session() as db,
            Progress(SpinnerColumn(), TextColumn("{task.description}")) as bar,
        ):
            tasks: dict[str, Any] = {}

            def call(service: str, method: str, **kwargs: Any) -> dict[str, Any]:
                return getattr(getattr(cluster, service), method)(**kwargs)

            def progress(what: str, done: int) -> None:
                if what not in tasks:
                    tasks[what] = bar.add_task(what)
                bar.update(tasks[what], description=f"{what}: {done:,}")

            counts = rebuild(db, call, progress)
    except (UnknownService, RpcTimeout) as exc:
        typer.echo(f"Error: a service did not answer ({exc}); start them first.", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo("Rebuilt: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
