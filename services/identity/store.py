"""Identity's reads and writes, shared by the RPC entrypoints and the ``osprey`` command
line (which works on the database directly, so it needs no running service).

Every function takes the session explicitly and none commits: the caller commits, so
a change and its outbox event become durable together or not at all. The rules
themselves live in :mod:`.domain`; this module loads, applies them and stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import eventlet
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.platform.access import ADMIN, Actor
from services.platform.db import ServiceSession
from services.platform.errors import Conflict, ValidationFailed
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.listing import Filter, ListSpec, Sort, fetch_page
from services.platform.records import not_found

from . import domain, passwords, rights_store
from .models import Preference, Role, Team, Token, User, user_roles
from .schemas import dump_role, dump_user

T = TypeVar("T")

#: any constant; serializes changes that could remove the last active administrator
_ADMIN_LOCK_KEY = 0x1D_AD_01


# --- hashing off the eventlet hub -------------------------------------------------------


@lru_cache(maxsize=1)
def _hashing_slots() -> Any:
    # argon2 takes 64 MiB and ~0.1 s a hash; two at a time keep two cores busy
    # without letting a burst of logins take a gigabyte.
    from eventlet.semaphore import Semaphore

    return Semaphore(2)


def _off_hub(fn: Callable[..., T], *args: Any) -> T:
    """Run a CPU-bound call in a real thread when eventlet runs this process, so one
    login does not stall every other request the service is serving."""
    if not eventlet.patcher.is_monkey_patched("thread"):
        return fn(*args)
    from eventlet import tpool

    with _hashing_slots():
        return tpool.execute(fn, *args)


def hash_password(password: str) -> str:
    return _off_hub(passwords.hash_password, password)


# --- roles ------------------------------------------------------------------------------


def ensure_roles(db: Session) -> None:
    """Put back any seeded role that is missing (the migration made them; a restore or
    an emptied test database may not have them). Never changes an existing role."""
    db.execute(
        pg_insert(Role)
        .values(
            [
                {"id": spec.id, "name": spec.name, "permissions": list(spec.permissions)}
                for spec in domain.SEEDED_ROLES
            ]
        )
        .on_conflict_do_nothing()
    )
    rights_store.ensure_seeded_rights(db)


def list_roles(db: Session) -> list[dict[str, Any]]:
    return [dump_role(role) for role in db.scalars(sa.select(Role).order_by(Role.name))]


def role_ids_for_names(db: Session, names: Iterable[str]) -> list[str]:
    """Role ids in the order of ``names``; ``ValidationFailed`` on ``roles`` if one is unknown."""
    wanted = list(dict.fromkeys(names))
    found = dict(db.execute(sa.select(Role.name, Role.id).where(Role.name.in_(wanted))).all())
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ValidationFailed(
            "roles: no such role: " + ", ".join(missing),
            [{"field": "roles", "message": "no such role: " + ", ".join(missing)}],
        )
    return [found[name] for name in wanted]


def _check_roles_exist(db: Session, role_ids: list[str]) -> None:
    held = sa.select(Role.id).where(Role.id.in_(role_ids)).with_for_update(key_share=True)
    domain.check_role_ids_exist(role_ids, db.scalars(held).all() if role_ids else [])


def _check_team_exists(db: Session, team_id: str | None) -> None:
    if team_id is not None and db.get(Team, team_id) is None:
        raise ValidationFailed(
            "team_id: no such team", [{"field": "team_id", "message": "no such team"}]
        )


# --- users ------------------------------------------------------------------------------


def _roles_of_user(column: Any) -> Any:
    """A user's roles' ``column`` as an array ordered by role name (NULL when none)."""
    return (
        sa.select(sa.func.array_agg(aggregate_order_by(column, Role.name)))
        .select_from(user_roles.join(Role, Role.id == user_roles.c.role_id))
        .where(user_roles.c.user_id == User.id)
        .scalar_subquery()
    )


# text[], not uuid[]: psycopg2 turns a text array into a list, a uuid array into a string
ROLE_IDS = _roles_of_user(sa.cast(Role.id, sa.Text)).label("role_ids")
ROLE_NAMES = _roles_of_user(Role.name).label("roles")

USER_LIST = ListSpec(
    id_column=User.id,
    filters={
        "team_id": Filter(User.team_id, "uuid"),
        "is_active": Filter(User.is_active, "bool"),
        # "role" is applied by list_users: it looks through user_roles
    },
    sorts={
        "full_name": Sort(User.full_name, nullable=False),
        "email": Sort(User.email, nullable=False),
        "created_at": Sort(User.created_at, nullable=False),
    },
    default_sort="full_name",
    search_vector=User.search,
)


def user_select() -> sa.Select[Any]:
    return sa.select(User, ROLE_IDS, ROLE_NAMES)


def dump_user_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return dump_user(row["User"], row["role_ids"] or [], row["roles"] or [])


def get_user(db: Session, user_id: Any) -> dict[str, Any]:
    """The user; ``NotFound`` when there is none (or the id is not one)."""
    rows = db.execute(_USER_BY_ID, {"user_id": user_id}).all() if domain.is_uuid(user_id) else []
    return _one_user(rows)


def read_user(db: ServiceSession, user_id: Any) -> dict[str, Any]:
    """The user as committed now, read in autocommit (for a call that only reads it:
    ``GET /me``); ``NotFound`` as :func:`get_user`."""
    return _one_user(db.read(_USER_BY_ID, {"user_id": user_id}) if domain.is_uuid(user_id) else [])


def _one_user(rows: Sequence[Any]) -> dict[str, Any]:
    if not rows:
        raise not_found("user")
    row = rows[0]
    return dump_user(row, row.role_ids or [], row.roles or [])


#: A user by id as a row: made once.
_USER_BY_ID = sa.select(*User.__table__.columns, ROLE_IDS, ROLE_NAMES).where(
    User.__table__.c.id == sa.bindparam("user_id")
)


def find_user_by_email(db: Session, email: str) -> dict[str, Any] | None:
    row = db.execute(user_select().where(User.email == email)).first()
    return dump_user_row(row._mapping) if row else None


def list_users(db: Session, query: Any) -> dict[str, Any]:
    """A page of users (filters ``team_id``, ``is_active``, ``role``; ``q`` over
    name and email; sorts ``full_name`` (default), ``email``, ``created_at``)."""
    query, role_names = _split_role_filter(query)
    stmt = user_select()
    if role_names is not None:
        holders = (
            sa.select(user_roles.c.user_id)
            .join(Role, Role.id == user_roles.c.role_id)
            .where(Role.name.in_(role_names))
        )
        stmt = stmt.where(User.id.in_(holders))
    return fetch_page(db, stmt, USER_LIST, query, dump_user_row)


def _split_role_filter(query: Any) -> tuple[Any, list[str] | None]:
    """Take ``filter.role`` out of the query (the shared list code filters columns of
    the listed table; roles live in another). The rest goes to the shared code as is."""
    if not isinstance(query, Mapping) or not isinstance(query.get("filter"), Mapping):
        return query, None
    filters = dict(query["filter"])
    if "role" not in filters:
        return query, None
    values = filters.pop("role")
    if not isinstance(values, list | tuple):
        values = [values]
    if not values or not all(isinstance(v, str) and 0 < len(v) <= 50 for v in values):
        raise ValidationFailed(
            "filter[role]: give one or more role names",
            [{"field": "filter[role]", "message": "give one or more role names"}],
        )
    return {**query, "filter": filters}, list(values)


def create_user(
    db: ServiceSession, changes: Mapping[str, Any], *, actor: dict[str, Any] | None
) -> dict[str, Any]:
    """Store a user from cleaned ``changes`` (:func:`domain.clean_user_data`) and emit
    ``user_created``. With no ``role_ids`` the user gets the default role.
    Raises ``Conflict`` on a taken email, ``ValidationFailed`` on unknown roles or team."""
    email = changes["email"]
    _check_email_free(db, email)
    role_ids = changes.get("role_ids")
    if role_ids is None:
        role_ids = role_ids_for_names(db, [domain.DEFAULT_ROLE])
    _check_roles_exist(db, role_ids)
    _check_team_exists(db, changes.get("team_id"))
    password_hash = hash_password(changes["password"])
    now = utcnow()
    user_id = new_id()
    inserted = db.execute(
        pg_insert(User)
        .values(
            id=user_id,
            email=email,
            full_name=changes["full_name"],
            password_hash=password_hash,
            team_id=changes.get("team_id"),
            is_active=changes.get("is_active", True),
            locale=changes.get("locale", domain.DEFAULT_LOCALE),
            theme=changes.get("theme", domain.DEFAULT_THEME),
            accent_color=changes.get("accent_color"),
            password_change_required=changes.get("password_change_required", False),
            created_at=now,
            updated_at=now,
        )
        # someone may take the email between the check above and this insert
        .on_conflict_do_nothing(index_elements=[User.email])
        .returning(User.id)
    ).scalar()
    if inserted is None:
        raise _email_taken()
    if role_ids:
        db.execute(
            user_roles.insert(), [{"user_id": user_id, "role_id": role_id} for role_id in role_ids]
        )
    user = get_user(db, user_id)
    db.emit("user_created", user, actor=actor)
    return user


def update_user(
    db: ServiceSession, user_id: Any, changes: Mapping[str, Any], *, actor: Actor, actor_data: dict
) -> dict[str, Any]:
    """Apply cleaned ``changes`` as ``actor`` may; emit ``user_updated`` (the user plus
    ``changed_fields``) unless nothing changed. Raises ``NotFound``,
    ``PermissionDenied``, ``Conflict`` (taken email, or the last active admin would
    go), ``ValidationFailed`` (unknown roles or team)."""
    # Locked until commit, so the comparison below and the change are one step.
    user = None
    if domain.is_uuid(user_id):
        user = db.scalar(sa.select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise not_found("user")
    current = get_user(db, user.id)
    changed = domain.changed_user_fields(current, changes)
    domain.check_may_update_user(actor, current["id"], changed)
    if not changed:
        return current
    if "email" in changed:
        _check_email_free(db, changes["email"])
    if "role_ids" in changed:
        _check_roles_exist(db, changes["role_ids"])
    if "team_id" in changed:
        _check_team_exists(db, changes["team_id"])
    if "role_ids" in changed or "is_active" in changed:
        _check_admins_remain(db, current, changes)
    if "password" in changed:
        _check_new_password(changes, current)

    for name in (
        "email",
        "full_name",
        "team_id",
        "is_active",
        "locale",
        "theme",
        "accent_color",
        "password_change_required",
    ):
        if name in changed:
            setattr(user, name, changes[name])
    # Written now: a later statement (the tokens' revocation, the roles' rows) would
    # otherwise flush it outside the check of what it may clash on.
    _flush_user(db)
    if "password" in changed:
        user.password_hash = hash_password(changes["password"])
        if actor.id == user.id:
            user.password_change_required = False  # their own, chosen now
        # every other session of the user ends: the one that changed its own password
        # stays, an administrator's reset ends them all. Personal API tokens stay: they
        # were made on purpose for integrations, each with its own expiry and scopes, and
        # are revoked one by one (or all, by deactivating the user).
        own = actor.id == user.id
        revoke_tokens(
            db, user.id, keep=actor_data.get("session_id") if own else None, kind="session"
        )
    if "role_ids" in changed:
        db.execute(user_roles.delete().where(user_roles.c.user_id == user.id))
        if changes["role_ids"]:
            db.execute(
                user_roles.insert(),
                [{"user_id": user.id, "role_id": role_id} for role_id in changes["role_ids"]],
            )
    if changes.get("is_active") is False:
        # a deactivated user's sessions and personal tokens end now, and stay ended if
        # they come back
        revoke_tokens(db, user.id)
    user.updated_at = utcnow()
    _flush_user(db)
    result = get_user(db, user.id)
    db.emit("user_updated", {**result, "changed_fields": changed}, actor=actor_data)
    return result


def _flush_user(db: Session) -> None:
    """Write the user's pending changes; what they clash on as the caller's error."""
    try:
        db.flush()
    except IntegrityError as exc:
        if _constraint_of(exc) == "fk_users_team_id_teams":
            # the team was deleted after it was checked above (delete_team locks it)
            raise ValidationFailed(
                "team_id: no such team", [{"field": "team_id", "message": "no such team"}]
            ) from None
        raise _email_taken() from None  # the one unique value a user change can clash on


def _constraint_of(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def _check_new_password(changes: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    """The password policy with the user's own email and name (as they will be)."""
    try:
        domain.check_password(
            changes["password"],
            email=changes.get("email", current["email"]),
            full_name=changes.get("full_name", current["full_name"]),
        )
    except ValueError as exc:
        raise ValidationFailed(
            f"password: {exc}", [{"field": "password", "message": str(exc)}]
        ) from None


