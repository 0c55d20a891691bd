"""An order proposed for a won deal: sales' ``opportunity_won`` drafts one.

The event carries the deal (``docs/events.md``: account, contact, currency, owner,
team and its product ``lines``), so the order is made from the event's data without
calling sales back, the same way ``create_order_from_opportunity`` makes one: a
``draft`` linked by ``opportunity_id``, announced by ``order_placed`` with
``proposed: true`` and ``source: "opportunity_won"``. It is the deal owner's order;
the history names whoever won the deal.

A deal gets one order. A redelivered event is skipped (``@idempotent``), and a deal
that already has an order that is not cancelled (made by hand before it was won, or
proposed when it was won before) gets no other. A deal without a currency or with a
product the catalogue does not have gets none either (logged); a draft would only be
wrong. Whether orders are proposed at all is the ``propose_order_on_win`` setting
(``services/orders/settings.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from nameko.events import event_handler

from services.platform.access import Actor
from services.platform.errors import Conflict, ValidationFailed
from services.platform.idempotency import claim_event, idempotent

from . import domain
from .base import OrdersBase
from .orders import draft_from_deal
from .settings import setting

log = logging.getLogger(__name__)

SOURCE = "opportunity_won"


class ProposalsHandlers(OrdersBase):
    """Drafts an order for each won deal, when the setting says so."""

    @event_handler("sales", "opportunity_won")
    @idempotent
    def handle_opportunity_won(self, event: dict[str, Any]) -> None:
        """Draft the won deal's order (one per deal); commit with the event's claim."""
        deal = event.get("data") or {}
        if not domain.is_uuid(deal.get("id")) or not setting(self.db, "propose_order_on_win"):
            self.db.commit()  # the claim: this event is done with
            return
        by = event.get("actor") or {}
        who = by.get("id") if domain.is_uuid(by.get("id")) else deal.get("owner_id")
        caller = Actor(id=who, email=by.get("email") or "") if who else Actor.system("orders")
        actor = {"id": caller.id, "email": caller.email}
        try:
            draft_from_deal(
                self.db, deal, caller, actor, announce={"proposed": True, "source": SOURCE}
            )
            self.db.commit()
        except (Conflict, ValidationFailed) as exc:
            # Nothing to propose; remember the event so a redelivery is skipped too.
            log.info("No order proposed for won opportunity %s: %s", deal["id"], exc)
            self.db.rollback()
            claim_event(self.db, event["id"], HANDLER)
            self.db.commit()


#: The name ``@idempotent`` claims the event under (module and qualified name).
HANDLER = f"{__name__}.{ProposalsHandlers.handle_opportunity_won.__qualname__}"
