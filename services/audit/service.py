"""The audit service: every create, change and delete of the suite's records, who made
it, when, from where, and each field's old and new value.

One Nameko service (``audit``) made of parts on :class:`services.audit.dependencies.
AuditBase` (docs/architecture.md). Like analytics it keeps what the owning services'
events carry and never reads their tables.
"""

from __future__ import annotations

from .entries import EntriesRpc
from .handlers import HandlersMixin
from .imports import ImportsHandlers


class AuditService(HandlersMixin, ImportsHandlers, EntriesRpc):
    """Every ``@rpc`` method and event handler of the parts, on one service."""

    name = "audit"
