"""Types the document states the same way for every resource (issue 20), applied to the
document FastAPI builds (gateway/openapi.py) so a new router gets them without asking:

- enumerations: a record's field takes the values its list filters by (``stage``,
  ``status``, ``type``… from :data:`gateway.list_params.LISTS`, itself checked against
  the services), in the records it answers and in the bodies that create or change it;
- formats by the API's naming rules (API.md): ``*_at`` are date-times, ``*_date`` dates,
  ``email`` an email, ``id``/``*_id`` UUIDs (in paths too), money (``amount``, ``price``,
  ``total``…) a decimal string;
- binary answers (a PDF, a workbook, a file) as binary strings, the event stream as text;
- an example on every JSON request body and on every JSON success answer: the model's
  own, else one made from its schema (a request's required fields, an answer's every one).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from . import openapi_entities, openapi_rules
from .list_params import LISTS

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
MONEY_FIELDS = frozenset(
    {
        "amount",
        "budget",
        "price",
        "total",
        "subtotal",
        "tax_total",
        "discount_total",
        "paid_amount",
        "due_amount",
        "fact_amount",
        "pipeline_amount",
        "weighted_amount",
        "line_total",
    }
)
#: ids that are not UUIDs: a lookup's code, a key the client names
NOT_UUID = frozenset(
    {
        "message_id",
        "event_id",
        "key_id",
        "thread_id",
        "attachment_id",
        "tax_id",
        "external_id",
        # a Facebook page's and a VK group's own ids
        "page_id",
        "group_id",
    }
)
EXAMPLE_UUID = "0190e2a4-7c1e-7000-8000-000000000001"
#: texts tried, in order, on a string with a pattern
PATTERN_EXAMPLES = (
    "EUR",
    "1250.00",
    "sku-100",
    "lead_source",
    "#2f6fed",
    "3",
    "2026-12-01",
    "2026-12-31",
    "https://www.example.com",
    "imap.example.com",
)
#: examples of the fields whose name says more than their schema (a phone, a currency)
NAMED_EXAMPLES: dict[str, Any] = {
    "phone": "+1 555 0100",
    "currency": "EUR",
    "full_name": "Ann Lee",
    "contact_name": "Ann Lee",
    "account_name": "Northwind Ltd",
    "name": "Northwind Ltd",
    "title": "Northwind: 40 licences",
    "number": "SO-2026-00042",
    "web": "https://northwind.example.com",
    "region": "North",
    "source": "website",
    "channel": "web_form",
    "need_type": "licences",
    "next_cursor": None,
    "created_by": EXAMPLE_UUID,
    "author_id": EXAMPLE_UUID,
    "quantity": "2",
    "probability": 40,
    "locale": "en",
    "password": "plum-orbit-castle-72",
}


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _string_branches(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``{"type": "string"}`` schemas of a property (itself, or its anyOf branches)."""
    if prop.get("type") == "string":
        return [prop]
    return [b for b in prop.get("anyOf", []) if b.get("type") == "string"]


def _format_for(name: str) -> dict[str, Any]:
    if name.endswith("_at"):
        return {"format": "date-time"}
    if name.endswith("_date") or name in ("date", "expires_on"):
        return {"format": "date"}
    if name == "email":
        return {"format": "email"}
    if (name == "id" or name.endswith("_id")) and name not in NOT_UUID:
        return {"format": "uuid"}
    return {}


def add_formats(schemas: dict[str, Any], response_models: set[str]) -> None:
    for model_name, model in schemas.items():
        for name, prop in model.get("properties", {}).items():
            if prop.get("default") not in (None, ...):
                continue  # a field with a default of its own ("") is no id, time or email
            for branch in _string_branches(prop):
                if "format" in branch or "enum" in branch or "pattern" in branch:
                    continue
                branch.update(_format_for(name))
                if name in MONEY_FIELDS and model_name in response_models:
                    branch["pattern"] = DECIMAL_PATTERN


def _page_item_model(schemas: dict[str, Any], page_name: str) -> str | None:
    items = schemas.get(page_name, {}).get("properties", {}).get("items", {})
    return _ref_name(items.get("items", {}))


