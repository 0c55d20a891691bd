"""The caller's rights on the sales service's entities (docs/architecture.md, "Access
rights"): the platform's :class:`~services.platform.entity_access.EntityAccess` for
accounts, contacts, opportunities and activities.

Each names what the search box looks through for plain text, so that a hidden name or
title cannot be searched for either.
"""

from __future__ import annotations

from services.platform.entity_access import EntityAccess

ACCOUNTS = EntityAccess("accounts", "account", text_fields=("name",))
CONTACTS = EntityAccess("contacts", "contact", text_fields=("full_name",))
OPPORTUNITIES = EntityAccess("opportunities", "opportunity", text_fields=("title", "need_type"))
ACTIVITIES = EntityAccess("activities", "activity", text_fields=("title",))
