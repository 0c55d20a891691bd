"""SpiffWorkflow 3.2 behind one small adapter: parse, start, run, save, load.

What the rest of the service needs from the engine, and nothing of SpiffWorkflow's
types leaks past this module:

- :func:`parse_bpmn` checks a diagram (XML hardened against entities and the network,
  the BPMN and SpiffWorkflow schemas, the elements the engine runs, every expression
  through the sandbox, every action's name) and answers the serialized spec, what
  starts it and a summary for the designer; or :class:`DefinitionRefused` with the
  parser's message, the element and its line.
- :class:`Engine` makes, loads and saves workflows (the state is saved *without* the
  spec, which belongs to the definition's version) and runs them with the sandboxed
  script engine. :meth:`Engine.snapshot` says where an instance stands: its status, its
  earliest timer (``next_due_at``), the events it waits for, the service tasks that
  wait for an action and the user tasks that wait for a person.

The traps DESIGN.md lists are handled here: service tasks are our own spec
(:class:`ActionTask`) that *waits* (returns ``None``, the task stays STARTED) until the
action's answer completes it, registered with the serializer; timers fire only when
:meth:`Engine.run` calls ``refresh_timers()``; expression errors surface as
:class:`StepFailed` naming the task instead of a bare ``NameError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    SignalEventDefinition as BpmnSignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import (
    MessageEventDefinition as BpmnMessageEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.spiff.specs.event_definitions import (
    MessageEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from . import actions, sandbox

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

MAX_XML_BYTES = 2 * 1024 * 1024

#: Flow elements the engine runs; anything else in a process is refused at save.
RUNNABLE = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "manualTask",
        "serviceTask",
        "scriptTask",
        "sendTask",
        "receiveTask",
        "subProcess",
        "transaction",
        "callActivity",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "sequenceFlow",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "laneSet",
        "lane",
        "textAnnotation",
        "association",
        "group",
        "documentation",
        "extensionElements",
        "ioSpecification",
        "property",
        "incoming",
        "outgoing",
        "multiInstanceLoopCharacteristics",
        "standardLoopCharacteristics",
        "dataInputAssociation",
        "dataOutputAssociation",
        "category",
    }
)
REFUSED_WHY = {
    "businessRuleTask": "business rule tasks (DMN) are not supported; use an exclusive gateway",
    "complexGateway": "complex gateways are not supported; use an inclusive gateway",
    "adHocSubProcess": "ad-hoc subprocesses are not supported",
}
#: SpiffWorkflow names its own start and end tasks so; an element with such an id breaks
#: the process ("No output task connected").
RESERVED_IDS = frozenset({"Start", "End"})
TIMER_KINDS = {"timeDate": "date", "timeCycle": "cycle", "timeDuration": "duration"}


class DefinitionRefused(Exception):
    """A diagram the engine will not run: the message, and where."""

    def __init__(
        self,
        message: str,
        element_id: str | None = None,
        line: int | None = None,
        element: str | None = None,
    ):
        self.message = message
        self.element_id = element_id or None
        self.line = line or None
        self.element = element or None
        super().__init__(message)

    def to_error(self) -> dict[str, Any]:
        return {
            "field": "bpmn",
            "message": self.message,
            "element_id": self.element_id,
            "element": self.element,
            "line": self.line,
        }


class StepFailed(Exception):
    """A task failed while the engine ran: which one, and why in the user's words."""

    def __init__(self, message: str, task_id: str | None, element_id: str | None, line=None):
        self.message = message
        self.task_id = task_id
        self.element_id = element_id
        self.line = line
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "task_id": self.task_id,
            "element_id": self.element_id,
            "line": self.line,
        }


# --- the script environment -------------------------------------------------------------


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Every condition, script and expression of every diagram runs in the sandbox."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None):
        return sandbox.evaluate(expression, {**context, **(external_context or {})})

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        changed = sandbox.execute(script, {**context, **(external_context or {})})
        context.update(changed)
        return True

    def call_service(self, context: dict, **kwargs: Any) -> str:
        # Our service tasks never call through the script engine (see ActionTask).
        raise WorkflowException("service calls go through the action ledger")


SCRIPT_ENGINE = PythonScriptEngine(environment=SandboxEnvironment())


# --- service tasks that wait for their action ----------------------------------------


