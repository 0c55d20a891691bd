"""The services of the suite, in the order they are migrated and started."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServiceInfo:
    name: str  # Nameko service name == folder == PostgreSQL schema

    @property
    def module(self) -> str:
        return f"services.{self.name}.service"

    @property
    def migrations(self) -> Path:
        return ROOT / self.name / "migrations"


SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo("identity"),
    ServiceInfo("leads"),
    ServiceInfo("sales"),
    ServiceInfo("orders"),
    ServiceInfo("feed"),
    ServiceInfo("processes"),
)


def service(name: str) -> ServiceInfo:
    for info in SERVICES:
        if info.name == name:
            return info
    raise KeyError(name)
