"""What the audit service's parts are given: its database, the trail."""

from __future__ import annotations

from services.platform.db import Database

from .models import metadata


class AuditBase:
    """The providers: the database (the trail)."""

    name = "audit"

    db = Database(metadata)
