"""What Osprey adds to SpiffWorkflow: the sandboxed script environment every diagram
runs in, and service tasks that *wait* for their CRM action.

A service task is our own spec (:class:`ActionTask`): it returns ``None``, so the task
stays STARTED until the action's answer completes it; it is registered with the parser
(:class:`OspreyBpmnParser`) and with the serializer (:func:`make_serializer`).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from . import sandbox

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


def make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[ActionTask] = ServiceTaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
