"""The caller's rights on leads, applied (docs/architecture.md, "Access rights"): the
platform's :class:`~services.platform.entity_access.EntityAccess` for ``leads``, shared
through ``lead_shares``.

Object rights come from the caller's roles (``Actor.require("leads", op)``); record
rights are the read and write scopes plus the leads shared with the caller; column
rights hide fields from every answer and refuse them as filters, sorts and search
terms, and refuse read-only ones on write. Everything is decided from the actor the
call carries: no query, except to look for a share when the scope alone says no.
"""

from __future__ import annotations

from services.platform.entity_access import EntityAccess

from .models import LeadShare

ACCESS = EntityAccess("leads", "lead", LeadShare.__table__)
ENTITY = ACCESS.entity
SHARES = ACCESS.shares

is_shared = ACCESS.is_shared
may_read = ACCESS.may_read
may_change = ACCESS.may_change
shared_condition = ACCESS.shared_condition
visible = ACCESS.visible
visible_all = ACCESS.visible_all
visible_similar = ACCESS.visible_similar
visible_page = ACCESS.visible_page
check_writable = ACCESS.check_writable
check_query = ACCESS.check_query