def _check_email_free(db: Session, email: str) -> None:
    if db.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise _email_taken()


def _email_taken() -> Conflict:
    return Conflict(
        "A user with this email already exists",
        [{"field": "email", "message": "is already taken"}],
    )


def _check_admins_remain(db: Session, current: dict[str, Any], changes: Mapping[str, Any]) -> None:
    # Two admins demoting each other at once must not both succeed.
    db.execute(sa.select(sa.func.pg_advisory_xact_lock(_ADMIN_LOCK_KEY)))
    admin_id = db.scalar(sa.select(Role.id).where(Role.name == ADMIN))
    new_role_ids = changes.get("role_ids", current["role_ids"])
    others = db.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .join(user_roles, user_roles.c.user_id == User.id)
        .where(user_roles.c.role_id == admin_id, User.is_active, User.id != current["id"])
    )
    domain.check_admins_remain(
        was_active_admin=current["is_active"] and ADMIN in current["roles"],
        stays_active_admin=changes.get("is_active", current["is_active"])
        and admin_id in new_role_ids,
        other_active_admins=others or 0,
    )


def ensure_admin(db: ServiceSession, email: Any, password: Any) -> tuple[dict[str, Any], bool]:
    """``(user, created)``: the user with this email, made an administrator first if
    the email is unknown. An existing user is returned unchanged (their password
    and roles are theirs). Safe when several processes run it at once: the unique
    email decides which one creates the user. Raises ``ValidationFailed``."""
    # an existing administrator is found before the password is judged: one set
    # before today's password rules keeps working
    try:
        existing = find_user_by_email(db, domain.normalize_email(email))
    except ValueError:
        existing = None
    if existing is not None:
        return existing, False
    changes = domain.clean_user_data(
        {"email": email, "password": password, "full_name": "Administrator"}, creating=True
    )
    ensure_roles(db)
    changes["role_ids"] = role_ids_for_names(db, [ADMIN])
    try:
        return create_user(db, changes, actor=None), True
    except Conflict:
        # another process created it between our look-up and our insert
        existing = find_user_by_email(db, changes["email"])
        if existing is None:
            raise
        return existing, False


# --- tokens -----------------------------------------------------------------------------


def revoke_tokens(
    db: Session, user_id: str, keep: str | None = None, kind: str | None = None
) -> None:
    """End the user's tokens of ``kind`` (``session`` or ``personal``; None: both), but
    ``keep``, a token id (the session changing its own password)."""
    where = [Token.user_id == user_id, Token.revoked_at.is_(None)]
    if keep is not None:
        where.append(Token.id != keep)
    if kind is not None:
        where.append(Token.kind == kind)
    db.execute(sa.update(Token).where(*where).values(revoked_at=sa.func.now()))


# --- preferences --------------------------------------------------------------------------


def get_preferences(db: Session, user_id: str) -> dict[str, Any]:
    """Every UI setting of one user, as ``{key: value}``."""
    rows = db.execute(
        sa.select(Preference.key, Preference.value).where(Preference.user_id == user_id)
    ).all()
    return {row.key: row.value for row in rows}


def set_preference(db: Session, user_id: str, key: str, value: Any) -> Any:
    """Store one UI setting (insert or replace) and return it."""
    stmt = pg_insert(Preference).values(user_id=user_id, key=key, value=value, updated_at=utcnow())
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=[Preference.user_id, Preference.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
    )
    return value
