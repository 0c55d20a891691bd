"""Providers the identity service needs beside its database: its settings, and the
start-up step that makes sure the seeded roles and the first administrator exist."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from nameko.extensions import DependencyProvider

from services.platform.config import settings
from services.platform.db import Database, create_db_engine, make_sessionmaker

from . import passwords, store
from .models import metadata

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdentitySettings:
    token_ttl_hours: int


def _setting(config: dict[str, Any], key: str, default: Any) -> Any:
    """The container config wins (tests set it there); the environment otherwise."""
    return config.get(key, default)


class Settings(DependencyProvider):
    """Injects :class:`IdentitySettings`. Config ``TOKEN_TTL_HOURS``, else
    ``OSPREY_TOKEN_TTL_HOURS``."""

    def setup(self) -> None:
        if passwords.fast_hashing():
            log.warning(
                "%s is set: passwords are hashed with a cheap test profile; "
                "never set it outside the test suite",
                passwords.FAST_HASHING_VARIABLE,
            )
        config = self.container.config
        self.value = IdentitySettings(
            token_ttl_hours=int(_setting(config, "TOKEN_TTL_HOURS", settings().token_ttl_hours))
        )

    def get_dependency(self, worker_ctx: Any) -> IdentitySettings:
        return self.value


class Bootstrap(DependencyProvider):
    """Before the service takes its first call: put back any missing seeded role, and
    create the administrator named by ``ADMIN_EMAIL``/``ADMIN_PASSWORD`` in the
    container config (else ``OSPREY_ADMIN_EMAIL``/``OSPREY_ADMIN_PASSWORD``) if that
    email is unknown. Replicas starting together are safe: the unique email decides.
    A failure stops the service from starting, loudly, instead of serving without
    roles or an admin.
    """

    # In setup, not start: a container starts all its extensions at once, so work done
    # in start() races the RPC consumer, and a login right after start-up could miss
    # the admin. Every setup() finishes before any start() begins.
    def setup(self) -> None:
        if passwords.fast_hashing():
            log.warning(
                "%s is set: passwords are hashed with a cheap test profile; "
                "never set it outside the test suite",
                passwords.FAST_HASHING_VARIABLE,
            )
        config = self.container.config
        email = _setting(config, "ADMIN_EMAIL", settings().admin_email)
        password = _setting(config, "ADMIN_PASSWORD", settings().admin_password)
        engine = create_db_engine(config["DATABASE_URL"], poolclass=sa.pool.NullPool)
        try:
            Session = make_sessionmaker(engine, metadata, self.container.service_name)
            with Session() as db:
                store.ensure_roles(db)
                if email and password:
                    user, created = store.ensure_admin(db, email, password)
                    if created:
                        log.info("created the administrator %s", user["email"])
                db.commit()
        finally:
            engine.dispose()


class IdentityBase:
    """The providers every part of the identity service uses, and nothing else."""

    name = "identity"

    db = Database(metadata)
    settings = Settings()
    bootstrap = Bootstrap()
