"""The feed service keeps the idempotency keys of the requests it applied.

A caller that lost an answer sends the request again with the same key and gets the
first answer back instead of a second effect (services/platform/requests_once.py).

Revision ID: feed_0003
Revises: feed_0002
Create Date: 2026-12-07
"""

from services.platform.requests_once import create_applied_requests, drop_applied_requests

revision = "feed_0003"
down_revision = "feed_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_applied_requests("feed")


def downgrade() -> None:
    drop_applied_requests("feed")
