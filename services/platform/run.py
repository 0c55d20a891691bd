"""Run one Osprey service as its own process: ``python -m services.platform.run leads``.

Config comes from the environment (:mod:`services.platform.config`); the process
stops cleanly on SIGTERM/SIGINT, finishing the workers it has started.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

import importlib  # noqa: E402
import logging.config  # noqa: E402
import sys  # noqa: E402

from nameko.cli.run import run as nameko_run  # noqa: E402

from . import fast_json  # noqa: E402
from .config import nameko_config  # noqa: E402
from .registry import service  # noqa: E402


def service_class(name: str) -> type:
    module = importlib.import_module(service(name).module)
    return next(
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and getattr(obj, "name", None) == name
        and obj.__module__ == module.__name__
    )


def main(argv: list[str] | None = None) -> None:
    names = (argv if argv is not None else sys.argv[1:]) or []
    if not names:
        raise SystemExit("usage: python -m services.platform.run <service> [<service> ...]")
    config = nameko_config()
    logging.config.dictConfig(config["LOGGING"])
    fast_json.install()
    nameko_run([service_class(name) for name in names], config)


if __name__ == "__main__":
    main()
