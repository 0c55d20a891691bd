"""Who is calling: a bearer token or the session cookie, checked by identity, cached briefly.

The actor is cached per token for ``OSPREY_AUTH_CACHE_SECONDS`` so a burst of
requests costs one ``identity.authenticate_token`` call; a token revoked through
another gateway process therefore stops working within that time (logging out
through this process evicts it at once).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, Request

from services.platform.errors import PermissionDenied, Unauthenticated

from .rpc import RpcClient
from .scopes import check_scopes

SESSION_COOKIE = "osprey_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


#: what a user whose password must be changed (a temporary one) may do meanwhile: see
#: themself, change the password, sign out
WHILE_CHANGING_PASSWORD = frozenset(
    {("GET", "/api/v1/me"), ("PATCH", "/api/v1/me"), ("POST", "/api/v1/auth/logout")}
)


def check_password_changing(request: Request) -> None:
    """403 for any other request of a caller who must first change their password."""
    path = request.url.path.rstrip("/") or "/"
    if (request.method, path) not in WHILE_CHANGING_PASSWORD:
        raise PermissionDenied(
            "Choose a new password first: your password was set by an administrator",
            [{"field": "password", "message": "must be changed (PATCH /api/v1/me)"}],
        )


class ActorCache:
    """Token → actor for a few seconds; bounded so a flood of tokens cannot grow it."""

    def __init__(self, ttl: float, max_entries: int = 10_000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def get(self, token: str) -> dict[str, Any] | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        expires, actor = entry
        if time.monotonic() >= expires:
            self._entries.pop(token, None)
            return None
        return actor

    def put(self, token: str, actor: dict[str, Any]) -> None:
        if self.ttl <= 0:
            return
        self._entries[token] = (time.monotonic() + self.ttl, actor)
        self._entries.move_to_end(token)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def evict(self, token: str) -> None:
        self._entries.pop(token, None)

    def evict_session(self, session_id: str) -> None:
        """Forget the token with this id (a personal token was revoked): the cache is
        keyed by the token itself, which is never kept after it is shown."""
        for token in [
            t for t, (_, actor) in self._entries.items() if actor.get("session_id") == session_id
        ]:
            self._entries.pop(token, None)

    def clear(self) -> None:
        """Forget every cached caller (a role's access rights changed: whoever holds it
        must be checked again)."""
        self._entries.clear()

    def evict_user(self, user_id: str) -> None:
        """Forget every session of a user (their password changed, or they were
        deactivated: identity ended those sessions)."""
        for token in [t for t, (_, actor) in self._entries.items() if actor.get("id") == user_id]:
            self._entries.pop(token, None)


# The dependencies are coroutines, even where they need not be: FastAPI runs a plain
# function dependency in its thread pool, a thread hop on every request.


async def rpc_client(request: Request) -> RpcClient:
    return request.app.state.rpc


async def actor_cache(request: Request) -> ActorCache:
    return request.app.state.actor_cache


def request_token(request: Request) -> tuple[str | None, bool]:
    """The caller's token and whether it came from the session cookie."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("The Authorization header must be 'Bearer <token>'")
        return value.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie, True
    return None, False


def check_same_origin(request: Request) -> None:
    """Refuse a cookie-authenticated unsafe request sent from another site (CSRF).

    Browsers send ``Origin`` on cross-site POST/PATCH/DELETE, and ``Sec-Fetch-Site:
    cross-site`` on every request another site makes them send; either refuses it. A
    request with neither comes from a non-browser client (or an old same-origin
    form), which a cookie alone cannot be tricked into sending. SameSite=Lax on the
    cookie is the second line of defence.
    """
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        raise PermissionDenied("Cross-site request refused")
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        raise PermissionDenied("Cross-site request refused")


async def current_actor(
    request: Request,
    rpc: RpcClient = Depends(rpc_client),
    cache: ActorCache = Depends(actor_cache),
) -> dict[str, Any]:
    """The authenticated caller's actor dict (docs/rpc.md), or 401; 403 when a
    personal token's scopes do not cover the route (gateway/scopes.py)."""
    token, from_cookie = request_token(request)
    if not token:
        raise Unauthenticated("Sign in, or send 'Authorization: Bearer <token>'")
    if from_cookie:
        check_same_origin(request)
    actor = cache.get(token)
    if actor is None:
        actor = await rpc.call("identity", "authenticate_token", token)
        cache.put(token, actor)
    check_scopes(request, actor)
    if actor.get("password_change_required"):
        check_password_changing(request)
    request.state.token = token
    # Where the change comes from, for the audit trail: the web app signs in with the
    # session cookie, other clients send a bearer token. A copy: the cached actor stays
    # the same for both.
    return {**actor, "via": "web" if from_cookie else "api"}
