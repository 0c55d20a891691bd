"""SpiffWorkflow 3.2 behind one small adapter: start, run, save, load.

What the rest of the service needs from the engine, and nothing of SpiffWorkflow's
types leaks past it. A diagram is parsed and checked first
(:mod:`~services.processes.definition_parsing`); :class:`Engine` then makes, loads and
saves workflows of it (the state is saved *without* the spec, which belongs to the
definition's version) and runs them with the sandboxed script engine
(:mod:`~services.processes.spiff_extensions`). :meth:`Engine.snapshot` says where an
instance stands: its status, its earliest timer (``next_due_at``), the events it waits
for, the service tasks that wait for an action and the user tasks that wait for a person.

The traps DESIGN.md lists are handled here and there: service tasks wait until the
action's answer completes them (:class:`~services.processes.spiff_extensions.ActionTask`);
timers fire only when :meth:`Engine.run` calls ``refresh_timers()``; expression errors
surface as :class:`StepFailed` naming the task instead of a bare ``NameError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    SignalEventDefinition as BpmnSignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import (
    MessageEventDefinition as BpmnMessageEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import (
    SpiffWorkflowException,
    TaskNotFoundException,
    WorkflowException,
)
from SpiffWorkflow.spiff.specs.event_definitions import (
    MessageEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from . import sandbox
from .definition_parsing import DefinitionRefused
from .spiff_extensions import SCRIPT_ENGINE, ActionTask, make_serializer


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
        self.serializer = make_serializer()
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
        """The task of that id; ``KeyError`` when the instance has none (SpiffWorkflow
        raises its own exception for an unknown id, which callers need not know)."""
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except TaskNotFoundException:
            raise KeyError(task_id) from None
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
