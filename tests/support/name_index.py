"""Test helper: wait until a service container's in-memory name indexes are built."""

from __future__ import annotations

import time
from typing import Any

from services.platform.name_index import NameIndexes


def name_indexes(container: Any) -> NameIndexes:
    for dependency in container.dependencies:
        if isinstance(dependency, NameIndexes):
            return dependency
    raise LookupError("the container has no name indexes")


def wait_for_name_indexes(container: Any, timeout: float = 20.0) -> None:
    provider = name_indexes(container)
    deadline = time.monotonic() + timeout
    while not all(index.ready for index in provider.indexes.values()):
        if time.monotonic() > deadline:
            raise TimeoutError("the name indexes were not built in time")
        time.sleep(0.02)
