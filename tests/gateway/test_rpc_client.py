"""The gateway's asyncio RPC client against real Nameko services on a real broker.

Driven through ``tests/gateway/rpc_driver.py`` in its own process, because asyncio
must not run inside the eventlet-patched test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.support.stack import Stack, free_port

from .conftest import RPC_TIMEOUT

#: How long a call that must "fail fast" may take: well under the RPC timeout.
FAST = 0.5


def call(
    amqp_uri: str,
    service: str,
    method: str,
    *args: Any,
    timeout: float = RPC_TIMEOUT,
    **kwargs: Any,
) -> dict[str, Any]:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.gateway.rpc_driver",
            amqp_uri,
            str(timeout),
            service,
            method,
            json.dumps(args),
            json.dumps(kwargs),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_arguments_keywords_and_actor_reach_the_service(fake_stack: Stack) -> None:
    actor = {"id": "u1", "email": "ann@osprey.test", "roles": ["sales_rep"]}
    outcome = call(fake_stack.amqp_uri, "leads", "echo", "a", 2, flag=True, actor=actor)
    assert outcome["result"] == {"args": ["a", 2], "kwargs": {"flag": True, "actor": actor}}


def test_typed_errors_are_rebuilt_with_their_field_errors(fake_stack: Stack) -> None:
    not_found = call(fake_stack.amqp_uri, "leads", "get_lead", "missing", actor={"id": "u1"})
    assert (not_found["error"], not_found["status"]) == ("NotFound", 404)
    assert not_found["message"] == "Lead not found"

    invalid = call(
        fake_stack.amqp_uri, "leads", "create_lead", {"email": "not-an-email"}, actor={"id": "u1"}
    )
    assert (invalid["error"], invalid["status"]) == ("ValidationFailed", 422)
    assert invalid["errors"] == [{"field": "email", "message": "Not an email address"}]


def test_an_unexpected_remote_error_is_a_500_without_its_details(fake_stack: Stack) -> None:
    outcome = call(fake_stack.amqp_uri, "leads", "get_lead", "bug", actor={"id": "u1"})
    assert (outcome["error"], outcome["status"]) == ("RemoteError", 500)
    assert "secret" not in outcome["message"]


def test_a_slow_method_times_out_at_the_call_timeout(fake_stack: Stack) -> None:
    outcome = call(
        fake_stack.amqp_uri, "leads", "get_lead", "slow", actor={"id": "u1"}, timeout=1.0
    )
    assert (outcome["error"], outcome["status"]) == ("RpcTimeout", 504)
    assert 1.0 <= outcome["seconds"] < 1.0 + FAST


def test_a_service_that_never_ran_fails_fast_as_unavailable(fake_stack: Stack) -> None:
    outcome = call(fake_stack.amqp_uri, "invoicing", "list_invoices", {}, timeout=10)
    assert (outcome["error"], outcome["status"]) == ("ServiceUnavailable", 503)
    assert outcome["seconds"] < FAST


def test_an_unreachable_broker_fails_fast_as_unavailable() -> None:
    outcome = call(
        f"amqp://guest:guest@127.0.0.1:{free_port()}/", "leads", "get_lead", "x", timeout=10
    )
    assert (outcome["error"], outcome["status"]) == ("ServiceUnavailable", 503)
    assert outcome["seconds"] < 3
