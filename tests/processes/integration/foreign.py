"""Drive a diagram nobody in Osprey wrote as far as the engine takes it, with no person
and no CRM behind it: user tasks are completed with no data, actions answer nothing."""

from __future__ import annotations

from pathlib import Path

from services.processes.definition_parsing import DefinitionRefused, parse_bpmn
from services.processes.engine import Engine, StepFailed

FOREIGN = Path(__file__).resolve().parent / "bpmn" / "foreign"
MAX_STEPS = 60


def outcome(path: Path, engine: Engine) -> tuple[str, str]:
    """``(kind, detail)``: ``refused`` (with the reason), ``completed``, ``failed``
    (with the step's error), ``waits`` (for a timer or an event)."""
    try:
        parsed = parse_bpmn(path.read_bytes(), path.name)
    except DefinitionRefused as exc:
        return "refused", exc.message
    workflow = engine.new_workflow(parsed.spec, {})
    for _ in range(MAX_STEPS):
        failure = engine.run(workflow)
        snapshot = engine.snapshot(workflow, failure)
        if snapshot.status == "failed":
            return "failed", failure.message if failure else "a task failed"
        if snapshot.status == "completed":
            return "completed", ""
        if not snapshot.user_tasks and not snapshot.calls:
            waiting = (
                "timer" if snapshot.next_due_at else ", ".join(snapshot.waiting_for) or "event"
            )
            return "waits", waiting
        try:
            for task in snapshot.user_tasks:
                engine.complete_task(workflow, task["task_id"], {})
            for call in snapshot.calls:
                engine.complete_task(workflow, call["task_id"], {"result": None})
        except StepFailed as exc:
            return "failed", exc.message
    return "waits", "more steps than the driver takes"


def survey() -> dict[str, tuple[str, str]]:
    engine = Engine()
    return {
        f"{p.parent.name}/{p.name}": outcome(p, engine) for p in sorted(FOREIGN.glob("*/*.bpmn"))
    }


if __name__ == "__main__":
    import collections

    results = survey()
    for name, (kind, detail) in results.items():
        print(f"{kind:9} {name}  {detail[:110]}")
    print(collections.Counter(k for k, _ in results.values()))
