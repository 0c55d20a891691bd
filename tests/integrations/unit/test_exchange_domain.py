"""The Exchange integration's rules, pure: connection fields checked, failures in words,
per-field merging with the last modified side winning, and the occurrences of recurring
meetings in their own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.integrations.exchange import domain
from services.platform.errors import ValidationFailed

T0 = datetime(2026, 12, 1, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
WIDE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def test_a_new_connection_needs_an_address_and_the_secret_its_sign_in_needs():
    with pytest.raises(ValidationFailed) as basic:
        domain.clean_connection({"email": "a@b.test"}, creating=True)
    assert [e["field"] for e in basic.value.errors] == ["password"]
    with pytest.raises(ValidationFailed) as oauth:
        domain.clean_connection({"email": "a@b.test", "auth": "oauth2"}, creating=True)
    assert [e["field"] for e in oauth.value.errors] == ["access_token"]
    with pytest.raises(ValidationFailed) as bad:
        domain.clean_connection(
            {
                "email": "nobody",
                "password": "x",
                "ews_url": "ftp://x",
                "deletions": "sometimes",
                "past_days": -1,
                "contact_folders": "contacts",
                "colour": "red",
            },
            creating=True,
        )
    assert {e["field"] for e in bad.value.errors} == {
        "email",
        "ews_url",
        "deletions",
        "past_days",
        "contact_folders",
        "colour",
    }
    clean = domain.clean_connection(
        {"email": " Maria@Contoso.TEST ", "password": "p", "ews_url": ""}, creating=True
    )
    settings = domain.connection_settings(clean, None)
    assert settings["email"] == settings["login"] == "maria@contoso.test"
    assert settings["ews_url"] is None and settings["export_contacts"] == "mine"
    assert "password" not in settings


def test_a_new_server_forgets_what_autodiscover_found():
    old = {**domain.DEFAULTS, "email": "a@b.test", "discovered_ews_url": "https://x/EWS"}
    assert "discovered_ews_url" in domain.connection_settings({"sync_tasks": False}, old)
    moved = domain.connection_settings({"autodiscover_url": "https://ad.b.test/a"}, old)
    assert "discovered_ews_url" not in moved


def test_failures_are_words_a_user_can_act_on():
    assert "check the user name and password" in domain.failure_words("auth")
    assert domain.failure_words("busy", back_off=7.5).endswith("(in 8 s).")
    assert "EWS URL" in domain.failure_words("autodiscover")
    assert domain.failure_words("nonsense", "boom").endswith("boom")
    assert set(domain.PERMANENT) <= set(domain.FAILURES)


def test_a_change_on_one_side_goes_to_the_other():
    snapshot = {"full_name": "Ann", "job_title": "CFO"}
    merged = domain.merge(
        ("full_name", "job_title"),
        snapshot,
        {"full_name": "Ann Lee", "job_title": "CFO"},
        {"full_name": "Ann", "job_title": "CEO"},
        crm_modified_at=T0,
        remote_modified_at=T0,
    )
    assert merged.to_remote == {"full_name": "Ann Lee"}
    assert merged.to_crm == {"job_title": "CEO"}
    assert merged.conflicts == []
    assert merged.snapshot == {"full_name": "Ann Lee", "job_title": "CEO"}


@pytest.mark.parametrize(
    ("crm_at", "remote_at", "winner", "value"),
    [(T1, T0, "crm", "VP"), (T0, T1, "exchange", "Director"), (T0, T0, "crm", "VP")],
)
def test_both_sides_changed_the_last_modified_wins(crm_at, remote_at, winner, value):
    merged = domain.merge(
        ("job_title",),
        {"job_title": "CFO"},
        {"job_title": "VP"},
        {"job_title": "Director"},
        crm_modified_at=crm_at,
        remote_modified_at=remote_at,
    )
    assert merged.conflicts == [
        {"field": "job_title", "crm_value": "VP", "remote_value": "Director", "winner": winner}
    ]
    assert merged.snapshot == {"job_title": value}
    assert (merged.to_remote if winner == "crm" else merged.to_crm) == {"job_title": value}


def test_two_records_just_matched_fill_each_others_gaps():
    merged = domain.merge(
        ("job_title", "phones", "full_name"),
        None,
        {"job_title": "CEO", "phones": [], "full_name": "Dana"},
        {"job_title": None, "phones": ["+1 555"], "full_name": "Dana"},
        crm_modified_at=T0,
        remote_modified_at=T1,
    )
    assert merged.to_remote == {"job_title": "CEO"}
    assert merged.to_crm == {"phones": ["+1 555"]}
    assert merged.conflicts == []


def test_contact_fields_compare_the_same_on_both_sides():
    crm = {
        "full_name": "  Dana Buyer ",
        "emails": [{"email": "Dana@Buyer.test"}, {"email": "dana@buyer.test"}],
        "phones": [{"phone": "+15550001"}],
        "job_title": "",
    }
    fields = domain.contact_fields(crm)
    assert fields == {
        "full_name": "Dana Buyer",
        "emails": ["dana@buyer.test"],
        "phones": ["+15550001"],
        "job_title": None,
        "company": None,  # no account: the sync puts its name on the record
    }
    assert domain.contact_fields({**crm, "company": "Acme"})["company"] == "Acme"
    data = domain.contact_data(fields)
    assert data["emails"] == [{"email": "dana@buyer.test", "is_primary": True}]


def test_tasks_compare_by_day():
    task = {"title": "Call", "due_at": "2027-01-15T09:00:00Z", "status": None}
    assert domain.activity_fields(task, "task")["due_at"] == "2027-01-15"
    assert domain.activity_fields(task, "task")["status"] == "not_started"
    assert domain.activity_fields(task, "meeting")["due_at"] == "2027-01-15T09:00:00Z"


def test_weekly_meetings_keep_their_wall_clock_time_across_summer_time():
    starts = [
        (key, start.isoformat())
        for key, start, _end in domain.occurrences(
            {"pattern": "weekly", "weekdays": ["Monday"], "end_date": "2027-04-05"},
            datetime(2027, 3, 22, 8, 0, tzinfo=UTC),
            timedelta(hours=1),
            "Europe/Berlin",
            window=WIDE,
        )
    ]
    assert starts == [
        ("2027-03-22T08:00:00Z", "2027-03-22T08:00:00+00:00"),
        ("2027-03-29T07:00:00Z", "2027-03-29T07:00:00+00:00"),
        ("2027-04-05T07:00:00Z", "2027-04-05T07:00:00+00:00"),
    ]


def test_deleted_and_moved_occurrences_and_the_window():
    moved_to = (datetime(2027, 1, 3, 15, tzinfo=UTC), datetime(2027, 1, 3, 16, tzinfo=UTC))
    found = list(
        domain.occurrences(
            {"pattern": "daily", "interval": 1, "count": 5},
            datetime(2027, 1, 1, 9, tzinfo=UTC),
            timedelta(minutes=30),
            None,
            window=(datetime(2027, 1, 2, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC)),
            deleted={"2027-01-02T09:00:00Z"},
            modified={"2027-01-04T09:00:00Z": moved_to},
        )
    )
    assert [(k, s.isoformat()) for k, s, _e in found] == [
        ("2027-01-03T09:00:00Z", "2027-01-03T09:00:00+00:00"),
        ("2027-01-04T09:00:00Z", "2027-01-03T15:00:00+00:00"),
    ]


def test_monthly_on_the_31st_falls_on_each_months_last_day():
    found = domain.occurrences(
        {"pattern": "monthly", "interval": 1, "day_of_month": 31, "count": 3},
        datetime(2027, 1, 31, 10, tzinfo=UTC),
        timedelta(hours=1),
        "UTC",
        window=WIDE,
    )
    assert [s.date().isoformat() for _k, s, _e in found] == [
        "2027-01-31",
        "2027-02-28",
        "2027-03-31",
    ]


def test_a_pattern_not_expanded_keeps_the_first_meeting():
    found = list(
        domain.occurrences(
            {"pattern": "RelativeMonthlyPattern"},
            datetime(2027, 1, 5, 10, tzinfo=UTC),
            timedelta(hours=1),
            None,
            window=WIDE,
        )
    )
    assert len(found) == 1


def test_an_occurrences_instance_index_counts_cancelled_ones_too():
    weekly = {"pattern": "weekly", "interval": 1, "weekdays": ["Monday"], "count": 6}
    first = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    zone = "Europe/Berlin"
    assert domain.instance_index(weekly, first, zone, "2027-03-01T08:00:00Z") == 1
    # after the move to summer time the occurrence is still 09:00 in Berlin
    assert domain.instance_index(weekly, first, zone, "2027-03-29T07:00:00Z") == 5
    assert domain.instance_index(weekly, first, zone, "2027-03-29T08:00:00Z") is None
    assert domain.instance_index(weekly, first, zone, "2027-04-12T07:00:00Z") is None  # 7th


def test_an_owner_that_is_no_id_is_refused_by_name():
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_connection({"owner_id": "AAA"}, creating=False)
    assert {"field": "owner_id", "message": "must be a user's id (a UUID)"} in exc.value.errors
    owner = "01a253dc-c61e-70d0-9631-4af82ec83d42"
    assert domain.clean_connection({"owner_id": owner}, creating=False)["owner_id"] == owner
