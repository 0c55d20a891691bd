"""The scopes of personal API tokens: read or write per area of Osprey, and ``admin``.

Identity checks the scopes a user gives a token against this catalog; the gateway
maps each route to the scope it needs (``gateway/scopes.py``). A scope only narrows:
the token still acts as its owner, and every service still applies the owner's rights,
so a token never does more than its owner could.
"""

from __future__ import annotations

from collections.abc import Iterable

#: the areas, in the order the web app shows them
AREAS: tuple[str, ...] = (
    "leads",
    "sales",
    "orders",
    "feed",
    "processes",
    "mail",
    "analytics",
    # imports and exports of spreadsheets (gateway/scopes.py)
    "data",
)
READ = "read"
WRITE = "write"
#: user administration: creating and changing users and teams, the admin pages
ADMIN_SCOPE = "admin"

SCOPES: tuple[str, ...] = (
    *(f"{area}:{access}" for area in AREAS for access in (READ, WRITE)),
    ADMIN_SCOPE,
)

#: the permission a user must hold to give a token an area's scopes: the one that
#: shows them the area's section (areas not named are every user's)
AREA_PERMISSIONS: dict[str, str] = {
    "leads": "leads.read",
    "sales": "accounts.read",
    "orders": "orders.read",
}
#: the role whose holders may give a token the ``admin`` scope
ADMIN_ROLE = "admin"


def scope(area: str, access: str) -> str:
    return f"{area}:{access}"


def grantable_scopes(roles: Iterable[str], permissions: Iterable[str]) -> tuple[str, ...]:
    """The scopes a user with these roles and permissions may give a token, in
    catalog order."""
    held = set(permissions)
    is_admin = ADMIN_ROLE in set(roles)
    allowed: list[str] = []
    for name in SCOPES:
        if name == ADMIN_SCOPE:
            if is_admin:
                allowed.append(name)
            continue
        area = name.split(":", 1)[0]
        needed = AREA_PERMISSIONS.get(area)
        if needed is None or needed in held:
            allowed.append(name)
    return tuple(allowed)
