"""The caller's rights on the sales service's entities (docs/architecture.md, "Access
rights"): the platform's :class:`~services.platform.entity_access.EntityAccess` for
accounts, contacts, opportunities and activities.

Each names what the search box looks through for plain text, so that a hidden name or
title cannot be searched for either, and its table of record shares.
"""

from __future__ import annotations

from services.platform.entity_access import EntityAccess

from . import models

ACCOUNTS = EntityAccess("accounts", "account", models.account_shares, text_fields=("name",))
CONTACTS = EntityAccess("contacts", "contact", models.contact_shares, text_fields=("full_name",))
OPPORTUNITIES = EntityAccess(
    "opportunities", "opportunity", models.opportunity_shares, text_fields=("title", "need_type")
)
ACTIVITIES = EntityAccess("activities", "activity", models.activity_shares, text_fields=("title",))
#: the shared entities by the name a share's RPCs take
SHARED = {rights.entity: rights for rights in (ACCOUNTS, CONTACTS, OPPORTUNITIES, ACTIVITIES)}
