"""The sync library's pure parts: secrets that rotate, back-off."""

from __future__ import annotations

import random

import pytest
from cryptography.fernet import Fernet

from services.integrations.sync.backoff import retry_delay
from services.integrations.sync.crypto import SecretBox, SecretsUnavailable, parse_keys


def test_a_secret_round_trips_and_is_not_stored_in_clear() -> None:
    box = SecretBox([Fernet.generate_key().decode()])
    token = box.encrypt("hunter2-password")
    assert b"hunter2" not in token
    assert box.decrypt(token) == "hunter2-password"


def test_keys_rotate_first_encrypts_every_key_decrypts() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = SecretBox([old]).encrypt("pw")
    both = SecretBox([new, old])
    assert both.decrypt(token) == "pw"
    rotated = both.rotate(token)
    assert SecretBox([new]).decrypt(rotated) == "pw"
    with pytest.raises(SecretsUnavailable):
        SecretBox([new]).decrypt(token)


def test_without_keys_nothing_is_stored_and_the_error_says_what_to_set() -> None:
    box = SecretBox.from_env({})
    assert box.available is False
    with pytest.raises(SecretsUnavailable) as caught:
        box.encrypt("pw")
    assert "OSPREY_SECRET_KEYS" in caught.value.message


def test_a_bad_key_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="OSPREY_SECRET_KEYS"):
        SecretBox(["not-a-key"])


def test_keys_from_the_environment_are_comma_separated() -> None:
    assert parse_keys(" a , b,,c ") == ["a", "b", "c"]
    assert parse_keys(None) == []


def test_back_off_doubles_to_its_cap() -> None:
    assert retry_delay(0) == 0.0
    assert [retry_delay(n, jitter=0) for n in (1, 2, 3, 4)] == [30.0, 60.0, 120.0, 240.0]
    assert retry_delay(7, jitter=0) == 1920.0
    assert retry_delay(8, jitter=0) == 3600.0
    assert retry_delay(100, jitter=0) == 3600.0


def test_back_off_jitter_stays_within_its_spread_and_under_the_cap() -> None:
    rand = random.Random(7)
    delays = [retry_delay(2, rand=rand) for _ in range(200)]
    assert min(delays) >= 48.0 and max(delays) <= 72.0
    assert len(set(delays)) > 100
    assert max(retry_delay(12, rand=rand) for _ in range(100)) <= 3600.0
