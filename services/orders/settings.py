"""The orders service's settings, which administrators change at run time.

One stored row (``orders.settings``, name ``orders``) holds the values an
administrator has set, as JSON; what was never set takes its default from the
environment. The settings:

``propose_order_on_win``
    when a deal is won, draft an order from it (``services/orders/proposals.py``).
    Default ``OSPREY_PROPOSE_ORDER_ON_WIN`` (on unless ``0``/``false``/``no``/``off``).
``company_name``, ``company_address``, ``company_tax_id``, ``company_email``,
``company_phone``, ``company_bank``
    our company as every invoice PDF prints it (address and bank details one line per
    line); an empty one falls back to ``OSPREY_COMPANY_*``.

Everybody signed in reads the settings; only administrators change them, which emits
``orders_settings_updated``.
"""

from __future__ import annotations

import os
from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.events import isoformat, utcnow
from services.platform.records import check_version
from services.platform.rpc import rpc

from . import domain, store
from .base import OrdersBase
from .models import Setting


def defaults() -> dict[str, Any]:
    """Each setting's value when no administrator has set it (from the environment)."""
    return domain.setting_defaults(os.environ.get("OSPREY_PROPOSE_ORDER_ON_WIN"), os.environ)


def dump_settings(row: Setting | None) -> dict[str, Any]:
    stored = dict(row.value) if row is not None else {}
    values = {name: stored.get(name, default) for name, default in defaults().items()}
    return {
        **values,
        "version": row.version if row is not None else 0,
        "updated_at": isoformat(row.updated_at) if row is not None else None,
        "updated_by": row.updated_by if row is not None else None,
    }


def company_settings(db: Any) -> dict[str, str]:
    """Our company as the invoices print it: what an administrator set in
    Administration, else the environment's ``OSPREY_COMPANY_*``, field by field."""
    values = dump_settings(store.settings_row(db))
    env = defaults()
    return {name: values[name] or env[name] for name in domain.COMPANY_SETTINGS}


def setting(db: Any, name: str) -> Any:
    """One setting's value now (stored, else its default), in the open transaction."""
    return dump_settings(store.settings_row(db))[name]


class SettingsRpc(OrdersBase):
    """Read and change the orders settings."""

    @rpc(expected_exceptions=EXPECTED)
    def get_orders_settings(self, actor: dict[str, Any]) -> dict[str, Any]:
        """The settings, with ``version`` (0 while none was ever set), ``updated_at``
        and ``updated_by``. Any signed-in caller."""
        Actor.from_dict(actor)
        result = dump_settings(store.settings_row(self.db))
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
        expected = domain.settings_version(expected_version)
        data = domain.clean_settings(data)
        row = store.lock_settings_row(self.db, caller.id)
        check_version("settings", row.version, expected)
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
