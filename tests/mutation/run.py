"""How many changes to Osprey's rules the unit tests catch: mutmut over pure rules modules.

    python tests/mutation/run.py                      # every domain.py and platform/fields.py
    python tests/mutation/run.py services/sales/domain.py [more.py ...] [--show]

Each target is mutated (a ``<`` made ``<=``, a constant changed, a branch dropped, ...) and
only the unit tests of its own area (``tests/<service>/unit``; ``tests/platform/unit`` for the
platform) run against each mutant: a mutant the tests fail on is *killed*, one they pass is
*survived*. The run happens in a private copy of the tree (``.mutation/<name>/``), so several
runs and the working tree never disturb one another, and it needs neither PostgreSQL nor
RabbitMQ: rules are pure, and so are their unit tests.

Prints per target: mutants, killed, survived, timeouts and the kill rate; ``--show`` prints the
diff of every survivor, to judge it (a test to add, or an equivalent mutant that changes no
behaviour: docs/testing.md lists those). Exit status 1 when a target's kill rate is under
``--min`` (default 0: report only).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".mutation"


def default_targets() -> list[Path]:
    """Every service's ``domain.py`` (or ``domain/`` modules), its other pure rules modules
    (``*_rules.py``) and the platform's field rules."""
    found = sorted(ROOT.glob("services/*/domain.py")) + sorted(
        ROOT.glob("services/integrations/*/domain.py")
    )
    found += sorted(p for p in ROOT.glob("services/*/domain/*.py") if p.name != "__init__.py")
    found += sorted(ROOT.glob("services/*/*_rules.py"))
    found.append(ROOT / "services/platform/fields.py")
    return [p.relative_to(ROOT) for p in found if p.exists()]


def unit_tests_for(target: Path) -> Path:
    """The unit tests of the target's area: ``services/<a>/...`` → ``tests/<a>/unit``
    (the integrations share one: ``services/integrations/mail/...`` →
    ``tests/integrations/unit``)."""
    return Path("tests") / target.parts[1] / "unit"


@dataclass
class Outcome:
    target: Path
    counts: dict[str, int]
    survivors: list[str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def killed(self) -> int:
        return self.counts.get("killed", 0)

    @property
    def decided(self) -> int:
        # Mutants no test covers count as survivors: the unit tests do not pin them.
        return self.total - self.counts.get("skipped", 0)

    @property
    def rate(self) -> float:
        return 100.0 * self.killed / self.decided if self.decided else 100.0


def _copy_tree(dest: Path, tests: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", "dist", "migrations")
    shutil.copytree(ROOT / "services", dest / "services", ignore=ignore)
    # The unit tests alone, with what the folders above them hold for tests (package
    # markers, conftest files and the helpers they import) but none of their tests.
    for parent in reversed(tests.parents[:-1]):
        (dest / parent).mkdir(parents=True, exist_ok=True)
        for source in (ROOT / parent).glob("*.py"):
            if not source.name.startswith("test_"):
                shutil.copy(source, dest / parent / source.name)
    shutil.copytree(ROOT / tests, dest / tests, ignore=ignore)


def _pyproject(target: Path, tests: Path) -> str:
    return f"""[tool.mutmut]
source_paths = ["services"]
only_mutate = ["{target.as_posix()}"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]
pytest_add_cli_args_test_selection = ["{tests.as_posix()}"]
use_git_change_detection = false

[tool.pytest.ini_options]
pythonpath = ["."]
"""


def run_target(target: Path, show: bool) -> Outcome:
    tests = unit_tests_for(target)
    if not (ROOT / tests).is_dir():
        print(f"{target}: no unit tests in {tests}: every mutant survives", file=sys.stderr)
        return Outcome(target, {"survived": 1}, [])
    dest = WORK / target.as_posix().replace("/", "_").removesuffix(".py")
    _copy_tree(dest, tests)
    (dest / "pyproject.toml").write_text(_pyproject(target, tests))
    env = {**os.environ, "OSPREY_NO_MONKEY_PATCH": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    mutmut = [sys.executable, "-m", "mutmut"]
    subprocess.run([*mutmut, "run"], cwd=dest, env=env, check=False, stdout=subprocess.DEVNULL)
    listed = subprocess.run(
        [*mutmut, "results", "--all", "true"],
        cwd=dest,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    counts: dict[str, int] = {}
    survivors: list[str] = []
    for line in listed.splitlines():
        match = re.match(r"\s*(\S+): (.+)$", line)
        if not match:
            continue
        name, status = match.group(1), match.group(2).strip()
        key = {
            "killed": "killed",
            "survived": "survived",
            "no tests": "survived",
            "timeout": "timeout",
            "skipped": "skipped",
            "suspicious": "suspicious",
        }.get(status, status)
        counts[key] = counts.get(key, 0) + 1
        if key == "survived":
            survivors.append(name)
    # A timeout is a mutant the tests noticed (it looped): killed for the rate.
    counts["killed"] = counts.get("killed", 0) + counts.pop("timeout", 0)
    if show:
        for name in survivors:
            diff = subprocess.run(
                [*mutmut, "show", name],
                cwd=dest,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            print(f"--- survived: {name}\n{diff}")
    return Outcome(target, counts, survivors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", type=Path)
    parser.add_argument("--list", action="store_true", help="only list the default targets")
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    parser.add_argument("--min", type=float, default=0.0, help="fail under this kill rate (%%)")
    args = parser.parse_args(argv)
    targets = [
        t.resolve().relative_to(ROOT) if t.is_absolute() else t for t in args.targets
    ] or default_targets()
    if args.list:
        print("\n".join(t.as_posix() for t in targets))
        return 0
    outcomes = [run_target(t, args.show) for t in targets]
    print(f"\n{'rules module':44} {'mutants':>8} {'killed':>7} {'survived':>9} {'rate':>7}")
    failed = False
    for o in outcomes:
        survived = o.decided - o.killed
        print(f"{o.target.as_posix():44} {o.decided:8} {o.killed:7} {survived:9} {o.rate:6.1f}%")
        failed |= o.rate < args.min
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
