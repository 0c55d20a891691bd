"""The sales service: accounts, contacts, opportunities, activities and forecasts.

One Nameko service (``sales``) composed of parts, a module each, every part a thin
class of ``@rpc`` methods on :class:`.dependencies.SalesBase` (the providers, nothing
else): the SQL lives in the ``*_store`` modules (and :mod:`.store` for the steps every
owned record shares), the rules in :mod:`.domain` (docs/architecture.md).
"""

from __future__ import annotations

from services.platform.name_index import NameIndexStatusRpc
from services.platform.record_batch import RecordBatchRpc

from .accounts import AccountsRpc
from .activities import ActivitiesRpc
from .batch import BatchRpc
from .contacts import ContactsRpc
from .email_activities import EmailActivitiesHandlers
from .exports import ExportsRpc
from .forecasts import ForecastsRpc
from .lead_links import LeadLinksHandlers
from .merges import MergesRpc
from .opportunities import OpportunitiesRpc
from .pipeline import PipelineRpc
from .search import SearchRpc
from .shares import SharesRpc
from .stages import StagesRpc
from .tactics import TacticsRpc


class SalesService(
    AccountsRpc,
    ContactsRpc,
    MergesRpc,
    OpportunitiesRpc,
    StagesRpc,
    TacticsRpc,
    PipelineRpc,
    ActivitiesRpc,
    ForecastsRpc,
    LeadLinksHandlers,
    EmailActivitiesHandlers,
    NameIndexStatusRpc,
    ExportsRpc,
    BatchRpc,
    SharesRpc,
    SearchRpc,
    RecordBatchRpc,
):
    """Every ``@rpc`` method of the parts, on one service."""

    name = "sales"
