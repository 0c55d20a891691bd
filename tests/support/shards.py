"""Run a part of the test suite as several pytest processes side by side.

``python -m tests.support.shards --jobs 2 tests --ignore=tests/web`` splits the test
files into ``--jobs`` shards of about equal time (each file's time from
``tests/durations.json``; a file not in it counts as the median), starts one pytest per
shard with its own test database (``OSPREY_TEST_DATABASE_URL`` with ``_s<k>`` added, so
the shards' session stacks and sibling databases never meet), and prints each shard's
output when it ends. It exits with the first non-zero status of a shard, else 0.

A module's tests stay together in one shard (their module-scoped stacks start once).
Much of a test's time is waiting (on a stack's start, a sync's poll, a browser's page),
so two shards on two cores finish well before one pytest would.

Each run writes every file's measured time into ``test-artifacts/durations.json`` (from
pytest's JUnit XML, added to what an earlier run wrote there); copy it over
``tests/durations.json`` when files have moved a lot.
Arguments after the options go to every pytest: paths select the files to split (a
directory or a file; ``--ignore=PATH`` leaves some out), the rest are pytest options.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
DURATIONS = ROOT / "tests" / "durations.json"
ARTIFACTS = ROOT / "test-artifacts"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/osprey_test"


@dataclass
class Shard:
    index: int
    files: list[str] = field(default_factory=list)
    weight: float = 0.0


def test_files(paths: list[str], ignored: list[str]) -> list[str]:
    """Every ``test_*.py`` under ``paths`` (relative to the repository), sorted."""
    skip = [(ROOT / path).resolve() for path in ignored]
    found: set[str] = set()
    for path in paths:
        target = (ROOT / path).resolve()
        candidates = [target] if target.is_file() else target.rglob("test_*.py")
        for candidate in candidates:
            if any(candidate == s or s in candidate.parents for s in skip):
                continue
            found.add(candidate.relative_to(ROOT).as_posix())
    return sorted(found)


def split(files: list[str], durations: dict[str, float], jobs: int) -> list[Shard]:
    """Longest first, each file to the shard with the least time so far."""
    known = [durations[f] for f in files if f in durations]
    default = statistics.median(known) if known else 1.0
    shards = [Shard(index) for index in range(jobs)]
    heap = [(0.0, shard.index) for shard in shards]
    for name in sorted(files, key=lambda f: (-durations.get(f, default), f)):
        weight, index = heapq.heappop(heap)
        shards[index].files.append(name)
        shards[index].weight += durations.get(name, default)
        heapq.heappush(heap, (shards[index].weight, index))
    return [shard for shard in shards if shard.files]


def shard_database(index: int) -> str:
    url = sa.make_url(os.environ.get("OSPREY_TEST_DATABASE_URL", DEFAULT_DATABASE))
    return url.set(database=f"{url.database}_s{index}").render_as_string(hide_password=False)


def file_times(junit: Path) -> dict[str, float]:
    """Seconds per test file from a JUnit XML report (setup and teardown included)."""
    times: dict[str, float] = {}
    if not junit.is_file():
        return times
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").split(".")
        # classname is the module's dotted path, then the class if there is one.
        for end in range(len(module), 0, -1):
            candidate = "/".join(module[:end]) + ".py"
            if (ROOT / candidate).is_file():
                times[candidate] = times.get(candidate, 0.0) + float(case.get("time", 0))
                break
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--within", action="append", default=[], help="only the files under this directory"
    )
    options, rest = parser.parse_known_args(argv)
    paths = [a for a in rest if not a.startswith("-") and (ROOT / a.split("::")[0]).exists()]
    ignored = [a.split("=", 1)[1] for a in rest if a.startswith("--ignore=")]
    pytest_args = [a for a in rest if a not in paths and not a.startswith("--ignore=")]

    durations = json.loads(DURATIONS.read_text()) if DURATIONS.is_file() else {}
    files = test_files(paths or ["tests"], ignored)
    if options.within:
        inside = [(ROOT / d).resolve() for d in options.within]
        files = [f for f in files if any(d in (ROOT / f).resolve().parents for d in inside)]
    if not files:
        print("no test files to run here")
        return 0
    shards = split(files, durations, max(1, options.jobs))
    ARTIFACTS.mkdir(exist_ok=True)

    started = time.monotonic()
    running = []
    for shard in shards:
        log = ARTIFACTS / f"shard-{shard.index}.log"
        junit = ARTIFACTS / f"shard-{shard.index}.xml"
        env = {**os.environ, "OSPREY_TEST_DATABASE_URL": shard_database(shard.index)}
        command = [sys.executable, "-m", "pytest", *pytest_args, f"--junitxml={junit}"]
        command += shard.files
        print(
            f"shard {shard.index}: {len(shard.files)} files, about {shard.weight:.0f} s",
            flush=True,
        )
        handle = log.open("w")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        running.append((shard, process, handle, log, junit))

    codes: list[int] = []
    measured: dict[str, float] = {}
    for shard, process, handle, log, junit in running:
        code = process.wait()
        handle.close()
        elapsed = time.monotonic() - started
        print(f"\n===== shard {shard.index} (exit {code}, done at {elapsed:.0f} s) =====")
        sys.stdout.write(log.read_text(errors="replace"))
        sys.stdout.flush()
        measured.update(file_times(junit))
        codes.append(code)
    # 5 is pytest's "no tests collected": a shard whose files a -k or -m left empty.
    failed = [code for code in codes if code not in (0, 5)]
    status = failed[0] if failed else (5 if all(code == 5 for code in codes) else 0)
    # Added to what an earlier run wrote (make test's other part), this run's files anew.
    kept = ARTIFACTS / "durations.json"
    times = json.loads(kept.read_text()) if kept.is_file() else {}
    times.update(measured)
    kept.write_text(json.dumps({k: round(v, 2) for k, v in sorted(times.items())}, indent=1) + "\n")
    print(f"\nall shards done in {time.monotonic() - started:.0f} s, exit {status}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
