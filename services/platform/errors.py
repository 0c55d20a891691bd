"""Typed errors that cross RPC. The gateway maps each to one HTTP status.

Each carries a human message and a list of `{field, message}` so a client can show
the error beside the field. Their `args` are JSON-safe, so Nameko serializes them
whole and the gateway rebuilds them by `exc_type`.
"""

from __future__ import annotations

from typing import Any


class OspreyError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str = "", errors: list[dict[str, str]] | None = None):
        self.message = message or self.title
        self.errors = list(errors or [])
        super().__init__(self.message, self.errors)

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "errors": self.errors}


class NotFound(OspreyError):
    status = 404
    title = "Not found"


class ValidationFailed(OspreyError):
    status = 422
    title = "Validation failed"


class Conflict(OspreyError):
    status = 409
    title = "Conflict"


class PermissionDenied(OspreyError):
    status = 403
    title = "Forbidden"


class Unauthenticated(OspreyError):
    status = 401
    title = "Unauthorized"


#: Pass as ``@rpc(expected_exceptions=EXPECTED)``: a user's mistake, not a bug.
EXPECTED: tuple[type[OspreyError], ...] = (
    NotFound,
    ValidationFailed,
    Conflict,
    PermissionDenied,
    Unauthenticated,
)

BY_NAME: dict[str, type[OspreyError]] = {cls.__name__: cls for cls in EXPECTED}


def field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [{"field": field, "message": message}])
