"""axe-core (the web app's dev dependency) run in the page: the accessibility
violations a screen has, by rule, with the elements at fault."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = (
    Path(__file__).resolve().parents[2]
    / "gateway"
    / "web"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
#: the impacts that fail a test (minor and moderate ones are reported, not failed)
FAILING = ("serious", "critical")


def violations(page: Any, impacts: tuple[str, ...] = FAILING) -> list[dict[str, Any]]:
    """axe's WCAG 2 A/AA violations of the page as it is now, at ``impacts``."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated through the browser's debugging protocol: the app's policy allows
        # no inline script, rightly, and this is not one
        page.evaluate("() => {\n" + AXE.read_text(encoding="utf-8") + "\n}")
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in impacts]


def described(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']} {v['id']}: {v['help']} — {v['nodes']}" for v in found)
