"""The GIN indexes the duplicate check finds a contact's email and phone through,
without a pending list (``fastupdate = off``).

With the default pending list every new contact's entries wait in an unsorted list that
each look-up reads through until a VACUUM (or 4 MB of them) merges it into the index:
a first sync of 10,000 contacts from Exchange or Google made each duplicate check read
all the contacts made before it — and the planner, seeing the list's cost, chose a
sequential scan of ``contacts`` while the table was new to its statistics (38 ms at
10,000 rows against 0.05 ms). A new entry now goes into the index at once (some 27 µs
more per contact).

Revision ID: sales_0013
Revises: sales_0012
Create Date: 2026-12-08
"""

from alembic import op

revision = "sales_0013"
down_revision = "sales_0012"
branch_labels = None
depends_on = None

INDEXES = ("sales.ix_contacts_emails", "sales.ix_contacts_phones")


def upgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        # what waits in the list now is merged at once
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
