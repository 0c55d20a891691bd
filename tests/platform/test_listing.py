"""The shared list query against the real database: filters, search, and keyset pages
that list every row exactly once, in order, whatever duplicates and NULLs the sort
column holds."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID

from services.platform import listing
from services.platform.access import Actor
from services.platform.errors import ValidationFailed
from services.platform.ids import new_id
from services.platform.listing import (
    Filter,
    ListSpec,
    Lookup,
    Sort,
    after_first_word,
    encode_cursor,
    fetch_page,
    parse_query,
    phone_digits,
    phone_key,
    phone_key_sql,
    prefix_tsquery,
    readable_by,
    search_kind,
)

SCHEMA = "listing_test"
metadata = sa.MetaData(schema=SCHEMA)
items = sa.Table(
    "items",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True),
    sa.Column("name", sa.String(50)),
    sa.Column("rank", sa.Integer),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("born", sa.Date),
    sa.Column("owner_id", UUID(as_uuid=False)),
    sa.Column("team_id", UUID(as_uuid=False)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column(
        "search",
        TSVECTOR,
        sa.Computed("to_tsvector('simple', coalesce(name, ''))", persisted=True),
    ),
)

# A list searched by email and phone: one on the row, the others in a side table of terms
# (e:<email>, p:<phone key>), as a contact's several emails and phones are.
people = sa.Table(
    "people",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True),
    sa.Column("name", sa.String(50)),
    sa.Column("email", sa.String(100)),
    sa.Column("phone", sa.String(16)),
    sa.Column("phone_key", sa.Text, sa.Computed(phone_key_sql("phone"), persisted=True)),
    sa.Column("owner_id", UUID(as_uuid=False)),
    sa.Column("team_id", UUID(as_uuid=False)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column(
        "search",
        TSVECTOR,
        sa.Computed("to_tsvector('simple', coalesce(name, ''))", persisted=True),
    ),
    sa.Index("ix_people_email", "email", postgresql_ops={"email": "text_pattern_ops"}),
    sa.Index("ix_people_phone_key", "phone_key", postgresql_ops={"phone_key": "text_pattern_ops"}),
)
people_terms = sa.Table(
    "people_terms",
    metadata,
    sa.Column("person_id", UUID(as_uuid=False), sa.ForeignKey(people.c.id), primary_key=True),
    sa.Column("term", sa.Text, primary_key=True),
    sa.Index("ix_people_terms_term", "term", postgresql_ops={"term": "text_pattern_ops"}),
)
PEOPLE = ListSpec(
    id_column=people.c.id,
    sorts={
        "created_at": Sort(people.c.created_at, nullable=False),
        "name": Sort(people.c.name),
    },
    search_vector=people.c.search,
    search_emails=(
        Lookup(people.c.email),
        Lookup(people_terms.c.term, record_id=people_terms.c.person_id, prefix="e:"),
    ),
    search_phones=(
        Lookup(people.c.phone_key),
        Lookup(people_terms.c.term, record_id=people_terms.c.person_id, prefix="p:"),
    ),
    search_prefixes=(
        Lookup(sa.func.lower(people.c.name)),
        Lookup(sa.func.lower(after_first_word(people.c.name))),
    ),
    count_total=True,
)

KINDS = ("alpha", "beta", "gamma")
SPEC = ListSpec(
    id_column=items.c.id,
    filters={
        "name": Filter(items.c.name, "text", normalize=str.lower),
        "kind": Filter(items.c.kind, "enum", options=KINDS),
        "rank": Filter(items.c.rank, "int"),
        "active": Filter(items.c.active, "bool"),
        "born": Filter(items.c.born, "date"),
        "owner_id": Filter(items.c.owner_id, "uuid"),
    },
    sorts={
        "name": Sort(items.c.name),
        "rank": Sort(items.c.rank),
        "born": Sort(items.c.born),
        "created_at": Sort(items.c.created_at, nullable=False),
    },
    default_sort="-created_at",
    search_vector=items.c.search,
)
ROWS = 1000


def dump(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "rank": row["rank"], "kind": row["kind"]}


@pytest.fixture
def table(db_engine: sa.Engine):
    with db_engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    metadata.create_all(db_engine)
    yield db_engine
    with db_engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


@pytest.fixture
def rows(table: sa.Engine) -> list[dict[str, Any]]:
    """1,000 rows whose sort values repeat a lot and are often NULL, inserted in an
    order unrelated to their ids, so ties really are broken by id."""
    rnd = random.Random(20261126)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    data = []
    for _ in range(ROWS):
        data.append(
            {
                "id": new_id(),
                "name": rnd.choice([None, "anna", "bob", "carl", "dora", "acme corp"]),
                "rank": rnd.choice([None, None, 0, 1, 2, 3, 5, 8, 13]),
                "kind": rnd.choice(KINDS),
                "active": rnd.random() < 0.5,
                "born": rnd.choice([None, date(1990, 5, 1), date(2001, 1, 2)]),
                "owner_id": None,
                "team_id": None,
                # few distinct instants: many rows share created_at exactly
                "created_at": base + timedelta(seconds=rnd.randrange(20)),
            }
        )
    rnd.shuffle(data)
    with table.begin() as conn:
        conn.execute(items.insert(), data)
    return data


def page_through(conn: sa.Connection, query: dict[str, Any]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(ROWS + 2):  # a loop that never ends is a failure, not a hang
        page = fetch_page(conn, sa.select(items), SPEC, {**query, "cursor": cursor}, dump)
        assert len(page["items"]) <= query.get("limit", 50)
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        assert page["items"], "a page with a next cursor must not be empty"
    raise AssertionError("pagination did not end")


def expected_order(data: list[dict[str, Any]], field: str, descending: bool) -> list[str]:
    # Ascending: values up, NULLs last, ties by id; descending is the exact reverse.
    ordered = sorted(data, key=lambda r: (r[field] is None, r[field] or 0, r["id"]))
    if field == "name":
        ordered = sorted(data, key=lambda r: (r[field] is None, r[field] or "", r["id"]))
    ids = [r["id"] for r in ordered]
    return ids[::-1] if descending else ids


@pytest.mark.parametrize("sort", ["rank", "-rank", "name", "-name", "born", "-born"])
def test_every_row_once_in_order_with_duplicates_and_nulls(table, rows, sort):
    with table.connect() as conn:
        seen = page_through(conn, {"sort": sort, "limit": 37})
    ids = [item["id"] for item in seen]
    assert len(ids) == ROWS and len(set(ids)) == ROWS
    assert ids == expected_order(rows, sort.lstrip("-"), sort.startswith("-"))


@pytest.mark.parametrize("sort", ["created_at", "-created_at"])
def test_not_null_sort_pages_by_row_comparison(table, rows, sort):
    with table.connect() as conn:
        seen = page_through(conn, {"sort": sort, "limit": 101})
    ids = [item["id"] for item in seen]
    assert len(set(ids)) == ROWS
    by_id = {r["id"]: r for r in rows}
    keys = [(by_id[i]["created_at"], i) for i in ids]
    assert keys == sorted(keys, reverse=sort.startswith("-"))


def test_default_sort_limit_and_last_page(table, rows):
    with table.connect() as conn:
        first = fetch_page(conn, sa.select(items), SPEC, None, dump)
        assert len(first["items"]) == 50 and first["next_cursor"]
        everything = fetch_page(conn, sa.select(items), SPEC, {"limit": 500}, dump)
        assert len(everything["items"]) == 500 and everything["next_cursor"]
        # a page that ends exactly at the last row has no next cursor
        tail = fetch_page(
            conn,
            sa.select(items),
            SPEC,
            {"limit": 500, "cursor": everything["next_cursor"]},
            dump,
        )
    assert len(tail["items"]) == 500 and tail["next_cursor"] is None


def test_filters_convert_values_and_combine_with_paging(table, rows):
    query = {
        "filter": {"kind": ["alpha", "gamma"], "rank": ["3", 8, None], "active": ["true"]},
        "sort": "-rank",
        "limit": 7,
    }
    expected = {
        r["id"]
        for r in rows
        if r["kind"] in ("alpha", "gamma") and r["rank"] in (3, 8, None) and r["active"]
    }
    with table.connect() as conn:
        seen = page_through(conn, query)
    assert [i["id"] for i in seen if i["id"] in expected] == [i["id"] for i in seen]
    assert {i["id"] for i in seen} == expected and len(seen) == len(expected)


def test_date_uuid_and_normalized_text_filters(table, rows):
    with table.connect() as conn:
        born = fetch_page(
            conn, sa.select(items), SPEC, {"filter": {"born": ["2001-01-02"]}, "limit": 500}, dump
        )
        named = fetch_page(
            conn, sa.select(items), SPEC, {"filter": {"name": ["ANNA"]}, "limit": 500}, dump
        )
        nobody = fetch_page(
            conn, sa.select(items), SPEC, {"filter": {"owner_id": [new_id()]}}, dump
        )
    assert {i["id"] for i in born["items"]} == {
        r["id"] for r in rows if r["born"] == date(2001, 1, 2)
    }
    assert {i["id"] for i in named["items"]} == {r["id"] for r in rows if r["name"] == "anna"}
    assert nobody == {"items": [], "next_cursor": None}


def test_search_matches_word_prefixes(table, rows):
    with table.connect() as conn:
        page = page_through(conn, {"q": "acm", "limit": 100})
        both = page_through(conn, {"q": "ACM cor", "limit": 100})
        none = fetch_page(conn, sa.select(items), SPEC, {"q": "corx"}, dump)
        operators = page_through(conn, {"q": "a & | ! ( ) ':", "limit": 500})
    acme = {r["id"] for r in rows if r["name"] == "acme corp"}
    assert acme and {i["id"] for i in page} == acme
    assert {i["id"] for i in both} == acme
    assert none["items"] == []
    # operators typed into the box are words, not syntax: "a" still matches as a prefix
    assert {i["name"] for i in operators} == {"anna", "acme corp"}


def test_readable_by_mirrors_actor_rights(table):
    team, other_team, me = new_id(), new_id(), new_id()
    mine, teams, foreign, shared = new_id(), new_id(), new_id(), new_id()
    now = datetime.now(UTC)
    base = {"name": None, "rank": None, "kind": "alpha", "active": True, "born": None}
    with table.begin() as conn:
        conn.execute(
            items.insert(),
            [
                {**base, "id": mine, "owner_id": me, "team_id": other_team, "created_at": now},
                {**base, "id": teams, "owner_id": new_id(), "team_id": team, "created_at": now},
                {
                    **base,
                    "id": foreign,
                    "owner_id": new_id(),
                    "team_id": other_team,
                    "created_at": now,
                },
                {**base, "id": shared, "owner_id": None, "team_id": None, "created_at": now},
            ],
        )
    rep = Actor(id=me, roles=("sales_rep",), team_id=team)
    admin = Actor(id=new_id(), roles=("admin",))
    with table.connect() as conn:
        visible = set(
            conn.execute(
                sa.select(items.c.id).where(readable_by(rep, items.c.owner_id, items.c.team_id))
            ).scalars()
        )
        everything = set(
            conn.execute(
                sa.select(items.c.id).where(readable_by(admin, items.c.owner_id, items.c.team_id))
            ).scalars()
        )
    assert visible == {mine, teams, shared}
    assert everything == {mine, teams, foreign, shared}


def fields_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e["field"] for e in exc.value.errors}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"filter": {"colour": ["red"]}}, "filter[colour]"),
        ({"filter": {"kind": ["delta"]}}, "filter[kind]"),
        ({"filter": {"kind": []}}, "filter[kind]"),
        ({"filter": {"rank": ["three"]}}, "filter[rank]"),
        ({"filter": {"rank": [True]}}, "filter[rank]"),
        ({"filter": {"active": ["maybe"]}}, "filter[active]"),
        ({"filter": {"born": ["01/02/2001"]}}, "filter[born]"),
        ({"filter": {"owner_id": ["not-a-uuid"]}}, "filter[owner_id]"),
        ({"filter": {"name": [42]}}, "filter[name]"),
        ({"filter": ["kind"]}, "filter"),
        ({"sort": "colour"}, "sort"),
        ({"sort": "-"}, "sort"),
        ({"sort": 3}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": True}, "limit"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": 12}, "cursor"),
        ({"q": ["acme"]}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"page": 2}, "page"),
        ({"total": "no"}, "total"),
        ({"total": 0}, "total"),
    ],
)
def test_bad_query_names_the_field(query, field):
    with pytest.raises(ValidationFailed) as exc:
        parse_query(query, SPEC)
    assert fields_of(exc) == {field}


def test_all_problems_are_reported_together():
    with pytest.raises(ValidationFailed) as exc:
        parse_query({"filter": {"colour": ["red"]}, "sort": "size", "limit": 0}, SPEC)
    assert fields_of(exc) == {"filter[colour]", "sort", "limit"}


def test_cursor_only_works_with_the_sort_that_made_it():
    cursor = encode_cursor("rank", 3, new_id())
    assert parse_query({"sort": "rank", "cursor": cursor}, SPEC).after[0] == 3
    with pytest.raises(ValidationFailed) as exc:
        parse_query({"sort": "-rank", "cursor": cursor}, SPEC)
    assert fields_of(exc) == {"cursor"}


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor("rank", "three", new_id()),  # value of the wrong type
        encode_cursor("rank", 3, "not-a-uuid"),  # id that is not one
        encode_cursor("created_at", None, new_id()),  # NULL where the column has none
        encode_cursor("created_at", "yesterday", new_id()),
    ],
)
def test_tampered_cursor_is_rejected(cursor):
    sort = "created_at" if "created_at" in _decoded_sort(cursor) else "rank"
    with pytest.raises(ValidationFailed) as exc:
        parse_query({"sort": sort, "cursor": cursor}, SPEC)
    assert fields_of(exc) == {"cursor"}


def _decoded_sort(cursor: str) -> str:
    import base64
    import json

    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["s"]


def test_prefix_tsquery_quotes_every_word():
    assert prefix_tsquery("acme corp") == "'acme':* & 'corp':*"
    assert prefix_tsquery("o'brien") == "'o''brien':*"
    assert prefix_tsquery(" & | ") is None


# --- the search box: emails and phones through their own indexes ----------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ben@initech.io", "email"),
        ("Ben@Ini", "email"),
        ("ben@", "email"),
        ("@initech", "words"),  # a domain alone: the words path knows email pieces
        ("ben @ initech", "words"),
        ("+44 20 7946 0018", "phone"),
        ("020-7946-0018", "phone"),
        ("(020) 7946 0018", "phone"),
        ("442079460018", "phone"),
        ("0044 20 7946 0018", "phone"),
        ("+44 (0) 20 7946 0018", "phone"),
        ("8 (916) 123-45-67", "phone"),
        ("7946 0018", "phone"),
        ("+4420", "words"),  # the start of a number: too short to look up
        ("000 0001", "words"),  # seven digits, one of them significant
        ("Anna", "words"),
        ("Acme 2024", "words"),
    ],
)
def test_search_kind(text: str, kind: str) -> None:
    assert search_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("+44 20 7946 0018", "442079460018"),
        ("0044 20 7946 0018", "442079460018"),
        ("+44 (0) 20 7946 0018", "442079460018"),
        ("020-7946-0018", "2079460018"),
        ("(020) 7946 0018", "2079460018"),
        ("8 (916) 123-45-67", "9161234567"),  # the trunk 8 of a Russian number
        ("+7 916 123 45 67", "79161234567"),
        ("+1 212 555 0187", "12125550187"),
    ],
)
def test_phone_digits_are_the_significant_ones(text: str, digits: str) -> None:
    assert phone_digits(text) == digits
    assert phone_key(text) == digits[::-1]


def test_phone_key_in_sql_is_the_same_as_in_python(db_engine: sa.Engine) -> None:
    stored = ["+442079460018", "+02079460018", "+89161234567", "+79161234567", "+0012345", "+8"]
    with db_engine.connect() as conn:
        for phone in stored:
            sql = conn.execute(
                sa.text(f"SELECT {phone_key_sql('CAST(:p AS text)')}"), {"p": phone}
            ).scalar_one()
            assert sql == phone_key(phone), phone


@pytest.fixture
def directory(table: sa.Engine) -> dict[str, str]:
    """People with numbers stored the way the services store them (+ and digits), some
    in national form, and emails on the row or in the side table; returns name → id."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        ("london", "ann@initech.io", "+442079460018", []),
        ("london, saved national", None, "+02079460018", []),
        ("london, other number", None, "+442079460019", []),  # one digit apart
        ("same tail elsewhere", None, "+12079460018", []),  # the same last 10 digits
        ("moscow", None, "+79161234567", []),
        ("moscow, saved with 8", None, "+89161234567", []),
        ("ben", "ben@initech.io", None, ["e:b.side@globex.io", "p:" + phone_key("+33193393106")]),
        ("underscore", "a_b@x.io", None, []),
        ("no underscore", "axb@x.io", None, []),
    ]
    ids = {}
    with table.begin() as conn:
        for n, (name, email, phone, terms) in enumerate(rows):
            ids[name] = new_id()
            conn.execute(
                people.insert().values(
                    id=ids[name],
                    name=name,
                    email=email,
                    phone=phone,
                    created_at=base + timedelta(seconds=n),
                )
            )
            for term in terms:
                conn.execute(people_terms.insert().values(person_id=ids[name], term=term))
    return ids


