"""The product picker's search: ``q`` on list_products, against a real orders container."""

from __future__ import annotations

import pytest

from services.platform.errors import ValidationFailed

from .conftest import REP_A, call, make_product


def codes(container, q: str) -> list[str]:
    page = call(container, "list_products", {"q": q, "sort": "code"}, actor=REP_A)
    return [p["code"] for p in page["items"]]


def test_q_finds_products_by_code_parts_name_and_category(orders):
    make_product(orders, code="OSP-SEAT", name="CRM seat, one year", category="Software")
    make_product(orders, code="OSP-SCAN", name="Сканер штрихкодов", category="Hardware")
    make_product(orders, code="BOLT_8", name="Bolt M8")
    assert codes(orders, "osp") == ["OSP-SCAN", "OSP-SEAT"]
    assert codes(orders, "osp-se") == ["OSP-SEAT"]
    assert codes(orders, "seat") == ["OSP-SEAT"]
    assert codes(orders, "скан") == ["OSP-SCAN"]
    assert codes(orders, "hard") == ["OSP-SCAN"]
    assert codes(orders, "8") == ["BOLT_8"]
    assert codes(orders, "bolt m8") == ["BOLT_8"]
    assert codes(orders, "nothing") == []
    # Search operators are taken literally, not as syntax.
    assert codes(orders, "seat & | !") == ["OSP-SEAT"]
    with pytest.raises(ValidationFailed):
        call(orders, "list_products", {"q": 5}, actor=REP_A)
