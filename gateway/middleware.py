"""ASGI middleware that must see the raw request before FastAPI does."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import PROBLEM_JSON
from .rpc import huge_number_fields


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"The request body is larger than {limit} bytes")


class BodyLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes with 413.

    ``Content-Length`` is checked before the app runs; a chunked body (or one whose
    header lies) is counted as it streams, and reading past the limit raises
    :class:`BodyTooLarge` inside the app, which FastAPI turns into the 413 problem.
    """

    def __init__(self, app: ASGIApp, limit: int, limits: dict[str, int] | None = None):
        self.app = app
        self.limit = limit
        # Paths (prefixes) with a limit of their own, e.g. file uploads.
        self.limits = dict(limits or {})

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_problem(send, 400, "Content-Length is not a number")
                    return
                if declared > limit:
                    await _send_problem(send, 413, BodyTooLarge(limit).detail)
                    return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as exc:
            # Raised where nothing turned it into a response (e.g. outside a route).
            if response_started:
                raise
            await _send_problem(send, 413, str(exc.detail))


async def _send_problem(send: Send, status: int, detail: str) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "errors": [],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read: the client must not reuse the connection.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- text no service can store ------------------------------------------------------------

#: JSON escapes of NUL and of UTF-16 surrogates, and a raw NUL byte: a body without any
#: of them holds no such text and is passed on unread.
_SUSPECT = re.compile(rb"\\u0000|\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\x00")
#: what a text field may not hold: NUL, and a surrogate not paired into a character
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
#: nineteen digits in a row: a body without them holds no integer beyond 64 bits
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def bad_text_fields(value: Any, path: str = "") -> list[str]:
    """The paths (``utm_campaign``, ``lines[0].name``) of the strings in a decoded JSON
    value, keys included, that hold NUL or an unpaired surrogate."""
    found: list[str] = []
    if isinstance(value, str):
        if _BAD_TEXT.search(value):
            found.append(path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _BAD_TEXT.search(str(key)):
                found.append(_printable(where))
            else:
                found.extend(bad_text_fields(item, where))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found.extend(bad_text_fields(item, f"{path}[{n}]"))
    return found


def _printable(text: str) -> str:
    return _BAD_TEXT.sub("\ufffd", text)


class TextHygieneMiddleware:
    """Refuses text PostgreSQL cannot store or that is not text at all — NUL and
    unpaired surrogates — in a JSON body or the query string, and integers beyond
    signed 64 bits in a JSON body, with a 422 problem naming each field, before any
    service sees them (issue 19: a NUL in ``utm_campaign`` was a 500, and so was a
    36-digit number anywhere in ``/leads/check-duplicates``: the RPC wire cannot carry
    it). Bodies without a suspect escape or a 19-digit run, nearly all, are passed on
    without parsing."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            names = sorted(
                {
                    _printable(name)
                    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                    if "\x00" in name or "\x00" in value
                }
            )
            await _send_invalid(send, names or ["query"], "must not hold a NUL character")
            return
        content_type = dict(scope.get("headers", ())).get(b"content-type", b"")
        if scope.get("method") not in ("POST", "PUT", "PATCH") or b"json" not in content_type:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        suspect_text = _SUSPECT.search(body) is not None
        if suspect_text or _LONG_DIGITS.search(body):
            try:
                decoded = json.loads(body)
            except (ValueError, RecursionError):
                decoded = None  # not JSON: the route answers that
            fields = bad_text_fields(decoded) if suspect_text else []
            if fields:
                await _send_invalid(
                    send, fields, "must not hold a NUL character or an unpaired surrogate"
                )
                return
            try:
                fields = huge_number_fields(decoded)
            except RecursionError:
                fields = []
            if fields:
                await _send_invalid(
                    send, fields, "is too large: a whole number must fit in 64 bits"
                )
                return
        await self.app(scope, _replay([{"type": "http.request", "body": body}]), send)


def _replay(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    return receive


async def _send_invalid(send: Send, fields: list[str], message: str) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Validation failed",
            "status": 422,
            "detail": f"{', '.join(fields[:10])}: {message}",
            "errors": [{"field": field, "message": message} for field in fields[:100]],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- security headers ------------------------------------------------------------------------

#: the web app: its own scripts only; styles may be inline (React and the diagram editor
#: set style attributes); images and fonts also from data: and blob: URLs (attachments,
#: the designer's icons); a mail's HTML shows in a sandboxed frame of the app's own.
WEB_APP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-src 'self' blob: data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: the API's JSON is never a page (files and PDFs it serves get no policy, so the
#: browser's own viewer shows them)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
#: on every response
COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
#: the interactive API documentation loads its viewer from the page itself
_DOCS = ("/api/docs", "/api/redoc")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response: a Content-Security-Policy (the web
    app's, or none-at-all for API answers; the API's own documentation pages keep
    theirs), nosniff, same-origin referrers, no framing, and HSTS over HTTPS."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        api = path.startswith(("/api/", "/hooks/", "/healthz", "/readyz"))
        docs = path.startswith(_DOCS)
        secure = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [pair for pair in COMMON_HEADERS if pair[0] not in present]
                kind = dict(headers).get(b"content-type", b"")
                if docs:
                    policy = None
                elif api:
                    policy = API_POLICY.encode() if b"json" in kind else None
                else:
                    policy = WEB_APP_POLICY.encode()
                if policy and b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", policy))
                if secure:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, with_headers)
