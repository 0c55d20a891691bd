"""What every part of the sales service shares: the database and the record steps.

The service is one Nameko service (``sales``) composed of parts, one module each
(accounts and contacts, opportunities, activities, forecasts); each part is a
class of ``@rpc`` methods built on :class:`SalesBase`, and ``service.py`` puts them
together. Every entrypoint loads, applies the domain rules, writes its event into
the outbox in the same transaction (``self.db.emit``) and commits before it
returns, because Nameko sends the reply before dependency providers see the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.platform.access import Actor
from services.platform.db import Database
from services.platform.errors import Conflict, NotFound, PermissionDenied
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.name_index import NameIndexes

from . import domain
from .domain import Entity
from .models import Account, metadata
from .schemas import wire


@dataclass(frozen=True)
class Kind:
    """One kind of owned record: its table, its fields and how it goes on the wire."""

    model: Any
    entity: Entity
    dump: Callable[[Any], dict[str, Any]]


Check = Callable[[dict[str, Any], list[str]], None]


class SalesBase:
    """The shared steps; the ``@rpc`` methods live in the parts that inherit this."""

    name = "sales"

    db = Database(metadata)
    #: The in-memory trigram index of the name keys (the duplicate search).
    name_indexes = NameIndexes("sales.contact_name_keys")

    @staticmethod
    def _new_values(entity: Entity, changes: dict[str, Any], caller: Actor) -> dict[str, Any]:
        """A new record's values: defaults for owner, team, version and times; checked."""
        team_id = changes.pop("team_id", None)
        if team_id is not None and team_id != caller.team_id and not caller.is_admin:
            raise PermissionDenied(
                f"Only an administrator may put the {entity.name} in another team",
                [{"field": "team_id", "message": "only an administrator may set another team"}],
            )
        now = utcnow()
        values = {
            **changes,
            "id": new_id(),
            "owner_id": changes.get("owner_id", caller.id),
            "team_id": team_id or caller.team_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": caller.id,
        }
        for spec in entity.fields:
            if spec.type == "list":
                values.setdefault(spec.name, [])
        domain.check_record(entity, values)
        return values

    def _insert(self, kind: Kind, values: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Add the record, emit ``<entity>_created`` with it, commit; the record as sent."""
        record = kind.model(**values)
        self.db.add(record)
        self.db.flush()
        result = kind.dump(record)
        self.db.emit(f"{kind.entity.name}_created", result, actor=actor)
        self.db.commit()
        return result

    def _update(
        self,
        kind: Kind,
        record_id: Any,
        changes: dict[str, Any],
        caller: Actor,
        actor: dict[str, Any],
        expected_version: Any,
        check: Check | None = None,
    ) -> dict[str, Any]:
        """Apply ``changes`` under a row lock; emit ``<entity>_updated`` with ``changed_fields``.

        ``check(values, changed)`` sees the record as it would become and may raise.
        Nothing changes (and nothing is emitted) when no value really differs.
        """
        entity = kind.entity
        expected = domain.parse_expected_version(expected_version)
        record = self._load(kind, record_id, caller, for_update=True)
        caller.require_change(record.owner_id, record.team_id)
        self._check_version(entity, record, expected)
        current = kind.dump(record)
        for spec in entity.fields:
            if spec.type == "list" and spec.name in changes and changes[spec.name] is None:
                changes[spec.name] = []
        wire_changes = {name: wire(value) for name, value in changes.items()}
        changed = domain.changed_fields(entity, current, wire_changes)
        if "team_id" in changed and not caller.is_admin:
            raise PermissionDenied(
                f"Only an administrator may move the {entity.name} to another team",
                [{"field": "team_id", "message": "only an administrator may change the team"}],
            )
        values = {**current, **changes}
        domain.check_record(entity, values)
        if check is not None:
            check(values, changed)
        if not changed:
            self.db.commit()  # ends the transaction that held the row lock
            return current
        for name in changed:
            setattr(record, name, changes[name])
        record.version = record.version + 1
        record.updated_at = utcnow()
        self.db.flush()
        result = kind.dump(record)
        self.db.emit(f"{entity.name}_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return result

    def _delete(
        self,
        kind: Kind,
        record_id: Any,
        caller: Actor,
        actor: dict[str, Any],
        expected_version: Any,
        check: Callable[[Any], None] | None = None,
    ) -> None:
        """Delete under a row lock and emit ``<entity>_deleted`` with the last state."""
        expected = domain.parse_expected_version(expected_version)
        record = self._load(kind, record_id, caller, for_update=True)
        caller.require_change(record.owner_id, record.team_id)
        self._check_version(kind.entity, record, expected)
        if check is not None:
            check(record)
        last_state = kind.dump(record)
        self.db.delete(record)
        try:
            with self.db.begin_nested():
                self.db.flush()
        except IntegrityError as exc:
            # Another record still points at this one (a deal at its contact, say).
            table = getattr(getattr(exc.orig, "diag", None), "table_name", None) or "records"
            raise Conflict(
                f"Other {table.replace('_', ' ')} still point at this {kind.entity.name}",
                [{"field": f"{kind.entity.name}_id", "message": f"still used by {table}"}],
            ) from None
        self.db.emit(f"{kind.entity.name}_deleted", last_state, actor=actor)
        self.db.commit()

    def _load(self, kind: Kind, record_id: Any, caller: Actor, *, for_update: bool = False) -> Any:
        """The record the caller may read; otherwise ``NotFound`` (the same for both)."""
        name = kind.entity.name
        model = kind.model
        missing = NotFound(
            f"No such {name}", [{"field": f"{name}_id", "message": f"no such {name}"}]
        )
        # An id that is not a UUID names no record; asking PostgreSQL would only fail.
        if not domain.is_uuid(record_id):
            raise missing
        stmt = sa.select(model).where(model.id == record_id)
        if for_update:
            # Held until commit, so the version check and the change are one step.
            stmt = stmt.with_for_update()
        record = self.db.execute(stmt).scalar_one_or_none()
        # A record the caller may not read is reported exactly like a missing one.
        if record is None or not caller.can_read(record.owner_id, record.team_id):
            raise missing
        return record

    def _check_exists(self, model: Any, record_id: str | None, field: str, label: str) -> None:
        """A link must name a record that exists (whether the caller may read it or not)."""
        if record_id is None:
            return
        found = self.db.execute(
            sa.select(model.id).where(model.id == record_id)
        ).scalar_one_or_none()
        if found is None:
            raise domain.failed(field, f"no such {label}")

    def _check_account_exists(self, account_id: str | None, field: str) -> None:
        self._check_exists(Account, account_id, field, "account")

    @staticmethod
    def _check_version(entity: Entity, record: Any, expected: int | None) -> None:
        if expected is not None and expected != record.version:
            raise Conflict(
                f"The {entity.name} was changed meanwhile "
                f"(version {record.version}, not {expected})",
                [{"field": "version", "message": f"is {record.version}, not {expected}"}],
            )
