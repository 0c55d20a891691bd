"""The sales service keeps the idempotency keys of the requests it applied.

A caller that lost an answer sends the request again with the same key and gets the
first answer back instead of a second effect (services/platform/requests_once.py).

Revision ID: sales_0009
Revises: sales_0008
Create Date: 2026-12-07
"""

from services.platform.requests_once import create_applied_requests, drop_applied_requests

revision = "sales_0009"
down_revision = "sales_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_applied_requests("sales")


def downgrade() -> None:
    drop_applied_requests("sales")
