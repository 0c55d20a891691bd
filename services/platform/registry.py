"""The services of the suite, in the order they are migrated and started."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServiceInfo:
    name: str  # Nameko service name == PostgreSQL schema
    #: the Python package under ``services``, when it is not the name (an integration
    #: lives in ``services/integrations/<name>/``: ``"integrations.mail"``)
    path: str | None = None

    @property
    def package(self) -> str:
        return f"services.{self.path or self.name}"

    @property
    def module(self) -> str:
        return f"{self.package}.service"

    @property
    def migrations(self) -> Path:
        return ROOT.joinpath(*(self.path or self.name).split("."), "migrations")


SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo("identity"),
    ServiceInfo("leads"),
    ServiceInfo("sales"),
    ServiceInfo("orders"),
    ServiceInfo("feed"),
    ServiceInfo("processes"),
    ServiceInfo("mail", "integrations.mail"),
    ServiceInfo("exchange", "integrations.exchange"),
    ServiceInfo("analytics"),
    ServiceInfo("audit"),
    ServiceInfo("imports", "integrations.imports"),
    ServiceInfo("google", "integrations.google"),
    ServiceInfo("social", "integrations.social"),
)


def service(name: str) -> ServiceInfo:
    for info in SERVICES:
        if info.name == name:
            return info
    raise KeyError(name)
