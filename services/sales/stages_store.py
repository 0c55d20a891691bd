"""The pipeline's stages in the database.

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from services.platform.errors import Conflict
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.records import load_record

from . import domain
from .models import Opportunity, OpportunityStage, StageVisit


def all_stages(db: Any) -> list[Any]:
    """Every stage by position; an empty pipeline (new or emptied database) gets defaults."""
    select = sa.select(OpportunityStage).order_by(OpportunityStage.position)
    stages = list(db.execute(select).scalars().all())
    if not stages:
        now = utcnow()
        db.execute(
            pg_insert(OpportunityStage)
            .values(
                [
                    {
                        "id": new_id(),
                        "name": name,
                        "position": position,
                        "probability": probability,
                        "is_final": is_final,
                        "is_successful": is_successful,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for name, position, probability, is_final, is_successful in (
                        domain.DEFAULT_STAGES
                    )
                ]
            )
            .on_conflict_do_nothing()
        )
        stages = list(db.execute(select).scalars().all())
    return stages


def lock_stage(db: Any, stage_id: Any) -> Any:
    """The stage under a row lock; ``NotFound`` when there is none."""
    return load_record(db, OpportunityStage, stage_id, "stage", for_update=True)


def stage_in_use(db: Any, stage_id: str) -> bool:
    """Whether a deal is in the stage or ever was."""
    used = db.execute(
        sa.select(
            sa.exists().where(Opportunity.stage_id == stage_id)
            | sa.exists().where(StageVisit.stage_id == stage_id)
        )
    ).scalar_one()
    return bool(used)


def flush_stage(db: Any) -> None:
    """Write the stage; ``Conflict`` when another stage has its name or position."""
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        field = "position" if "position" in str(exc.orig) else "name"
        raise Conflict(
            f"Another stage has this {field}",
            [{"field": field, "message": "is taken by another stage"}],
        ) from None


def new_stage(db: Any, values: dict[str, Any]) -> Any:
    """Add a stage (``Conflict`` when its name or position is taken)."""
    now = utcnow()
    stage = OpportunityStage(id=new_id(), version=1, created_at=now, updated_at=now, **values)
    db.add(stage)
    flush_stage(db)
    return stage


def change_stage(db: Any, stage: Any, changes: dict[str, Any], changed: list[str]) -> None:
    """Write the changed fields and a new version (``Conflict`` as :func:`flush_stage`)."""
    for name in changed:
        setattr(stage, name, changes[name])
    stage.version += 1
    stage.updated_at = utcnow()
    flush_stage(db)


def delete_stage(db: Any, stage: Any) -> None:
    db.delete(stage)
    db.flush()
