"""What every part of the orders service shares: the database, loading, numbering.

The service is one Nameko service (``orders``) composed of parts, one module each
(the catalogue of products and price lists, orders, invoices); each part is a class
of ``@rpc`` methods built on :class:`OrdersBase`, and ``service.py`` puts them
together. Every entrypoint loads, applies the domain rules, writes its event into
the outbox in the same transaction (``self.db.emit``) and commits before it
returns, because Nameko sends the reply before dependency providers see the result.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor
from services.platform.db import Database
from services.platform.errors import Conflict, NotFound, PermissionDenied

from . import domain
from .models import NumberCounter, metadata


class OrdersBase:
    """The shared steps; the ``@rpc`` methods live in the parts that inherit this."""

    name = "orders"

    db = Database(metadata)

    def _load(
        self,
        model: Any,
        entity: str,
        record_id: Any,
        caller: Actor,
        *,
        for_update: bool = False,
        owned: bool = True,
    ) -> Any:
        """The record the caller may read; otherwise ``NotFound`` (the same for both).

        Owned records (orders, invoices) follow the owner/team rights; the catalogue
        (products, price lists) is read by everybody signed in.
        """
        missing = NotFound(
            f"No such {entity.replace('_', ' ')}",
            [{"field": f"{entity}_id", "message": f"no such {entity.replace('_', ' ')}"}],
        )
        # An id that is not a UUID names no record; asking PostgreSQL would only fail.
        if not domain.is_uuid(record_id):
            raise missing
        stmt = sa.select(model).where(model.id == record_id)
        if for_update:
            # Held until commit, so the version check and the change are one step.
            stmt = stmt.with_for_update()
        record = self.db.execute(stmt).scalar_one_or_none()
        if record is None:
            raise missing
        # A record the caller may not read is reported exactly like a missing one.
        if owned and not caller.can_read(record.owner_id, record.team_id):
            raise missing
        return record

    def _load_for_change(
        self, model: Any, entity: str, record_id: Any, caller: Actor, expected_version: Any
    ) -> Any:
        """An owned record under a row lock, once the caller may change it and the version holds."""
        expected = domain.parse_expected_version(expected_version)
        record = self._load(model, entity, record_id, caller, for_update=True)
        caller.require_change(record.owner_id, record.team_id)
        self._check_version(entity, record, expected)
        return record

    @staticmethod
    def _check_version(entity: str, record: Any, expected: int | None) -> None:
        if expected is not None and expected != record.version:
            raise Conflict(
                f"The {entity.replace('_', ' ')} was changed meanwhile "
                f"(version {record.version}, not {expected})",
                [{"field": "version", "message": f"is {record.version}, not {expected}"}],
            )

    @staticmethod
    def _require_catalogue_manager(caller: Actor) -> None:
        """Products and price lists are changed by sales managers and administrators."""
        if not caller.is_manager:
            raise PermissionDenied("Only a sales manager or an administrator may change this")

    @staticmethod
    def _owner_and_team(
        changes: dict[str, Any], caller: Actor, entity: str
    ) -> tuple[str | None, str | None]:
        """A new record's owner (default the caller) and team (default the caller's)."""
        team_id = changes.pop("team_id", None)
        if team_id is not None and team_id != caller.team_id and not caller.is_admin:
            raise PermissionDenied(
                f"Only an administrator may put the {entity} in another team",
                [{"field": "team_id", "message": "only an administrator may set another team"}],
            )
        owner_id = changes.pop("owner_id", caller.id)
        return owner_id, team_id or caller.team_id

    def _next_number(self, kind: str, year: int) -> int:
        """The next number of ``kind`` in ``year``, gap-free.

        The year's counter row is locked (``SELECT … FOR UPDATE``) until the caller's
        transaction ends: creates of the same kind and year queue behind each other,
        and a create that rolls back rolls the counter back with it, so no number is
        ever skipped or given twice.
        """
        table = NumberCounter.__table__
        self.db.execute(
            pg_insert(table)
            .values(kind=kind, year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["kind", "year"])
        )
        row = (table.c.kind == kind) & (table.c.year == year)
        last = self.db.execute(
            sa.select(table.c.last_number).where(row).with_for_update()
        ).scalar_one()
        number = last + 1
        self.db.execute(sa.update(table).where(row).values(last_number=number))
        return number
