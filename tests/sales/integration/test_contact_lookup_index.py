"""The duplicate check finds a contact by email or phone through GIN indexes that keep
no pending list (sales_0013): with one, every contact made since the last VACUUM waits
in a list each look-up reads through, so a first sync of 10,000 contacts from Exchange
or Google slowed as it went (and the planner, counting that list, chose to scan the
whole table while its statistics were new)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from services.platform.ids import new_id

LOOKUPS = ("ix_contacts_emails", "ix_contacts_phones")


def test_the_look_up_indexes_keep_no_pending_list(db_engine):
    with db_engine.connect() as conn:
        options = dict(
            conn.execute(
                sa.text(
                    "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE n.nspname = 'sales'"
                    " AND c.relname = ANY(:names)"
                ),
                {"names": list(LOOKUPS)},
            ).all()
        )
    assert options == {name: ["fastupdate=off"] for name in LOOKUPS}


def test_an_email_is_found_through_its_index_after_a_bulk_insert(db_engine):
    owner = new_id()
    rows = [{"id": new_id(), "email": f"bulk{n}-{owner[:8]}@lookup.test"} for n in range(3000)]
    with db_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sales.contacts (id, full_name, emails, owner_id, created_at,"
                " updated_at, created_by) SELECT r.id, 'Bulk Person', jsonb_build_array("
                "jsonb_build_object('email', r.email)), CAST(:owner AS uuid), now(), now(),"
                " CAST(:owner AS uuid)"
                " FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id uuid, email text)"
            ),
            {"rows": json.dumps(rows), "owner": owner},
        )
    try:
        wanted = json.dumps([{"email": rows[1234]["email"]}])
        with db_engine.connect() as conn:
            plan = conn.execute(
                sa.text(
                    "EXPLAIN (FORMAT JSON) SELECT id FROM sales.contacts"
                    " WHERE emails @> CAST(:wanted AS jsonb) LIMIT 50"
                ),
                {"wanted": wanted},
            ).scalar()
            found = conn.execute(
                sa.text("SELECT id FROM sales.contacts WHERE emails @> CAST(:wanted AS jsonb)"),
                {"wanted": wanted},
            ).scalars()
            assert [str(i) for i in found] == [rows[1234]["id"]]
        text = json.dumps(plan)
        assert "ix_contacts_emails" in text and "Seq Scan" not in text, text
    finally:
        with db_engine.begin() as conn:
            conn.execute(
                sa.text("DELETE FROM sales.contacts WHERE owner_id = CAST(:owner AS uuid)"),
                {"owner": owner},
            )
