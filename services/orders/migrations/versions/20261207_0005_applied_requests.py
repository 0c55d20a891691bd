"""The orders service keeps the idempotency keys of the requests it applied.

A caller that lost an answer sends the request again with the same key and gets the
first answer back instead of a second effect (services/platform/requests_once.py).

Revision ID: orders_0005
Revises: orders_0003
Create Date: 2026-12-07
"""

from services.platform.requests_once import create_applied_requests, drop_applied_requests

revision = "orders_0005"
down_revision = "orders_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_applied_requests("orders")


def downgrade() -> None:
    drop_applied_requests("orders")
