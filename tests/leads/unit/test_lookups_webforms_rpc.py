"""Lookups and web forms with their dependencies replaced (``worker_factory``): who may
change them, what is refused before the database, and what a website's post creates,
counts and commits."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.leads import store
from services.leads.lookups import LookupsRpc
from services.leads.models import Lookup, WebForm, WebFormSubmission
from services.leads.webforms import WebFormsRpc
from services.platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)

from .doubles import ADMIN, MANAGER, REP, TEAM_A, WHEN, Result, answer, emitted, event

FORM_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000b9"
LOOKUP_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000b8"

# --- lookups ---------------------------------------------------------------------------


@pytest.fixture
def lookups():
    return worker_factory(LookupsRpc)


def entry(**fields):
    return SimpleNamespace(
        **{
            "id": LOOKUP_ID,
            "kind": "source",
            "code": "website",
            "name": "Website",
            "position": 10,
            "is_active": True,
            "version": 1,
            "created_at": WHEN,
            "updated_at": WHEN,
            **fields,
        }
    )


def test_an_unknown_list_is_not_found_before_the_database(lookups):
    with pytest.raises(NotFound) as exc:
        lookups.list_lookups("colour", actor=REP)
    assert exc.value.message == "No lookup list named 'colour'"
    assert lookups.db.method_calls == []


def test_only_managers_change_lookups(lookups):
    with pytest.raises(PermissionDenied):
        lookups.create_lookup("source", {"code": "fair", "name": "Fair"}, actor=REP)
    with pytest.raises(ValidationFailed) as exc:
        lookups.create_lookup("source", {"name": "Fair"}, actor=MANAGER)
    assert exc.value.errors == [{"field": "code", "message": "is required"}]
    assert lookups.db.method_calls == []


def test_an_empty_list_gets_its_defaults_back(lookups):
    executed = answer(lookups.db)
    result = lookups.list_lookups("channel", actor=REP)
    assert result == {"items": [], "next_cursor": None}
    inserted = executed[1].compile().params
    assert inserted["code_m0"] == "web_form" and inserted["position_m0"] == 10
    assert inserted["code_m6"] == "vk" and inserted["position_m6"] == 70
    lookups.db.commit.assert_called_once()


def test_a_new_entry_goes_after_the_last_one(lookups):
    answer(lookups.db, (lambda s: "leads.lookups" in str(s), Result(rows=[entry(position=70)])))
    result = lookups.create_lookup("source", {"code": " fair ", "name": "Fair"}, actor=MANAGER)
    written = lookups.db.add.call_args.args[0]
    assert isinstance(written, Lookup)
    assert (written.code, written.position, written.is_active) == ("fair", 80, True)
    assert event(lookups.db, "lookup_created") == result


def test_a_code_the_list_has_is_a_conflict(lookups):
    answer(lookups.db, (lambda s: "leads.lookups" in str(s), Result(rows=[entry()])))
    with pytest.raises(Conflict) as exc:
        lookups.create_lookup("source", {"code": "website", "name": "Web"}, actor=MANAGER)
    assert exc.value.message == "The source list has the code 'website' already"
    lookups.db.add.assert_not_called()


def test_an_entry_of_another_list_is_not_found(lookups):
    answer(lookups.db, (lambda s: "leads.lookups" in str(s), Result(one=entry(kind="channel"))))
    with pytest.raises(NotFound) as exc:
        lookups.update_lookup("source", LOOKUP_ID, {"name": "Web"}, actor=MANAGER)
    assert exc.value.errors == [{"field": "lookup_id", "message": "no such lookup"}]


def test_an_entry_in_use_is_not_deleted(lookups):
    answer(
        lookups.db,
        (lambda s: "leads.lookups" in str(s), Result(one=entry())),
        (lambda s: "count(" in str(s) and "leads.leads" in str(s), Result(one=3)),
        (lambda s: "count(" in str(s) and "web_forms" in str(s), Result(one=1)),
    )
    with pytest.raises(Conflict) as exc:
        lookups.delete_lookup("source", LOOKUP_ID, actor=MANAGER)
    assert exc.value.errors == [{"field": "code", "message": "is in use: 3 leads, 1 web form"}]
    lookups.db.delete.assert_not_called()


def test_an_unused_entry_is_deleted_and_announced(lookups):
    stored = entry()
    answer(lookups.db, (lambda s: "leads.lookups" in str(s), Result(one=stored)))
    lookups.delete_lookup("source", LOOKUP_ID, actor=MANAGER, expected_version=1)
    lookups.db.delete.assert_called_once_with(stored)
    assert event(lookups.db, "lookup_deleted")["code"] == "website"


def test_an_update_changes_only_what_differs(lookups):
    stored = entry()
    answer(lookups.db, (lambda s: "leads.lookups" in str(s), Result(one=stored)))
    lookups.update_lookup("source", LOOKUP_ID, {"name": "Website", "position": 5}, actor=MANAGER)
    assert (stored.position, stored.version) == (5, 2)
    assert event(lookups.db, "lookup_updated")["changed_fields"] == ["position"]


# --- web forms -------------------------------------------------------------------------


@pytest.fixture
def forms():
    return worker_factory(WebFormsRpc)


def form(**fields):
    return SimpleNamespace(
        **{
            "id": FORM_ID,
            "name": "Contact us",
            "is_active": True,
            "allowed_origins": ["https://www.example.com"],
            "source": "website",
            "channel": "web_form",
            "team_id": TEAM_A,
            "owner_id": None,
            "honeypot_field": "website",
            "rate_limit_per_minute": 2,
            "redirect_url": "https://www.example.com/thanks",
            "submissions": 4,
            "version": 1,
            "created_at": WHEN,
            "updated_at": WHEN,
            "created_by": ADMIN["id"],
            **fields,
        }
    )


def test_only_admins_manage_web_forms(forms):
    for call in (
        lambda: forms.list_web_forms(actor=MANAGER),
        lambda: forms.create_web_form({"name": "x"}, actor=MANAGER),
        lambda: forms.delete_web_form(FORM_ID, actor=MANAGER),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert forms.db.method_calls == []


def test_a_new_form_gets_the_defaults_and_its_snippet(forms):
    result = forms.create_web_form({"name": " Contact "}, actor=ADMIN, base_url="https://crm.io/")
    written = forms.db.add.call_args.args[0]
    assert isinstance(written, WebForm)
    assert (written.name, written.is_active, written.allowed_origins) == ("Contact", True, [])
    assert (written.honeypot_field, written.rate_limit_per_minute) == ("website", 10)
    assert (written.submissions, written.version, written.created_by) == (0, 1, ADMIN["id"])
    assert result["submit_url"] == f"https://crm.io/api/v1/web-forms/{written.id}/submissions"
    assert 'name="website"' in result["embed_html"]
    assert "embed_html" not in event(forms.db, "web_form_created")


def test_a_form_source_must_be_an_active_code(forms):
    answer(forms.db, (lambda s: "leads.lookups" in str(s), Result(rows=[entry()])))
    with pytest.raises(ValidationFailed) as exc:
        forms.create_web_form({"name": "x", "source": "fair"}, actor=ADMIN)
    assert exc.value.errors == [
        {"field": "source", "message": "must be one of the active source codes: website"}
    ]
    forms.db.add.assert_not_called()


def posted(forms, stored, *, count=0, oldest=None):
    """The form, and how many attempts the rolling minute holds already."""
    now = WHEN
    return answer(
        forms.db,
        (lambda s: "leads.web_forms" in str(s) and "UPDATE" not in str(s), Result(one=stored)),
        (lambda s: "clock_timestamp" in str(s), Result(one=now)),
        (lambda s: "count(" in str(s), Result(one=count)),
        (lambda s: "OFFSET" in str(s) or "offset" in str(s), Result(one=oldest)),
    )


def test_an_inactive_form_is_not_found_by_websites(forms):
    posted(forms, form(is_active=False))
    with pytest.raises(NotFound) as exc:
        forms.submit_web_form(FORM_ID, {"contact_name": "Ann"}, origin="https://www.example.com")
    assert exc.value.errors == [{"field": "form_id", "message": "no such web form"}]
    forms.db.commit.assert_not_called()


def test_a_post_from_another_site_is_refused_before_it_counts(forms):
    posted(forms, form())
    with pytest.raises(PermissionDenied):
        forms.submit_web_form(FORM_ID, {"contact_name": "Ann"}, origin="https://evil.io")
    forms.db.add.assert_not_called()


def test_a_full_minute_answers_when_to_come_back(forms):
    posted(forms, form(), count=2, oldest=WHEN - timedelta(seconds=50))
    with pytest.raises(RateLimited) as exc:
        forms.submit_web_form(FORM_ID, {"contact_name": "Ann"}, origin="https://www.example.com")
    assert exc.value.retry_after == 10
    assert exc.value.errors == [
        {"field": "rate_limit", "message": "at most 2 submissions a minute from one address"}
    ]
    forms.db.add.assert_not_called()
    forms.db.commit.assert_called_once()  # the pruning is kept, the lock released


def test_a_filled_honeypot_looks_accepted_and_keeps_nothing(forms):
    executed = posted(forms, form())
    answer_ = forms.submit_web_form(
        FORM_ID, {"contact_name": "Bot", "website": "spam.io"}, origin="https://www.example.com"
    )
    assert answer_ == {"lead_id": None, "redirect_url": "https://www.example.com/thanks"}
    assert emitted(forms.db) == ["web_form_spam"]
    assert store._INSERT_LEAD not in executed
    assert forms.db.commit.call_count == 2  # the attempt, then the spam event


def test_a_post_creates_the_forms_lead_and_counts_it(forms):
    executed = posted(forms, form())
    result = forms.submit_web_form(
        FORM_ID,
        {"contact_name": " Ann ", "utm_source": "x" * 400},
        origin="https://www.example.com/",
        client_ip="203.0.113.9",
        referrer="https://www.example.com/pricing",
    )
    attempt = forms.db.add.call_args.args[0]
    assert isinstance(attempt, WebFormSubmission) and "203.0.113.9" not in attempt.ip_hash
    params = next(
        c.args[1] for c in forms.db.execute.call_args_list if c.args[0] is store._INSERT_LEAD
    )
    assert params["contact_name"] == "Ann" and len(params["utm_source"]) == 300
    assert (params["source"], params["channel"], params["team_id"]) == (
        "website",
        "web_form",
        TEAM_A,
    )
    assert params["owner_id"] is None and params["referrer"] == "https://www.example.com/pricing"
    assert emitted(forms.db) == ["lead_created", "web_form_submitted"]
    assert event(forms.db, "web_form_submitted") == {"form_id": FORM_ID, "lead_id": params["id"]}
    assert result == {"lead_id": params["id"], "redirect_url": "https://www.example.com/thanks"}
    assert any("submissions" in str(s) and "UPDATE" in str(s) for s in executed)
    assert forms.db.commit.call_count == 2  # the attempt, then the lead
