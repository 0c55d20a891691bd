"""The password policy: applied when a password is set, never to one already stored."""

from __future__ import annotations

import pytest

from services.identity import domain
from services.platform.errors import ValidationFailed

STRONG = "violet-kettle-92"


def reason(password: str, **user) -> str | None:
    try:
        domain.check_password(password, **user)
    except ValueError as exc:
        return str(exc)
    return None


def test_a_strong_password_of_ten_characters_or_more_is_taken_as_given():
    assert domain.check_password(f" {STRONG} ") == f" {STRONG} "
    assert reason("Tr0ub4dor&3x") is None
    assert reason("correct horse battery staple") is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("k2#Vq9!z", "must be at least 10 characters"),
        ("password-1", "is too easy to guess: this is similar to a commonly used password"),
        ("qwertyuiop12", "is too easy to guess: this is similar to a commonly used password"),
        ("1234567890", "is too easy to guess: this is a top-100 common password"),
        ("aaaaaaaaaaaa", 'is too easy to guess: repeats like "aaa" are easy to guess'),
    ],
)
def test_short_and_common_passwords_are_refused_with_the_reason(password, message):
    assert reason(password) == message


def test_the_users_own_email_and_name_are_refused_inside_a_password():
    user = {"email": "jolanta.kowalska@osprey.test", "full_name": "Jolanta Kowalska"}
    assert reason("my jolanta.kowalska 2026!", **user) == "must not contain your email address"
    assert reason("JolantaKowalska!!93", **user) == "must not contain your name"
    assert reason("Jolanta Kowalska 93", **user) == "must not contain your name"
    # parts of them are known to zxcvbn as the user's own words: easy to guess
    assert reason("kowalska1987", **user).startswith("is too easy to guess")
    # the same password is fine for somebody else
    assert reason("kowalska1987", email="ann@osprey.test", full_name="Ann Lee") is None


def test_a_password_longer_than_zxcvbn_judges_is_judged_by_its_beginning():
    assert reason(STRONG + "a" * 900) is None
    assert reason("a" * 100 + STRONG).startswith("is too easy to guess")
    assert reason("x" * 1025) == "must be at most 1024 characters"


def test_a_new_user_is_judged_with_their_own_email_and_name():
    data = {"email": "maria.ivanova@osprey.test", "full_name": "Maria Ivanova"}
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_user_data({**data, "password": "maria.ivanova-2026"}, creating=True)
    assert exc.value.errors == [
        {"field": "password", "message": "must not contain your email address"}
    ]
    assert domain.clean_user_data({**data, "password": STRONG}, creating=True)["password"] == STRONG


def test_a_changed_password_is_judged_even_without_the_user_at_hand():
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_user_data({"password": "password123"}, creating=False)
    assert exc.value.errors[0]["field"] == "password"
    assert exc.value.errors[0]["message"].startswith("is too easy to guess")


def test_signing_in_never_judges_the_stored_password():
    # a password set before the policy still signs in: only its length bound applies
    assert domain.check_login_input("ann@x.io", "short") == ("ann@x.io", "short")
