"""Parsing and checking a diagram before it is saved.

:func:`parse_bpmn` checks a diagram (XML hardened against entities and the network, the
BPMN and SpiffWorkflow schemas, the elements the engine runs, every expression through
the sandbox, every action's name) and answers the serialized spec, what starts it and a
summary for the designer; or :class:`DefinitionRefused` with the parser's message, the
element and its line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import actions, sandbox
from .spiff_extensions import OspreyBpmnParser, make_serializer

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
    serializer = make_serializer()
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
