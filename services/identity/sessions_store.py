"""Identity's sign-in: sessions made, checked and ended, and the sign-in throttling.
Every function takes the session explicitly and none commits (as :mod:`.store`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.platform.errors import Unauthenticated
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id

from . import domain, passwords, rights_store
from .models import LoginFailure, Token, User
from .store import _off_hub, dump_user_row, get_user, hash_password, user_select

#: tokens this long past their expiry are deleted when their user next logs in
_KEEP_EXPIRED_DAYS = 7
#: last_used_at is a hint, not an audit log: write it at most this often per token
_LAST_USED_EVERY_SECONDS = 60


# --- sessions ---------------------------------------------------------------------------


def login(
    db: Session, email: Any, password: Any, *, ttl_hours: int, address: str | None = None
) -> dict[str, Any]:
    """``{token, expires_at, user}`` for a right email and password of an active user;
    ``Unauthenticated`` with one message for every other case; ``RateLimited`` while
    the account or the client ``address`` is locked after too many failures (checked
    before the password, so a locked account cannot be guessed at)."""
    lookup, password = domain.check_login_input(email, password)
    check_throttle(db, domain.throttle_keys(lookup, address))
    user = db.scalar(sa.select(User).where(User.email == lookup)) if lookup else None
    matches, needs_rehash = _off_hub(
        passwords.verify_password, user.password_hash if user else None, password
    )
    if user is None or not matches or not user.is_active:
        raise Unauthenticated(domain.LOGIN_FAILED)
    if needs_rehash:
        user.password_hash = hash_password(password)
    token = domain.new_token()
    now = utcnow()
    expires_at = domain.token_expiry(now, ttl_hours)
    db.add(
        Token(
            id=new_id(),
            token_hash=domain.token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    db.execute(
        sa.delete(Token).where(
            Token.user_id == user.id,
            Token.expires_at < sa.func.now() - sa.text(f"interval '{_KEEP_EXPIRED_DAYS} days'"),
        )
    )
    db.flush()
    return {"token": token, "expires_at": isoformat(expires_at), "user": get_user(db, user.id)}


def authenticate(db: Session, token: Any) -> dict[str, Any]:
    """The actor dict of a live token's user; ``Unauthenticated`` if the token is
    unknown, expired, revoked, or its user inactive."""
    if not isinstance(token, str) or not token or len(token) > 512:
        raise Unauthenticated(domain.TOKEN_REJECTED)
    row = db.execute(
        user_select()
        .add_columns(Token.id.label("token_id"), Token.last_used_at, Token.kind, Token.scopes)
        .join(Token, Token.user_id == User.id)
        .where(
            Token.token_hash == domain.token_digest(token),
            Token.revoked_at.is_(None),
            Token.expires_at > sa.func.now(),
            User.is_active,
        )
    ).first()
    if row is None:
        raise Unauthenticated(domain.TOKEN_REJECTED)
    mapping = row._mapping
    user = dump_user_row(mapping)
    permissions, rights = rights_store.permissions_and_rights(db, user["id"])
    db.execute(
        sa.update(Token)
        .where(
            Token.id == mapping["token_id"],
            sa.or_(
                Token.last_used_at.is_(None),
                Token.last_used_at
                < sa.func.now() - sa.text(f"interval '{_LAST_USED_EVERY_SECONDS} seconds'"),
            ),
        )
        .values(last_used_at=sa.func.now())
    )
    # scopes: a personal token's, which the gateway enforces route by route; None for a
    # signed-in session, which may do whatever its user may
    scopes = list(mapping["scopes"] or ()) if mapping["kind"] == "personal" else None
    return {
        **domain.actor_dict(user, permissions, rights),
        "session_id": mapping["token_id"],
        "scopes": scopes,
    }


def actor_for(db: Session, user_id: str) -> dict[str, Any]:
    """The actor dict of a user, as :func:`authenticate` would give it (for tools that
    act as a user without a session, such as the demo data loader)."""
    user = get_user(db, user_id)
    return domain.actor_dict(user, *rights_store.permissions_and_rights(db, user["id"]))


def logout(db: Session, token: Any) -> None:
    """Revoke the token; an unknown or already revoked one is fine."""
    if not isinstance(token, str) or not token or len(token) > 512:
        return
    db.execute(
        sa.update(Token)
        .where(Token.token_hash == domain.token_digest(token), Token.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )


# --- sign-in throttling ---------------------------------------------------------------------


def check_throttle(db: Session, keys: dict[str, str]) -> None:
    """``RateLimited`` when any of the sign-in's counters is locked."""
    if not keys:
        return
    now = utcnow()
    rows = db.execute(
        sa.select(LoginFailure.locked_until).where(LoginFailure.key.in_(list(keys.values())))
    ).all()
    seconds = max((domain.seconds_locked(row.locked_until, now) for row in rows), default=0)
    if seconds:
        raise domain.locked_out(seconds)


def record_failure(db: Session, email: Any, address: str | None) -> bool:
    """Count one failed sign-in against its account and its address (the caller
    commits, apart from the sign-in's own transaction); False when there was nothing
    to count against (a malformed email from an unknown address)."""
    lookup = domain.check_login_input(email, "")[0] if isinstance(email, str) else None
    keys = domain.throttle_keys(lookup, address)
    if not keys:
        return False
    now = utcnow()
    for kind, key in keys.items():
        row = db.execute(
            sa.select(LoginFailure).where(LoginFailure.key == key).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            failures, first_at, locked = domain.after_failure(kind, 0, now, now)
            db.execute(
                pg_insert(LoginFailure)
                .values(key=key, failures=failures, first_at=first_at, locked_until=locked)
                .on_conflict_do_update(
                    index_elements=[LoginFailure.key],
                    set_={"failures": LoginFailure.failures + 1},
                )
            )
        else:
            row.failures, row.first_at, locked = domain.after_failure(
                kind, row.failures, row.first_at, now
            )
            row.locked_until = locked or row.locked_until
    db.flush()
    return True


def clear_failures(db: Session, email: Any) -> None:
    """A right password clears its account's count (not its address's)."""
    lookup = domain.check_login_input(email, "")[0] if isinstance(email, str) else None
    keys = domain.throttle_keys(lookup, None)
    if keys:
        db.execute(sa.delete(LoginFailure).where(LoginFailure.key.in_(list(keys.values()))))
