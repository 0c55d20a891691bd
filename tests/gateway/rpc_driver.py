"""Runs one call of the gateway's RPC client and prints what happened, as JSON.

The test process is patched by eventlet, where asyncio code must not run, so the
tests drive :class:`gateway.rpc.RpcClient` through this script in a process of its
own: ``python -m tests.gateway.rpc_driver <amqp_uri> <timeout> <service> <method>
<args json> <kwargs json>``. It prints ``{"result": ...}`` or ``{"error": <class>,
"message", "errors", "status"}``, plus ``"seconds"``, the call's duration.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from gateway.problems import status_for
from gateway.rpc import RpcClient


async def drive(
    amqp_uri: str,
    timeout: float,
    service: str,
    method: str,
    args: list[Any],
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    client = RpcClient(amqp_uri, timeout=timeout, connect_timeout=2)
    started = time.monotonic()
    try:
        result: dict[str, Any] = {"result": await client.call(service, method, *args, **kwargs)}
    except Exception as exc:  # noqa: BLE001 - reporting every outcome is the point
        result = {
            "error": type(exc).__name__,
            "message": str(exc),
            "errors": getattr(exc, "errors", []),
            "status": status_for(exc),
        }
    result["seconds"] = time.monotonic() - started
    await client.close()
    return result


def main() -> None:
    uri, timeout, service, method, args, kwargs = sys.argv[1:7]
    outcome = asyncio.run(
        drive(uri, float(timeout), service, method, json.loads(args), json.loads(kwargs))
    )
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
