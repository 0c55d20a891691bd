"""The imports service's outbox and processed-events tables.

Revision ID: imports_0001
Revises:
Create Date: 2026-12-07
"""

from services.platform.migration_ops import create_platform_tables, drop_platform_tables

revision = "imports_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables("imports")


def downgrade() -> None:
    drop_platform_tables("imports")
