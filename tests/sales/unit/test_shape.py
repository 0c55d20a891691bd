"""The sales rules stay pure: no module of ``services/sales/domain/`` imports a database,
a broker or another part of the service (they are what the parts call, never the reverse)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[3] / "services" / "sales" / "domain"
#: Packages that do I/O or belong to the framework: not in the rules.
IMPURE = ("sqlalchemy", "nameko", "eventlet", "psycopg2", "kombu", "requests", "httpx")


def imported(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_a_rules_module_imports_no_io_and_no_part_of_the_service(path):
    for name in imported(path):
        assert not name.startswith(IMPURE), f"{path.name} imports {name}"
        if name.startswith("services."):
            assert name.split(".")[:2] == ["services", "platform"], f"{path.name} imports {name}"
        if name.startswith(".."):
            pytest.fail(f"{path.name} imports {name} from outside the rules")
    assert DOMAIN.joinpath("__init__.py").exists()
