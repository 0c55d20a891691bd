"""The OpenAPI document tells the truth (issue 20): names, tags, security, and the
statuses each operation answers — checked against what the gateway really answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway import openapi
from gateway.app import create_app
from gateway.listing import list_query
from gateway.problems import PROBLEM_JSON

from .conftest import MAX_BODY_BYTES

SOME_ID = "00000000-0000-7000-8000-00000000abcd"
PUBLIC = {
    "check_health",
    "check_readiness",
    "login",
    "logout",
    "submit_web_form",
    "submit_web_form_preflight",
    "verify_facebook_hook",
    "receive_facebook_hook",
    "receive_telegram_hook",
    "receive_vk_hook",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_operation_ids_are_short_unique_snake_case(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for op_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]{2,40}", op_id), op_id
        assert "api_v1" not in op_id, op_id
    for wanted in ("create_lead", "qualify_lead", "create_order_from_opportunity", "list_posts"):
        assert wanted in ids


def test_every_operation_has_a_described_tag(document: dict[str, Any]) -> None:
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}
    for path, method, op in operations(document):
        assert op.get("tags"), f"{method} {path} has no tag"
        assert set(op["tags"]) <= described, (
            f"{method} {path}: {op['tags']} (gateway/openapi.py TAGS)"
        )


def test_model_titles_are_unique_and_plain(document: dict[str, Any]) -> None:
    for name in document["components"]["schemas"]:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", name), name


def test_errors_are_problems_under_their_media_type(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert {"Problem", "ValidationProblem", "ConflictProblem", "FieldProblem"} <= set(schemas)
    assert "candidates" in schemas["ConflictProblem"]["properties"]
    assert "HTTPValidationError" not in schemas
    for path, method, op in operations(document):
        for code, response in op["responses"].items():
            if code.isdigit() and int(code) >= 400:
                assert list(response["content"]) == [PROBLEM_JSON], f"{method} {path} {code}"
        errors = {int(c) for c in op["responses"] if c.isdigit() and int(c) >= 400}
        if method == "get":
            assert not errors & {400, 413, 415}, f"{method} {path}: a body status on a GET"


def test_security_is_declared_and_public_routes_open(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["session"]["in"] == "cookie"
    assert document["security"] == [{"bearer": []}, {"session": []}]
    public = {op["operationId"] for _, _, op in operations(document) if op.get("security") == []}
    assert public == PUBLIC
    for _, _, op in operations(document):
        if op["operationId"] not in PUBLIC:
            assert "401" in op["responses"], op["operationId"]


def _url(path: str, op: dict[str, Any]) -> str:
    """The path with every parameter filled: its first allowed value, else an id."""
    for param in op.get("parameters", []):
        if param["in"] == "path":
            schema = param.get("schema", {})
            enum = schema.get("enum") or [
                v for s in schema.get("anyOf", []) for v in s.get("enum", [])
            ]
            value = enum[0] if enum else SOME_ID
            path = path.replace("{" + param["name"] + "}", str(value))
    return re.sub(r"\{[^}]+\}", SOME_ID, path)


def _documented(op: dict[str, Any], response: httpx.Response) -> None:
    status = str(response.status_code)
    assert status in op["responses"], (
        f"{op['operationId']} answered an undocumented {status}: {response.text[:200]}"
    )
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM_JSON)


def test_without_sign_in_every_private_operation_answers_a_documented_401(
    http: httpx.Client, document: dict[str, Any]
) -> None:
    for path, method, op in operations(document):
        if op.get("security") == [] or path == "/api/v1/events/stream":
            continue
        response = http.request(method.upper(), _url(path, op))
        assert response.status_code == 401, (op["operationId"], response.text[:200])
        _documented(op, response)


def _json_body_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, method, op in operations(doc):
        content = op.get("requestBody", {}).get("content", {})
        if list(content) == ["application/json"]:
            yield path, method, op


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        # an optional body that is not JSON is refused as malformed (400) by some routes
        ({"Content-Type": "text/plain"}, b"hello", {415, 400}),
        ({"Content-Type": "application/json"}, b"{not json", {400}),
        # (routes under an upload's path take more: they refuse the unknown field instead)
        (
            {"Content-Type": "application/json"},
            b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}',
            {413, 422},
        ),
    ],
    ids=["wrong media type", "malformed json", "too large"],
)
def test_a_refused_body_is_a_documented_status_on_every_json_operation(
    admin: httpx.Client,
    document: dict[str, Any],
    headers: dict[str, str],
    body: bytes,
    expected: set[int],
) -> None:
    checked = 0
    for path, method, op in _json_body_operations(document):
        response = admin.request(method.upper(), _url(path, op), content=body, headers=headers)
        assert response.status_code in expected, (op["operationId"], response.text[:200])
        _documented(op, response)
        checked += 1
    assert checked > 50


def test_an_unknown_query_parameter_on_a_list_is_a_documented_422(
    admin: httpx.Client, document: dict[str, Any]
) -> None:
    # the lists whose query the gateway reads (the others' services check theirs)
    routes = openapi._route_contexts(create_app())
    lists = [
        (path, op)
        for path, method, op in operations(document)
        if method == "get" and list_query in set(openapi._calls(routes[(path, method)].dependant))
    ]
    assert len(lists) > 10
    for path, op in lists:
        response = admin.get(_url(path, op), params={"colour": "red"})
        assert response.status_code == 422, (op["operationId"], response.text[:200])
        _documented(op, response)
