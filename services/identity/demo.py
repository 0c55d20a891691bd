"""The identity service's demo data: the admin, the Sales team and three sales people,
created where missing, straight into the identity schema through identity's own rules
and store (``osprey demo-data`` runs before any service does). Also how a user is
created outside a request (the demo and ``osprey users create``)."""

from __future__ import annotations

import secrets
from typing import Any

from services.platform.access import Actor
from services.platform.config import settings
from services.platform.db import ServiceSession

from . import domain, sessions_store, store, team_rules, teams_store

#: who the events written outside a request name as their actor
CLI_ACTOR = Actor.system("osprey-cli").to_dict()
DEFAULT_ADMIN_EMAIL = "admin@osprey.local"

DEMO_TEAM = "Sales"
DEMO_USERS = (
    # (email, full name, role)
    ("maria.ivanova@osprey.local", "Maria Ivanova", "sales_manager"),
    ("sam.carter@osprey.local", "Sam Carter", "sales_rep"),
    ("olga.petrova@osprey.local", "Olga Petrova", "sales_rep"),
)


def create_user(
    db: ServiceSession,
    *,
    email: str,
    password: str,
    full_name: str,
    roles: list[str],
    team_id: str | None = None,
) -> dict[str, Any]:
    """Create a user with the roles named (checked as the identity service checks a new
    user); the user as the identity service dumps one."""
    changes = domain.clean_user_data(
        {"email": email, "password": password, "full_name": full_name, "team_id": team_id},
        creating=True,
    )
    store.ensure_roles(db)  # a freshly restored or emptied database may lack them
    if roles:
        changes["role_ids"] = store.role_ids_for_names(db, roles)
    return store.create_user(db, changes, actor=CLI_ACTOR)


def demo_people(db: ServiceSession) -> dict[str, Any]:
    """The demo admin, team and sales people, created where missing.

    Returns what the other services' demo data needs (``admin_actor``, ``team_id``,
    ``owner_ids``, ``people``) and what the command tells the user (the admin's login
    and a note on the password, the demo users' password when any was created).
    """
    s = settings()
    store.ensure_roles(db)
    admin_email = s.admin_email or DEFAULT_ADMIN_EMAIL
    admin_password = s.admin_password or secrets.token_urlsafe(12)
    admin, created = store.ensure_admin(db, admin_email, admin_password)
    if s.admin_password:
        note = "(the password in OSPREY_ADMIN_PASSWORD)"
    elif created:
        note = admin_password
    else:
        note = "(unchanged: the user existed already)"

    team = teams_store.find_team_by_name(db, DEMO_TEAM)
    # 16 random characters: the password policy's estimate never finds them guessable
    demo_password = secrets.token_urlsafe(12)
    made_any = False
    people: list[dict[str, Any]] = []
    for email, full_name, role in DEMO_USERS:
        user = store.find_user_by_email(db, email)
        if user is None:
            user = create_user(
                db, email=email, password=demo_password, full_name=full_name, roles=[role]
            )
            made_any = True
        people.append(user)
    if team is None:
        changes = team_rules.clean_team_data({"name": DEMO_TEAM, "manager_id": people[0]["id"]})
        team = teams_store.create_team(db, changes, actor=CLI_ACTOR)
    for user in people:
        if user["team_id"] is None:
            store.update_user(
                db,
                user["id"],
                {"team_id": team["id"]},
                actor=Actor.system("osprey-cli"),
                actor_data=CLI_ACTOR,
            )
    return {
        "admin_email": admin["email"],
        "admin_password_note": note,
        "admin_actor": sessions_store.actor_for(db, admin["id"]),
        "team_id": team["id"],
        "owner_ids": [user["id"] for user in people],
        "people": [{"id": user["id"], "email": user["email"]} for user in people],
        "demo_password": demo_password if made_any else None,
    }
