"""The leads service: one Nameko service (``leads``, one queue, one schema) made of parts.

Each part is a module of its own, a thin class of ``@rpc`` methods (or handlers) on
:class:`~services.leads.dependencies.LeadsBase`, which declares the providers and
nothing else: the lead record (``leads.py``), the process (``process.py``),
distribution, scoring, duplicates and merges, imports, the bulk create, lookups, web forms, record
sharing and the handlers of sales' merges. Their SQL is in the store modules
(``store.py``, ``<part>_store.py``), their rules in ``domain/``. This module only
composes them.
"""

from __future__ import annotations

from services.platform.name_index import NameIndexStatusRpc
from services.platform.record_batch import RecordBatchRpc

from .bulk import BulkRpc
from .distribution import DistributionRpc
from .duplicates import DuplicatesRpc
from .exports import ExportsRpc
from .imports import ImportsRpc
from .leads import LeadsRpc
from .lookups import LookupsRpc
from .merges import MergesHandlers
from .process import ProcessRpc
from .scoring import ScoringRpc
from .shares import SharesRpc
from .webforms import WebFormsRpc


class LeadsService(
    LeadsRpc,
    ProcessRpc,
    DistributionRpc,
    ScoringRpc,
    ImportsRpc,
    BulkRpc,
    DuplicatesRpc,
    LookupsRpc,
    WebFormsRpc,
    MergesHandlers,
    NameIndexStatusRpc,
    ExportsRpc,
    SharesRpc,
    RecordBatchRpc,
):
    """Every part's entrypoints, in one service."""

    name = "leads"
