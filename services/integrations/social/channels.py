"""Social channels an administrator configures (Administration → Social channels): a
thin RPC part of SocialService. Secrets are write-only and encrypted at rest; the
answer names which are set (``secrets_set``), never their values."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import domain, store
from .dependencies import SocialBase

#: every kind's settings also carry the lead source its leads get
COMMON_SETTINGS = ("source",)
PLAIN_FIELDS = ("name", "is_active", "owner_id", "team_id")


def require_admin(actor: dict[str, Any]) -> Actor:
    caller = Actor.from_dict(actor)
    if not caller.is_admin:
        raise PermissionDenied("Only administrators manage social channels")
    return caller


def split(kind: str, data: dict[str, Any]) -> tuple[dict, dict, dict]:
    """``(plain fields, settings, secrets)`` of a channel's input; unknown fields are a
    ``ValidationFailed``."""
    settings_names = domain.SETTINGS.get(kind, ()) + COMMON_SETTINGS
    secret_names = domain.SECRETS.get(kind, ())
    plain, settings, secrets, unknown = {}, {}, {}, []
    for name, value in data.items():
        if name in PLAIN_FIELDS:
            plain[name] = value
        elif name in settings_names:
            settings[name] = value
        elif name in secret_names:
            secrets[name] = value
        elif name != "kind":
            unknown.append({"field": name, "message": f"not a field of a {kind} channel"})
    if unknown:
        raise ValidationFailed("Unknown fields", unknown)
    name = plain.get("name")
    if "name" in plain and (not isinstance(name, str) or not name.strip() or len(name) > 300):
        raise ValidationFailed("Bad name", [{"field": "name", "message": "1-300 characters"}])
    if "is_active" in plain and not isinstance(plain["is_active"], bool):
        raise ValidationFailed("Bad flag", [{"field": "is_active", "message": "true or false"}])
    for field in ("owner_id", "team_id"):
        value = plain.get(field)
        if value is not None and not (isinstance(value, str) and store.UUID_TEXT.match(value)):
            raise ValidationFailed("Bad id", [{"field": field, "message": "a user's id"}])
    return plain, settings, secrets


class ChannelsRpc(SocialBase):
    def _secrets(self, row: Any) -> dict[str, str]:
        if row.secret is None:
            return {}
        return json.loads(self.secrets.decrypt(row.secret))

    def _dump(self, row: Any) -> dict[str, Any]:
        names = list(self._secrets(row)) if self.secrets.available else []
        return store.dump_channel(row, names)

    @rpc(expected_exceptions=EXPECTED)
    def list_social_channels(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Every social channel with its health (administrators only: ``PermissionDenied``)."""
        require_admin(actor)
        items = [self._dump(row) for row in store.list_channels(self.db)]
        return {"items": items, "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def get_social_channel(self, channel_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """One channel (``NotFound``, ``PermissionDenied``)."""
        require_admin(actor)
        return self._dump(store.channel_row(self.db, channel_id))

    @rpc(expected_exceptions=EXPECTED)
    def create_social_channel(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """A new channel: ``{kind ∈ facebook, telegram, vk; name; is_active; owner_id;
        team_id; source}`` plus the kind's settings and secrets (facebook: ``page_id,
        graph_url``; ``app_secret, verify_token, page_access_token`` — telegram:
        ``bot_username, language``; ``secret_token`` — vk: ``group_id, confirmation``;
        ``secret``). Raises ``ValidationFailed`` (bad or missing fields),
        ``PermissionDenied``, ``Unavailable`` (no encryption key on the server)."""
        caller = require_admin(actor)
        data = data if isinstance(data, dict) else {}
        kind = data.get("kind")
        if kind not in domain.KINDS:
            raise ValidationFailed(
                "Unknown kind", [{"field": "kind", "message": "one of " + ", ".join(domain.KINDS)}]
            )
        plain, settings, secrets = split(kind, data)
        if not plain.get("name"):
            raise ValidationFailed("A name is needed", [{"field": "name", "message": "required"}])
        domain.check_channel(kind, settings, secrets, creating=True)
        row = store.insert_channel(
            self.db,
            {
                "id": new_id(),
                "kind": kind,
                "name": plain["name"].strip(),
                "owner_id": plain.get("owner_id"),
                "team_id": plain.get("team_id"),
                "is_shared": True,
                "state": "active" if plain.get("is_active", True) else "paused",
                "settings": {k: v for k, v in settings.items() if v not in (None, "")},
                "secret": self.secrets.encrypt(json.dumps(secrets)),
                "created_by": caller.id,
            },
        )
        self.db.commit()
        return self._dump(row)

    @rpc(expected_exceptions=EXPECTED)
    def update_social_channel(
        self,
        channel_id: str,
        changes: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change a channel's name, state, owner, settings or secrets (a secret sent
        replaces the stored one; one not sent is kept). ``Conflict`` on a stale
        ``expected_version``; as for create otherwise."""
        require_admin(actor)
        expected = parse_expected_version(expected_version)
        row = store.channel_row(self.db, channel_id, lock=True)
        check_version("channel", row.version, expected)
        plain, settings, secrets = split(row.kind, changes if isinstance(changes, dict) else {})
        domain.check_channel(row.kind, settings, secrets, creating=False)
        values: dict[str, Any] = {}
        if "name" in plain:
            values["name"] = plain["name"].strip()
        if "is_active" in plain:
            values["state"] = "active" if plain["is_active"] else "paused"
        for field in ("owner_id", "team_id"):
            if field in plain:
                values[field] = plain[field]
        if settings:
            merged = {**dict(row.settings or {}), **settings}
            values["settings"] = {k: v for k, v in merged.items() if v not in (None, "")}
        if secrets:
            values["secret"] = self.secrets.encrypt(json.dumps({**self._secrets(row), **secrets}))
        if values:
            row = store.update_channel(self.db, channel_id, values)
        self.db.commit()
        return self._dump(row)

    @rpc(expected_exceptions=EXPECTED)
    def delete_social_channel(
        self, channel_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a channel and its log (the leads it made stay)."""
        require_admin(actor)
        expected = parse_expected_version(expected_version)
        row = store.channel_row(self.db, channel_id, lock=True)
        check_version("channel", row.version, expected)
        store.delete_channel(self.db, channel_id)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def list_social_channel_log(
        self,
        channel_id: str,
        actor: dict[str, Any],
        limit: int = 50,
        before: str | None = None,
    ) -> dict[str, Any]:
        """The channel's requests, newest first: accepted, redelivered, refused (unsigned,
        forged, replayed) and failed ones, each with its reason."""
        require_admin(actor)
        store.channel_row(self.db, channel_id)
        limit = max(1, min(500, int(limit or 50)))
        cursor = None
        if before:
            try:
                cursor = datetime.fromisoformat(before.replace("Z", "+00:00"))
            except ValueError:
                raise ValidationFailed(
                    "Bad cursor", [{"field": "cursor", "message": "not a cursor"}]
                ) from None
        rows = store.channel_log(self.db, channel_id, limit, cursor)
        items = [store.dump_log(row) for row in rows]
        next_cursor = items[-1]["received_at"] if len(items) == limit else None
        return {"items": items, "next_cursor": next_cursor}
