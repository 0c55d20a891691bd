"""The ground floor stays the ground floor: ``services/platform/`` imports no service and
the gateway imports nothing from a service (only the platform), read from the source
with ``ast`` — every ``import`` and ``from ... import``, at the top of a module or inside
a function, relative ones resolved.

What has to know every service (the ``osprey`` command, the demo data) lives in the
application package ``osprey/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = "services.platform"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Every module ``source`` (the text of ``module``) imports, relative imports made
    absolute; ``from a import b`` counts as ``a.b`` (b may be a module)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            found += [f"{stem}.{alias.name}" for alias in node.names]
    return found


def service_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """The modules of a service (anything under ``services`` but the platform) that
    ``source`` imports."""
    return [
        name
        for name in imported_modules(source, module, is_package=is_package)
        if (name == "services" or name.startswith("services."))
        and name != PLATFORM
        and not name.startswith(PLATFORM + ".")
    ]


def sources(folder: str) -> list[Path]:
    return sorted(
        path for path in (ROOT / folder).rglob("*.py") if "node_modules" not in path.parts
    )


def violations(folder: str) -> dict[str, list[str]]:
    found = {}
    for path in sources(folder):
        bad = service_imports(
            path.read_text(encoding="utf-8"),
            module_name(path),
            is_package=path.name == "__init__.py",
        )
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


@pytest.mark.parametrize("folder", ["services/platform", "gateway"])
def test_the_platform_and_the_gateway_import_no_service(folder: str) -> None:
    assert sources(folder), f"no Python files under {folder}"
    assert violations(folder) == {}


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("from services.leads import domain", "services.platform.cli", ["services.leads.domain"]),
        ("import services.sales.demo", "gateway.app", ["services.sales.demo"]),
        (
            "from ..feed.domain import audience",
            "services.platform.x",
            ["services.feed.domain.audience"],
        ),
        ("from .. import identity", "services.platform.x", ["services.identity"]),
        (
            "def later():\n    from services.orders import store\n",
            "gateway.routers.orders",
            ["services.orders.store"],
        ),
        ("from services.platform.listing import fetch_page", "gateway.listing", []),
        ("from .records import load_record", "services.platform.x", []),
        ("from . import fields", "services.platform", []),
        ("import services.platform.config", "gateway.app", []),
        ("from services import platform", "gateway.app", []),
        ("from gateway.rpc import RpcClient", "gateway.app", []),
    ],
)
def test_the_check_sees_every_way_of_importing_a_service(source, module, expected) -> None:
    is_package = module == "services.platform"
    assert service_imports(source, module, is_package=is_package) == expected
