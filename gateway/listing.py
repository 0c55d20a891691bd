"""Collection query strings → the ``query`` dict every ``list_<plural>`` RPC takes.

``?limit=20&cursor=…&sort=-created_at&q=acme&filter[stage]=qualification,nurturing``
becomes ``{"filter": {"stage": ["qualification", "nurturing"]}, "sort": "-created_at",
"q": "acme", "limit": 20, "cursor": "…"}`` (docs/rpc.md). Filter field names are
checked by the service that owns them; the gateway only checks the shape.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Query, Request

from services.platform.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_FILTER = re.compile(r"^filter\[([A-Za-z_][A-Za-z0-9_]*)\]$")
_PLAIN = frozenset({"limit", "cursor", "sort", "q"})

#: Documents ``filter[<field>]`` in OpenAPI (FastAPI cannot declare a bracketed family).
FILTER_PARAMETER_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": "filter",
            "in": "query",
            "style": "deepObject",
            "explode": True,
            "required": False,
            "description": "filter[<field>]=a,b keeps records whose field is a or b",
            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
        }
    ]
}


def parse_list_query(raw_query: str) -> dict[str, Any]:
    filters: dict[str, list[str]] = {}
    query: dict[str, Any] = {"filter": filters, "limit": DEFAULT_LIMIT, "cursor": None}
    problems: list[dict[str, str]] = []
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        match = _FILTER.match(key)
        if match:
            values = [v.strip() for v in value.split(",") if v.strip()]
            filters.setdefault(match.group(1), []).extend(values)
        elif key == "limit":
            if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
                problems.append(
                    {"field": "limit", "message": f"Must be a whole number from 1 to {MAX_LIMIT}"}
                )
            else:
                query["limit"] = int(value)
        elif key in _PLAIN:
            query[key] = value or None
        else:
            problems.append({"field": key, "message": "Unknown query parameter"})
    if problems:
        raise ValidationFailed("The query string is not valid", problems)
    return query


async def list_query(
    request: Request,
    # Declared for validation messages and the OpenAPI document; the values are taken
    # from the raw query string together with the filter[...] family.
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Records per page"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    sort: str | None = Query(None, description="field, or -field for descending"),
    q: str | None = Query(None, description="search text"),
) -> dict[str, Any]:
    return parse_list_query(request.url.query)
