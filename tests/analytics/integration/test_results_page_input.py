"""The Results page keeps plain widgets and refuses bad ones with a problem, never a
crash (the API fuzzer's bodies, sent to the service itself)."""

from __future__ import annotations

import pytest

from services.platform.errors import ValidationFailed

from .conftest import ANN, call

GOOD = [{"kind": "number", "report": {"entity": "leads"}, "x": 0, "y": 0, "w": 3, "h": 2}]
BAD = (
    [{"kind": "number"}],
    [{"kind": "number", "report": None}],
    [{"kind": "number", "report": {"entity": "leads"}, "x": -1}],
    [{"kind": "number", "report": {"entity": "leads"}, "w": 10**30}],
    [{"kind": "number", "report": {"entity": "leads"}, "title": "\x00"}],
    [{"kind": "pie", "report": {"entity": "leads"}}],
    [None],
    "nope",
)


def test_plain_widgets_are_kept_and_bad_ones_refused(analytics) -> None:
    saved = call(analytics, "save_results_page", {"widgets": GOOD}, actor=ANN)
    assert [w["report"]["entity"] for w in saved["widgets"]] == ["leads"]
    for widgets in BAD:
        with pytest.raises(ValidationFailed):
            call(analytics, "save_results_page", {"widgets": widgets}, actor=ANN)
    assert call(analytics, "get_results_page", actor=ANN)["version"] == saved["version"]
