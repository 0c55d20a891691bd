"""The orders service's outbox and processed-events tables.

Revision ID: orders_0001
Revises:
Create Date: 2026-11-26
"""

from services.platform.migration_ops import create_platform_tables, drop_platform_tables

revision = "orders_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables("orders")


def downgrade() -> None:
    drop_platform_tables("orders")
