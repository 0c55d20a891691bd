"""Personal API tokens' reads and writes (sessions are in :mod:`.store`). Every function
takes the session and none commits, as in :mod:`.store`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.records import not_found

from . import domain, token_rules
from .models import Token, User

PERSONAL = "personal"


def dump_token(token: Token) -> dict[str, Any]:
    """``{id, user_id, name, scopes, prefix, created_at, expires_at, last_used_at}``:
    never the token or its digest."""
    return {
        "id": token.id,
        "user_id": token.user_id,
        "name": token.name,
        "scopes": list(token.scopes or ()),
        "prefix": token.prefix,
        "created_at": isoformat(token.created_at),
        "expires_at": isoformat(token.expires_at),
        "last_used_at": isoformat(token.last_used_at) if token.last_used_at else None,
    }


def _live(user_id: str) -> list[Any]:
    return [
        Token.user_id == user_id,
        Token.kind == PERSONAL,
        Token.revoked_at.is_(None),
        Token.expires_at > sa.func.now(),
    ]


def create_personal_token(db: Session, user_id: str, clean: Mapping[str, Any]) -> dict[str, Any]:
    """Store a token from cleaned data (:func:`token_rules.clean_token_data`); the
    answer carries ``token`` this once. Raises ``Conflict`` past the live-token limit."""
    # one user's creations in turn, so two at once cannot both pass the limit
    db.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
    live = db.scalar(sa.select(sa.func.count()).select_from(Token).where(*_live(user_id)))
    token_rules.check_live_token_count(live or 0)
    token = token_rules.new_personal_token()
    row = Token(
        id=new_id(),
        token_hash=domain.token_digest(token),
        user_id=user_id,
        kind=PERSONAL,
        name=clean["name"],
        scopes=list(clean["scopes"]),
        prefix=token_rules.shown_prefix(token),
        created_at=utcnow(),
        expires_at=token_rules.expiry_moment(clean["expires_on"]),
    )
    db.add(row)
    db.flush()
    return {**dump_token(row), "token": token}


def list_personal_tokens(db: Session, user_id: str) -> list[dict[str, Any]]:
    """The user's personal tokens not revoked, newest first (expired ones too, until
    they are cleared a week after their expiry: their owner sees why one stopped)."""
    rows = db.scalars(
        sa.select(Token)
        .where(Token.user_id == user_id, Token.kind == PERSONAL, Token.revoked_at.is_(None))
        .order_by(Token.created_at.desc(), Token.id)
    )
    return [dump_token(row) for row in rows]


def revoke_personal_token(db: Session, user_id: str, token_id: Any) -> dict[str, Any]:
    """Revoke one of the user's personal tokens; ``NotFound`` when the user has no such
    live one (a session's id, another user's token, one already revoked)."""
    row = None
    if domain.is_uuid(token_id):
        row = db.scalar(
            sa.select(Token)
            .where(
                Token.id == token_id,
                Token.user_id == user_id,
                Token.kind == PERSONAL,
                Token.revoked_at.is_(None),
            )
            .with_for_update()
        )
    if row is None:
        raise not_found("token")
    row.revoked_at = utcnow()
    db.flush()
    return dump_token(row)
