"""Reports follow the rights a role sets (docs/architecture.md, "Access rights"): the
entity's read scope decides which records are counted, a role without the entity's
``read`` right gets 403, and a field hidden from the role cannot be grouped, summed or
filtered on (422 naming it). A caller without rights keeps the defaults."""

from __future__ import annotations

from typing import Any

import pytest

from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.ids import new_id

from .conftest import ADMIN, ANN, BOB, MANAGER_A, call, event


def report(analytics: Any, actor: dict, **spec: Any) -> list[dict]:
    return call(analytics, "run_report", spec, actor=actor)["rows"]


def lead(owner: dict, source: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "contact_name": f"{owner['email']} {source}",
        "source": source,
        "stage": "qualification",
        "owner_id": owner["id"],
        "team_id": owner["team_id"],
        "version": 1,
        "created_at": "2026-12-01T10:00:00+00:00",
        "updated_at": "2026-12-01T10:00:00+00:00",
    }


def test_reports_count_by_the_read_scope_and_refuse_hidden_fields(analytics) -> None:
    for owner, source in ((ANN, "web"), (MANAGER_A, "phone"), (BOB, "web"), (BOB, "fair")):
        call(analytics, "handle_leads_lead_created", event("lead_created", lead(owner, source)))
    total = [{"count": 4}]
    assert report(analytics, ADMIN, entity="leads") == total
    # the defaults: Ann (a rep) reads her team's leads — hers and her manager's
    assert report(analytics, ANN, entity="leads") == [{"count": 2}]

    rights = {"ops": "r", "read": "own", "write": "own"}
    own = {**ANN, "rights": {"leads": rights}}
    assert report(analytics, own, entity="leads") == [{"count": 1}]
    every = {**ANN, "rights": {"leads": {**rights, "read": "all"}}}
    assert report(analytics, every, entity="leads") == total
    by_source = report(analytics, every, entity="leads", group_by=["source"])
    assert {r["source"]: r["count"] for r in by_source} == {"web": 2, "phone": 1, "fair": 1}

    # no read right on leads: refused, not an empty report
    no_read = {**ANN, "rights": {"leads": {**rights, "ops": "c"}}}
    with pytest.raises(PermissionDenied):
        report(analytics, no_read, entity="leads")
    with pytest.raises(PermissionDenied):
        call(analytics, "lead_funnel", {}, actor=no_read)

    # a hidden field: not as a group, an aggregate's field or a filter
    hidden = {**ANN, "rights": {"leads": {**rights, "read": "all", "hidden": ["source"]}}}
    assert report(analytics, hidden, entity="leads") == total
    for spec in (
        {"group_by": ["source"]},
        {"filters": {"source": ["web"]}},
    ):
        with pytest.raises(ValidationFailed) as refused:
            report(analytics, hidden, entity="leads", **spec)
        assert [e["field"] for e in refused.value.errors] == ["source"], spec
