"""The OpenAPI document integrators generate clients from (issue 20).

FastAPI builds the paths and models from the routes; :func:`install` then makes the
document say what the gateway really does, the same way for every route, so a router
added later follows without thinking of it:

- operation ids are the route's name (``create_lead``), or its explicit ``operation_id``;
- each operation lists only the error statuses it can answer (:func:`error_statuses`),
  each an RFC 9457 problem under ``application/problem+json``, with the typed
  extensions (``errors`` on 422, ``candidates`` on a duplicates 409);
- the bearer token and the session cookie are the security schemes, required
  everywhere except on routes that do not ask who is calling (``security: []``);
- every tag is described (:data:`TAGS`);
- ``ETag``, ``Location`` and ``Retry-After`` headers are declared where they are sent;
- a list's ``filter[<field>]`` family becomes one parameter per field it takes
  (:mod:`gateway.list_params`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

from . import list_params, openapi_types
from .auth import SESSION_COOKIE, current_actor, rpc_client
from .problems import PROBLEM_JSON, problem_schemas
from .routers.common import require_json

#: Every tag an operation may carry, in the order the docs show them.
TAGS: list[dict[str, str]] = [
    {"name": "auth", "description": "Signing in and out; who is calling (`/me`)."},
    {"name": "personal tokens", "description": "Bearer tokens a user makes for integrations."},
    {"name": "users", "description": "Users, teams and roles (administrators change them)."},
    {"name": "leads", "description": "Leads, their qualification, distribution and hand-off."},
    {
        "name": "lookups",
        "description": "The lists administrators keep: lead sources, channels, "
        "need types, disqualification and loss reasons.",
    },
    {"name": "web forms", "description": "Forms on a website that create leads (public submit)."},
    {"name": "accounts", "description": "Companies, their duplicates and merges."},
    {"name": "contacts", "description": "People, their careers, duplicates and merges."},
    {"name": "opportunities", "description": "Deals through the pipeline's stages."},
    {"name": "opportunity-stages", "description": "The pipeline's stages."},
    {"name": "pipeline", "description": "The pipeline board."},
    {"name": "activities", "description": "Tasks, calls, meetings and emails as records."},
    {"name": "forecasts", "description": "Sales plans against what was won."},
    {"name": "products", "description": "The catalogue."},
    {"name": "price-lists", "description": "Prices per product and currency."},
    {"name": "orders", "description": "Orders, their status flow and the accounting system."},
    {"name": "invoices", "description": "Invoices, payments and the printable PDF."},
    {"name": "feed", "description": "Channels, posts, comments, likes, follows, mentions."},
    {"name": "files", "description": "Uploaded files attached to posts."},
    {"name": "imports", "description": "Spreadsheets (xlsx, xls, ods, csv) imported as records."},
    {"name": "exports", "description": "Any list written to an xlsx or csv file."},
    {
        "name": "bulk actions",
        "description": "Many records of a list at once: assign, change, delete, post.",
    },
    {"name": "google", "description": "Google accounts connected: Gmail, Calendar, Contacts."},
    {
        "name": "exchange",
        "description": "Microsoft Exchange (EWS) connected: mail, calendar, contacts, tasks.",
    },
    {"name": "mail", "description": "Mailboxes, synced and sent email, linking rules."},
    {
        "name": "social",
        "description": "Social channels (Facebook Lead Ads, Telegram, VK) and their public "
        "webhooks, each proved by the channel's own signature or secret.",
    },
    {"name": "webhooks", "description": "Outbound webhooks: signed event deliveries, their log."},
    {
        "name": "inbound bus",
        "description": "Partners' messages the inbound bus refused: listed with the reason, "
        "sent again or discarded.",
    },
    {"name": "processes", "description": "BPMN process definitions, instances and user tasks."},
    {"name": "analytics", "description": "Reports, charts and the Results page."},
    {"name": "search", "description": "One search box across records."},
    {"name": "audit", "description": "Who changed what, field by field."},
    {"name": "live updates", "description": "Server-sent events of the feed."},
    {"name": "meta", "description": "Entities, fields and lookups that drive generic clients."},
    {"name": "administration", "description": "Administrators' views of the system."},
    {"name": "health", "description": "Liveness and readiness probes (no sign-in)."},
]

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A session token from `POST /api/v1/auth/login`, or a personal API "
        "token (`osp_…`) from `POST /api/v1/me/tokens`.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser's session cookie, set by `POST /api/v1/auth/login`.",
    },
}
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
#: what ``If-Match`` takes (gateway/routers/common.expected_version): a version, quoted
#: or not, weak or not, or ``*``; anything else is a 422
IF_MATCH_PATTERN = r'^(\*|(W/)?"?[0-9]{1,15}"?)$'

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": 'The record\'s version, quoted (`"3"`): send it back as `If-Match`',
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "Where the new record is read",
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Retry-After": {
        "description": "Whole seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    },
}


def operation_id(route: routing.APIRoute) -> str:
    """The route's own name: its function's (``qualify_lead``) or the ``name`` given."""
    return route.name


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _params(dependant: Dependant) -> dict[str, list[str]]:
    """The route's parameters by where they come from, its dependencies' included."""
    out: dict[str, list[str]] = {"path": [], "query": [], "header": []}
    out["path"] += [f.name for f in dependant.path_params]
    out["query"] += [f.name for f in dependant.query_params]
    out["header"] += [f.name for f in dependant.header_params]
    for sub in dependant.dependencies:
        for kind, names in _params(sub).items():
            out[kind] += names
    return out


def error_statuses(route: routing.APIRoute, method: str) -> set[int]:
    """The problem statuses one operation can answer, from what the route depends on.

    Signed-in routes: 401, 403 (rights, token scopes, cross-site cookie requests).
    A body: 413 (too large); a JSON body: 400 (not JSON), 415 (another media type).
    Any input: 422 (validation, the gateway's or the service's). A record in the path,
    or ids in a body: 404. A change: 409 (stale `If-Match`, a state that does not allow
    it). A service behind it: 503 (not running), 504 (too slow). Anything else a route
    answers it declares in its own ``responses`` (429 on sign-in, 303 on a form post).
    """
    calls = set(_calls(route.dependant))
    params = _params(route.dependant)
    signed_in = current_actor in calls
    has_body = method in _UNSAFE and method != "DELETE"
    extra = route.openapi_extra or {}
    # a body read by hand (XML, multipart, a form post) is declared in openapi_extra
    raw_body = "requestBody" in extra
    json_body = route.body_field is not None
    has_input = bool(
        params["path"] or params["query"] or params["header"] or json_body or raw_body
    ) or bool(extra.get("parameters"))
    statuses: set[int] = set()
    if signed_in:
        statuses |= {401, 403}
    if has_body:
        statuses.add(413)
    if json_body:
        statuses.add(400)
    if require_json in calls or raw_body:
        statuses.add(415)
    if raw_body:
        statuses.add(400)
    if has_input:
        statuses.add(422)
    if params["path"] or (signed_in and has_body):
        statuses.add(404)
    if signed_in and method in _UNSAFE:
        statuses.add(409)
    if rpc_client in calls:
        statuses |= {503, 504}
    return statuses


def _route_contexts(app: FastAPI) -> dict[tuple[str, str], routing.APIRoute]:
    out: dict[tuple[str, str], routing.APIRoute] = {}
    for ctx in routing.iter_route_contexts(app.routes):
        if not isinstance(ctx.original_route, routing.APIRoute):
            continue
        route = ctx.route
        assert isinstance(route, routing.APIRoute)
        if not route.include_in_schema:
            continue
        for method in ctx.methods or ():
            out[(ctx.path_format, method.lower())] = route
    return out


def _problem_response(status: int, schema: str, description: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description or HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": _HEADERS["Retry-After"]}
    return response


def _problem_schema_for(status: int) -> str:
    return {409: "ConflictProblem", 422: "ValidationProblem"}.get(status, "Problem")


def _document_errors(operation: dict[str, Any], route: routing.APIRoute, method: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    declared = {int(code) for code in route.responses or {} if str(code).isdigit()}
    wanted = error_statuses(route, method) | {s for s in declared if s >= 400}
    for code in list(responses):
        if code.isdigit() and int(code) >= 400 and int(code) not in wanted:
            del responses[code]
    for status in sorted(wanted):
        existing = responses.get(str(status), {})
        response = _problem_response(
            status, _problem_schema_for(status), existing.get("description")
        )
        responses[str(status)] = response


def _document_headers(operation: dict[str, Any], method: str, components: dict[str, Any]) -> None:
    for code, response in operation.get("responses", {}).items():
        if not code.startswith("2"):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        ref = schema.get("$ref", "")
        model = components.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
        headers = response.setdefault("headers", {})
        if "version" in model.get("properties", {}):
            headers.setdefault("ETag", _HEADERS["ETag"])
        if code == "201" and method == "post":
            headers.setdefault("Location", _HEADERS["Location"])
        if not headers:
            del response["headers"]


def _document_if_match(operation: dict[str, Any]) -> None:
    for param in operation.get("parameters", []):
        if param.get("in") == "header" and param.get("name", "").lower() == "if-match":
            param["schema"] = {**param.get("schema", {}), "pattern": IF_MATCH_PATTERN}
            # a new record's version: what a client's first change of it sends
            param.setdefault("example", '"1"')


def build_document(app: FastAPI) -> dict[str, Any]:
    """The document as FastAPI builds it, then made true to the gateway (see the module)."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(problem_schemas())
    components["securitySchemes"] = SECURITY_SCHEMES
    doc["security"] = SECURITY
    routes = _route_contexts(app)
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            route = routes.get((path, method))
            if route is None:
                continue
            _document_errors(operation, route, method.upper())
            _document_headers(operation, method, schemas)
            if current_actor not in set(_calls(route.dependant)):
                operation["security"] = []
            list_params.document_filters(operation)
            _document_if_match(operation)
    openapi_types.apply(doc)
    return doc


def install(app: FastAPI) -> None:
    """Serve :func:`build_document` as the app's OpenAPI document (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
