"""What the sales service's parts are given: the database and the name index.

Each part (accounts, contacts, merges, opportunities, stages, tactics, the pipeline,
activities, forecasts) is a class of ``@rpc`` methods on :class:`SalesBase`, which
declares the dependency providers and nothing else; ``service.py`` puts the parts
together. Every entrypoint checks its input, calls the rules and the store, commits
before it returns (Nameko sends the reply before dependency providers see the result),
and writes its event into the outbox in the same transaction as the change.
"""

from __future__ import annotations

from services.platform.db import Database
from services.platform.name_index import NameIndexes

from .models import metadata


class SalesBase:
    """The providers every part of the sales service uses."""

    name = "sales"

    db = Database(metadata)
    #: The in-memory trigram index of the name keys (the duplicate search).
    name_indexes = NameIndexes("sales.contact_name_keys")
