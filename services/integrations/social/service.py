"""The social service: leads from social networks' webhooks (Facebook Lead Ads,
Telegram, VK), outbound webhooks to partners' URLs, and the inbound bus where partners'
systems publish leads and activities (DESIGN.md §6, issue 16, docs/inbound.md).

Composes the parts and nothing else: channels in :mod:`.channels`, the platforms'
webhooks in :mod:`.hooks`, outbound webhooks in :mod:`.webhooks`, the inbound bus in
:mod:`.inbound` and its refused messages in :mod:`.dead_letters`; the rules in
:mod:`.domain`, SQL in :mod:`.store` and :mod:`.webhooks_store`, the outside world
behind :mod:`.dependencies`.
"""

from __future__ import annotations

from .channels import ChannelsRpc
from .dead_letters import DeadLettersRpc
from .hooks import HooksRpc
from .inbound import InboundRpc
from .webhooks import WebhooksRpc


class SocialService(ChannelsRpc, HooksRpc, WebhooksRpc, InboundRpc, DeadLettersRpc):
    """Every part's entrypoints, in one service."""

    name = "social"