def add_enums(doc: dict[str, Any]) -> None:
    """A resource's enum fields (its list's enum filters) in every model of its paths."""
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        listing = item.get("get", {})
        params = LISTS.get(listing.get("operationId", ""))
        if params is None:
            continue
        enums = {name: opts for name, (kind, opts) in params.filters.items() if kind == "enum"}
        models: set[str] = set()
        page = _ref_name(
            listing.get("responses", {})
            .get("200", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
        )
        if page:
            models.add(_page_item_model(schemas, page) or "")
        for sub_path, sub_item in doc["paths"].items():
            if sub_path == path or sub_path.startswith(path + "/{"):
                if sub_path.count("/") > path.count("/") + 1:
                    continue  # the record's own routes, not its sub-resources
                for operation in sub_item.values():
                    for media in operation.get("requestBody", {}).get("content", {}).values():
                        models.add(_ref_name(media.get("schema", {})) or "")
                    ok = operation.get("responses", {}).get("200") or operation.get(
                        "responses", {}
                    ).get("201", {})
                    for media in (ok or {}).get("content", {}).values():
                        models.add(_ref_name(media.get("schema", {})) or "")
        for model_name in models - {""}:
            for name, prop in schemas.get(model_name, {}).get("properties", {}).items():
                if name in enums:
                    for branch in _string_branches(prop):
                        branch["enum"] = list(enums[name])


def add_path_id_formats(doc: dict[str, Any]) -> None:
    """``{lead_id}`` and every other ``*_id`` in a path is a record's UUID."""
    for item in doc["paths"].values():
        for operation in item.values():
            for param in operation.get("parameters", []):
                schema = param.get("schema", {})
                name = param["name"]
                if (
                    param["in"] == "path"
                    and name.endswith("_id")
                    and name not in NOT_UUID
                    and schema.get("type") == "string"
                ):
                    schema.setdefault("format", "uuid")


def describe_binary(doc: dict[str, Any]) -> None:
    for item in doc["paths"].values():
        for operation in item.values():
            for code, response in operation.get("responses", {}).items():
                if not code.startswith("2"):
                    continue
                for media_type, media in response.get("content", {}).items():
                    if "schema" in media or "json" in media_type:
                        continue
                    if media_type.startswith("text/"):
                        media["schema"] = {"type": "string"}
                    else:
                        media["schema"] = {"type": "string", "format": "binary"}


def _takes(schema: dict[str, Any], value: Any) -> bool:
    """Whether a value's JSON type is one the schema (or one of its branches) has."""
    kinds = {schema.get("type")} | {b.get("type") for b in schema.get("anyOf", [])}
    kind = {str: "string", int: "integer", type(None): "null"}.get(type(value))
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _example_value(
    schema: dict[str, Any], schemas: dict[str, Any], name: str, depth: int, full: bool = False
) -> Any:
    if "examples" in schema and schema["examples"]:
        return schema["examples"][0]
    if name in NAMED_EXAMPLES and "enum" not in schema and _takes(schema, NAMED_EXAMPLES[name]):
        return NAMED_EXAMPLES[name]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    ref = _ref_name(schema)
    if ref:
        return _example_object(schemas.get(ref, {}), schemas, depth + 1, full)
    if "enum" in schema:
        return next((v for v in schema["enum"] if v is not None), None)
    outer = {k: v for k, v in schema.items() if k not in ("anyOf", "title", "description")}
    for branch in schema.get("anyOf", []):
        if branch.get("type") != "null":
            # what the schema says beside its branches (an array's items) holds in each
            merged = {**outer, **branch}
            if "items" in outer and "items" in branch:
                merged["items"] = {**branch["items"], **outer["items"]}
            return _example_value(merged, schemas, name, depth, full)
    kind = schema.get("type")
    if kind == "object":
        return _example_object(schema, schemas, depth + 1, full)
    if kind == "array":
        item = schema.get("items", {})
        return [_example_value(item, schemas, name, depth, full)] if depth < 4 else []
    if kind == "integer":
        return min(max(1, schema.get("minimum", 1)), schema.get("maximum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    text = name.replace("_", " ").capitalize() if name else "text"
    likely = {
        "uuid": EXAMPLE_UUID,
        "date-time": "2026-12-07T09:30:00Z",
        "date": "2026-12-31",
        "email": "ann.lee@example.com",
        "uri-reference": "https://example.com/",
        "uri": "https://example.com/",
    }.get(fmt or "")
    if likely is None and (name in MONEY_FIELDS or schema.get("pattern") == DECIMAL_PATTERN):
        likely = "1250.00"
    if likely is None:
        likely = text[: schema.get("maxLength", len(text))]
    if "pattern" in schema:
        # the first of a few likely texts that matches, else none (left out of answers)
        candidates = (likely, *PATTERN_EXAMPLES)
        fits = [c for c in candidates if re.search(schema["pattern"], c)]
        return fits[0] if fits else None
    return likely


def _example_object(
    schema: dict[str, Any], schemas: dict[str, Any], depth: int, full: bool = False
) -> Any:
    """A request's example names its required fields (else its first three); an
    answer's (``full``) every field but those whose example would be made up badly."""
    if schema.get("examples"):
        return schema["examples"][0]
    props = schema.get("properties", {})
    required = schema.get("required") or []
    keys = schema.get("propertyNames", {}).get("enum")
    values = schema.get("additionalProperties")
    if not props and keys and isinstance(values, dict):
        # a map keyed by a list of names (a role's rights by entity): its first key
        return {keys[0]: _example_value(values, schemas, keys[0], depth + 1, full)}
    if depth >= 4:  # deep down, what is required alone (a record's id), and never endless
        names = required if depth < 8 else []
    elif "if" in schema and not full:
        # fields of which one is wanted: the way the condition names, alone
        wanted = schema["if"].get("required", []) or schema.get("else", {}).get("required", [])
        names = [*required, *wanted]
    else:
        names = list(props) if full else (required or list(props)[:3])
    out: dict[str, Any] = {}
    for name in names:
        if name not in props:
            continue
        value = _example_value(props[name], schemas, name, depth, full)
        if value is not None or not full or name in NAMED_EXAMPLES:
            out[name] = value
    return out


def add_request_examples(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for item in doc["paths"].values():
        for operation in item.values():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is None or "example" in media or "examples" in media:
                continue
            schema = media.get("schema", {})
            media["example"] = copy.deepcopy(_example_value(schema, schemas, "", 0))


def add_response_examples(doc: dict[str, Any]) -> None:
    """An example of every JSON success answer (200, 201), made from its schema."""
    schemas = doc["components"]["schemas"]
    for item in doc["paths"].values():
        for operation in item.values():
            for code, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get("application/json")
                if code not in ("200", "201") or media is None or "example" in media:
                    continue
                schema = media.get("schema", {})
                if not schema or schema == {"type": "object"} or "additionalProperties" in schema:
                    continue
                example = _example_value(schema, schemas, "", 0, full=True)
                if example not in (None, {}, []):
                    media["example"] = copy.deepcopy(example)


def _request_models(doc: dict[str, Any]) -> set[str]:
    """The models a request body names, and the models they name, and so on."""
    schemas = doc["components"]["schemas"]
    todo = [
        _ref_name(media.get("schema", {}))
        for item in doc["paths"].values()
        for operation in item.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
    ]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if not name or name in seen:
            continue
        seen.add(name)
        text = str(schemas.get(name, {}))
        todo += [part.split("'")[0] for part in text.split("#/components/schemas/")[1:]]
    return seen


def apply(doc: dict[str, Any]) -> None:
    """Every rule of the module, in order (enums before the formats they exclude)."""
    schemas = doc["components"]["schemas"]
    response_models = set(schemas) - _request_models(doc)
    add_enums(doc)
    openapi_entities.apply(doc)
    add_formats(schemas, response_models)
    # a web form's fields as a new lead's, formats included
    openapi_rules.state_web_form_submission(doc)
    openapi_rules.state_qualify_new_records(schemas)
    add_path_id_formats(doc)
    describe_binary(doc)
    add_request_examples(doc)
    add_response_examples(doc)
