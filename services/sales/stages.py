"""The pipeline's stages (administrators change them): a part of the sales service."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict
from services.platform.records import check_version
from services.platform.rpc import rpc

from . import domain, stages_store
from .dependencies import SalesBase
from .domain import STAGE
from .schemas import dump_stage


class StagesRpc(SalesBase):
    """The stages deals move through."""

    @rpc(expected_exceptions=EXPECTED)
    def list_opportunity_stages(self, actor: dict[str, Any] | None = None) -> list[dict]:
        """Every stage by position. Anyone signed in may read them."""
        result = [dump_stage(s) for s in stages_store.all_stages(self.db)]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def create_opportunity_stage(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add a stage (administrators); emit ``opportunity_stage_created``.

        Raises ``PermissionDenied``, ``ValidationFailed``, ``Conflict`` (name or
        position taken).
        """
        caller = Actor.from_dict(actor)
        caller.require_admin()
        values = domain.new_stage_values(domain.clean_changes(STAGE, data))
        stage = stages_store.new_stage(self.db, values)
        result = dump_stage(stage)
        self.db.emit("opportunity_stage_created", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_opportunity_stage(
        self,
        stage_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Rename, reorder or re-weight a stage (admins); emit ``opportunity_stage_updated``.

        Whether a stage is final cannot change while deals are in it. Raises
        ``NotFound``, ``PermissionDenied``, ``ValidationFailed``, ``Conflict``.
        """
        caller = Actor.from_dict(actor)
        caller.require_admin()
        expected = domain.parse_expected_version(expected_version)
        changes = domain.clean_changes(STAGE, data)
        stage = stages_store.lock_stage(self.db, stage_id)
        check_version(STAGE.name, stage.version, expected)
        domain.check_stage({**dump_stage(stage), **changes})
        changed = domain.stage_changes(stage, changes)
        if not changed:
            self.db.commit()
            return dump_stage(stage)
        if {"is_final", "is_successful"} & set(changed) and stages_store.stage_in_use(
            self.db, stage.id
        ):
            raise Conflict(
                "Deals are in this stage; whether it is final cannot change now",
                [{"field": "is_final", "message": "deals are in this stage"}],
            )
        stages_store.change_stage(self.db, stage, changes, changed)
        result = dump_stage(stage)
        self.db.emit(
            "opportunity_stage_updated", {**result, "changed_fields": changed}, actor=actor
        )
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_opportunity_stage(
        self, stage_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a stage no deal is or was in (admins); emit ``opportunity_stage_deleted``."""
        caller = Actor.from_dict(actor)
        caller.require_admin()
        expected = domain.parse_expected_version(expected_version)
        stage = stages_store.lock_stage(self.db, stage_id)
        check_version(STAGE.name, stage.version, expected)
        if stages_store.stage_in_use(self.db, stage.id):
            raise Conflict(
                "Deals are or were in this stage; it cannot be deleted",
                [{"field": "stage_id", "message": "deals are or were in this stage"}],
            )
        result = dump_stage(stage)
        stages_store.delete_stage(self.db, stage)
        self.db.emit("opportunity_stage_deleted", result, actor=actor)
        self.db.commit()
