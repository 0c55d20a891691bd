"""Typed errors that cross RPC. The gateway maps each to one HTTP status.

Each carries a human message and a list of `{field, message}` so a client can show
the error beside the field. Their `args` are JSON-safe, so Nameko serializes them
whole and the gateway rebuilds them by `exc_type`.
"""

from __future__ import annotations

import json
from typing import Any

from nameko.exceptions import deserialize_to_instance


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


class Unavailable(OspreyError):
    """Something the request needs outside Osprey (the accounting system, a mail
    server) did not answer in time: a 503 at the API; the same request may work later."""

    status = 503


class DuplicatesFound(Conflict):
    """A record about to be created looks like records that exist: ``candidates``.

    Each candidate is ``{record, score, reasons}``. Nameko turns every argument that
    is not a string, list or dict into a string when the error crosses RPC (a score
    would arrive as ``"1.0"``), so the candidates travel as one JSON string in
    ``args[2]``; ``candidates`` may be given as that string or as the list.
    """

    title = "Likely duplicates"
    problem_type = "https://osprey.dev/problems/duplicates"

    def __init__(
        self,
        message: str = "",
        errors: list[dict[str, str]] | None = None,
        candidates: list[dict[str, Any]] | str | None = None,
    ):
        super().__init__(message, errors)
        if isinstance(candidates, str):
            candidates = json.loads(candidates)
        self.candidates: list[dict[str, Any]] = list(candidates or [])
        self.args = (self.message, self.errors, json.dumps(self.candidates))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "candidates": self.candidates}


class RateLimited(OspreyError):
    """Too many requests for now; ``retry_after``: whole seconds until one more is accepted.

    Nameko turns error arguments that are not strings, lists or dicts into strings,
    so ``retry_after`` travels as ``args[2]`` and may be given as an int or that string.
    """

    status = 429
    title = "Too many requests"

    def __init__(
        self,
        message: str = "",
        errors: list[dict[str, str]] | None = None,
        retry_after: int | str | None = None,
    ):
        super().__init__(message, errors)
        try:
            seconds = int(retry_after) if retry_after is not None else 60
        except (TypeError, ValueError):
            seconds = 60  # the longest any rolling one-minute window makes one wait
        self.retry_after = max(1, seconds)
        self.args = (self.message, self.errors, str(self.retry_after))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "retry_after": self.retry_after}


#: Pass as ``@rpc(expected_exceptions=EXPECTED)``: a user's mistake, not a bug.
EXPECTED: tuple[type[OspreyError], ...] = (
    NotFound,
    ValidationFailed,
    Conflict,
    PermissionDenied,
    Unauthenticated,
    RateLimited,
    Unavailable,
)

BY_NAME: dict[str, type[OspreyError]] = {cls.__name__: cls for cls in (*EXPECTED, DuplicatesFound)}


def field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [{"field": field, "message": message}])


# A typed error stays typed when one service calls another: Nameko's proxies rebuild
# these from their args (``exc_path`` names this module) instead of a bare RemoteError.
for _error_type in BY_NAME.values():
    deserialize_to_instance(_error_type)
