"""bench/floor.py: importing it starts nothing and loads neither Nameko nor FastAPI (the
load generator imports it in a plain process), and its service is a plain Nameko one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_has_no_side_effects() -> None:
    code = (
        "import sys; import bench.floor as f; "
        "assert not any(m in sys.modules for m in ('nameko', 'fastapi', 'eventlet')), "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('nameko', 'fastapi', 'eventlet')); "
        "print(f.SERVICE, f.METHOD, f.PATH)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["bench_floor", "ping_floor", "/floor"]


def test_floor_service_answers_without_a_database() -> None:
    from bench.floor import floor_service_class

    cls = floor_service_class()
    assert cls.name == "bench_floor"
    assert cls().ping_floor() == {"ok": True}
    assert cls().ping_floor({"any": "payload"}) == {"ok": True}