class ActionTask(ServiceTask):
    """A service task that asks for a CRM action and waits for its answer.

    Its parameters are evaluated in the sandbox and kept in the task's internal data;
    returning ``None`` leaves the task STARTED, and the service completes it when the
    action's answer arrives (:meth:`Engine.complete_task`).
    """

    def _execute(self, task: Any) -> None:
        params = {
            name: task.workflow.script_engine.evaluate(task, param["value"])
            for name, param in self.operation_params.items()
        }
        task._set_internal_data(action={"operation": self.operation_name, "params": params})
        return None


class ActionTaskParser(ServiceTaskParser):
    pass


class OspreyBpmnParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ActionTaskParser, ActionTask),
    }


def _serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[ActionTask] = ServiceTaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


# --- parsing and checking a diagram ---------------------------------------------------


@dataclass
class ParsedDefinition:
    key: str
    name: str
    spec: str  # JSON: {"spec": ..., "subprocess_specs": ...}
    triggers: list[dict[str, Any]]
    summary: dict[str, Any]


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _xml(data: str | bytes) -> Any:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_XML_BYTES:
        raise DefinitionRefused(f"the diagram is larger than {MAX_XML_BYTES // 1024} KB")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise DefinitionRefused(f"not well-formed XML: {exc.msg}", line=exc.lineno) from None
    if root is None or _local(root.tag) != "definitions" or etree.QName(root).namespace != BPMN_NS:
        raise DefinitionRefused("not a BPMN 2.0 document (no bpmn:definitions)", line=1)
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise DefinitionRefused("a DOCTYPE is not allowed in a diagram", line=1)
    return root


def _properties(node: Any) -> dict[str, str]:
    return {
        p.get("name"): p.get("value", "")
        for p in node.xpath(
            "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
            namespaces=NS,
        )
    }


def _refuse_at(node: Any, message: str) -> DefinitionRefused:
    return DefinitionRefused(
        message,
        element_id=node.get("id"),
        line=node.sourceline,
        element=f"bpmn:{_local(node.tag)}",
    )


def _check_expression(
    node: Any, source: str | None, what: str, mode: str = "eval", text_node: Any = None
) -> None:
    """Refuse ``node`` when its expression would be refused by the sandbox; the line is
    the expression's own line in the file when the text sits in ``text_node``."""
    if source is None or not source.strip():
        return
    try:
        sandbox.validate(source.strip() if mode == "eval" else source, mode)
    except sandbox.SandboxError as exc:
        refused = _refuse_at(node, f"{what}: {exc.message}")
        if text_node is not None and text_node.sourceline:
            # the text starts on its element's line; a script's line 1 is that line
            refused.line = text_node.sourceline + max((exc.line or 1) - 1, 0)
        raise refused from None


def _check_elements(root: Any) -> None:
    for process in root.xpath("./bpmn:process", namespaces=NS):
        for node in process.iter():
            if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN_NS:
                continue
            name = _local(node.tag)
            if node.get("id") in RESERVED_IDS:
                raise _refuse_at(
                    node, f"the id {node.get('id')!r} is reserved by the engine; rename it"
                )
            if name in REFUSED_WHY:
                raise _refuse_at(node, REFUSED_WHY[name])
            parent = node.getparent()
            in_flow = parent is not None and _local(parent.tag) in (
                "process",
                "subProcess",
                "transaction",
            )
            if in_flow and name not in RUNNABLE:
                raise _refuse_at(node, f"bpmn:{name} is not supported by the engine")


def _check_scripts_and_actions(root: Any) -> None:
    for node in root.xpath("//bpmn:conditionExpression", namespaces=NS):
        _check_expression(
            node.getparent(), node.text, "condition (a Python expression)", text_node=node
        )
    for node in root.xpath("//bpmn:scriptTask", namespaces=NS):
        script = node.find(f"{{{BPMN_NS}}}script")
        source = script.text if script is not None else None
        _check_expression(node, source, "script (Python)", "exec", text_node=script)
    for tag in ("timeDate", "timeCycle", "timeDuration"):
        for node in root.xpath(f"//bpmn:{tag}", namespaces=NS):
            event = node.getparent().getparent()
            _check_expression(event, node.text, "timer")
            _check_timer_value(event, node.text, tag)
    for node in root.xpath("//bpmn:serviceTask", namespaces=NS):
        operators = node.xpath(
            "./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS
        )
        if not operators:
            raise _refuse_at(
                node, "a service task needs an action (spiffworkflow:serviceTaskOperator)"
            )
        operation = operators[0].get("id")
        params = {
            p.get("id"): p.get("value")
            for p in operators[0].xpath(".//spiffworkflow:parameter", namespaces=NS)
        }
        problem = actions.check_parameters(operation, params)
        if problem:
            raise _refuse_at(node, problem)
        for pname, value in params.items():
            _check_expression(node, value, f"parameter {pname}")
    for node in root.xpath("//bpmn:userTask | //bpmn:startEvent", namespaces=NS):
        props = _properties(node)
        for key in ("assignee", "condition", "due_in_days"):
            _check_expression(node, props.get(key), f"property {key}")


