"""What the leads service's parts are given: the database, the name index, sales.

Each part (the lead record, the process, distribution, scoring, duplicates and
merges, imports, lookups, web forms, the merge handlers) is a class of ``@rpc``
methods on :class:`LeadsBase`, which declares the dependency providers and nothing
else; ``service.py`` puts the parts together. Every entrypoint checks its input, calls
the rules (``domain``) and the store functions, commits before it returns (Nameko
sends the reply before dependency providers see the result), and writes its event
into the outbox in the same transaction as the change.
"""

from __future__ import annotations

from nameko.rpc import RpcProxy

from services.platform.db import Database
from services.platform.name_index import NameIndexes

from .models import metadata

#: The side table of the leads' name keys, indexed in memory (the duplicate search).
NAME_KEYS = "leads.lead_name_keys"


class LeadsBase:
    """The providers every part of the leads service uses."""

    name = "leads"

    db = Database(metadata)
    #: The in-memory trigram index of the name keys (the duplicate search).
    name_indexes = NameIndexes(NAME_KEYS)
    #: Contacts, accounts and deals are made there when a lead is qualified and handed off.
    sales = RpcProxy("sales")
