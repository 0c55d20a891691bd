"""The rules of merging two accounts or two contacts: which values the kept record takes.

The kept record keeps its values; its empty fields take the merged record's; lists
(emails, phones, addresses) are united without repeats and keep at most one primary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.platform.errors import Conflict
from services.platform.fields import Entity

from .records import MAX_LIST_ITEMS

#: The parts of an address that make two addresses the same one.
ADDRESS_KEY = ("kind", "street", "city", "region", "postcode", "country")


def is_empty(value: Any) -> bool:
    """Nothing in it: None, an empty text or an empty list."""
    return value is None or value == "" or value == []


def filled(entity: Entity, kept: Any, merged: Any) -> dict[str, Any]:
    """The kept record's empty scalar fields, filled from the merged record."""
    return {
        spec.name: getattr(merged, spec.name)
        for spec in entity.fields
        if not spec.read_only
        and spec.type != "list"
        and is_empty(getattr(kept, spec.name))
        and not is_empty(getattr(merged, spec.name))
    }


def unite(mine: list[dict], theirs: list[dict], key: Callable[[Any], Any]) -> list[dict]:
    """``mine`` then those of ``theirs`` not in it (by ``key``); at most one primary."""
    united = [dict(item) for item in mine]
    by_key = {key(item): item for item in united}
    has_primary = any(item.get("is_primary") for item in united)
    for item in theirs:
        twin = by_key.get(key(item))
        if twin is not None:
            if item.get("is_primary") and not has_primary:
                twin["is_primary"] = has_primary = True
            continue
        item = dict(item)
        if item.get("is_primary"):
            if has_primary:
                item["is_primary"] = False
            has_primary = True
        united.append(item)
        by_key[key(item)] = item
    return united


def address_key(address: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two addresses the same one."""
    return tuple(address.get(part) for part in ADDRESS_KEY)


def check_list_size(entity: Entity, name: str, items: list[dict]) -> None:
    """``Conflict`` when a united list would hold more than a record may."""
    if len(items) > MAX_LIST_ITEMS:
        message = f"together they have {len(items)}, more than {MAX_LIST_ITEMS}; remove some first"
        raise Conflict(
            f"The {entity.name}s cannot be merged: {name}: {message}",
            [{"field": name, "message": message}],
        )
