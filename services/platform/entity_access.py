"""The caller's rights on one entity, applied: once for every service that owns records
(docs/architecture.md, "Access rights").

An :class:`EntityAccess` names the entity whose rights apply (``leads``, ``accounts``,
``orders``...), its table of record shares (or None: the entity is not shared record by
record) and what one record is called in messages. Object rights come from the caller's
roles (``Actor.require(entity, op)``); record rights are the read and write scopes plus
the records shared with the caller; column rights hide fields from every answer and
refuse them as filters, sorts and search terms, and refuse read-only ones on write.
Everything is decided from the actor the call carries: no query, except to look for a
share when the scope alone says no.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from . import records
from .access import Actor
from .errors import ValidationFailed
from .list_filters import readable_by
from .list_search import parse_amount
from .listing import fetch_page
from .similar import Allowed, shared_with
from .values import is_uuid, parse_expected_version

#: the fields the search box looks through when given an email or a phone number
_EMAILS, _PHONES = frozenset({"email", "emails"}), frozenset({"phone", "phones"})
#: the list query's key that says what the page is for
PURPOSE = "purpose"


def _refuse(errors: list[dict[str, str]]) -> None:
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


@dataclass(frozen=True)
class EntityAccess:
    """The rights on ``entity`` (a rights map's key), whose records are called ``what``
    in messages and shared through ``shares`` (a table with ``record_id``, ``user_id``,
    ``team_id``, ``access``; None: no record sharing)."""

    entity: str
    what: str
    shares: Any = None
    #: the fields the search box looks through for any other text (a name's start...)
    text_fields: tuple[str, ...] = ()
    #: the fields it looks through for text that reads as an amount (an order's total)
    amount_fields: tuple[str, ...] = ()

    # --- records --------------------------------------------------------------------------

    def is_shared(self, db: Any, caller: Actor, record_id: Any, *, edit: bool = False) -> bool:
        """Whether the record is shared with the caller or the caller's team (``edit``:
        for editing)."""
        if self.shares is None or not is_uuid(record_id):
            return False
        return bool(db.scalar(sa.select(shared_with(caller, self.shares, record_id, edit=edit))))

    def may_read(self, db: Any, caller: Actor, record: Any) -> bool:
        """Whether the caller reads the record: by its read scope, or shared with them."""
        if caller.can_read(record.owner_id, record.team_id, self.entity):
            return True
        return self.is_shared(db, caller, record.id)

    def may_change(self, db: Any, caller: Actor, record: Any) -> bool:
        """Whether the caller changes the record: by its write scope, or shared for editing."""
        if caller.can_change(record.owner_id, record.team_id, self.entity):
            return True
        return self.is_shared(db, caller, record.id, edit=True)

    def require_change(self, db: Any, caller: Actor, record: Any, *, shared: bool = True) -> None:
        """``PermissionDenied`` unless the record's write scope lets the caller change it
        (or, with ``shared``, it is shared with them for editing)."""
        if caller.can_change(record.owner_id, record.team_id, self.entity):
            return
        if shared and self.is_shared(db, caller, record.id, edit=True):
            return
        caller.require_change(record.owner_id, record.team_id, self.entity)

    def shared_condition(self, caller: Actor, record_id: Any) -> Any:
        """The SQL "shared with the caller", for lists (None when the scope reads all or
        the entity is not shared record by record): ``record_id IN (the ids shared with
        the caller or their team)``, a subquery that does not depend on the row, so
        PostgreSQL reads the caller's few shares once per list (a hashed subplan)
        instead of probing the shares for every row the page scans."""
        if self.shares is None or caller.read_scope(self.entity) == "all":
            return None
        me = caller.id if is_uuid(caller.id) else None
        team = caller.team_id if is_uuid(caller.team_id) else None
        who = [self.shares.c.user_id == me] if me else []
        if team:
            who.append(self.shares.c.team_id == team)
        if not who:
            return None
        return record_id.in_(sa.select(self.shares.c.record_id).where(sa.or_(*who)))

    def readable(self, caller: Actor, record_id: Any, owner: Any, team: Any) -> Any:
        """The SQL "the caller reads this record" over a table's columns: its read scope
        and the records shared with the caller."""
        return readable_by(
            caller,
            owner,
            team,
            caller.read_scope(self.entity),
            self.shared_condition(caller, record_id),
        )

    def allowed(self, caller: Actor, model: Any, exclude_id: str | None = None) -> Allowed:
        """Which records of ``model`` a look-alike search may return."""
        return Allowed(
            caller,
            model.id,
            model.owner_id,
            model.team_id,
            exclude_id,
            entity=self.entity,
            shares=self.shares,
        )

    def load(
        self,
        db: Any,
        model: Any,
        record_id: Any,
        caller: Actor,
        *,
        for_update: bool = False,
        field: str | None = None,
    ) -> Any:
        """The record the caller may read (their roles read the entity, and its record
        scope or a share lets them); otherwise ``NotFound`` (the same for both).
        ``for_update`` holds its row lock until commit."""
        caller.require(self.entity, "read")
        record = records.load_record(
            db, model, record_id, self.what, for_update=for_update, field=field
        )
        if not self.may_read(db, caller, record):
            raise records.not_found(self.what, field)
        return record

    def load_for_change(
        self,
        db: Any,
        model: Any,
        record_id: Any,
        caller: Actor,
        expected_version: Any,
        *,
        op: str = "update",
        field: str | None = None,
    ) -> Any:
        """The record under a row lock, once the caller may change it and the version
        they expect (``If-Match``) is the stored one. ``op``: the object right it takes
        (``update``, or ``delete``, which a share for editing does not give)."""
        caller.require(self.entity, op)
        expected = parse_expected_version(expected_version)
        record = self.load(db, model, record_id, caller, for_update=True, field=field)
        self.require_change(db, caller, record, shared=op != "delete")
        records.check_version(self.what, record.version, expected)
        return record

    def take_purpose(self, caller: Actor, query: Any) -> Any:
        """The list query without its ``purpose``; ``purpose: "export"`` (the export of
        a list) takes the export right. A list takes the read right either way."""
        caller.require(self.entity, "read")
        if isinstance(query, Mapping) and PURPOSE in query:
            query = dict(query)
            if query.pop(PURPOSE) == "export":
                caller.require(self.entity, "export")
        return query

    def list_page(
        self,
        db: Any,
        caller: Actor,
        model: Any,
        spec: Any,
        query: Any,
        dump: Callable[[Any], dict[str, Any]],
    ) -> dict[str, Any]:
        """A page of the records of ``model`` (with ``id``, ``owner_id``, ``team_id``)
        the caller may read, by ``spec`` (a ``ListSpec``): the read right and scope and
        the shares; filters, sorts and search text on hidden fields refused; the items
        without hidden fields; ``purpose: "export"`` takes the export right."""
        query = self.take_purpose(caller, query)
        self.check_query(caller, query)
        readable = self.readable(caller, model.id, model.owner_id, model.team_id)
        page = fetch_page(db, sa.select(model).where(readable), spec, query, dump, caller)
        return self.visible_page(caller, page)

    # --- columns ----------------------------------------------------------------------------

    def visible(self, caller: Actor, record: dict[str, Any]) -> dict[str, Any]:
        """The record without the fields hidden from the caller."""
        hidden = caller.hidden(self.entity)
        if not hidden:
            return record
        return {name: value for name, value in record.items() if name not in hidden}

    def visible_all(self, caller: Actor, found: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.visible(caller, record) for record in found]

    def visible_similar(
        self, caller: Actor, found: Iterable[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Look-alikes ``[{record, score, reasons}]`` without hidden fields; a reason that
        names a hidden field (email, phone) is kept, as it says only that they match."""
        if not caller.hidden(self.entity):
            return list(found)
        return [{**item, "record": self.visible(caller, item["record"])} for item in found]

    def visible_page(self, caller: Actor, page: dict[str, Any]) -> dict[str, Any]:
        if not caller.hidden(self.entity):
            return page
        return {**page, "items": self.visible_all(caller, page["items"])}

    def check_writable(self, caller: Actor, data: Any) -> None:
        """``ValidationFailed`` (422) naming each field of ``data`` the caller may not
        write: hidden from them or read-only for them."""
        if not isinstance(data, Mapping):
            return
        hidden, read_only = caller.hidden(self.entity), caller.read_only(self.entity)
        if not (hidden or read_only):
            return
        _refuse(
            [
                {"field": str(name), "message": "is read-only for your role"}
                for name in data
                if name in read_only or name in hidden
            ]
        )

    def check_query(self, caller: Actor, query: Any) -> None:
        """``ValidationFailed`` naming each filter, the sort or the search text that would
        look through a field hidden from the caller (what cannot be seen cannot be asked
        about either)."""
        hidden = caller.hidden(self.entity)
        if not hidden or not isinstance(query, Mapping):
            return
        errors = []
        filters = query.get("filter")
        if isinstance(filters, Mapping):
            errors += [
                {"field": f"filter[{name}]", "message": "is hidden for your role"}
                for name in filters
                if name in hidden
            ]
        sort = query.get("sort")
        if isinstance(sort, str) and sort.lstrip("-") in hidden:
            errors.append(
                {"field": "sort", "message": f"{sort.lstrip('-')} is hidden for your role"}
            )
        q = query.get("q")
        if isinstance(q, str) and q.strip():
            errors += self._search_errors(hidden, q.strip())
        _refuse(errors)

    def _search_errors(self, hidden: frozenset[str], text: str) -> list[dict[str, str]]:
        """The search box's text refused when it would look through a hidden field."""
        if "@" in text:
            looked_through = _EMAILS
        elif sum(c.isdigit() for c in text) >= 7:
            looked_through = _PHONES
        else:
            looked_through = frozenset(self.text_fields)
        if self.amount_fields and parse_amount(text) is not None:
            looked_through |= frozenset(self.amount_fields)
        return [
            {"field": "q", "message": f"{name} is hidden for your role"}
            for name in sorted(looked_through & hidden)
        ]
