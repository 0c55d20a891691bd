"""What the personal API token routes accept and return (gateway/routers/tokens.py).

Every field of a new token is optional here so that identity, which judges them,
names each missing or bad one in one 422.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from services.platform.scopes import SCOPES

from .schemas import Request, Response


class TokenCreate(Request):
    # identity names each missing or wrong field itself; the schema says what it needs
    model_config = ConfigDict(json_schema_extra={"required": ["name", "scopes", "expires_on"]})

    name: str | None = Field(
        default=None,
        description="what the token is for",
        max_length=400,
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
    )
    scopes: list[str] | None = Field(
        default=None,
        description="e.g. leads:read, orders:write, admin (GET /me/token-scopes lists yours)",
        max_length=50,
        json_schema_extra={"items": {"type": "string", "enum": list(SCOPES)}, "minItems": 1},
    )
    expires_on: str | None = Field(
        default=None,
        description="YYYY-MM-DD, after today and at most a year away; the token works "
        "through that day (UTC)",
        max_length=40,
        json_schema_extra={"format": "date"},
    )


class TokenOut(Response):
    id: str
    user_id: str
    name: str
    scopes: list[str]
    prefix: str = Field(description="the token's first characters, to recognise it by")
    created_at: str
    expires_at: str
    last_used_at: str | None = None


class TokenCreated(TokenOut):
    token: str = Field(description="the token itself: shown in this answer only")


class TokenList(Response):
    items: list[TokenOut]


class ScopeList(Response):
    items: list[str]
