"""A gateway process in front of a stand-in process for every registered service."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import pytest

from services.platform.registry import SERVICES
from tests.support.stack import Stack

RPC_TIMEOUT = 3.0  # long enough that "fails fast" and "times out" differ clearly
MAX_BODY_BYTES = 4096


def fake_command(name: str) -> list[str]:
    return [sys.executable, "-m", "tests.gateway.fake_services", name]


@pytest.fixture(scope="session")
def fake_stack(migrated_database: str) -> Iterator[Stack]:
    stack = Stack(
        migrated_database,
        services={info.name: fake_command(info.name) for info in SERVICES},
        env={
            "OSPREY_RPC_TIMEOUT": str(RPC_TIMEOUT),
            "OSPREY_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        },
    )
    with stack:
        yield stack


@pytest.fixture
def http(fake_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake_stack.base_url, timeout=15) as client:
        yield client


@pytest.fixture
def admin(fake_stack: Stack) -> Iterator[httpx.Client]:
    """A client that sends the stand-in admin's bearer token."""
    with httpx.Client(
        base_url=fake_stack.base_url,
        timeout=15,
        headers={"Authorization": "Bearer admin-token"},
    ) as client:
        yield client
