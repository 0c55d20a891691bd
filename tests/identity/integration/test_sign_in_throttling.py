"""Guessing passwords is slowed to a stop, and a changed password ends the other
sessions — the identity service in a real container on PostgreSQL and RabbitMQ."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.identity import domain
from services.identity.service import IdentityService
from services.platform.errors import RateLimited, Unauthenticated

from .test_identity_service import ADMIN_EMAIL, ADMIN_PASSWORD, call, sign_in


@pytest.fixture
def identity(container_factory, service_config):
    config = {**service_config, "ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": ADMIN_PASSWORD}
    container = container_factory(IdentityService, config)
    container.start()
    return container


@pytest.fixture
def admin(identity) -> dict:
    return sign_in(identity, ADMIN_EMAIL, ADMIN_PASSWORD)[1]


LIMIT = domain.THROTTLES["account"].limit


def make_user(identity, admin: dict, email: str, password: str = "pass-word-1") -> dict:
    return call(
        identity,
        "create_user",
        {"email": email, "full_name": email.split("@")[0], "password": password},
        actor=admin,
    )


def fail(identity, email: str, address: str = "10.0.0.1", password: str = "wrong-guess") -> str:
    """One sign-in with a wrong password: the name of what was raised."""
    with pytest.raises((Unauthenticated, RateLimited)) as caught:
        call(identity, "login", email, password, address=address)
    return type(caught.value).__name__


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(identity, admin) -> None:
    make_user(identity, admin, "ann@osprey.test")
    assert [fail(identity, "ann@osprey.test") for _ in range(LIMIT)] == ["Unauthenticated"] * LIMIT
    with pytest.raises(RateLimited) as locked:
        call(identity, "login", "ann@osprey.test", "pass-word-1", address="10.0.0.2")
    assert 800 <= locked.value.retry_after <= domain.THROTTLES["account"].lockout
    assert "try again in 15 minutes" in str(locked.value)
    # the account is locked from every address, other accounts are not
    make_user(identity, admin, "bob@osprey.test")
    assert call(identity, "login", "bob@osprey.test", "pass-word-1", address="10.0.0.1")["token"]


def test_the_lock_ends_and_a_right_password_clears_the_count(identity, admin, db_engine) -> None:
    make_user(identity, admin, "cy@osprey.test")
    for _ in range(LIMIT - 1):
        fail(identity, "cy@osprey.test")
    assert call(identity, "login", "CY@osprey.test", "pass-word-1", address="10.0.0.1")["token"]
    # the count started again: another LIMIT - 1 failures do not lock
    for _ in range(LIMIT - 1):
        assert fail(identity, "cy@osprey.test") == "Unauthenticated"
    assert fail(identity, "cy@osprey.test") == "Unauthenticated"  # the LIMIT-th locks
    assert fail(identity, "cy@osprey.test") == "RateLimited"
    with db_engine.begin() as conn:  # fifteen minutes pass
        conn.execute(
            sa.text(
                "UPDATE identity.login_failures SET locked_until = now() - interval '1 second', "
                "first_at = now() - interval '16 minutes' WHERE key = 'account:cy@osprey.test'"
            )
        )
    assert call(identity, "login", "cy@osprey.test", "pass-word-1", address="10.0.0.1")["token"]


def test_many_accounts_tried_from_one_address_lock_that_address(identity, admin) -> None:
    limit = domain.THROTTLES["address"].limit
    outcomes = [fail(identity, f"nobody{n}@osprey.test", address="192.0.2.7") for n in range(limit)]
    assert outcomes == ["Unauthenticated"] * limit  # unknown emails count like wrong passwords
    assert (
        fail(identity, ADMIN_EMAIL, address="192.0.2.7", password=ADMIN_PASSWORD) == "RateLimited"
    )
    assert call(identity, "login", ADMIN_EMAIL, ADMIN_PASSWORD, address="192.0.2.8")["token"]


def test_a_changed_password_ends_every_other_session(identity, admin) -> None:
    user = make_user(identity, admin, "dee@osprey.test")
    first_token, first = sign_in(identity, "dee@osprey.test", "pass-word-1")
    second_token, _second = sign_in(identity, "dee@osprey.test", "pass-word-1")
    assert first["session_id"] != _second["session_id"]
    call(identity, "update_user", user["id"], {"password": "pass-word-2"}, actor=first)
    assert call(identity, "authenticate_token", first_token)["id"] == user["id"]
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", second_token)
    # an administrator's reset ends them all
    call(identity, "update_user", user["id"], {"password": "pass-word-3"}, actor=admin)
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", first_token)
    assert call(identity, "login", "dee@osprey.test", "pass-word-3")["token"]
