"""Process definitions: upload, save a version, validate, deploy, download; the action
catalogue for the designer; the diagrams Osprey ships."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, ValidationFailed
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import actions, calls, domain, steps, store
from .definition_parsing import DefinitionRefused, ParsedDefinition, parse_bpmn
from .dependencies import ProcessesBase
from .gate import gate_for_deploy, refresh_gate
from .schemas import dump_definition, dump_version

DIAGRAMS = Path(__file__).resolve().parent / "diagrams"
MAX_COMMENT = 1000


def _parse(bpmn_xml: Any) -> ParsedDefinition:
    if not isinstance(bpmn_xml, str) or not bpmn_xml.strip():
        raise ValidationFailed(
            "Send the BPMN 2.0 XML", [{"field": "bpmn", "message": "is required"}]
        )
    try:
        return parse_bpmn(bpmn_xml)
    except DefinitionRefused as exc:
        where = (
            f" ({exc.element or 'element'} {exc.element_id or ''}, line {exc.line})"
            if exc.line
            else ""
        )
        raise ValidationFailed(
            f"The process cannot be run: {exc.message}{where}", [exc.to_error()]
        ) from None


def _comment(comment: Any) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise domain.failed("comment", f"text of at most {MAX_COMMENT} characters")
    return comment.strip() or None


class DefinitionsRpc(ProcessesBase):
    @rpc(expected_exceptions=EXPECTED)
    def list_process_actions(self, actor: dict[str, Any]) -> dict[str, Any]:
        """What the designer offers: ``{actions, start_events, record_types}`` — every
        CRM action with its parameter form, the record events a start can bind to."""
        Actor.from_dict(actor)
        return {
            "actions": actions.catalogue(),
            "start_events": list(domain.START_EVENTS),
            "record_types": list(domain.RECORD_TYPES),
        }

    @rpc(expected_exceptions=EXPECTED)
    def validate_process_definition(self, bpmn_xml: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Check a diagram without saving it: ``{valid, errors, key, name, triggers,
        summary}``; each error ``{field, message, element_id, element, line}``."""
        Actor.from_dict(actor)
        try:
            parsed = _parse(bpmn_xml)
        except ValidationFailed as exc:
            return {"valid": False, "errors": exc.errors, "key": None, "name": None}
        return {
            "valid": True,
            "errors": [],
            "key": parsed.key,
            "name": parsed.name,
            "triggers": parsed.triggers,
            "summary": parsed.summary,
        }

    @rpc(expected_exceptions=EXPECTED)
    def create_process_definition(
        self, bpmn_xml: str, actor: dict[str, Any], comment: str | None = None
    ) -> dict[str, Any]:
        """Save a new process from BPMN XML as its version 1 (not deployed). Admins only.

        Raises ``ValidationFailed`` with the parser's message, element and line when
        the diagram does not parse or uses what the engine cannot run; ``Conflict``
        when a process with the same id exists (save a version of it instead);
        ``PermissionDenied``.
        """
        caller = Actor.from_dict(actor)
        domain.check_may_design(caller)
        parsed = _parse(bpmn_xml)
        if store.definition_by_key(self.db, parsed.key) is not None:
            raise Conflict(
                f"A process with the id {parsed.key!r} exists: save a new version of it",
                [{"field": "bpmn", "message": "process id taken"}],
            )
        definition_id = self._create(parsed, bpmn_xml, caller.id, _comment(comment), shipped=False)
        self.db.commit()
        return dump_definition(store.definition(self.db, definition_id))

    def _create(
        self,
        parsed: ParsedDefinition,
        xml: str,
        by: str | None,
        comment: str | None,
        *,
        shipped: bool,
    ) -> str:
        now = utcnow()
        definition_id = new_id()
        store.insert_definition(
            self.db,
            {
                "id": definition_id,
                "key": parsed.key,
                "name": parsed.name[:300],
                "latest_version": 1,
                "is_shipped": shipped,
                "created_at": now,
                "updated_at": now,
                "created_by": by,
            },
        )
        self._add_version(definition_id, 1, parsed, xml, by, comment, now)
        return definition_id

    def _add_version(
        self,
        definition_id: str,
        number: int,
        parsed: ParsedDefinition,
        xml: str,
        by: str | None,
        comment: str | None,
        now: Any,
    ) -> str:
        version_id = new_id()
        store.insert_version(
            self.db,
            {
                "id": version_id,
                "definition_id": definition_id,
                "number": number,
                "name": parsed.name[:300],
                "bpmn_xml": xml,
                "spec": parsed.spec,
                "triggers": parsed.triggers,
                "summary": parsed.summary,
                "comment": comment,
                "created_at": now,
                "created_by": by,
            },
        )
        self.db.emit(
            "process_definition_saved",
            {"id": definition_id, "key": parsed.key, "name": parsed.name, "version": number},
        )
        return version_id

    @rpc(expected_exceptions=EXPECTED)
    def save_process_definition_version(
        self,
        definition_id: str,
        bpmn_xml: str,
        actor: dict[str, Any],
        comment: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Save an edited diagram as the process's next version (not deployed: running
        and new instances keep the deployed one until ``deploy``). The diagram's process
        id must stay the same. ``expected_version`` is the definition's ``row_version``.
        Raises ``NotFound``, ``ValidationFailed``, ``Conflict`` (stale), ``PermissionDenied``.
        """
        caller = Actor.from_dict(actor)
        domain.check_may_design(caller)
        expected = parse_expected_version(expected_version)
        parsed = _parse(bpmn_xml)
        row = store.definition(self.db, definition_id, for_update=True)
        check_version("process definition", row.version, expected)
        if parsed.key != row.key:
            raise ValidationFailed(
                f"The diagram's process id is {parsed.key!r}, not {row.key!r}",
                [{"field": "bpmn", "message": f"the process id must stay {row.key!r}"}],
            )
        now = utcnow()
        number = row.latest_version + 1
        self._add_version(
            definition_id, number, parsed, bpmn_xml, caller.id, _comment(comment), now
        )
        store.update_definition(
            self.db,
            definition_id,
            {"latest_version": number, "name": parsed.name[:300], "updated_at": now},
        )
        self.db.commit()
        return dump_definition(store.definition(self.db, definition_id))

    @rpc(expected_exceptions=EXPECTED)
    def deploy_process_definition(
        self,
        definition_id: str,
        actor: dict[str, Any],
        version: int | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Make a version (default: the latest) the one new instances start on; its
        record-event and message starts take effect now, a timer start waits for its
        time. Running instances keep their version. Raises ``NotFound``,
        ``ValidationFailed`` (no such version), ``Conflict`` (stale), ``PermissionDenied``.
        """
        caller = Actor.from_dict(actor)
        domain.check_may_design(caller)
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise domain.failed("version", "a version number")
        expected = parse_expected_version(expected_version)
        row = store.definition(self.db, definition_id, for_update=True)
        check_version("process definition", row.version, expected)
        keys = self._deploy(row, store.version_row(self.db, definition_id, version), actor)
        self.db.commit()
        refresh_gate(self)  # what the version deployed before started and this one does not
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return dump_definition(store.definition(self.db, definition_id))

    def _deploy(self, row: Any, version: Any, actor: dict[str, Any] | None) -> list[str]:
        now = utcnow()
        store.update_definition(
            self.db,
            row.id,
            {
                "deployed_version_id": version.id,
                "deployed_version": version.number,
                "updated_at": now,
            },
        )
        store.mark_deployed(self.db, version.id, now)
        gate_for_deploy(self, version.triggers)
        store.replace_triggers(self.db, row.id, version.id, version.triggers)
        keys: list[str] = []
        # A timer start is an instance waiting on its start timer: the old version's
        # waiting ones make way for the new version's.
        for waiting in store.open_timer_starts(self.db, row.id):
            starts = {t["start_event_id"] for t in waiting.triggers}
            if all(c["element_id"] in starts for c in waiting.current):
                keys += steps.cancel_instance(
                    self.db,
                    self.engine,
                    waiting.id,
                    actor,
                    f"version {version.number} was deployed",
                )
        for trigger in version.triggers:
            if trigger["kind"] == "timer":
                _, more = steps.start_instance(
                    self.db,
                    self.engine,
                    row,
                    version,
                    record_type=None,
                    record_id=None,
                    data={},
                    how=("timer", trigger["name"]),
                    payload=None,
                    actor=actor,
                )
                keys += more
        self.db.emit(
            "process_definition_deployed",
            {"id": row.id, "key": row.key, "name": row.name, "version": version.number},
            actor=actor,
        )
        return keys

    @rpc(expected_exceptions=EXPECTED)
    def get_process_definition(self, definition_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The definition with its ``versions`` (newest first, without XML). ``NotFound``."""
        Actor.from_dict(actor)
        row = store.definition(self.db, definition_id)
        result = dump_definition(row)
        result["versions"] = [
            dump_version(v, row.deployed_version)
            for v in store.list_versions(self.db, definition_id)
        ]
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_process_definitions(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Every definition by name ``{items, next_cursor: null}`` (a library is small)."""
        Actor.from_dict(actor)
        return {
            "items": [dump_definition(r) for r in store.list_definitions(self.db)],
            "next_cursor": None,
        }

    @rpc(expected_exceptions=EXPECTED)
    def list_process_definition_versions(
        self, definition_id: str, actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The versions, newest first. ``NotFound``."""
        Actor.from_dict(actor)
        row = store.definition(self.db, definition_id)
        return [
            dump_version(v, row.deployed_version)
            for v in store.list_versions(self.db, definition_id)
        ]

    @rpc(expected_exceptions=EXPECTED)
    def get_process_definition_xml(
        self, definition_id: str, actor: dict[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        """``{definition_id, version, name, bpmn_xml}`` of a version (default the latest)
        to download or open in the designer. ``NotFound``, ``ValidationFailed``."""
        Actor.from_dict(actor)
        store.definition(self.db, definition_id)
        row = store.version_row(self.db, definition_id, version)
        return {
            "definition_id": definition_id,
            "version": row.number,
            "name": row.name,
            "bpmn_xml": row.bpmn_xml,
        }

    @rpc(expected_exceptions=EXPECTED)
    def ensure_shipped_process_definitions(
        self, actor: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Save and deploy each diagram in ``services/processes/diagrams`` whose process
        id is unknown; a process users already have (changed or not) is left as it is.
        Idempotent: for ``make up`` and the demo data. Returns the shipped definitions."""
        keys, shipped = [], []
        for path in sorted(DIAGRAMS.glob("*.bpmn")):
            xml = path.read_text(encoding="utf-8")
            parsed = parse_bpmn(xml)
            row = store.definition_by_key(self.db, parsed.key)
            if row is None:
                definition_id = self._create(parsed, xml, None, "shipped with Osprey", shipped=True)
                row = store.definition(self.db, definition_id, for_update=True)
                keys += self._deploy(row, store.version_row(self.db, definition_id, 1), actor)
            shipped.append(row.id)
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return [dump_definition(store.definition(self.db, i)) for i in shipped]
