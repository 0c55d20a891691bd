"""Personal API tokens' rules: what a new token accepts, how it looks, who manages it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.identity import domain, token_rules
from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed
from services.platform.scopes import SCOPES, grantable_scopes

TODAY = date(2026, 12, 7)
REP_PERMISSIONS = ["leads.read", "accounts.read", "orders.read", "users.read"]


def clean(data: dict, roles=("sales_rep",), permissions=REP_PERMISSIONS) -> dict:
    return token_rules.clean_token_data(data, today=TODAY, roles=roles, permissions=permissions)


def errors_of(data, **kwargs) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as exc:
        clean(data, **kwargs)
    return {e["field"]: e["message"] for e in exc.value.errors}


def test_a_new_token_is_named_scoped_and_dated():
    token = clean(
        {"name": "  Zapier   sync ", "scopes": ["orders:read", "leads:write", "leads:read"],
         "expires_on": "2027-03-01"}
    )  # fmt: skip
    # spaces collapsed, scopes in the catalog's order without repeats
    assert token == {
        "name": "Zapier sync",
        "scopes": ["leads:read", "leads:write", "orders:read"],
        "expires_on": date(2027, 3, 1),
    }


def test_every_missing_field_is_named_at_once():
    assert errors_of({}) == {
        "name": "is required",
        "scopes": "is required",
        "expires_on": "is required: a date at most a year away",
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": " "}, "name", "is required"),
        ({"name": 5}, "name", "must be a string"),
        ({"name": "x" * 101}, "name", "must be at most 100 characters"),
        ({"scopes": []}, "scopes", "give at least one scope"),
        ({"scopes": "leads:read"}, "scopes", "must be a list of scopes"),
        ({"scopes": ["leads:read", "leads:delete"]}, "scopes", "no such scope: leads:delete"),
        ({"scopes": ["admin"]}, "scopes", "beyond your own rights: admin"),
        ({"expires_on": "2026-12-07"}, "expires_on", "must be after today"),
        ({"expires_on": "2025-01-01"}, "expires_on", "must be after today"),
        ({"expires_on": "2027-12-08"}, "expires_on", "must be at most a year away (by 2027-12-07)"),
        ({"expires_on": "07.03.2027"}, "expires_on", "must be a date (YYYY-MM-DD)"),
        ({"expires_on": "2027-03-01T00:00:00"}, "expires_on", "must be a date (YYYY-MM-DD)"),
        ({"expires_on": 20270301}, "expires_on", "must be a date (YYYY-MM-DD)"),
        ({"token": "osp_mine"}, "token", "unknown field"),
    ],
)
def test_bad_values_name_their_field(data, field, message):
    base = {"name": "CI", "scopes": ["leads:read"], "expires_on": "2027-01-01"}
    assert errors_of({**base, **data}) == {field: message}


def test_tomorrow_and_a_year_from_today_are_the_bounds():
    for day in ("2026-12-08", "2027-12-07"):
        assert clean({"name": "CI", "scopes": ["feed:read"], "expires_on": day})["expires_on"]


def test_a_year_from_the_29th_of_february_is_the_28th():
    assert token_rules.latest_expiry(date(2028, 2, 29)) == date(2029, 2, 28)


def test_a_token_works_through_its_expiry_date_in_utc():
    assert token_rules.expiry_moment(date(2027, 3, 1)) == datetime(2027, 3, 2, tzinfo=UTC)


def test_scopes_only_narrow_what_the_owner_may_do():
    # a user whose roles show no leads section cannot give a token leads:read
    assert errors_of(
        {"name": "CI", "scopes": ["leads:read", "feed:read"], "expires_on": "2027-01-01"},
        permissions=["accounts.read"],
    ) == {"scopes": "beyond your own rights: leads:read"}
    # an administrator may give admin
    token = clean(
        {"name": "Provisioning", "scopes": ["admin"], "expires_on": "2027-01-01"},
        roles=("admin",),
    )
    assert token["scopes"] == ["admin"]


def test_the_grantable_scopes_follow_roles_and_permissions():
    assert grantable_scopes(["admin"], REP_PERMISSIONS) == SCOPES
    rep = grantable_scopes(["sales_rep"], REP_PERMISSIONS)
    assert "admin" not in rep and "leads:write" in rep and "analytics:read" in rep
    bare = grantable_scopes(["sales_rep"], [])
    assert not any(s.startswith(("leads:", "sales:", "orders:")) for s in bare)
    assert "feed:read" in bare and "mail:write" in bare


def test_a_personal_token_is_recognisable_and_only_its_digest_is_kept():
    token = token_rules.new_personal_token()
    assert token.startswith("osp_") and len(token) >= 40
    assert token_rules.shown_prefix(token) == token[:12]
    assert token_rules.new_personal_token() != token
    assert len(domain.token_digest(token)) == 64 and token not in domain.token_digest(token)


REP = Actor(id="00000000-0000-7000-8000-00000000000a", roles=("sales_rep",))
ADMIN = Actor(id="00000000-0000-7000-8000-00000000000b", roles=("admin",))
OTHER = "00000000-0000-7000-8000-00000000000c"


def test_users_manage_their_own_tokens_and_admins_anyones():
    token_rules.check_may_manage_tokens(REP, {"scopes": None}, REP.id)
    token_rules.check_may_manage_tokens(ADMIN, {"scopes": None}, OTHER)
    with pytest.raises(PermissionDenied, match="another user's tokens"):
        token_rules.check_may_manage_tokens(REP, {"scopes": None}, OTHER)


def test_a_personal_token_manages_no_tokens_not_even_with_the_admin_scope():
    for actor in (REP, ADMIN):
        with pytest.raises(PermissionDenied, match="signed-in session"):
            token_rules.check_may_manage_tokens(actor, {"scopes": ["admin"]}, actor.id)
    with pytest.raises(PermissionDenied, match="signed-in session"):
        token_rules.check_signed_in({"scopes": []})
    token_rules.check_signed_in({"id": REP.id})  # a session's actor has no scopes


def test_fifty_live_tokens_are_enough():
    token_rules.check_live_token_count(token_rules.MAX_LIVE_TOKENS - 1)
    with pytest.raises(Conflict, match="revoke one"):
        token_rules.check_live_token_count(token_rules.MAX_LIVE_TOKENS)
