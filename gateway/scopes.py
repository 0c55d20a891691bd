"""Which scope a personal API token needs for each route (``services/platform/scopes.py``).

A route's area comes from its first path segment under ``/api/v1`` (``/leads/...`` is
the leads area); GET, HEAD and OPTIONS need the area's ``read`` scope, every other
method its ``write`` scope. A few routes are read with POST (running a report) or
belong to another area than their segment's. User administration (creating and
changing users and teams, ``/admin/...``) needs ``admin``; reading who is who (users,
teams, roles, the entities' fields, ``GET /me``) needs no scope, since every record
names its owner. Token management, one's own profile and settings are for a signed-in
session only: a leaked token must not change its user's password or make itself a
successor. A route this table does not name is refused to a token, so a new router is
closed to tokens until it is given an area here.

A signed-in session (``scopes`` None) is never checked. The check costs a dict look-up
and a scan of the token's few scopes; the actor (and its scopes) comes from the
gateway's actor cache like a session's.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from services.platform.errors import PermissionDenied
from services.platform.scopes import ADMIN_SCOPE, READ, WRITE, scope

API_PREFIX = "/api/v1/"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: needs no scope: any token may read it
FREE = "free"
#: reads free, writes need ``admin``
DIRECTORY = "directory"
#: a signed-in session only
SESSION = "session"

#: the first path segment's area (an area of the catalog) or one of the kinds above
SEGMENTS: dict[str, str] = {
    # leads
    "leads": "leads",
    "distribution-rules": "leads",
    "scoring-rules": "leads",
    "web-forms": "leads",
    "lookups": "leads",
    "lead-sources": "leads",
    "lead-channels": "leads",
    "disqualification-reasons": "leads",
    "need-types": "leads",
    # sales
    "accounts": "sales",
    "contacts": "sales",
    "opportunities": "sales",
    "opportunity-stages": "sales",
    "activities": "sales",
    "pipeline": "sales",
    "forecasts": "sales",
    "loss-reasons": "sales",
    # orders
    "orders": "orders",
    "invoices": "orders",
    "products": "orders",
    "price-lists": "orders",
    "accounting": "orders",
    "orders-settings": "orders",
    # the feed (files are its attachments; the live stream carries its posts)
    "feed": "feed",
    "posts": "feed",
    "channels": "feed",
    "notifications": "feed",
    "subscriptions": "feed",
    "mentions": "feed",
    "feed-settings": "feed",
    "files": "feed",
    "events": "feed",
    # processes
    "process-definitions": "processes",
    "process-instances": "processes",
    "process-tasks": "processes",
    "process-actions": "processes",
    # mail
    "mailboxes": "mail",
    # an Exchange mailbox's connection: its mail, contacts and calendar sync like a mailbox
    "exchange-connections": "mail",
    "emails": "mail",
    "email-rules": "mail",
    "email-sends": "mail",
    "email-templates": "mail",
    # a Google account's connection: its mail, contacts and calendar sync like a mailbox
    "google-connections": "mail",
    # analytics
    "charts": "analytics",
    "dashboards": "analytics",
    "reports": "analytics",
    # imports and exports of spreadsheets (each record still needs its owner's rights)
    "imports": "data",
    "exports": "data",
    # administration
    "users": DIRECTORY,
    "teams": DIRECTORY,
    "roles": DIRECTORY,
    "admin": ADMIN_SCOPE,
    # social channels, outbound webhooks and the inbound bus's refused messages are
    # administrators' work
    "social-channels": ADMIN_SCOPE,
    "webhooks": ADMIN_SCOPE,
    "inbound": ADMIN_SCOPE,
    # the platforms' webhooks read no token at all: each platform signs its own
    "hooks": FREE,
    # the audit trail spans every area: a token reads it with the admin scope
    "audit": ADMIN_SCOPE,
    "meta": FREE,
    "me": SESSION,
    # the global search: each section only with its area's read scope (routers/search.py)
    "search": FREE,
}

#: routes whose need differs from their segment's: (method or None for any, path
#: pattern after /api/v1/, area or kind, access or None for the method's)
EXCEPTIONS: tuple[tuple[str | None, re.Pattern[str], str, str | None], ...] = (
    # who am I: a token may ask
    ("GET", re.compile(r"me"), FREE, None),
    ("HEAD", re.compile(r"me"), FREE, None),
    ("GET", re.compile(r"me/activities"), "sales", READ),
    # running or exporting a report only reads (POST because the report travels in
    # the body)
    ("POST", re.compile(r"reports/(run|export|[^/]+/run)"), "analytics", READ),
    # tokens are managed from a signed-in session, an administrator's included
    (None, re.compile(r"users/[^/]+/tokens(/.*)?"), SESSION, None),
)


def required(method: str, path: str) -> str | None:
    """The scope the route needs (None: none), or :data:`SESSION` for a signed-in
    session only. Raises ``PermissionDenied`` for a route closed to tokens."""
    if not path.startswith(API_PREFIX):
        return SESSION
    rest = path[len(API_PREFIX) :].rstrip("/")
    kind: str | None = None
    access: str | None = None
    for only, pattern, rule, rule_access in EXCEPTIONS:
        if (only is None or only == method) and pattern.fullmatch(rest):
            kind, access = rule, rule_access
            break
    if kind is None:
        kind = SEGMENTS.get(rest.split("/", 1)[0], SESSION)
    reading = method in READ_METHODS
    if access is None:
        access = READ if reading else WRITE
    if kind == FREE:
        return None
    if kind == DIRECTORY:
        return None if reading else ADMIN_SCOPE
    if kind in (SESSION, ADMIN_SCOPE):
        return kind
    return scope(kind, access)


def check_scopes(request: Request, actor: dict[str, Any]) -> None:
    """Refuse a personal token's request its scopes do not cover: 403 naming the
    missing scope. A signed-in session (``scopes`` None) passes."""
    scopes = actor.get("scopes")
    if scopes is None:
        return
    needed = required(request.method, request.url.path)
    if needed is None or needed in scopes:
        return
    if needed == SESSION:
        raise PermissionDenied(
            "A personal token cannot do this; sign in to Osprey instead",
            [{"field": "scopes", "message": "needs a signed-in session"}],
        )
    raise PermissionDenied(
        f"This token lacks the scope {needed}",
        [{"field": "scopes", "message": f"needs the scope {needed}"}],
    )
