"""The imports service: spreadsheets and CSV files into the CRM, any list out to one
(DESIGN.md §6, issue 16), and bulk actions on a list's selection (issue 21).

Composes the parts (import jobs, the background runner, exports, bulk actions) and
nothing else.
The parts sit on :class:`.dependencies.ImportsBase`, which declares the providers
only; files are read in :mod:`.reading`, the rules are in :mod:`.domain`, records are
written through their owning services in :mod:`.entities`, SQL is in :mod:`.store`.
"""

from __future__ import annotations

from .bulk import BulkActionsRpc
from .exports import ExportsRpc
from .jobs import JobsRpc
from .runner import RunnerRpc


class ImportsService(JobsRpc, ExportsRpc, RunnerRpc, BulkActionsRpc):
    """Every part's entrypoints, in one service."""

    name = "imports"
