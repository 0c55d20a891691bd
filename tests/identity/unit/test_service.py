"""The identity entrypoints with their dependencies replaced (``worker_factory``): rights
and validation are decided before anything is written or committed."""

from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from services.identity.service import IdentityService
from services.platform.errors import PermissionDenied, Unauthenticated, ValidationFailed

REP = {"id": "00000000-0000-7000-8000-00000000000a", "email": "r@x.io", "roles": ["sales_rep"]}
ADMIN = {"id": "00000000-0000-7000-8000-00000000000b", "email": "a@x.io", "roles": ["admin"]}


@pytest.fixture
def service():
    return worker_factory(IdentityService)


def test_a_rep_creating_a_user_touches_nothing(service):
    with pytest.raises(PermissionDenied):
        service.create_user({"email": "n@x.io", "full_name": "N", "password": "p" * 8}, actor=REP)
    assert service.db.method_calls == []


def test_bad_user_data_is_refused_before_the_database(service):
    with pytest.raises(ValidationFailed) as exc:
        service.create_user({"email": "n@x.io", "full_name": "N", "password": "short"}, actor=ADMIN)
    assert exc.value.errors == [{"field": "password", "message": "must be at least 8 characters"}]
    assert service.db.method_calls == []


def test_a_rep_creating_a_team_touches_nothing(service):
    with pytest.raises(PermissionDenied):
        service.create_team({"name": "Rogue"}, actor=REP)
    assert service.db.method_calls == []


def test_calls_without_a_caller_are_refused(service):
    for call in (
        lambda: service.get_user(REP["id"], actor=None),
        lambda: service.list_users({}, actor={}),
        lambda: service.list_teams(actor=None),
        lambda: service.create_user({}, actor=None),
    ):
        with pytest.raises(Unauthenticated):
            call()
    assert service.db.method_calls == []


def test_malformed_login_input_fails_like_a_wrong_password(service):
    with pytest.raises(Unauthenticated, match="Wrong email or password"):
        service.login(["ann@x.io"], "password")
    assert service.db.commit.called is False


def test_a_malformed_token_is_refused_without_a_query(service):
    for token in (None, "", 12, "x" * 513):
        with pytest.raises(Unauthenticated):
            service.authenticate_token(token)
    assert service.db.method_calls == []
