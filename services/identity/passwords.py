"""Password hashing of the identity service: argon2id (the RFC 9106 low-memory
profile), or the test suite's cheap profile when it asks for it."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Set (to 1) by the test suite alone: argon2id at 1 MiB and one pass, some hundred
#: times cheaper than the real profile, for the thousands of users and logins the tests
#: make. Never in a deployment — identity warns at start when it is set — and a login
#: with the real profile rehashes such a password (``needs_rehash``).
FAST_HASHING_VARIABLE = "OSPREY_INSECURE_FAST_PASSWORD_HASHING"


def fast_hashing() -> bool:
    return os.environ.get(FAST_HASHING_VARIABLE, "") in ("1", "true", "yes")


@lru_cache(maxsize=1)
def password_hasher() -> PasswordHasher:
    if fast_hashing():
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # argon2id with the RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> tuple[bool, bool]:
    """``(matches, needs_rehash)``. With no hash (unknown email) a dummy hash is
    verified anyway, so a failed login takes as long whichever part was wrong."""
    hasher = password_hasher()
    try:
        hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False, False
    if password_hash is None:
        return False, False
    return True, hasher.check_needs_rehash(password_hash)
