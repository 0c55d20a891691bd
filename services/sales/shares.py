"""Record sharing of accounts, contacts, opportunities and activities: a part of the sales
service (the platform's :class:`~services.platform.record_shares.RecordSharesRpc`).

Whoever changes a record by the scope of their roles shares it with a user or a team
for reading or editing and takes the share back; reads, lists, the search box, the
board and look-alike searches honour the shares (:mod:`.access`).
"""

from __future__ import annotations

from services.platform.record_shares import RecordSharesRpc

from . import access
from .dependencies import SalesBase
from .models import Account, Activity, Contact, Opportunity


class SharesRpc(SalesBase, RecordSharesRpc):
    """``list_record_shares``, ``share_record``, ``unshare_record`` of sales' records."""

    shared_records = {
        "accounts": (Account, access.ACCOUNTS),
        "contacts": (Contact, access.CONTACTS),
        "opportunities": (Opportunity, access.OPPORTUNITIES),
        "activities": (Activity, access.ACTIVITIES),
    }
