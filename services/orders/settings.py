"""The orders service's settings, which administrators change at run time.

One stored row (``orders.settings``, name ``orders``) holds the values an
administrator has set, as JSON; what was never set takes its default from the
environment. Today there is one setting:

``propose_order_on_win``
    when a deal is won, draft an order from it (``services/orders/proposals.py``).
    Default ``OSPREY_PROPOSE_ORDER_ON_WIN`` (on unless ``0``/``false``/``no``/``off``).

Everybody signed in reads the settings; only administrators change them, which emits
``orders_settings_updated``.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.events import isoformat, utcnow
from services.platform.rpc import rpc
from services.platform.values import validation_failed

from . import domain
from .base import OrdersBase
from .models import Setting

ROW = "orders"
FALSE = ("0", "false", "no", "off")


def defaults() -> dict[str, Any]:
    """Each setting's value when no administrator has set it (from the environment)."""
    configured = (os.environ.get("OSPREY_PROPOSE_ORDER_ON_WIN") or "").strip().lower()
    return {"propose_order_on_win": configured not in FALSE}


#: Each setting and the check its value must pass.
SETTINGS: dict[str, type] = {"propose_order_on_win": bool}


def dump_settings(row: Setting | None) -> dict[str, Any]:
    stored = dict(row.value) if row is not None else {}
    values = {name: stored.get(name, default) for name, default in defaults().items()}
    return {
        **values,
        "version": row.version if row is not None else 0,
        "updated_at": isoformat(row.updated_at) if row is not None else None,
        "updated_by": row.updated_by if row is not None else None,
    }


class SettingsRpc(OrdersBase):
    """Read and change the orders settings."""

    def _settings(self, *, for_update: bool = False) -> Setting | None:
        stmt = sa.select(Setting).where(Setting.name == ROW)
        if for_update:
            stmt = stmt.with_for_update()
        return self.db.execute(stmt).scalar_one_or_none()

    def setting(self, name: str) -> Any:
        """One setting's value now (stored, else its default), in the open transaction."""
        return dump_settings(self._settings())[name]

    @rpc(expected_exceptions=EXPECTED)
    def get_orders_settings(self, actor: dict[str, Any]) -> dict[str, Any]:
        """The settings, with ``version`` (0 while none was ever set), ``updated_at``
        and ``updated_by``. Any signed-in caller."""
        Actor.from_dict(actor)
        result = dump_settings(self._settings())
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_orders_settings(
        self, data: dict[str, Any], actor: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """Change some settings (administrators); emit ``orders_settings_updated``.

        ``data`` is ``{propose_order_on_win: bool}``; an unknown name or a value of the
        wrong type is a ``ValidationFailed``, a stale ``expected_version`` a
        ``Conflict``, a caller who is not an administrator ``PermissionDenied``.
        """
        caller = Actor.from_dict(actor)
        caller.require_admin()
        # Version 0 is the settings as nobody has set them yet (their first ETag).
        zero = type(expected_version) is int and expected_version == 0
        expected = 0 if zero else domain.parse_expected_version(expected_version)
        if not isinstance(data, dict):
            raise validation_failed([{"field": "body", "message": "must be an object"}])
        errors = [
            {"field": name, "message": "unknown setting"} for name in data if name not in SETTINGS
        ]
        errors += [
            {"field": name, "message": "must be true or false"}
            for name, value in data.items()
            if name in SETTINGS and not isinstance(value, SETTINGS[name])
        ]
        if errors:
            raise validation_failed(errors)
        # The row is made once and then locked, so two changes do not overwrite each other.
        self.db.execute(
            pg_insert(Setting.__table__)
            .values(name=ROW, value={}, version=0, updated_at=utcnow(), updated_by=caller.id)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        row = self._settings(for_update=True)
        self._check_version("settings", row, expected)
        before = dump_settings(row)
        changed = [name for name, value in data.items() if before[name] != value]
        if not changed:
            self.db.commit()
            return before
        row.value = {**row.value, **data}
        row.version += 1
        row.updated_at = utcnow()
        row.updated_by = caller.id
        self.db.flush()
        result = dump_settings(row)
        self.db.emit("orders_settings_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return result
