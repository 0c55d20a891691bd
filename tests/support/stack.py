"""The whole Osprey stack as real processes, for end-to-end tests and benchmarks.

Given a migrated database, :class:`Stack` makes a fresh RabbitMQ vhost (through the
management API), starts every service of :data:`services.platform.registry.SERVICES`
with ``python -m services.platform.run <name>`` and the gateway with
``python -m gateway`` on a free port, each its own process logging to a file, and
waits until ``/readyz`` says ready. :meth:`Stack.stop` ends them (SIGTERM, then
SIGKILL) and deletes the vhost. Nothing here imports asyncio code, so it runs in the
eventlet-patched test process as well as in a plain script::

    with Stack(database_url) as stack:
        httpx.post(f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials)
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.platform.config import settings
from services.platform.registry import SERVICES

REPO_ROOT = Path(__file__).resolve().parents[2]
GATEWAY = "gateway"
ACCOUNTING_PEER = "accounting-peer"


class StackError(RuntimeError):
    """The stack did not come up (the message carries the processes' log tails)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_command(name: str) -> list[str]:
    return [sys.executable, "-m", "services.platform.run", name]


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"gave up after {timeout:g}s waiting for {what}")
        time.sleep(interval)


# -- RabbitMQ vhost ---------------------------------------------------------------------