def _check_timer_value(event: Any, source: str | None, tag: str) -> None:
    """A constant timer expression must also be a time SpiffWorkflow can read."""
    if not source:
        raise _refuse_at(event, "a timer needs an expression")
    try:
        value = sandbox.evaluate(source.strip(), {})
    except sandbox.SandboxError:
        return  # it reads process data: checked when it runs
    try:
        if tag == "timeCycle":
            TimerEventDefinition.parse_iso_recurring_interval(str(value))
        elif tag == "timeDuration":
            TimerEventDefinition.parse_iso_duration(str(value))
        else:
            TimerEventDefinition.parse_time_or_duration(str(value))
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exceptions here
        raise _refuse_at(
            event, f'timer: {value!r} is not an ISO 8601 {TIMER_KINDS[tag]} (e.g. "PT1H")'
        ) from None


def _event_names(root: Any, kind: str) -> dict[str, str]:
    return {
        n.get("id"): n.get("name") or n.get("id")
        for n in root.xpath(f"./bpmn:{kind}", namespaces=NS)
    }


def _triggers(root: Any, process: Any) -> list[dict[str, Any]]:
    signals = _event_names(root, "signal")
    messages = _event_names(root, "message")
    found = []
    for start in process.xpath("./bpmn:startEvent", namespaces=NS):
        props = _properties(start)
        base = {"start_event_id": start.get("id"), "condition": props.get("condition") or None}
        if props.get("record_type"):
            base["record_type"] = props["record_type"]
        signal = start.find(f"{{{BPMN_NS}}}signalEventDefinition")
        message = start.find(f"{{{BPMN_NS}}}messageEventDefinition")
        timer = start.find(f"{{{BPMN_NS}}}timerEventDefinition")
        if signal is not None:
            name = signals.get(signal.get("signalRef"), signal.get("signalRef"))
            found.append({**base, "kind": "signal", "name": name})
        elif message is not None:
            name = messages.get(message.get("messageRef"), message.get("messageRef"))
            found.append({**base, "kind": "message", "name": name})
        elif timer is not None:
            expr = next(iter(timer), None)
            found.append(
                {
                    **base,
                    "kind": "timer",
                    "name": TIMER_KINDS.get(_local(expr.tag), "timer")
                    if expr is not None
                    else "timer",
                    "expression": (expr.text or "").strip() if expr is not None else "",
                }
            )
        else:
            found.append({**base, "kind": "manual", "name": "manual"})
    return found


