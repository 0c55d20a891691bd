"""Secrets encrypted at rest: Fernet tokens made with a list of keys so keys rotate.

``OSPREY_SECRET_KEYS`` is a comma-separated list of Fernet keys (urlsafe base64 of 32
bytes, ``python -m services.integrations.sync.crypto`` prints a new one). The first
encrypts; every key decrypts, so a new key goes first, :func:`SecretBox.rotate`
re-encrypts the stored secrets, and the old key is dropped after that.

Without keys a service still starts: storing or reading a secret then raises
:class:`SecretsUnavailable`, which says what to set. There is no built-in default key
(one committed key would decrypt every installation's passwords).
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from services.platform.errors import Unavailable

ENV = "OSPREY_SECRET_KEYS"


#: No key to encrypt or decrypt with, or none of the keys opens a stored secret. The
#: shared ``Unavailable`` itself (a 503), not a subclass: errors cross RPC by their type's
#: name, and the gateway knows only the shared ones.
SecretsUnavailable = Unavailable


def generate_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(value: str | None) -> list[str]:
    return [key.strip() for key in (value or "").split(",") if key.strip()]


class SecretBox:
    """Encrypts and decrypts short secrets (passwords, refresh tokens)."""

    def __init__(self, keys: list[str]):
        self.keys = list(keys)
        try:
            self._fernet = MultiFernet([Fernet(key) for key in self.keys]) if self.keys else None
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{ENV}: a key is not a Fernet key ({exc})") from None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SecretBox:
        return cls(parse_keys((environ if environ is not None else os.environ).get(ENV)))

    @property
    def available(self) -> bool:
        return self._fernet is not None

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise SecretsUnavailable(
                f"Passwords cannot be stored or used: {ENV} is not set on the server "
                "(see docs/integrations.md)",
                [{"field": "password", "message": "the server has no encryption key"}],
            )
        return self._fernet

    def encrypt(self, secret: str) -> bytes:
        return self._require().encrypt(secret.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._require().decrypt(bytes(token)).decode()
        except InvalidToken:
            raise SecretsUnavailable(
                f"A stored password cannot be decrypted with the keys in {ENV} "
                "(was a key removed before the secrets were rotated?)",
                [{"field": "password", "message": "enter the password again"}],
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """The same secret encrypted with the first key (``token`` may use any key)."""
        try:
            return self._require().rotate(bytes(token))
        except InvalidToken:
            raise SecretsUnavailable(
                f"A stored secret opens with none of the keys in {ENV}"
            ) from None


if __name__ == "__main__":
    print(generate_key())
