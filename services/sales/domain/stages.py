"""The rules of the pipeline's stages and of a deal's move through them.

A deal moves forward or back between open stages; the non-final stages a forward
move jumps over are logged as skipped. A final stage closes the deal: won in a
successful one, lost (with a reason) in an unsuccessful one, and it never moves again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.platform.errors import Conflict, ValidationFailed
from services.platform.fields import Entity, EntityField, failed

STAGE_FIELDS: tuple[EntityField, ...] = (
    EntityField("name", "string", "Name", max_length=100, required=True),
    EntityField("position", "integer", "Position", minimum=0, maximum=100000, required=True),
    EntityField("probability", "integer", "Probability, %", minimum=0, maximum=100, required=True),
    EntityField("is_final", "boolean", "Final"),
    EntityField("is_successful", "boolean", "Successful"),
)
STAGE = Entity("opportunity_stage", STAGE_FIELDS)

#: The pipeline a new installation starts with (also seeded by migration sales_0004):
#: name, position, probability, is_final, is_successful.
DEFAULT_STAGES: tuple[tuple[str, int, int, bool, bool], ...] = (
    ("Qualification", 10, 10, False, False),
    ("Presentation", 20, 30, False, False),
    ("Proposal", 30, 50, False, False),
    ("Negotiation", 40, 80, False, False),
    ("Won", 90, 100, True, True),
    ("Lost", 100, 0, True, False),
)

#: The longest reason a lost deal keeps.
MAX_REASON = 500


def check_stage(values: Mapping[str, Any]) -> None:
    """A stage as a whole: name, position and probability given; only a final one succeeds."""
    errors = [
        {"field": f.name, "message": "is required"}
        for f in STAGE_FIELDS
        if f.required and values.get(f.name) is None
    ]
    if values.get("is_successful") and not values.get("is_final"):
        errors.append({"field": "is_successful", "message": "only a final stage can be successful"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


def new_stage_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    """A new stage's values: not final (so not successful) unless said; checked."""
    values = {"is_final": False, "is_successful": False, **changes}
    check_stage(values)
    return values


def stage_changes(stage: Any, changes: Mapping[str, Any]) -> list[str]:
    """The names of the stage's fields that ``changes`` really changes, in its order."""
    return [name for name, value in changes.items() if getattr(stage, name) != value]


def skipped_between(stages: Sequence[Any], current: Any, target: Any) -> list[Any]:
    """The non-final stages a forward move jumps over (none for a backward move or a loss)."""
    if target.is_final and not target.is_successful:
        return []
    low, high = current.position, target.position
    return [s for s in stages if low < s.position < high and not s.is_final]


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from ``start`` to ``end``; never negative (clocks differ)."""
    return max(0, int((end - start).total_seconds()))


def initial_stage(stages: Sequence[Any], stage_id: str | None) -> Any:
    """Where a new deal starts: ``stage_id`` (an open stage), else the first open stage."""
    if stage_id is None:
        for stage in stages:
            if not stage.is_final:
                return stage
        raise Conflict(
            "No open stage is configured",
            [{"field": "stage_id", "message": "no open stage is configured"}],
        )
    for stage in stages:
        if stage.id == stage_id:
            if stage.is_final:
                raise failed("stage_id", "a deal starts in an open stage; win or lose it later")
            return stage
    raise failed("stage_id", "no such stage")


def final_stage(stages: Sequence[Any], *, successful: bool) -> Any:
    """The final stage where deals are won (``successful``) or lost."""
    for stage in stages:
        if stage.is_final and stage.is_successful == successful:
            return stage
    kind = "successful" if successful else "unsuccessful"
    raise Conflict(
        f"No {kind} final stage is configured",
        [{"field": "stage_id", "message": f"no {kind} final stage is configured"}],
    )


def clean_reason(reason: Any) -> str:
    """Why a deal was lost: some text, at most ``MAX_REASON`` characters, trimmed."""
    if not isinstance(reason, str) or not reason.strip():
        raise failed("reason", "say why the deal was lost")
    if len(reason.strip()) > MAX_REASON:
        raise failed("reason", f"must be at most {MAX_REASON} characters")
    return reason.strip()


@dataclass(frozen=True)
class Move:
    """A deal's move from ``current`` to ``target``: what to log and what it becomes."""

    current: Any
    target: Any
    skipped: list[Any]
    #: the deal's status after the move: open, won or lost
    status: str
    lost_reason: str | None


def plan_move(
    stages: Sequence[Any], status: str, stage_id: str, target_id: str, reason: Any
) -> Move | None:
    """The move of a deal (``status``, in stage ``stage_id``) to ``target_id``, or None
    when it is there already.

    Raises ``ValidationFailed`` (no such stage; a loss without a reason) and
    ``Conflict`` (the deal is closed).
    """
    by_id = {s.id: s for s in stages}
    current = by_id[stage_id]
    target = by_id.get(target_id)
    if target is None:
        raise failed("stage_id", "no such stage")
    if status != "open" or current.is_final:
        raise Conflict(
            f"The deal is {status} and closed; it cannot move",
            [{"field": "stage_id", "message": f"the deal is already {status}"}],
        )
    if target.id == current.id:
        return None
    lost_reason = None
    if target.is_final and not target.is_successful:
        lost_reason = clean_reason(reason)
    new_status = status
    if target.is_final:
        new_status = "won" if target.is_successful else "lost"
    return Move(
        current=current,
        target=target,
        skipped=skipped_between(stages, current, target),
        status=new_status,
        lost_reason=lost_reason,
    )
