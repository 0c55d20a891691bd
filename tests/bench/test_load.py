"""bench/load.py speaks HTTP/1.1 correctly (keep-alive, chunked, Connection: close,
errors) and counts what it says it counts. It needs a plain process, so the checks run
in one (load_check.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_load_generator() -> None:
    script = Path(__file__).with_name("load_check.py")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ok")
