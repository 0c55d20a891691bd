"""What the processes service's parts are given: the database, the engine adapter, the
settings, the webhook client and the proxies of the services an action calls.

Each part (definitions, instances, user tasks, the record-event handlers, the timers)
is a class of entrypoints on :class:`ProcessesBase`, which declares the dependency
providers and nothing else; ``service.py`` puts the parts together. The steps an
entrypoint takes are plain functions it calls where they happen
(:mod:`~services.processes.steps`, :mod:`~services.processes.calls`).

The engine is one per process (its cache of parsed specs is shared by the workers);
the webhook client is behind a small class so a unit test swaps it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from services.platform.db import Database
from services.platform.event_gate import EventGate

from .engine import Engine
from .gate import start_only
from .models import metadata


@dataclass(frozen=True)
class ProcessSettings:
    #: how long a CRM action may take before its answer counts as lost
    action_timeout: float
    #: a pending call no worker sent after this long is sent by the sweeper
    pending_grace: float
    #: how many due timers one claim takes (each replica claims its own batch)
    timer_batch: int
    #: how long one timer run keeps waking due instances before it lets the next run go
    timer_budget: float


def _setting(config: dict[str, Any], key: str, env: str, default: str) -> str:
    value = config.get(key)
    if value is None:
        value = os.environ.get(env) or default
    return str(value)


class Settings(DependencyProvider):
    """Config ``PROCESS_ACTION_TIMEOUT`` (else ``OSPREY_PROCESS_ACTION_TIMEOUT``, 30 s),
    ``PROCESS_PENDING_GRACE`` (10 s), ``PROCESS_TIMER_BATCH`` (25),
    ``PROCESS_TIMER_BUDGET`` (5 s)."""

    def setup(self) -> None:
        config = self.container.config
        self.value = ProcessSettings(
            action_timeout=float(
                _setting(config, "PROCESS_ACTION_TIMEOUT", "OSPREY_PROCESS_ACTION_TIMEOUT", "30")
            ),
            pending_grace=float(
                _setting(config, "PROCESS_PENDING_GRACE", "OSPREY_PROCESS_PENDING_GRACE", "10")
            ),
            timer_batch=int(
                _setting(config, "PROCESS_TIMER_BATCH", "OSPREY_PROCESS_TIMER_BATCH", "25")
            ),
            timer_budget=float(
                _setting(config, "PROCESS_TIMER_BUDGET", "OSPREY_PROCESS_TIMER_BUDGET", "5")
            ),
        )

    def get_dependency(self, worker_ctx: Any) -> ProcessSettings:
        return self.value


class EngineProvider(DependencyProvider):
    """Injects the :class:`~services.processes.engine.Engine` (one per process)."""

    def setup(self) -> None:
        self.engine = Engine()

    def get_dependency(self, worker_ctx: Any) -> Engine:
        return self.engine


class WebhookClient:
    """Posts a process's webhook: JSON, the idempotency key in ``Idempotency-Key``."""

    def __init__(self, timeout: float):
        self.timeout = timeout

    def send(self, url: str, method: str, body: Any, key: str) -> dict[str, Any]:
        response = httpx.request(
            method,
            url,
            json=body,
            headers={"Idempotency-Key": key, "User-Agent": "Osprey-Processes/1"},
            timeout=self.timeout,
            follow_redirects=False,
        )
        try:
            payload = response.json()
        except ValueError:
            payload = response.text[:2000]
        if response.status_code >= 400:
            raise WebhookFailed(
                f"the webhook answered {response.status_code}", response.status_code
            )
        return {"status": response.status_code, "body": payload}


class WebhookFailed(Exception):
    def __init__(self, message: str, status: int):
        self.status = status
        super().__init__(message)


class Webhooks(DependencyProvider):
    """Injects a :class:`WebhookClient` (config ``PROCESS_WEBHOOK_TIMEOUT``, 10 s)."""

    def setup(self) -> None:
        timeout = float(
            _setting(
                self.container.config,
                "PROCESS_WEBHOOK_TIMEOUT",
                "OSPREY_PROCESS_WEBHOOK_TIMEOUT",
                "10",
            )
        )
        self.client = WebhookClient(timeout)

    def get_dependency(self, worker_ctx: Any) -> WebhookClient:
        return self.client


class ProcessesBase:
    """The providers every part of the processes service uses."""

    name = "processes"

    db = Database(metadata)
    engine: Engine = EngineProvider()
    #: a record's created event arrives only while a deployed start is bound to it
    event_gate = EventGate(start_only)
    settings = Settings()
    webhooks = Webhooks()

    #: The services a process's actions call (see :mod:`services.processes.actions`).
    leads_rpc = RpcProxy("leads")
    sales_rpc = RpcProxy("sales")
    orders_rpc = RpcProxy("orders")
    feed_rpc = RpcProxy("feed")
    mail_rpc = RpcProxy("mail")