def dump_person(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"]}


def found(conn: sa.Connection, q: str, stmt: Any = None) -> set[str]:
    stmt = stmt if stmt is not None else sa.select(people)
    page = fetch_page(conn, stmt, PEOPLE, {"q": q}, dump_person)
    return {item["id"] for item in page["items"]}


@pytest.mark.parametrize(
    "spelling",
    [
        "+44 20 7946 0018",
        "020-7946-0018",
        "(020) 7946 0018",
        "442079460018",
        "0044 20 7946 0018",
        "+44 (0) 20 7946 0018",
    ],
)
def test_every_common_spelling_of_a_number_finds_it(table, directory, spelling: str) -> None:
    with table.connect() as conn:
        hits = found(conn, spelling)
    # national spellings (no country code) also find the same number in another country
    national = not spelling.lstrip("+0").startswith("44")
    expected = {directory["london"], directory["london, saved national"]}
    if national:
        expected.add(directory["same tail elsewhere"])
    assert hits == expected


def test_russian_numbers_with_8_or_7(table, directory) -> None:
    both = {directory["moscow"], directory["moscow, saved with 8"]}
    with table.connect() as conn:
        assert found(conn, "8 (916) 123-45-67") == both
        assert found(conn, "+7 916 123 45 67") == both
        assert found(conn, "916 123 45 67") == both
        # counted when it does not fit on the page (the count takes the same lookups)
        one = fetch_page(
            conn, sa.select(people), PEOPLE, {"q": "+7 916 123 45 67", "limit": 1}, dump_person
        )
    assert (one["total"], one["total_is_estimate"]) == (2, False)


def test_emails_by_prefix_on_the_row_and_in_terms(table, directory) -> None:
    with table.connect() as conn:
        assert found(conn, "Ann@Initech.io") == {directory["london"]}
        assert found(conn, "ben@ini") == {directory["ben"]}
        assert found(conn, "b.side@") == {directory["ben"]}  # a second email, in the terms
        assert found(conn, "+33 1 93 39 31 06") == {directory["ben"]}  # a phone in the terms
        assert found(conn, "a_b@") == {directory["underscore"]}  # _ and % are literal
        assert found(conn, "a%@") == set()
        assert found(conn, "nobody@initech.io") == set()


def test_search_uses_the_lookup_indexes(table, directory) -> None:
    with table.connect() as conn:
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        for q in ("ann@ini", "020 7946 0018"):
            parsed = parse_query({"q": q}, PEOPLE)
            # few: how a search the planner expects to match few rows is read
            stmt = listing.page_statement(sa.select(people), PEOPLE, parsed, few=True)
            compiled = stmt.compile(
                dialect=conn.dialect, compile_kwargs={"render_postcompile": True}
            )
            plan = "\n".join(
                conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars()
            )
            assert "ix_people_terms_term" in plan, plan
            assert ("ix_people_email" if "@" in q else "ix_people_phone_key") in plan, plan


def test_search_keeps_the_rights_condition(table, directory) -> None:
    rep = Actor(id=new_id(), roles=("sales_rep",), team_id=new_id())
    with table.begin() as conn:
        conn.execute(
            people.update().where(people.c.id == directory["ben"]).values(owner_id=new_id())
        )
    readable = sa.select(people).where(readable_by(rep, people.c.owner_id, people.c.team_id))
    with table.connect() as conn:
        assert found(conn, "ben@initech.io", readable) == set()
        assert found(conn, "ann@initech.io", readable) == {directory["london"]}


def test_search_results_page_by_keyset_with_their_total(table) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with table.begin() as conn:
        conn.execute(
            people.insert(),
            [
                {
                    "id": new_id(),
                    "name": f"person {n}",
                    "email": f"team{n % 3}@acme{n}.io",
                    "created_at": base + timedelta(seconds=n % 5),  # many ties
                }
                for n in range(60)
            ],
        )
    seen: list[str] = []
    totals: list[Any] = []
    cursor = None
    with table.connect() as conn:
        while True:
            page = fetch_page(
                conn,
                sa.select(people),
                PEOPLE,
                {"q": "Team1@acme", "limit": 7, "cursor": cursor, "sort": "-created_at"},
                dump_person,
            )
            seen += [item["id"] for item in page["items"]]
            totals.append((page["total"], page["total_is_estimate"]))
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert len(seen) == len(set(seen)) == 20
    assert totals[0] == (20, False)
    assert all(total == (None, None) for total in totals[1:])


def test_total_is_exact_up_to_the_limit_and_estimated_above(table, rows, monkeypatch) -> None:
    spec = ListSpec(**{**SPEC.__dict__, "count_total": True})
    with table.begin() as conn:
        conn.execute(sa.text(f"ANALYZE {SCHEMA}.items"))
    alphas = sum(1 for r in rows if r["kind"] == "alpha")
    with table.connect() as conn:

        def first_page(query: dict[str, Any]) -> tuple[int, bool]:
            page = fetch_page(conn, sa.select(items), spec, {"limit": 10, **query}, dump)
            return page["total"], page["total_is_estimate"]

        # all on one page: counted from the page itself
        assert first_page({"limit": 500, "filter": {"rank": ["13"]}})[1] is False
        assert first_page({}) == (ROWS, False)
        assert first_page({"filter": {"kind": ["alpha"]}}) == (alphas, False)

        monkeypatch.setattr(listing, "COUNT_EXACT_UP_TO", 100)
        total, estimated = first_page({})
        assert estimated is True and total > 100
        assert abs(total - ROWS) < ROWS * 0.1  # the planner knows the table (ANALYZE)

        monkeypatch.setattr(listing, "COUNT_SKIP_ABOVE", 200)  # answered by EXPLAIN alone
        total, estimated = first_page({"filter": {"kind": ["alpha"]}})
        assert estimated is True and abs(total - alphas) < alphas * 0.2

        # asked without it (the global search), the first page counts nothing
        statements: list[str] = []
        sa.event.listen(conn, "before_cursor_execute", lambda *a: statements.append(a[2]))
        page = fetch_page(conn, sa.select(items), spec, {"limit": 10, "total": False}, dump)
        assert (page["total"], page["total_is_estimate"]) == (None, None)
        assert len(page["items"]) == 10 and page["next_cursor"]
        assert len(statements) == 1 and "count" not in statements[0].lower()

        # a later page does not count again
        cursor = fetch_page(conn, sa.select(items), spec, {"limit": 10}, dump)["next_cursor"]
        later = fetch_page(conn, sa.select(items), spec, {"limit": 10, "cursor": cursor}, dump)
        assert (later["total"], later["total_is_estimate"]) == (None, None)


def test_a_list_without_totals_keeps_its_shape(table, rows) -> None:
    with table.connect() as conn:
        page = fetch_page(conn, sa.select(items), SPEC, {"limit": 5}, dump)
    assert set(page) == {"items", "next_cursor"}


@pytest.mark.parametrize("few", [True, False])
def test_names_by_their_start_or_their_surname_each_once(table, few, monkeypatch) -> None:
    # few: the page and its total read from the lookups' indexes (the planner expects
    # few matches); otherwise walked in page order and counted apart
    monkeypatch.setattr(listing, "SEARCH_FROM_INDEXES_UP_TO", 10**9 if few else -1)
    monkeypatch.setattr(listing, "COUNT_SKIP_ABOVE", 10**9)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    names = ["Ann Annson", "Ann Smith", "Bob Annson", "Annabel", "Bob Smith", None, "Dan"]
    with table.begin() as conn:
        conn.execute(
            people.insert(),
            [
                {"id": new_id(), "name": name, "created_at": base + timedelta(seconds=n)}
                for n, name in enumerate(names)
            ],
        )
    with table.connect() as conn:
        first = fetch_page(conn, sa.select(people), PEOPLE, {"q": "ANN", "limit": 2}, dump_person)
        rest = fetch_page(
            conn,
            sa.select(people),
            PEOPLE,
            {"q": "ANN", "limit": 2, "cursor": first["next_cursor"]},
            dump_person,
        )
        surname = fetch_page(conn, sa.select(people), PEOPLE, {"q": "smi"}, dump_person)
    # "Ann Annson" matches by its name and its surname: found and counted once
    assert (first["total"], first["total_is_estimate"]) == (4, False)
    assert [i["name"] for i in first["items"] + rest["items"]] == [
        "Annabel",
        "Bob Annson",
        "Ann Smith",
        "Ann Annson",
    ]
    assert {i["name"] for i in surname["items"]} == {"Ann Smith", "Bob Smith"}


def test_the_first_found_each_once_without_an_estimate_or_a_total(table, directory) -> None:
    # the global search's question: each lookup's first limit + 1 from its own index
    # (a name's start in the name's order), those in the list's order; "more" when
    # more match than the limit, and every match when they are fewer
    base = datetime(2026, 2, 1, tzinfo=UTC)
    names = ["Ann Annson", "Ann Smith", "Bob Annson", "Annabel", "Bob Smith", None, "Dan"]
    with table.begin() as conn:
        conn.execute(
            people.insert(),
            [
                {"id": new_id(), "name": name, "created_at": base + timedelta(seconds=n)}
                for n, name in enumerate(names)
            ],
        )

    def first(q: str, limit: int, stmt: Any = None) -> dict[str, Any]:
        stmt = stmt if stmt is not None else sa.select(people)
        query = {"q": q, "limit": limit, "first_found": True}
        return fetch_page(conn, stmt, PEOPLE, query, dump_person)

    with table.connect() as conn:
        statements: list[str] = []
        sa.event.listen(conn, "before_cursor_execute", lambda *a: statements.append(a[2]))
        everything = first("ANN", 10)
        assert len(statements) == 1 and "EXPLAIN" not in statements[0]  # no estimate
        assert "USING ~<~" in statements[0]  # the names read in their index's order
        # "Ann Annson" matches by its name and its surname: found once; newest first
        assert [i["name"] for i in everything["items"]] == [
            "Annabel",
            "Bob Annson",
            "Ann Smith",
            "Ann Annson",
        ]
        assert everything["more"] is False and everything["next_cursor"] is None
        assert "total" not in everything
        assert [i["name"] for i in first("ann", 4)["items"]] == [
            i["name"] for i in everything["items"]
        ]
        assert first("ann", 4)["more"] is False
        two = first("ann", 2)
        assert len(two["items"]) == 2 and two["more"] is True
        assert {i["name"] for i in two["items"]} < {i["name"] for i in everything["items"]}
        assert {i["name"] for i in first("smi", 5)["items"]} == {"Ann Smith", "Bob Smith"}
        # an email on the row and in the side table, a number: as the list finds them
        for q in ("ben@initech.io", "b.side@globex", "+33 1 93 39 31 06", "020 7946 0018"):
            assert {i["id"] for i in first(q, 5)["items"]} == found(conn, q), q
        # the rights hold
        rep = Actor(id=new_id(), roles=("sales_rep",), team_id=new_id())
        readable = sa.select(people).where(readable_by(rep, people.c.owner_id, people.c.team_id))
        conn.execute(people.update().where(people.c.name.like("Ann%")).values(owner_id=new_id()))
        assert {i["name"] for i in first("ann", 5, readable)["items"]} == {"Bob Annson"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"q": "ann", "first_found": "yes"}, "must be true or false"),
        ({"q": "ann", "first_found": True, "cursor": "abc"}, "answers a first page only"),
    ],
)
def test_first_found_is_a_first_page_only(query: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_query(query, PEOPLE)
    assert {"field": "first_found", "message": message} in refused.value.errors


def test_a_phone_number_is_read_from_its_index_without_an_estimate(table, directory) -> None:
    with table.connect() as conn:
        statements: list[str] = []
        sa.event.listen(conn, "before_cursor_execute", lambda *a: statements.append(a[2]))
        page = fetch_page(conn, sa.select(people), PEOPLE, {"q": "+44 20 7946 0018"}, dump_person)
    assert {i["id"] for i in page["items"]} == {
        directory["london"],
        directory["london, saved national"],
    }
    assert (page["total"], page["total_is_estimate"]) == (2, False)
    assert len(statements) == 1 and "EXPLAIN" not in statements[0]
