"""RFC 9457 problem details for every failure the gateway answers.

One table (:data:`STATUS_BY_ERROR`) maps each error type to its HTTP status; every
exception handler renders the same body: ``{type, title, status, detail, errors:
[{field, message}]}`` with content type ``application/problem+json``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.platform import errors

from .rpc import RemoteError, RpcFailure, RpcTimeout, ServiceUnavailable

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

#: The one mapping from error type to HTTP status. Looked up along the exception's
#: MRO, so a subclass maps like its parent unless listed itself.
STATUS_BY_ERROR: dict[type[Exception], int] = {
    errors.Unauthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.ValidationFailed: 422,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
    errors.OspreyError: 400,
    ServiceUnavailable: 503,
    RpcTimeout: 504,
    RemoteError: 500,
    RpcFailure: 500,
}


class FieldProblem(BaseModel):
    """One input that was refused: ``lines[0].price``, ``filter[stage]``, ``If-Match``."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong and, for input errors, which field."""

    type: str = Field(
        "about:blank",
        description="`about:blank` (the status says it all) or a URI naming the problem",
        json_schema_extra={"format": "uri-reference"},
    )
    title: str = Field(description="The status's phrase, or the named problem's title")
    status: int = Field(ge=100, le=599)
    detail: str = Field("", description="What went wrong here, in words for a person")
    errors: list[FieldProblem] = Field(
        [], description="Each refused input with why (empty when no field is to blame)"
    )


class ValidationProblem(Problem):
    """A 422: the request does not match what the operation accepts; ``errors`` name
    each refused field (a query parameter, a body field by its path, a header)."""


class DuplicateRecord(BaseModel):
    """The existing record, as its resource shows it."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(json_schema_extra={"format": "uuid"})


class DuplicateCandidate(BaseModel):
    """A record the new one looks like, how much, and why."""

    model_config = ConfigDict(extra="allow")

    entity: str | None = Field(
        None, description="What it is (`contact`, `account`) where one step checks both"
    )
    record: DuplicateRecord
    score: float = Field(description="How alike, 0 to 1")
    reasons: list[str] = Field([], description="Which fields matched")


class ConflictProblem(Problem):
    """A 409: a stale ``If-Match``, a state that does not allow the change, or (type
    ``https://osprey.dev/problems/duplicates``) likely duplicates in ``candidates``."""

    candidates: list[DuplicateCandidate] | None = Field(
        None, description="Only on a duplicates problem: the records the new one looks like"
    )


PROBLEM_MODELS: tuple[type[BaseModel], ...] = (Problem, ValidationProblem, ConflictProblem)

#: Kept for routers that still pass it: the statuses each operation documents are now
#: worked out per route (gateway/openapi.py); a route adds its own with ``responses``.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {}


def also(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=also(401, 429)``: problem statuses a route answers beyond those
    gateway/openapi.py works out from what it depends on (a sign-in's 401 and 429)."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def problem_schemas() -> dict[str, Any]:
    """The problem models as OpenAPI component schemas (for gateway/openapi.py)."""
    out: dict[str, Any] = {}
    for model in PROBLEM_MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def status_for(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def problem_response(
    status: int,
    detail: str = "",
    field_errors: Sequence[dict[str, str]] = (),
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    problem_type: str = "about:blank",
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body = {
        # about:blank: the status code says what kind of problem it is (RFC 9457 §4.2.1);
        # a problem with members of its own (RFC 9457 §3.2) names its type.
        "type": problem_type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "errors": [
            {"field": str(e.get("field", "")), "message": str(e.get("message", ""))}
            for e in field_errors
        ],
        **(extensions or {}),
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def field_path(loc: Sequence[int | str]) -> str:
    """``("body", "lines", 0, "price")`` → ``lines[0].price``; query/path names as is."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"  # the body as a whole (e.g. missing)


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            message = "Unknown field"
        elif err.get("type") == "missing":
            message = "Field required"
        out.append({"field": field_path(err.get("loc", ())), "message": message})
    return out


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errs = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errs):
        return problem_response(400, "The request body is not valid JSON")
    if any(e.get("type") == "model_attributes_type" and e.get("loc") == ("body",) for e in errs):
        return problem_response(400, "The request body must be a JSON object")
    return problem_response(
        422, "The request does not match what this endpoint accepts", validation_errors(exc)
    )


async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}"
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        if detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}"
        # Starlette names only the first route's methods; RFC 9110 wants all of them.
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem_response(exc.status_code, detail, headers=headers or None)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route accepts on this path (asked through the routes' own matching)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


def duplicates_response(exc: errors.DuplicatesFound) -> JSONResponse:
    """409 with its own problem ``type`` and the likely duplicates as ``candidates``."""
    return problem_response(
        409,
        exc.message,
        exc.errors,
        title=exc.title,
        problem_type=exc.problem_type,
        extensions={"candidates": exc.candidates},
    )


async def _on_osprey(request: Request, exc: errors.OspreyError) -> JSONResponse:
    if isinstance(exc, errors.DuplicatesFound):
        return duplicates_response(exc)
    status = status_for(exc)
    # RFC 9110 §11.6.1: a 401 names the scheme that would work.
    headers = {"WWW-Authenticate": 'Bearer realm="osprey"'} if status == 401 else None
    if isinstance(exc, errors.RateLimited):
        # RFC 6585 §4: say when to come back.
        headers = {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, errors.Unavailable):
        headers = {"Retry-After": "30"}
    return problem_response(status, exc.message, exc.errors, headers=headers)


async def _on_rpc(request: Request, exc: RpcFailure) -> JSONResponse:
    status = status_for(exc)
    if status >= 500 and isinstance(exc, RemoteError):
        # Logged by the RPC client with the remote type; the client learns nothing more.
        return problem_response(status, "An unexpected error occurred")
    # A service restarting or the bus reconnecting is usually back within seconds.
    headers = {"Retry-After": "1"} if status == 503 else None
    return problem_response(status, str(exc), headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, "An unexpected error occurred")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http)  # type: ignore[arg-type]
    app.add_exception_handler(errors.OspreyError, _on_osprey)  # type: ignore[arg-type]
    app.add_exception_handler(RpcFailure, _on_rpc)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)
