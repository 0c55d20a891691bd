"""Logins, passwords and tokens: what a session rests on."""

from __future__ import annotations

import base64

import pytest

from services.identity import domain, passwords
from services.platform.errors import Unauthenticated

USER_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def test_no_user_never_logs_in_even_with_the_dummy_hashs_own_password(monkeypatch):
    # The dummy hash stands in for a user who does not exist; should its random
    # password ever be guessed, that must still not be a match.
    dummy = passwords.hash_password("the dummy's password")
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: dummy)
    assert passwords.verify_password(None, "the dummy's password") == (False, False)
    assert passwords.verify_password(dummy, "the dummy's password") == (True, False)


def test_a_password_of_exactly_the_maximum_length_is_looked_up_as_given():
    password = "p" * domain.PASSWORD_MAX_LENGTH
    assert domain.check_login_input("ann@x.io", password) == ("ann@x.io", password)


def test_a_password_one_character_over_the_maximum_matches_nobody():
    email, password = domain.check_login_input("ann@x.io", "p" * (domain.PASSWORD_MAX_LENGTH + 1))
    assert email is None
    assert password == "p" * domain.PASSWORD_MAX_LENGTH


def test_a_login_without_a_string_password_is_refused_at_once():
    with pytest.raises(Unauthenticated) as exc:
        domain.check_login_input("ann@x.io", None)
    assert exc.value.message == "Wrong email or password"


def test_a_token_carries_256_random_bits_in_url_safe_text():
    token = domain.new_token()
    assert len(token) == 43
    raw = base64.urlsafe_b64decode(token + "=")
    assert len(raw) == 32


def test_a_tokens_stored_digest_is_its_sha256():
    # the published SHA-256 test vector: a digest of another kind would end every session
    assert domain.token_digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_ids_are_recognised_with_or_without_spaces_and_in_any_case():
    assert domain.is_uuid(USER_ID) is True
    assert domain.is_uuid(f" {USER_ID.upper()} ") is True
    for value in ("nope", "", None, 42, [USER_ID]):
        assert domain.is_uuid(value) is False
