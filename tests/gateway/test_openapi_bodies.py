"""The document says what the services accept and answer (issue 20, points 4 and 7):
record bodies from the services' own field descriptions, ``If-Match`` as the gateway
reads it, and an example on every JSON answer that fits its own schema."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gateway import openapi, openapi_entities
from gateway.app import create_app
from gateway.routers.common import expected_version
from osprey import entity_fields
from services.platform.errors import ValidationFailed


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def _body_schema(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    ref = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return doc["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]


def test_entity_fields_json_is_what_the_services_describe() -> None:
    # stale: python -m osprey.entity_fields gateway/entity_fields.json
    assert openapi_entities.ENTITY_FIELDS.read_text(encoding="utf-8") == (
        entity_fields.document_text()
    )


@pytest.mark.parametrize(("plural", "entity"), sorted(openapi_entities.PLURALS.items()))
def test_a_new_record_s_body_requires_what_its_service_requires(
    document: dict[str, Any], plural: str, entity: str
) -> None:
    described = openapi_entities.entities()[entity]
    create = _body_schema(document, f"/api/v1/{plural}", "post")
    assert set(described["required_on_create"]) <= set(create.get("required", [])), plural
    writable = {f["name"]: f for f in described["fields"] if not f.get("read_only")}
    props = create["properties"]
    assert set(props) <= set(writable), f"{plural}: the body names no field of the record"
    for name, field in writable.items():
        if name not in props:
            continue
        text = str(props[name])
        if "max_length" in field and field["type"] in ("string", "text", "email", "phone"):
            assert f"'maxLength': {field['max_length']}" in text, f"{plural}.{name}"
        if field["type"] == "enum":
            for option in field["options"]:
                assert f"'{option}'" in text, f"{plural}.{name} lacks {option}"
        if "maximum" in field:
            assert f"'maximum': {field['maximum']}" in text, f"{plural}.{name}"
    for group in described["one_of_on_create"]:
        assert ", ".join(group) in create.get("description", ""), plural


def test_an_update_requires_nothing(document: dict[str, Any]) -> None:
    for plural in openapi_entities.PLURALS:
        item = next(p for p in document["paths"] if p.startswith(f"/api/v1/{plural}/{{"))
        if "patch" in document["paths"][item]:
            assert not _body_schema(document, item, "patch").get("required"), plural


@pytest.mark.parametrize("value", ["3", '"3"', 'W/"12"', "*"])
def test_if_match_values_the_gateway_takes_match_the_pattern(value: str) -> None:
    assert re.fullmatch(openapi.IF_MATCH_PATTERN, value)
    request: Any = type("R", (), {"headers": {"if-match": value}})()
    expected_version(request)


@pytest.mark.parametrize("value", ["three", '"3a"', "-1", ""])
def test_if_match_values_the_gateway_refuses_do_not_match(value: str) -> None:
    assert not re.fullmatch(openapi.IF_MATCH_PATTERN, value)
    request: Any = type("R", (), {"headers": {"if-match": value}})()
    with pytest.raises(ValidationFailed):
        expected_version(request)


def test_every_if_match_header_states_its_pattern(document: dict[str, Any]) -> None:
    found = 0
    for item in document["paths"].values():
        for operation in item.values():
            for param in operation.get("parameters", []):
                if param["name"] == "If-Match":
                    found += 1
                    assert param["schema"]["pattern"] == openapi.IF_MATCH_PATTERN
    assert found > 30


def _fits(value: Any, schema: dict[str, Any], schemas: dict[str, Any], where: str) -> None:
    ref = schema.get("$ref")
    if ref:
        schema = schemas[ref.rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        errors = []
        for branch in schema["anyOf"]:
            try:
                _fits(value, branch, schemas, where)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{where}: {value!r} fits no branch: {errors}")
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    kind = schema.get("type")
    python = {
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "array": list,
        "object": dict,
        "null": type(None),
    }
    if kind:
        assert isinstance(value, python[kind]), f"{where}: {value!r} is no {kind}"
    if kind == "string" and "pattern" in schema:
        assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
    if kind == "object":
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            assert name in value, f"{where}: {name} is required"
        for name, item in value.items():
            if name in props:
                _fits(item, props[name], schemas, f"{where}.{name}")
            else:
                assert schema.get("additionalProperties", True), f"{where}: {name} unknown"
    if kind == "array":
        for i, item in enumerate(value):
            _fits(item, schema.get("items", {}), schemas, f"{where}[{i}]")


def test_the_main_answers_have_an_example_that_fits_their_schema(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    with_example = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code in ("200", "201"):
                media = (
                    operation["responses"].get(code, {}).get("content", {}).get("application/json")
                )
                if media is None or "$ref" not in media.get("schema", {}):
                    continue
                assert "example" in media, f"{method} {path} {code} has no example"
                _fits(media["example"], media["schema"], schemas, f"{method} {path}")
                with_example += 1
    assert with_example > 200
    lead = document["paths"]["/api/v1/leads/{lead_id}"]["get"]["responses"]["200"]
    example = lead["content"]["application/json"]["example"]
    assert example["stage"] == "qualification" and example["version"] == 1


def test_every_request_example_fits_its_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media and "example" in media:
                _fits(media["example"], media["schema"], schemas, f"{method} {path}")
