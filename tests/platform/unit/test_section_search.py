"""search_sections: the global search's one call to a service answers each asked section
by its list's first records found for the text, without totals; a refused section does not stop the
others; an unknown section or a limit out of range is refused before any list runs."""

from __future__ import annotations

from typing import Any

import pytest

from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.section_search import MAX_SECTION_LIMIT, search_sections


def recording(asked: list[tuple[str, dict[str, Any]]], name: str, found: int):
    def page(query: dict[str, Any]) -> dict[str, Any]:
        asked.append((name, query))
        items = [{"id": f"{name}-{n}"} for n in range(min(found, query["limit"]))]
        return {"items": items, "next_cursor": None, "more": found > query["limit"]}

    return page


def test_each_section_by_its_list_without_the_total() -> None:
    asked: list[tuple[str, dict[str, Any]]] = []
    lists = {
        "contacts": recording(asked, "contacts", 7),
        "accounts": recording(asked, "accounts", 1),
    }
    found = search_sections(lists, ["accounts", "contacts", "accounts"], "acme", 5)
    assert asked == [
        ("accounts", {"q": "acme", "limit": 5, "first_found": True}),
        ("contacts", {"q": "acme", "limit": 5, "first_found": True}),
    ]
    assert found == {
        "accounts": {"items": [{"id": "accounts-0"}], "more": False},
        "contacts": {"items": [{"id": f"contacts-{n}"} for n in range(5)], "more": True},
    }


def test_a_refused_section_is_named_and_the_others_answer() -> None:
    def refuse(query: dict[str, Any]) -> dict[str, Any]:
        raise PermissionDenied("you may not read deals")

    asked: list[tuple[str, dict[str, Any]]] = []
    found = search_sections(
        {"opportunities": refuse, "contacts": recording(asked, "contacts", 2)},
        ["opportunities", "contacts"],
        "acme",
        3,
    )
    assert found["opportunities"] == {"refused": "you may not read deals"}
    assert [item["id"] for item in found["contacts"]["items"]] == ["contacts-0", "contacts-1"]


@pytest.mark.parametrize(
    ("sections", "limit", "field"),
    [
        (["contacts", "orders"], 5, "sections"),
        (["contacts"], 0, "limit"),
        (["contacts"], MAX_SECTION_LIMIT + 1, "limit"),
        (["contacts"], True, "limit"),
        (["contacts"], "5", "limit"),
    ],
)
def test_unknown_sections_and_bad_limits_are_refused_before_any_list(
    sections: list[str], limit: Any, field: str
) -> None:
    asked: list[tuple[str, dict[str, Any]]] = []
    with pytest.raises(ValidationFailed) as refused:
        search_sections({"contacts": recording(asked, "contacts", 3)}, sections, "acme", limit)
    assert [e["field"] for e in refused.value.errors] == [field]
    assert asked == []
