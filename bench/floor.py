"""The floor every API figure is compared with: what the plumbing alone costs.

Two processes beside a running :class:`tests.support.stack.Stack`, in its RabbitMQ vhost
and with its environment, each started as the stack starts its own:

* ``bench_floor``, a Nameko service with one RPC method, ``ping_floor``, that returns
  ``{"ok": True}`` and touches no database; declared with the services' own ``@rpc``
  (``services.platform.rpc``) and run exactly as an Osprey service is
  (``services/platform/run.py``: eventlet's monkey patching first, then
  ``nameko.cli.run.run`` with :func:`services.platform.config.nameko_config`);
* a FastAPI app with one route, ``GET /floor``, that calls ``bench_floor.ping_floor``
  through the gateway's own :class:`gateway.rpc.RpcClient` (made and started in the
  lifespan as ``gateway/app.py`` does) and returns its answer, served by uvicorn with
  the options ``gateway/__main__.py`` uses, on a port of its own.

:class:`Floor` starts and stops both and measures them::

    with Stack(db) as stack, Floor(stack) as floor:
        floor.http(8, 800)   # GET /floor through HTTP, uvicorn, FastAPI, RPC and back
        floor.rpc(8, 800)    # RpcClient.call("bench_floor", "ping_floor") alone

(``Floor(stack)`` made before ``stack.start()`` lets the stack start the floor's
processes with its own; :func:`stop_all` stops everything in parallel.)

An API figure divided by the HTTP floor at the same number of clients is the part of its
cost that is Osprey's own work (auth, validation, the service's code, PostgreSQL);
those ratios hold from day to day on a shared machine when the absolute figures do not.
The floor goes through the same plumbing as the API (the gateway's RPC client, the
services' RPC entrypoint), so a change to that plumbing moves the floor and the figures
alike: it shows in the absolute figures, not in the ratios.

Importing this module starts nothing. ``python -m bench.floor service`` and
``python -m bench.floor http`` are the two processes' commands.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and sys.argv[1:2] == ["service"]:
    import eventlet

    eventlet.monkey_patch()  # before anything opens a socket, as services/platform/run.py

import json  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

if TYPE_CHECKING:
    from tests.support.stack import Process, Stack

SERVICE = "bench_floor"
METHOD = "ping_floor"
PATH = "/floor"


# -- the two processes ------------------------------------------------------------------


def floor_service_class() -> type:
    """The Nameko service (made here so that importing this module imports no Nameko),
    with the ``@rpc`` entrypoint the Osprey services use (``services.platform.rpc``),
    or Nameko's own where that does not exist: the floor is the services' plumbing."""
    try:
        from services.platform.rpc import rpc
    except ImportError:  # a tree from before services.platform.rpc
        from nameko.rpc import rpc

    class FloorService:
        name = SERVICE

        @rpc
        def ping_floor(self, payload: Any = None) -> dict[str, bool]:
            return {"ok": True}

    return FloorService


def serve_service() -> None:
    """Run ``bench_floor`` like ``python -m services.platform.run`` runs a service."""
    import logging.config

    from nameko.cli.run import run as nameko_run

    from services.platform.config import nameko_config

    config = nameko_config()
    logging.config.dictConfig(config["LOGGING"])
    nameko_run([floor_service_class()], config)


def create_app() -> Any:
    """The FastAPI floor app: ``GET /floor`` → ``bench_floor.ping_floor`` → its answer."""
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from gateway.rpc import RpcClient, RpcFailure
    from services.platform.config import settings

    config = settings()
    clients: dict[str, RpcClient] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rpc = RpcClient(config.amqp_uri, timeout=config.rpc_timeout)
        clients["rpc"] = app.state.rpc = rpc
        await rpc.start()
        yield
        await rpc.close()

    app = FastAPI(title="Osprey benchmark floor", lifespan=lifespan)

    async def rpc_failed(request: Request, exc: Exception) -> JSONResponse:
        # As the gateway answers them: 503 while nothing serves bench_floor yet.
        status = exc.status if isinstance(exc, RpcFailure) else 500
        return JSONResponse({"title": str(exc)}, status_code=status)

    app.add_exception_handler(RpcFailure, rpc_failed)

    # No parameters and no response model: the least FastAPI does for a route.
    @app.get(PATH, response_model=None)
    async def floor():  # noqa: ANN202 - annotations here would be strings FastAPI resolves
        return await clients["rpc"].call(SERVICE, METHOD)

    return app


def serve_http() -> None:
    """Serve :func:`create_app` as ``python -m gateway`` serves the gateway."""
    import uvicorn

    from services.platform.config import settings

    s = settings()
    uvicorn.run(
        "bench.floor:create_app",
        factory=True,
        host=s.http_host,
        port=s.http_port,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )


# -- starting them beside a stack and measuring -----------------------------------------


class Floor:
    """The floor processes beside a :class:`Stack`; a context manager.

    Both processes are entered in ``stack.processes`` when this is made, so the stack's
    log tails show them and its ``stop()`` ends them if this object was not closed.
    Made before ``stack.start()``, the stack starts them together with its own (it
    saves seconds of start-up); :meth:`start` then only waits for them.
    """

    def __init__(self, stack: Stack, ready_timeout: float = 60.0):
        from tests.support.stack import Process, free_port

        self.stack = stack
        self.ready_timeout = ready_timeout
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.amqp_uri = stack.amqp_uri
        self.rpc_timeout = float(stack.env.get("OSPREY_RPC_TIMEOUT") or 10)
        command = [sys.executable, "-m", "bench.floor"]
        self.processes: list[Process] = [
            Process("bench-floor", [*command, "service"], stack.env, stack.log_dir / "floor.log"),
            Process(
                "bench-floor-http",
                [*command, "http"],
                {**stack.env, "OSPREY_HTTP_PORT": str(self.port)},
                stack.log_dir / "floor-http.log",
            ),
        ]
        for process in self.processes:
            stack.processes.setdefault(process.name, process)

    def start(self) -> Floor:
        """Start both processes (unless the stack already did) and wait until
        ``GET /floor`` answers."""
        from tests.support.stack import StackError, wait_until

        try:
            for process in self.processes:
                self.stack.processes[process.name] = process
                process.start()  # a no-op when the stack started it

            def answers() -> bool:
                dead = [p.name for p in self.processes if not p.alive]
                if dead:
                    raise StackError(f"{', '.join(dead)} exited while starting\n{self.tails()}")
                try:
                    with urllib.request.urlopen(self.base_url + PATH, timeout=5) as response:
                        return response.status == 200 and json.loads(response.read())["ok"]
                except urllib.error.HTTPError as exc:
                    if exc.code in (502, 503, 504):  # the bus or the service not there yet
                        return False
                    raise StackError(f"GET {PATH} answered {exc.code}\n{self.tails()}") from exc
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    return False

            try:
                wait_until(answers, self.ready_timeout, "the floor to answer", 0.1)
            except TimeoutError as exc:
                raise StackError(f"{exc}\n{self.tails()}") from exc
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
            self.stack.processes.pop(process.name, None)

    def __enter__(self) -> Floor:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def tails(self, lines: int = 30) -> str:
        return "\n".join(f"----- {p.name} -----\n{p.tail(lines)}" for p in self.processes)

    # -- measures

    def http(self, clients: int, requests: int, warmup: int | None = None) -> dict:
        """``GET /floor`` from ``clients`` keep-alive connections (bench.load.run_load)."""
        from bench.load import run_load

        return run_load(
            self.base_url,
            None,
            clients,
            requests,
            lambda n, i: ("GET", PATH, None),
            warmup=clients * 10 if warmup is None else warmup,
        )

    def rpc(self, clients: int, requests: int, warmup: int | None = None) -> dict:
        """``clients`` asyncio callers of ``RpcClient.call("bench_floor", "ping_floor")``
        sharing one client, as the gateway's requests share one (bench.load.run_calls)."""
        from bench.load import run_calls
        from gateway.rpc import RpcClient

        state: dict[str, RpcClient] = {}

        async def setup() -> None:
            state["rpc"] = RpcClient(self.amqp_uri, timeout=self.rpc_timeout)
            await state["rpc"].start()

        async def call(n: int, i: int) -> None:
            result = await state["rpc"].call(SERVICE, METHOD)
            if result != {"ok": True}:
                raise RuntimeError(f"unexpected answer {result!r}")

        async def teardown() -> None:
            if "rpc" in state:
                await state["rpc"].close()

        return run_calls(
            clients,
            requests,
            call,
            setup=setup,
            teardown=teardown,
            warmup=clients * 10 if warmup is None else warmup,
        )


def stop_all(stack: Stack, grace: float = 10.0) -> None:
    """Stop ``stack`` (floor processes included) with one SIGTERM sent to every process
    at once: the services' graceful stops then overlap (one by one, ``Stack.stop`` takes
    2-4 s per service). The gateway is signalled first, as ``Stack.stop`` does. A
    process still running ``grace`` seconds later is killed. (Signalled twice, a Nameko
    process stops only at the SIGKILL, so each gets one signal.)"""
    import signal
    import subprocess
    import time

    from tests.support.stack import GATEWAY

    names = [GATEWAY, *(n for n in stack.processes if n != GATEWAY)]
    running = [p for n in names if (p := stack.processes.get(n)) is not None and p.alive]
    for process in running:
        assert process.popen is not None
        process.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        assert process.popen is not None
        try:
            process.popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    stack.stop()  # nothing left to signal: deletes the vhost and the logs


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args == ["service"]:
        serve_service()
    elif args == ["http"]:
        serve_http()
    else:
        raise SystemExit("usage: python -m bench.floor service|http (Floor starts both)")


if __name__ == "__main__":
    main()
