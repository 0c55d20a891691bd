"""The global search's question to one service: several of its sections searched in
one call (``search_sections``), each by its own list's search box.

The shell's search box asks leads, contacts, accounts, deals, orders and invoices at
once; one call per service instead of one per section halves the round trips and the
workers a keystroke takes. Each section is that list's own search — the same rights,
hidden fields and indexes — for its first ``limit`` records found (``first_found``:
each lookup's first few from its own index, a name's start in the name's order, so
however many match; those in the list's order), without a total or a cursor (the box
shows only whether there is more). A section that refuses the text or the caller
is answered with ``{"refused": <why>}``; the others still answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import OspreyError, ValidationFailed

#: The most records a section answers (the box shows a few per section).
MAX_SECTION_LIMIT = 20

ListPage = Callable[[dict[str, Any]], dict[str, Any]]


def search_sections(
    lists: Mapping[str, ListPage], sections: Sequence[str], q: str, limit: int
) -> dict[str, dict[str, Any]]:
    """``{section: {"items", "more"} | {"refused": message}}`` for each asked section,
    searched by ``lists[section]`` (the list's page for a query)."""
    errors = [
        {"field": "sections", "message": f"unknown section {name!r}"}
        for name in sections
        if name not in lists
    ]
    if not isinstance(limit, int) or isinstance(limit, bool):
        errors.append({"field": "limit", "message": "must be a whole number"})
    elif not 1 <= limit <= MAX_SECTION_LIMIT:
        errors.append({"field": "limit", "message": f"must be 1..{MAX_SECTION_LIMIT}"})
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors)
    found: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(sections):
        try:
            page = lists[name]({"q": q, "limit": limit, "first_found": True})
        except OspreyError as error:
            found[name] = {"refused": str(error)}
            continue
        more = bool(page.get("more") or page.get("next_cursor"))
        found[name] = {"items": page.get("items") or [], "more": more}
    return found
