"""Every failure the gateway answers is an RFC 9457 problem with the right status."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.platform.registry import SERVICES
from tests.support.stack import Process, Stack, free_port, wait_until

from .conftest import MAX_BODY_BYTES, RPC_TIMEOUT


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def fields(body: dict) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body["errors"]}


LOGIN = "/api/v1/auth/login"


def test_malformed_json_is_400(http: httpx.Client) -> None:
    response = http.post(LOGIN, content=b'{"email": ', headers={"content-type": "application/json"})
    assert_problem(response, 400)


def test_a_body_that_is_not_an_object_is_400(http: httpx.Client) -> None:
    assert_problem(http.post(LOGIN, json=["admin@osprey.test"]), 400)


def test_wrong_types_missing_and_unknown_fields_are_422_by_field(admin: httpx.Client) -> None:
    response = admin.post(
        "/api/v1/leads", json={"contact_name": 5, "score": "high", "colour": "red"}
    )
    body = assert_problem(response, 422)
    assert set(fields(body)) == {"contact_name", "score", "colour"}
    assert fields(body)["colour"] == "Unknown field"

    missing = assert_problem(admin.post("/api/v1/users", json={"email": "x@y.io"}), 422)
    # no password is no mistake: Osprey makes a temporary one (an invitation)
    assert set(fields(missing)) == {"full_name"}


def test_a_body_over_the_limit_is_413(admin: httpx.Client) -> None:
    big = {"notes": "x" * (MAX_BODY_BYTES + 1)}
    assert_problem(admin.post("/api/v1/leads", json=big), 413)


def test_a_streamed_body_over_the_limit_is_413(admin: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"notes": "'
        for _ in range(MAX_BODY_BYTES // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    response = admin.post(
        "/api/v1/leads", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


def test_a_body_that_is_not_json_is_415(admin: httpx.Client) -> None:
    response = admin.post(
        "/api/v1/leads", content=b"contact_name=Ann", headers={"content-type": "text/plain"}
    )
    assert_problem(response, 415)


def test_an_unknown_route_is_404(http: httpx.Client) -> None:
    assert_problem(http.get("/api/v1/spaceships"), 404)
    assert_problem(http.post("/no/such/page", json={}), 404)


def test_a_wrong_method_is_405_naming_the_allowed_ones(admin: httpx.Client) -> None:
    response = admin.put("/api/v1/leads", json={})
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"


def test_without_or_with_a_bad_token_is_401(http: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
        response = http.get("/api/v1/leads", headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_typed_service_errors_map_to_their_status(admin: httpx.Client) -> None:
    assert_problem(admin.get("/api/v1/leads/missing"), 404)
    assert_problem(admin.get("/api/v1/leads/forbidden"), 403)
    stale = assert_problem(
        admin.patch("/api/v1/leads/x", json={}, headers={"If-Match": '"2"'}), 409
    )
    assert fields(stale) == {"version": "Stale version"}
    invalid = assert_problem(admin.post("/api/v1/leads", json={"email": "not-an-email"}), 422)
    assert fields(invalid) == {"email": "Not an email address"}


def test_a_service_bug_is_500_without_details(admin: httpx.Client) -> None:
    body = assert_problem(admin.get("/api/v1/leads/bug"), 500)
    assert "secret" not in str(body) and "RuntimeError" not in str(body)


def test_a_slow_service_is_504_at_the_timeout(admin: httpx.Client) -> None:
    started = time.monotonic()
    assert_problem(admin.get("/api/v1/leads/slow"), 504)
    assert RPC_TIMEOUT <= time.monotonic() - started < RPC_TIMEOUT + 1


@pytest.fixture
def leads_down(fake_stack: Stack) -> Iterator[Stack]:
    fake_stack.kill("leads")
    try:
        yield fake_stack
    finally:
        fake_stack.restart("leads")


def test_a_dead_service_is_503_at_once_and_serves_again_after_restart(
    admin: httpx.Client, leads_down: Stack
) -> None:
    started = time.monotonic()
    response = admin.get("/api/v1/leads/abc")
    assert_problem(response, 503)
    assert time.monotonic() - started < RPC_TIMEOUT / 2
    assert response.headers["retry-after"] == "1"
    assert_problem(admin.get("/readyz"), 503)

    leads_down.restart("leads")
    assert admin.get("/api/v1/leads/abc").status_code == 200


def test_readyz_reports_each_check(fake_stack: Stack) -> None:
    ready = httpx.get(f"{fake_stack.base_url}/readyz")
    assert ready.status_code == 200
    # one check per registered service (the registry grows with the suite)
    services = {f"service.{info.name}": "ok" for info in SERVICES}
    assert {"service.identity", "service.leads", "service.feed"} <= set(services)
    assert ready.json()["checks"] == {"bus": "ok", **services, "database": "ok"}


def test_without_bus_and_database_the_gateway_is_live_but_not_ready(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "OSPREY_HTTP_PORT": str(port),
        "OSPREY_AMQP_URI": f"amqp://guest:guest@127.0.0.1:{free_port()}/",
        "OSPREY_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/osprey",
    }
    gateway = Process("gateway", [sys.executable, "-m", "gateway"], env, tmp_path / "gw.log")
    gateway.start()
    try:
        base = f"http://127.0.0.1:{port}"

        def live() -> bool:
            try:
                return httpx.get(f"{base}/healthz").status_code == 200
            except httpx.TransportError:
                assert gateway.alive, gateway.tail()
                return False

        wait_until(live, 30, "the gateway to answer")
        body = assert_problem(httpx.get(f"{base}/readyz"), 503)
        assert fields(body) == {"bus": "unreachable", "database": "unreachable"}
        login = httpx.post(f"{base}/api/v1/auth/login", json={"email": "a@b.c", "password": "x"})
        assert_problem(login, 503)
    finally:
        gateway.stop()


def test_each_typed_error_has_its_status() -> None:
    from gateway.problems import status_for
    from services.orders.accounting import AccountingUnavailable
    from services.platform import errors

    expected = {
        errors.NotFound: 404,
        errors.ValidationFailed: 422,
        errors.Conflict: 409,
        errors.DuplicatesFound: 409,
        errors.PermissionDenied: 403,
        errors.Unauthenticated: 401,
        errors.RateLimited: 429,
        errors.Unavailable: 503,
        AccountingUnavailable: 503,
    }
    assert {cls: status_for(cls("x")) for cls in expected} == expected
