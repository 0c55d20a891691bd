"""What the social service talks to outside its database, each behind one class: the
Facebook Graph API (:class:`GraphAdapter`), the receivers of outbound webhooks
(:class:`WebhookSender`), the encryption keys (:class:`Secrets`) and its settings.

Both HTTP adapters use the standard library's client (greened by eventlet), with a
timeout, and never log a token or a secret.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from services.integrations.sync.crypto import SecretBox
from services.platform.db import Database

from .models import metadata

#: the start of an answer's body kept in the delivery log
RESPONSE_KEEP = 2000


class PlatformError(Exception):
    """The platform's API failed (``detail`` for the log, never a token)."""


class GraphAdapter:
    """The Graph API's lead read: ``GET {graph_url}/{leadgen_id}?access_token=…``
    (Facebook's "Retrieving leads"). ``graph_url`` is the channel's, so a test or a
    proxy can stand in for graph.facebook.com."""

    def __init__(self, timeout: float = 10.0):
        self.timeout = timeout

    def fetch_lead(self, graph_url: str, leadgen_id: str, access_token: str) -> dict[str, Any]:
        query = urllib.parse.urlencode({"access_token": access_token})
        url = f"{graph_url.rstrip('/')}/{urllib.parse.quote(leadgen_id, safe='')}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise PlatformError(f"Graph API answered {exc.code} for lead {leadgen_id}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PlatformError(f"Graph API not reached for lead {leadgen_id}: {reason}") from None


@dataclass(frozen=True)
class Answer:
    """What a receiver answered one delivery (status None: it was not reached)."""

    status: int | None
    body: str
    error: str | None
    duration_ms: int


class WebhookSender:
    """POSTs one signed body to a subscriber's URL."""

    def __init__(self, timeout: float = 10.0):
        self.timeout = timeout

    def post(self, url: str, body: str, headers: dict[str, str]) -> Answer:
        request = urllib.request.Request(  # noqa: S310 - an administrator's URL
            url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Osprey-Webhooks/1",
                **headers,
            },  # fmt: skip
        )
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                text = response.read(RESPONSE_KEEP).decode("utf-8", "replace")
                return Answer(response.status, text, None, took())
        except urllib.error.HTTPError as exc:
            text = exc.read(RESPONSE_KEEP).decode("utf-8", "replace")
            return Answer(exc.code, text, None, took())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return Answer(None, "", str(getattr(exc, "reason", exc))[:500], took())


@dataclass(frozen=True)
class Settings:
    #: seconds between looks for due deliveries
    deliver_every: float
    #: the first retry's delay, doubled each time up to ``retry_cap``
    retry_base: float
    retry_cap: float
    #: tries before a delivery is given up (it can still be sent by hand)
    max_attempts: int
    #: deliveries sent per look
    batch: int
    #: days a settled delivery (delivered or failed) stays in the log after its last try
    log_days: float = 30.0


def read_settings(config: Any, environ: Any = os.environ) -> Settings:
    def number(name: str, default: float) -> float:
        value = config.get(name, environ.get(f"OSPREY_{name}"))
        try:
            return float(value if value not in (None, "") else default)
        except (TypeError, ValueError):
            return default

    return Settings(
        deliver_every=number("WEBHOOK_POLL_SECONDS", 1.0),
        retry_base=number("WEBHOOK_RETRY_BASE_SECONDS", 30.0),
        retry_cap=number("WEBHOOK_RETRY_CAP_SECONDS", 6 * 3600.0),
        max_attempts=max(1, int(number("WEBHOOK_MAX_ATTEMPTS", 8))),
        batch=max(1, int(number("WEBHOOK_BATCH", 20))),
        log_days=max(0.0, number("WEBHOOK_LOG_DAYS", 30.0)),
    )


class SocialSettings(DependencyProvider):
    def setup(self) -> None:
        self.settings = read_settings(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> Settings:
        return self.settings


class Secrets(DependencyProvider):
    """Injects the :class:`SecretBox`: container config ``SECRET_KEYS`` (a list or a
    comma-separated string), else ``OSPREY_SECRET_KEYS``."""

    def setup(self) -> None:
        keys = self.container.config.get("SECRET_KEYS")
        if keys is None:
            self.box = SecretBox.from_env()
        else:
            self.box = SecretBox(keys if isinstance(keys, list) else keys.split(","))

    def get_dependency(self, worker_ctx: Any) -> SecretBox:
        return self.box


class Platforms(DependencyProvider):
    """Injects itself: ``graph`` and ``sender``; a test may replace the classes."""

    graph_adapter = GraphAdapter
    webhook_sender = WebhookSender

    def setup(self) -> None:
        self.graph = self.graph_adapter()
        self.sender = self.webhook_sender()

    def get_dependency(self, worker_ctx: Any) -> Platforms:
        return self


class SocialBase:
    """The providers every part of the social service uses, and nothing else."""

    name = "social"

    db = Database(metadata)
    secrets = Secrets()
    settings = SocialSettings()
    platforms = Platforms()
    leads_rpc = RpcProxy("leads")
    sales_rpc = RpcProxy("sales")
