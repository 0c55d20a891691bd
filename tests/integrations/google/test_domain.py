"""The google service's rules without any I/O: the per-field conflict rule, events and
activities in their time zones, people and contacts, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.integrations.google import domain
from services.platform.errors import ValidationFailed

EARLY = datetime(2027, 1, 1, 10, tzinfo=UTC)
LATE = EARLY + timedelta(minutes=5)
FIELDS = ("full_name", "emails", "job_title")


def merge(base, crm, remote, crm_at=EARLY, remote_at=LATE):
    return domain.merge(
        base, crm, remote, crm_modified=crm_at, remote_modified=remote_at, fields=FIELDS
    )


def test_a_field_changed_on_one_side_goes_to_the_other_without_a_conflict():
    base = {"full_name": "Ann", "emails": ["a@x.test"], "job_title": "CTO"}
    crm = {**base, "full_name": "Ann Lee"}
    remote = {**base, "job_title": "CEO"}
    to_crm, to_remote, found = merge(base, crm, remote)
    assert (to_crm, to_remote, found) == ({"job_title": "CEO"}, {"full_name": "Ann Lee"}, [])


@pytest.mark.parametrize(
    ("crm_at", "remote_at", "winner"),
    [(EARLY, LATE, "google"), (LATE, EARLY, "crm"), (EARLY, EARLY, "google")],
)
def test_a_field_changed_on_both_sides_goes_to_the_side_changed_last(crm_at, remote_at, winner):
    base = {"full_name": "Ann", "emails": [], "job_title": "CTO"}
    to_crm, to_remote, found = merge(
        base, {**base, "job_title": "VP"}, {**base, "job_title": "CEO"}, crm_at, remote_at
    )
    assert found == [domain.Conflict("job_title", "VP", "CEO", winner)]
    assert (to_crm, to_remote) == (
        ({"job_title": "CEO"}, {}) if winner == "google" else ({}, {"job_title": "VP"})
    )


def test_lists_compare_as_sets_and_empty_equals_none():
    base = {"full_name": "Ann", "emails": ["a@x.test", "b@x.test"], "job_title": None}
    same = {"full_name": "Ann", "emails": ["b@x.test", "a@x.test"], "job_title": ""}
    assert merge(base, same, base) == ({}, {}, [])


def test_event_times_are_utc_and_all_day_events_are_midnight_in_their_zone():
    timed = {
        "summary": "Demo",
        "start": {"dateTime": "2027-01-15T10:00:00-05:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2027-01-15T11:00:00", "timeZone": "America/New_York"},
    }
    assert domain.event_values(timed, "Europe/Berlin") == {
        "title": "Demo",
        "description": None,
        "start_at": "2027-01-15T15:00:00Z",
        "due_at": "2027-01-15T16:00:00Z",
    }
    all_day = {"start": {"date": "2027-07-01"}, "end": {"date": "2027-07-02"}}
    values = domain.event_values(all_day, "Europe/Berlin")  # summer: UTC+2
    assert (values["title"], values["start_at"]) == ("(no title)", "2027-06-30T22:00:00Z")
    keeps = domain.event_keeps(all_day, "Europe/Berlin")
    assert keeps == {"time_zone": "Europe/Berlin", "all_day": True}
    # written back all-day in its zone, and timed events in theirs
    assert domain.event_body({"start_at": values["start_at"]}, keeps)["start"] == {
        "date": "2027-07-01"
    }
    body = domain.event_body(
        {"start_at": "2027-01-15T15:00:00Z"}, {"time_zone": "America/New_York"}
    )
    assert body["start"] == {
        "dateTime": "2027-01-15T10:00:00-05:00",
        "timeZone": "America/New_York",
    }


def test_people_become_contact_values_and_back():
    person = {
        "names": [{"displayName": "Ann Lee", "givenName": "Ann", "familyName": "Lee"}],
        "emailAddresses": [{"value": "ANN@lee.test"}, {"value": "ann@lee.test"}],
        "phoneNumbers": [{"value": "+49 30 1234"}],
        "organizations": [{"name": "Acme"}, {"title": "CTO"}],
        "memberships": [
            {"contactGroupMembership": {"contactGroupResourceName": "contactGroups/abc"}}
        ],
    }
    values = domain.person_values(person)
    assert values == {
        "full_name": "Ann Lee",
        "emails": ["ann@lee.test"],
        "phones": ["+49 30 1234"],
        "job_title": "CTO",
        "company": "Acme",  # the organization's name: the contact's account
    }
    assert domain.person_values(domain.person_body(values)) == values
    assert domain.person_in_groups(person, []) and domain.person_in_groups(
        person, ["contactGroups/abc"]
    )
    assert not domain.person_in_groups(person, ["contactGroups/other"])


def test_settings_keep_what_is_unchanged_and_name_each_bad_field():
    current = domain.default_settings(datetime(2027, 1, 1).date())
    changed = domain.clean_settings({"contacts": {"direction": "import"}}, current)
    assert changed["contacts"]["direction"] == "import"
    assert changed["calendar"] == current["calendar"]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_settings(
            {"calendar": {"calendars": "primary"}, "mail": {"enabled": "yes"}}, current
        )
    assert {e["field"] for e in exc.value.errors} == {"calendar.calendars", "mail.enabled"}