class RabbitVhost:
    """A throw-away vhost made through the management API, so runs never share queues."""

    def __init__(self, management_url: str, amqp_uri: str, name: str | None = None):
        parts = urllib.parse.urlsplit(management_url)
        self.api = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        user = urllib.parse.unquote(parts.username or "guest")
        password = urllib.parse.unquote(parts.password or "guest")
        self._auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.user = user
        self.name = name or f"osprey-test-{secrets.token_hex(4)}"
        amqp = urllib.parse.urlsplit(amqp_uri)
        self.amqp_uri = urllib.parse.urlunsplit(
            (amqp.scheme, amqp.netloc, "/" + urllib.parse.quote(self.name, safe=""), "", "")
        )

    def _request(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.api + path,
            data=data,
            method=method,
            headers={"Authorization": self._auth, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    @property
    def _quoted(self) -> str:
        return urllib.parse.quote(self.name, safe="")

    def create(self) -> None:
        self._request("PUT", f"/vhosts/{self._quoted}", {})
        self._request(
            "PUT",
            f"/permissions/{self._quoted}/{urllib.parse.quote(self.user, safe='')}",
            {"configure": ".*", "write": ".*", "read": ".*"},
        )

    def delete(self) -> None:
        try:
            self._request("DELETE", f"/vhosts/{self._quoted}")
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise

    def queue(self, name: str) -> dict[str, Any] | None:
        """The management API's view of one queue (consumers, messages), or None."""
        try:
            return self._request(
                "GET", f"/queues/{self._quoted}/{urllib.parse.quote(name, safe='')}"
            )
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise


# -- processes --------------------------------------------------------------------------


@dataclass
class Process:
    """One process of the stack, its command line, environment and log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        if self.alive:
            return
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps writing to it
        try:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C in the terminal reaches only the tests
            )
        finally:
            log.close()

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if the process has not ended after ``grace`` seconds."""
        self.signal_stop()
        self.wait_stopped(grace)

    def signal_stop(self) -> None:
        """SIGTERM without waiting (several processes then drain at the same time)."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait_stopped(self, grace: float = 10.0) -> None:
        """Wait for a SIGTERMed process to end; SIGKILL it after ``grace`` seconds."""
        if self.popen is None:
            return
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, as in a crash."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(5)

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


# -- the stack --------------------------------------------------------------------------


class Stack:
    """Every service and the gateway as processes on a fresh vhost and a given database.

    ``services`` maps a process name to its command; by default one process per
    registered service. ``env`` adds or overrides environment variables for all.
    """

    def __init__(
        self,
        database_url: str,
        *,
        services: Mapping[str, Sequence[str]] | None = None,
        env: Mapping[str, str] | None = None,
        admin_email: str = "admin@osprey.test",
        admin_password: str | None = None,
        ready_timeout: float = 90.0,
        keep_logs: bool = False,
    ):
        base = settings()
        self.database_url = database_url
        self.admin_email = admin_email
        self.admin_password = admin_password or secrets.token_urlsafe(12)
        self.ready_timeout = ready_timeout
        self.keep_logs = keep_logs
        self.vhost = RabbitVhost(base.amqp_management_url, base.amqp_uri)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_dir = Path(tempfile.mkdtemp(prefix="osprey-stack-"))
        self.env = {
            **os.environ,
            "OSPREY_DATABASE_URL": database_url,
            "OSPREY_AMQP_URI": self.vhost.amqp_uri,
            "OSPREY_AMQP_MANAGEMENT_URL": base.amqp_management_url,
            "OSPREY_HTTP_HOST": "127.0.0.1",
            "OSPREY_HTTP_PORT": str(self.port),
            "OSPREY_ADMIN_EMAIL": self.admin_email,
            "OSPREY_ADMIN_PASSWORD": self.admin_password,
            "OSPREY_OUTBOX_POLL_SECONDS": "0.2",
            "PYTHONUNBUFFERED": "1",
            **dict(env or {}),
        }
        commands = dict(services or {info.name: service_command(info.name) for info in SERVICES})
        commands[GATEWAY] = [sys.executable, "-m", "gateway"]
        #: The reference accounting system (deploy/accounting/peer.py), in the default
        #: stack only: confirmed orders get reserved; its control answers here.
        self.accounting_peer_url: str | None = None
        if services is None:
            peer_port = free_port()
            self.accounting_peer_url = f"http://127.0.0.1:{peer_port}"
            commands[ACCOUNTING_PEER] = [
                sys.executable,
                "-m",
                "deploy.accounting.peer",
                "--amqp-uri",
                self.vhost.amqp_uri,
                "--state",
                str(self.log_dir / "accounting-peer.sqlite3"),
                "--http-port",
                str(peer_port),
                "--default-stock",
                "1000",
            ]
        self.processes = {
            name: Process(name, list(argv), self.env, self.log_dir / f"{name}.log")
            for name, argv in commands.items()
        }
        self._vhost_made = False

    # -- life cycle

    @property
    def admin_credentials(self) -> dict[str, str]:
        return {"email": self.admin_email, "password": self.admin_password}

    @property
    def amqp_uri(self) -> str:
        return self.vhost.amqp_uri

    def start(self) -> Stack:
        try:
            self.vhost.create()
            self._vhost_made = True
            for process in self.processes.values():
                process.start()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        # The gateway first, so nothing new reaches the services while they drain; then
        # every service at once (one after the other took a second or two each).
        if GATEWAY in self.processes:
            self.processes[GATEWAY].stop()
        services = [p for n, p in self.processes.items() if n != GATEWAY]
        for process in services:
            process.signal_stop()
        for process in services:
            process.wait_stopped()
        if self._vhost_made:
            self.vhost.delete()
            self._vhost_made = False
        if not self.keep_logs:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- readiness

    def readiness(self) -> tuple[int, dict[str, Any]]:
        """``/readyz``'s status and body; (0, {}) while the gateway does not answer."""
        try:
            with urllib.request.urlopen(f"{self.base_url}/readyz", timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, {}

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until ``/readyz`` is 200; :class:`StackError` with log tails if not."""

        def ready() -> bool:
            dead = [p.name for p in self.processes.values() if not p.alive]
            if dead:
                raise StackError(f"{', '.join(dead)} exited while starting\n{self.log_tails()}")
            return self.readiness()[0] == 200

        try:
            wait_until(ready, timeout or self.ready_timeout, "the stack to be ready", 0.1)
        except TimeoutError as exc:
            status, body = self.readiness()
            raise StackError(f"{exc}; /readyz {status} {body}\n{self.log_tails()}") from exc

    def wait_queue_consumed(self, service: str, timeout: float = 30.0) -> None:
        """Block until some process consumes ``service``'s RPC queue."""
        wait_until(
            lambda: (self.vhost.queue(f"rpc-{service}") or {}).get("consumers", 0) > 0,
            timeout,
            f"a consumer on rpc-{service}",
            0.1,
        )

    # -- one process at a time

    def kill(self, name: str) -> None:
        """SIGKILL one process (a crash), e.g. ``stack.kill("leads")``."""
        self.processes[name].kill()

    def terminate(self, name: str) -> None:
        """SIGTERM one process and wait for it to finish its work and end."""
        self.processes[name].stop()

    def restart(self, name: str, *, kill: bool = False) -> None:
        """Stop (or kill) one process, start it again and wait until the stack is ready."""
        if kill:
            self.kill(name)
        else:
            self.terminate(name)
        self.processes[name].start()
        self.wait_ready()

    def add_gateway(self, name: str = "gateway-2", env: Mapping[str, str] | None = None) -> str:
        """Start one more gateway process on a port of its own; return its base URL.

        It serves the same services through the same broker (e.g. to show that live
        updates reach the clients of every gateway instance), with ``env`` added to the
        stack's environment; :meth:`stop` ends it.
        """
        port = free_port()
        env = {**self.env, **dict(env or {}), "OSPREY_HTTP_PORT": str(port)}
        process = Process(
            name, [sys.executable, "-m", "gateway"], env, self.log_dir / f"{name}.log"
        )
        self.processes[name] = process
        process.start()
        base_url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if not process.alive:
                raise StackError(f"{name} exited while starting\n{process.tail()}")
            try:
                with urllib.request.urlopen(f"{base_url}/readyz", timeout=5) as response:
                    return response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        wait_until(ready, self.ready_timeout, f"{name} to be ready", 0.1)
        return base_url

    def log_tails(self, lines: int = 40) -> str:
        return "\n".join(
            f"----- {p.name} (pid {p.pid}, {'running' if p.alive else 'ended'}) -----\n"
            f"{p.tail(lines)}"
            for p in self.processes.values()
        )


def main() -> None:
    """``python -m tests.support.stack [DATABASE_URL]``: run the stack until Ctrl-C
    (for benchmarks and trying things by hand). The database must be migrated."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("database_url", nargs="?", default=settings().database_url)
    args = parser.parse_args()
    with Stack(args.database_url, keep_logs=True) as stack:
        print(f"Osprey is ready at {stack.base_url}", flush=True)
        print(f"admin: {stack.admin_email} / {stack.admin_password}", flush=True)
        print(f"logs: {stack.log_dir}", flush=True)
        # SIGTERM ends it as cleanly as Ctrl-C: the with-block stops every process.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