def _summary(process: Any) -> dict[str, Any]:
    user_tasks, service_tasks, timers = [], [], []
    for node in process.iter(f"{{{BPMN_NS}}}userTask"):
        user_tasks.append({"id": node.get("id"), "name": node.get("name"), **_properties(node)})
    for node in process.iter(f"{{{BPMN_NS}}}serviceTask"):
        op = node.xpath("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS)
        service_tasks.append(
            {
                "id": node.get("id"),
                "name": node.get("name"),
                "action": op[0].get("id") if op else None,
            }
        )
    for node in process.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        event = node.getparent()
        timers.append(
            {"id": event.get("id"), "name": event.get("name"), "event": _local(event.tag)}
        )
    root = process.getroottree().getroot()
    names = {
        n.get("id"): n.get("name") or n.get("id")
        for n in root.xpath("./bpmn:signal", namespaces=NS)
    }
    caught = set()
    for tag in ("intermediateCatchEvent", "boundaryEvent"):
        for node in process.iter(f"{{{BPMN_NS}}}{tag}"):
            for definition in node.iter(f"{{{BPMN_NS}}}signalEventDefinition"):
                caught.add(names.get(definition.get("signalRef"), definition.get("signalRef")))
    return {
        "user_tasks": user_tasks,
        "service_tasks": service_tasks,
        "timers": timers,
        # the record events an instance may wait for on its way (kept while it is busy)
        "signals": sorted(n for n in caught if n),
    }


def _main_process(root: Any) -> Any:
    processes = [
        p
        for p in root.xpath("./bpmn:process", namespaces=NS)
        if p.get("isExecutable", "true") != "false"
    ] or root.xpath("./bpmn:process", namespaces=NS)
    if not processes:
        raise DefinitionRefused("the diagram has no process", line=root.sourceline)
    called = {n.get("calledElement") for n in root.xpath("//bpmn:callActivity", namespaces=NS)}
    return next((p for p in processes if p.get("id") not in called), processes[0])


def parse_bpmn(data: str | bytes, filename: str = "definition.bpmn") -> ParsedDefinition:
    """Check and parse one BPMN document; raises :class:`DefinitionRefused`."""
    root = _xml(data)
    _check_elements(root)
    _check_scripts_and_actions(root)
    process = _main_process(root)
    parser = OspreyBpmnParser()
    try:
        parser.add_bpmn_xml(root, filename)
        spec = parser.get_spec(process.get("id"))
        subprocess_specs = parser.get_subprocess_specs(process.get("id"))
    except ValidationException as exc:
        raise DefinitionRefused(
            str(exc.args[0]) if exc.args else str(exc),
            element_id=getattr(exc, "id", None),
            line=getattr(exc, "line_number", None) or None,
            element=getattr(exc, "tag", None),
        ) from None
    except SpiffWorkflowException as exc:
        raise DefinitionRefused(str(exc)) from None
    serializer = _serializer()
    spec_json = json.dumps(
        {
            "spec": serializer.to_dict(spec),
            "subprocess_specs": {k: serializer.to_dict(v) for k, v in subprocess_specs.items()},
        }
    )
    name = process.get("name") or spec.description or process.get("id")
    return ParsedDefinition(
        key=process.get("id"),
        name=name,
        spec=spec_json,
        triggers=_triggers(root, process),
        summary=_summary(process),
    )


# --- running ------------------------------------------------------------------------


@dataclass
class Snapshot:
    """Where an instance stands after a step."""

    status: str  # running | waiting | completed | failed
    next_due_at: datetime | None
    waiting_for: list[str]
    current: list[dict[str, Any]]
    data: dict[str, Any]
    calls: list[dict[str, Any]] = field(default_factory=list)
    user_tasks: list[dict[str, Any]] = field(default_factory=list)
    finished_task_ids: set[str] = field(default_factory=set)


def _timer_due(value: Any) -> datetime | None:
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        return TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None


class Engine:
    """Makes, runs, saves and loads workflows of parsed definitions."""

    def __init__(self) -> None:
        self.serializer = _serializer()
        self._specs: dict[str, tuple[Any, dict[str, Any]]] = {}
        #: definition versions by id, for the service (they never change once saved)
        self.versions: dict[str, Any] = {}

    def _specs_of(self, spec_json: str) -> tuple[Any, dict[str, Any]]:
        # Parsed once per version per process: a spec never changes once saved.
        cached = self._specs.get(spec_json)
        if cached is None:
            raw = json.loads(spec_json)
            cached = (
                self.serializer.from_dict(raw["spec"]),
                {k: self.serializer.from_dict(v) for k, v in raw["subprocess_specs"].items()},
            )
            if len(self._specs) > 200:
                self._specs.clear()
            self._specs[spec_json] = cached
        return cached

    def new_workflow(self, spec_json: str, data: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = self._specs_of(spec_json)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)
        workflow.data.update(data)
        # the start task carries the data to the first tasks
        workflow.get_next_task(state=TaskState.READY).data.update(data)
        return workflow

    def dump(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """The workflow's state without its spec (the version has it)."""
        self.serializer.registry._encoder_mode = True
        try:
            state = self.serializer.to_dict(workflow)
        finally:
            self.serializer.registry._encoder_mode = False
        state.pop("spec", None)
        state.pop("subprocess_specs", None)
        state[self.serializer.VERSION_KEY] = self.serializer.VERSION
        # through JSON once: what is stored is what a load will read
        return json.loads(json.dumps(state, cls=self.serializer._encoder_cls))

    def load(self, spec_json: str, state: dict[str, Any]) -> BpmnWorkflow:
        """The workflow saved by :meth:`dump`, on its version's (cached) spec.

        This is SpiffWorkflow's own ``BpmnWorkflowConverter.from_dict`` less the spec's
        restoration: rebuilding the spec from its dict on every step cost about as much
        as the step itself, and a spec is never changed by running it.
        """
        spec, subprocess_specs = self._specs_of(spec_json)
        dct = _in_tree_order(state)
        self.serializer.migrate(dct)
        converter = self._workflow_converter
        workflow = BpmnWorkflow(
            spec, subprocess_specs, deserializing=True, script_engine=SCRIPT_ENGINE
        )
        workflow.tasks = converter.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        converter.set_default_attributes(workflow, dct)
        converter.subprocesses_from_dict(dict(dct.get("subprocesses") or {}), workflow)
        workflow.bpmn_events = self.serializer.registry.restore(dct.pop("bpmn_events", []))
        return workflow

    @property
    def _workflow_converter(self) -> Any:
        restore = self.serializer.registry.convert_from_dict[
            self.serializer.registry.typenames[BpmnWorkflow]
        ]
        return restore.args[0].__self__

    # --- steps ----------------------------------------------------------------------

    def run(self, workflow: BpmnWorkflow) -> StepFailed | None:
        """Run every engine task that can run, timers included; the failure, if one."""
        try:
            workflow.refresh_timers()
            workflow.do_engine_steps()
        except sandbox.SandboxError as exc:
            return self._failure(workflow, exc.message, None, exc.line)
        except WorkflowException as exc:
            task = getattr(exc, "task", None)
            inner = exc.__cause__ or exc.__context__
            message = str(exc.args[0]) if exc.args else str(exc)
            if isinstance(inner, sandbox.SandboxError):
                prefix = "" if message.startswith("SandboxError") else f"{message}: "
                message = f"{prefix}{inner.message}"
            elif inner is not None:
                message = f"{message}: {type(inner).__name__}: {inner}"
            line = getattr(exc, "line_number", None) or getattr(inner, "line", None)
            return self._failure(workflow, message, task, line)
        except SpiffWorkflowException as exc:
            return self._failure(workflow, str(exc), getattr(exc, "task", None), None)
        except Exception as exc:  # noqa: BLE001 - a diagram's bug must not kill the worker
            return self._failure(workflow, f"{type(exc).__name__}: {exc}", None, None)
        return None

    def _failure(self, workflow: BpmnWorkflow, message: str, task: Any, line: Any) -> StepFailed:
        if task is None:
            task = next(iter(workflow.get_tasks(state=TaskState.ERROR)), None)
        return StepFailed(
            message,
            str(task.id) if task is not None else None,
            task.task_spec.bpmn_id if task is not None else None,
            line if isinstance(line, int) and line > 0 else None,
        )

    def task(self, workflow: BpmnWorkflow, task_id: str) -> Any:
        task = workflow.get_task_from_id(UUID(task_id))
        if task is None:
            raise KeyError(task_id)
        return task

    def complete_task(
        self, workflow: BpmnWorkflow, task_id: str, data: dict[str, Any] | None = None
    ) -> None:
        """Complete a waiting service task (its action answered) or a user task; raises
        :class:`StepFailed` (the task left in error) when completing it fails — a
        post-script, a data output the diagram expects and the data lacks."""
        task = self.task(workflow, task_id)
        if data:
            task.data.update(data)
        if isinstance(task.task_spec, ActionTask):
            # the answer lands in the variable the diagram named
            task.data[task.task_spec.result_variable] = (data or {}).get("result")
            task.data.pop("result", None)
        self._finish(workflow, task)

    def _finish(self, workflow: BpmnWorkflow, task: Any) -> None:
        try:
            task.complete()
        except sandbox.SandboxError as exc:
            self._mark_error(task)
            raise StepFailed(exc.message, str(task.id), task.task_spec.bpmn_id, exc.line) from None
        except Exception as exc:  # noqa: BLE001 - SpiffWorkflow's and the diagram's errors
            self._mark_error(task)
            message = str(exc.args[0]) if getattr(exc, "args", None) else str(exc)
            raise StepFailed(message, str(task.id), task.task_spec.bpmn_id) from None

    @staticmethod
    def _mark_error(task: Any) -> None:
        if task.state != TaskState.ERROR:
            task._set_state(TaskState.ERROR)

    def fail_task(self, workflow: BpmnWorkflow, task_id: str) -> None:
        self.task(workflow, task_id).error()

    def retry(self, workflow: BpmnWorkflow) -> list[str]:
        """Put every failed task back to READY (it runs again on the next step)."""
        retried = []
        for task in workflow.get_tasks(state=TaskState.ERROR):
            task._set_state(TaskState.READY)
            task.internal_data.pop("action", None)
            retried.append(str(task.id))
        return retried

    def skip(
        self, workflow: BpmnWorkflow, task_id: str, data: dict[str, Any] | None = None
    ) -> None:
        """Complete a failed or waiting task as if it had done its work: ``data`` is an
        action's answer (in its result variable) or, for any other task, its output."""
        task = self.task(workflow, task_id)
        if isinstance(task.task_spec, ActionTask):
            task.data[task.task_spec.result_variable] = data
        elif data:
            task.data.update(data)
        self._finish(workflow, task)

    def cancel(self, workflow: BpmnWorkflow) -> None:
        workflow.cancel()

    def send_signal(self, workflow: BpmnWorkflow, name: str, payload: dict[str, Any]) -> int:
        event = BpmnEvent(SignalEventDefinition(name), payload)
        return workflow.event_manager.catch(event, internal=False)

    def send_message(self, workflow: BpmnWorkflow, name: str, payload: dict[str, Any]) -> int:
        event = BpmnEvent(MessageEventDefinition(name), payload)
        return workflow.event_manager.catch(event, internal=False)

    def put_data(self, workflow: BpmnWorkflow, data: dict[str, Any]) -> None:
        """Make ``data`` visible to every task that runs next (an event's record)."""
        workflow.data.update(data)
        for task in workflow.get_tasks(
            state=TaskState.WAITING | TaskState.READY | TaskState.STARTED
        ):
            task.data.update(data)

    # --- where it stands --------------------------------------------------------

    def snapshot(self, workflow: BpmnWorkflow, failure: StepFailed | None = None) -> Snapshot:
        calls, user_tasks, current = [], [], []
        for task in workflow.get_tasks(
            state=TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
        ):
            spec = task.task_spec
            bpmn_id = getattr(spec, "bpmn_id", None)
            if bpmn_id is None:
                continue
            state = TaskState.get_name(task.state).lower()
            current.append(
                {
                    "element_id": bpmn_id,
                    "name": spec.bpmn_name,
                    "state": state,
                    "task_id": str(task.id),
                }
            )
            if isinstance(spec, ActionTask) and task.state == TaskState.STARTED:
                action = task._get_internal_data("action") or {}
                calls.append(
                    {
                        "task_id": str(task.id),
                        "element_id": bpmn_id,
                        "name": spec.bpmn_name,
                        "operation": action.get("operation", spec.operation_name),
                        "params": action.get("params", {}),
                    }
                )
            elif spec.manual and task.state == TaskState.READY:
                props = dict((getattr(spec, "extensions", None) or {}).get("properties") or {})
                user_tasks.append(
                    {
                        "task_id": str(task.id),
                        "element_id": bpmn_id,
                        "name": spec.bpmn_name or bpmn_id,
                        "properties": props,
                        "data": task.data,
                    }
                )
        waiting_for, due = self._waiting(workflow)
        data = self._data(workflow)
        if failure is not None or workflow.get_tasks(state=TaskState.ERROR):
            status = "failed"
        elif workflow.is_completed():
            status = "completed"
        elif calls:
            status = "running"
        else:
            status = "waiting"
        return Snapshot(
            status=status,
            next_due_at=min(due) if due and status == "waiting" else None,
            waiting_for=sorted(set(waiting_for)),
            current=current,
            data=data,
            calls=calls,
            user_tasks=user_tasks,
        )

    @staticmethod
    def _waiting(workflow: BpmnWorkflow) -> tuple[list[str], list[datetime]]:
        """The signals and messages the workflow waits for, and its timers' due times.

        An event-based gateway waits for several events at once (SpiffWorkflow gives it
        one definition holding its branches' definitions), so each is looked into.
        """
        waiting_for: list[str] = []
        due: list[datetime] = []
        for task in list(workflow.event_manager.tasks.values()):
            definition = task.task_spec.event_definition
            definitions = getattr(definition, "event_definitions", None) or [definition]
            for each in definitions:
                if isinstance(each, TimerEventDefinition):
                    when = _timer_due(task._get_internal_data("event_value"))
                    if when is not None:
                        due.append(when)
                elif isinstance(each, BpmnMessageEventDefinition) and each.name:
                    waiting_for.append(f"message:{each.name}")
                elif isinstance(each, BpmnSignalEventDefinition) and each.name:
                    waiting_for.append(f"signal:{each.name}")
        return waiting_for, due

    def finished_task_ids(self, workflow: BpmnWorkflow, task_ids: list[str]) -> set[str]:
        """Those of ``task_ids`` that are no longer waiting (done, cancelled or gone)."""
        gone = set()
        for task_id in task_ids:
            try:
                task = self.task(workflow, task_id)
            except (KeyError, ValueError):
                gone.add(task_id)
                continue
            if task.state not in (TaskState.READY, TaskState.STARTED, TaskState.WAITING):
                gone.add(task_id)
        return gone

    def _data(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """The process data as a user would see it: the latest task's data."""
        if workflow.is_completed():
            tasks = workflow.get_tasks(state=TaskState.COMPLETED)
            last = max(tasks, key=lambda t: t.last_state_change, default=None)
        else:
            tasks = workflow.get_tasks(
                state=TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
            )
            last = max(tasks, key=lambda t: t.last_state_change, default=None)
        data = dict(last.data) if last is not None else dict(workflow.data)
        return json.loads(json.dumps(data, default=str))

    def migrate(self, workflow: BpmnWorkflow, spec_json: str) -> BpmnWorkflow:
        """The same instance on another version, when every task it waits in exists
        there unchanged; raises :class:`DefinitionRefused` otherwise. Live tasks keep
        their ids (their user tasks and timers stay as they are); only the predicted
        rest of the path is drawn again from the new version."""
        from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow

        spec, subprocess_specs = self._specs_of(spec_json)
        diff, sp_diffs = diff_workflow(self.serializer.registry, workflow, spec, subprocess_specs)
        live = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
        problems = [
            t.task_spec.name
            for t in (diff.removed + diff.changed)
            if t.has_state(live) and getattr(t.task_spec, "bpmn_id", None)
        ]
        for sp_id, sp_diff in sp_diffs.items():
            if sp_diff is None:
                problems.append(f"subprocess {workflow.subprocesses[sp_id].spec.name}")
            else:
                problems += [
                    t.task_spec.name for t in sp_diff.removed + sp_diff.changed if t.has_state(live)
                ]
        if problems:
            names = ", ".join(sorted(set(problems)))
            raise DefinitionRefused(f"the tasks do not match the new version: {names}")
        predicted = TaskState.MAYBE | TaskState.LIKELY
        migrate_workflow(diff, workflow, spec, reset_mask=predicted)
        for sp_id, sp_diff in sp_diffs.items():
            sp = workflow.subprocesses[sp_id]
            migrate_workflow(sp_diff, sp, subprocess_specs[sp.spec.name], reset_mask=predicted)
        workflow.subprocess_specs = subprocess_specs
        workflow.script_engine = SCRIPT_ENGINE
        return workflow


def _in_tree_order(state: dict[str, Any]) -> dict[str, Any]:
    """The state with every task after its parent.

    SpiffWorkflow stores a task's data as the change from its parent's and rebuilds it
    in the order the tasks come; PostgreSQL's JSONB keeps object keys in an order of
    its own, so a child could come first and be rebuilt from an empty parent.
    """

    def ordered(workflow: dict[str, Any]) -> dict[str, Any]:
        tasks = workflow.get("tasks") or {}
        root = workflow.get("root")
        if root not in tasks:
            return workflow
        order, queue = {}, [root]
        while queue:
            task_id = queue.pop(0)
            if task_id in order or task_id not in tasks:
                continue
            order[task_id] = tasks[task_id]
            queue.extend(tasks[task_id].get("children") or [])
        for task_id, task in tasks.items():  # anything not reached keeps its place
            order.setdefault(task_id, task)
        return {**workflow, "tasks": order}

    result = dict(ordered(state))
    if result.get("subprocesses"):
        result["subprocesses"] = {k: ordered(v) for k, v in result["subprocesses"].items()}
    return result


def utcnow() -> datetime:
    return datetime.now(UTC)
