"""The processes service: BPMN 2.0 processes run by SpiffWorkflow 3.2 — versioned
definitions, instances started by record events, by hand, by messages and by timers,
CRM actions as service tasks, user tasks as activities, timers that are never lost.

One Nameko service (``processes``) made of parts, a module each, on
:class:`services.processes.dependencies.ProcessesBase` (the providers only); the steps
the parts take are the plain functions of ``steps.py`` and ``calls.py``
(docs/processes.md).
"""

from __future__ import annotations

from .definitions import DefinitionsRpc
from .exports import ExportsRpc
from .handlers import HandlersMixin
from .imports import ImportsHandlers
from .instances import InstancesRpc
from .tasks import TasksRpc
from .timers import TimersMixin


class ProcessesService(
    DefinitionsRpc,
    InstancesRpc,
    TasksRpc,
    ExportsRpc,
    ImportsHandlers,
    HandlersMixin,
    TimersMixin,
):
    """Every ``@rpc`` method, event handler and timer of the parts, on one service."""

    name = "processes"
