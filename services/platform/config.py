"""Configuration from the environment, read once at start-up (12-factor)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    database_url: str
    amqp_uri: str
    amqp_management_url: str
    http_host: str
    http_port: int
    admin_email: str | None
    admin_password: str | None
    rpc_timeout: float
    token_ttl_hours: int
    auth_cache_seconds: float
    max_body_bytes: int
    outbox_relay: bool
    outbox_poll_seconds: float
    name_index: bool = True

    def __repr__(self) -> str:  # never print the admin password or URL credentials
        return f"Settings(http={self.http_host}:{self.http_port})"


def load_settings() -> Settings:
    return Settings(
        database_url=_env("OSPREY_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey"),
        amqp_uri=_env("OSPREY_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        amqp_management_url=_env(
            "OSPREY_AMQP_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672"
        ),
        http_host=_env("OSPREY_HTTP_HOST", "127.0.0.1"),
        http_port=int(_env("OSPREY_HTTP_PORT", "8000")),
        admin_email=os.environ.get("OSPREY_ADMIN_EMAIL") or None,
        admin_password=os.environ.get("OSPREY_ADMIN_PASSWORD") or None,
        rpc_timeout=float(_env("OSPREY_RPC_TIMEOUT", "10")),
        token_ttl_hours=int(_env("OSPREY_TOKEN_TTL_HOURS", "12")),
        auth_cache_seconds=float(_env("OSPREY_AUTH_CACHE_SECONDS", "5")),
        max_body_bytes=int(_env("OSPREY_MAX_BODY_BYTES", str(1024 * 1024))),
        outbox_relay=_env("OSPREY_OUTBOX_RELAY", "1") not in ("0", "false", "no", "off"),
        outbox_poll_seconds=float(_env("OSPREY_OUTBOX_POLL_SECONDS", "1")),
        name_index=_env("OSPREY_NAME_INDEX", "1") not in ("0", "false", "no", "off"),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


def nameko_config(s: Settings | None = None) -> dict:
    """The Nameko container config every service runs with."""
    s = s or settings()
    return {
        "AMQP_URI": s.amqp_uri,
        "DATABASE_URL": s.database_url,
        "OUTBOX_RELAY": s.outbox_relay,
        "OUTBOX_POLL_SECONDS": s.outbox_poll_seconds,
        "NAME_INDEX": s.name_index,
        "serializer": "json",
        "max_workers": int(_env("OSPREY_MAX_WORKERS", "10")),
        "parent_calls_tracked": 10,
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"level": _env("OSPREY_LOG_LEVEL", "INFO"), "handlers": ["console"]},
        },
    }
