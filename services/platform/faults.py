"""Failpoints: named places where a test can make the process die on purpose.

``OSPREY_FAILPOINTS="outbox.after_publish=exit"`` makes the process exit at once
(no clean-up, as if killed) when it reaches that point. Unset in production, a
failpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os

_ACTIONS = dict(
    item.split("=", 1) for item in os.environ.get("OSPREY_FAILPOINTS", "").split(",") if "=" in item
)


def failpoint(name: str) -> None:
    action = _ACTIONS.get(name)
    if action == "exit":
        os._exit(86)
    elif action == "raise":
        raise RuntimeError(f"failpoint {name}")
