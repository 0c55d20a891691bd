"""Web forms as rules (``domain.webforms``): origins, the sender's hash, the rate limit's
arithmetic, the snippet a website pastes, what a submission may carry and what a form
accepts — word for word."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from services.leads import domain
from services.platform.access import Actor
from services.platform.errors import PermissionDenied, RateLimited, ValidationFailed
from services.platform.values import InvalidValue

from .doubles import ADMIN, MANAGER, TEAM_A

FORM_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000b9"

# --- origins ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://www.example.com", "https://www.example.com"),
        (" HTTPS://WWW.Example.COM/ ", "https://www.example.com"),
        ("http://example.com:80", "http://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://example.com:443", "http://example.com:443"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://[::1]", "http://[::1]"),
    ],
)
def test_an_origin_is_scheme_host_and_a_port_other_than_the_default(given, origin):
    assert domain.normalize_origin(given) == origin


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (None, "must be a string like https://www.example.com"),
        (["https://a.io"], "must be a string like https://www.example.com"),
        ("ftp://example.com", "must be an origin like https://www.example.com"),
        ("https://", "must be an origin like https://www.example.com"),
        ("example.com", "must be an origin like https://www.example.com"),
        ("https://example.com:99999", "must be an origin like https://www.example.com"),
        (
            "https://example.com/form",
            "must be an origin without a path, e.g. https://www.example.com",
        ),
        (
            "https://example.com?x=1",
            "must be an origin without a path, e.g. https://www.example.com",
        ),
        ("https://example.com/?", "must be an origin without a path, e.g. https://www.example.com"),
        (
            "https://example.com#top",
            "must be an origin without a path, e.g. https://www.example.com",
        ),
        ("https://ann@example.com", "must not carry a user name or password"),
        ("https://:pw@example.com", "must not carry a user name or password"),
    ],
)
def test_what_is_not_an_origin_says_why(given, message):
    with pytest.raises(InvalidValue) as exc:
        domain.normalize_origin(given)
    assert str(exc.value) == message


def test_a_form_without_origins_takes_any_page():
    assert domain.origin_allowed([], None) is True
    assert domain.origin_allowed(None, "https://evil.io") is True


def test_a_form_with_origins_takes_only_those():
    allowed = ["https://www.example.com"]
    assert domain.origin_allowed(allowed, "https://WWW.example.com/") is True
    assert domain.origin_allowed(allowed, "https://example.com") is False
    assert domain.origin_allowed(allowed, None) is False
    assert domain.origin_allowed(allowed, "") is False
    assert domain.origin_allowed(allowed, "null") is False


def test_a_refused_origin_is_named():
    domain.check_origin(["https://a.io"], "https://a.io")
    with pytest.raises(PermissionDenied) as exc:
        domain.check_origin(["https://a.io"], "https://b.io")
    assert exc.value.message == "This form does not accept posts from https://b.io"
    assert exc.value.errors == [
        {"field": "origin", "message": "is not one of the form's allowed origins"}
    ]
    with pytest.raises(PermissionDenied) as exc:
        domain.check_origin(["https://a.io"], None)
    assert exc.value.message == "This form does not accept posts from a page that sent no Origin"


# --- the sender and the rate limit -----------------------------------------------------


def test_the_sender_is_kept_as_a_hash_of_the_form_and_the_canonical_address():
    expected = hashlib.sha256(f"{FORM_ID}|2001:db8::1".encode()).hexdigest()
    assert domain.ip_hash(FORM_ID, " 2001:0db8:0:0::1 ") == expected
    assert domain.ip_hash(FORM_ID, "203.0.113.9") == (
        hashlib.sha256(f"{FORM_ID}|203.0.113.9".encode()).hexdigest()
    )
    # unknown or not an address: one shared bucket per form
    assert domain.ip_hash(FORM_ID, None) == hashlib.sha256(f"{FORM_ID}|".encode()).hexdigest()
    assert domain.ip_hash(FORM_ID, "proxy") == (
        hashlib.sha256(f"{FORM_ID}|proxy".encode()).hexdigest()
    )


def test_a_place_frees_up_when_the_oldest_attempt_leaves_the_minute():
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert domain.retry_after(now - timedelta(seconds=50), now) == 10
    assert domain.retry_after(now - timedelta(seconds=49.2), now) == 11
    assert domain.retry_after(now - timedelta(seconds=59.5), now) == 1
    assert domain.retry_after(now - timedelta(seconds=75), now) == 1


def test_the_words_of_a_full_minute():
    error = domain.rate_limited(10, 7)
    assert isinstance(error, RateLimited) and error.retry_after == 7
    assert error.message == (
        "Too many submissions of this form from your address; try again in 7 seconds"
    )
    assert error.errors == [
        {"field": "rate_limit", "message": "at most 10 submissions a minute from one address"}
    ]


# --- the snippet -----------------------------------------------------------------------

SNIPPET = """\
<form method="post" action="https://crm.io/api/v1/web-forms/F1/submissions" \
accept-charset="utf-8" data-osprey-form="F1">
  <p><label>Your name<br><input type="text" name="contact_name" autocomplete="name" \
maxlength="300"></label></p>
  <p><label>Company<br><input type="text" name="account_name" autocomplete="organization" \
maxlength="300"></label></p>
  <p><label>Email<br><input type="email" name="email" autocomplete="email" \
maxlength="300"></label></p>
  <p><label>Phone<br><input type="tel" name="phone" autocomplete="tel" \
maxlength="300"></label></p>
  <p><label>What do you need?<br><input type="text" name="need_type" autocomplete="off" \
maxlength="300"></label></p>
  <p><label>Message<br><textarea name="notes" rows="4" maxlength="20000"></textarea></label></p>
  <input type="hidden" name="utm_source" value="">
  <input type="hidden" name="utm_medium" value="">
  <input type="hidden" name="utm_campaign" value="">
  <input type="hidden" name="utm_term" value="">
  <input type="hidden" name="utm_content" value="">
  <input type="hidden" name="referrer" value="">
  <div style="position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden" \
aria-hidden="true"><label>Leave this empty<input type="text" name="fax&lt;" value="" \
tabindex="-1" autocomplete="off"></label></div>
  <p><button type="submit">Send</button></p>
</form>
<script>(function () {
  var f = document.currentScript.previousElementSibling;
  var q = new URLSearchParams(window.location.search);
  ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'].forEach(function (n) {
    if (q.get(n)) { f.elements[n].value = q.get(n); }
  });
  f.elements["referrer"].value = document.referrer || "";
})();</script>
"""


def test_the_snippet_a_website_pastes():
    form = SimpleNamespace(id="F1", honeypot_field="fax<")
    assert domain.embed_html(form, "https://crm.io/") == SNIPPET


def test_only_the_slashes_that_end_the_base_url_are_dropped():
    form = SimpleNamespace(id="F1", honeypot_field="website")
    assert 'action="https://crm.io/LUX/api/v1/web-forms/F1/submissions"' in domain.embed_html(
        form, "https://crm.io/LUX//"
    )


def test_without_a_base_url_the_snippet_posts_to_a_relative_address():
    form = SimpleNamespace(id="F1", honeypot_field="website")
    assert domain.embed_html(form, None).startswith(
        '<form method="post" action="/api/v1/web-forms/F1/submissions"'
    )
    assert domain.submit_path("F2") == "/api/v1/web-forms/F2/submissions"


# --- a submission ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "filled"),
    [(None, False), ("", False), ("  ", False), ("x", True), (0, True), (False, True)],
)
def test_any_value_but_a_blank_fills_the_honeypot(value, filled):
    assert domain.honeypot_filled(value) is filled


def test_a_submission_is_an_object():
    domain.check_submission({})
    with pytest.raises(ValidationFailed) as exc:
        domain.check_submission(["Ann"])
    assert exc.value.errors == [{"field": "data", "message": "must be an object of lead fields"}]


def test_a_submission_carries_the_public_fields_and_the_honeypot_only():
    assert domain.submitted_fields(
        {"contact_name": "Ann", "website": "", "utm_term": " t ", "notes": "  hi "}, "website"
    ) == {"contact_name": "Ann", "utm_term": "t", "notes": "  hi "}
    with pytest.raises(ValidationFailed) as exc:
        domain.submitted_fields({"owner_id": "x", "score": 1, "email": "a@b.io"}, "website")
    message = "unknown field; a web form sends " + ", ".join(domain.PUBLIC_FIELDS)
    assert exc.value.errors == [
        {"field": "owner_id", "message": message},
        {"field": "score", "message": message},
    ]


def test_what_the_visitors_url_fills_is_cut_to_fit_not_refused():
    sent = {f: "u" * 400 for f in domain.UTM_FIELDS} | {"referrer": " r" * 1500, "email": 5}
    fields = domain.submitted_fields(sent, "website")
    assert all(len(fields[f]) == 300 for f in domain.UTM_FIELDS)
    assert fields["referrer"] == ("r" + " r" * 1500)[:2000]
    assert fields["email"] == 5  # typed by the visitor: validated like any lead's, later


def form(**fields: Any) -> SimpleNamespace:
    return SimpleNamespace(
        **{
            "honeypot_field": "website",
            "source": "website",
            "channel": "web_form",
            "team_id": TEAM_A,
            "owner_id": None,
        }
        | fields
    )


def test_a_submission_becomes_a_lead_of_the_forms_source_channel_team_and_owner():
    assert domain.submission_lead(
        {"contact_name": "Ann"},
        form(owner_id=MANAGER["id"]),
        "https://www.example.com/pricing",
    ) == {
        "contact_name": "Ann",
        "referrer": "https://www.example.com/pricing",
        "source": "website",
        "channel": "web_form",
        "team_id": TEAM_A,
        "owner_id": MANAGER["id"],
    }


def test_the_forms_honeypot_is_not_a_lead_field():
    lead = domain.submission_lead({"email": "a@b.io", "fax": ""}, form(honeypot_field="fax"), None)
    assert "fax" not in lead and lead["email"] == "a@b.io"


def test_the_pages_own_referrer_wins_over_the_http_one():
    lead = domain.submission_lead({"email": "a@b.io", "referrer": "https://ad.io"}, form(), "x")
    assert lead["referrer"] == "https://ad.io"
    assert "referrer" not in domain.submission_lead({"email": "a@b.io"}, form(), "  ")
    assert "referrer" not in domain.submission_lead({"email": "a@b.io"}, form(), None)
    long = domain.submission_lead({"email": "a@b.io", "referrer": ""}, form(), " " + "r" * 2500)
    assert long["referrer"] == "r" * 2000


# --- administering a form --------------------------------------------------------------


def test_only_admins_manage_forms():
    domain.require_form_admin(Actor.from_dict(ADMIN))
    with pytest.raises(PermissionDenied) as exc:
        domain.require_form_admin(Actor.from_dict(MANAGER))
    assert exc.value.message == "Only an administrator may manage web forms"
    assert exc.value.errors == [
        {"field": "actor", "message": "only an administrator may manage web forms"}
    ]


def test_a_new_form_is_active_for_any_site_with_a_website_honeypot_and_10_a_minute():
    assert domain.new_form({"name": "Contact"}) == {
        "is_active": True,
        "allowed_origins": [],
        "honeypot_field": "website",
        "rate_limit_per_minute": 10,
        "name": "Contact",
    }
    assert domain.new_form({"rate_limit_per_minute": 3})["rate_limit_per_minute"] == 3


def no_codes(kind: str) -> set[str]:
    raise AssertionError(f"{kind} codes read although nothing asked for them")


def active(kind: str) -> set[str]:
    return {"source": {"website", "event"}, "channel": {"web_form"}}[kind]


def test_a_good_form_comes_out_clean():
    owner = "0190e1a4-1d2b-7c3d-8e4f-0000000000E5"
    assert domain.clean_form(
        {
            "name": " Contact ",
            "is_active": False,
            "allowed_origins": ["https://a.io/", "https://A.io", "http://b.io:8080"],
            "source": " event ",
            "channel": "web_form",
            "team_id": " ",
            "owner_id": owner,
            "honeypot_field": "fax_2",
            "rate_limit_per_minute": 1,
            "redirect_url": " https://a.io/thanks ",
        },
        None,
        active,
    ) == {
        "name": "Contact",
        "is_active": False,
        "allowed_origins": ["https://a.io", "http://b.io:8080"],
        "source": "event",
        "channel": "web_form",
        "team_id": None,
        "owner_id": owner.lower(),
        "honeypot_field": "fax_2",
        "rate_limit_per_minute": 1,
        "redirect_url": "https://a.io/thanks",
    }


def test_clearing_what_may_be_cleared():
    assert domain.clean_form(
        {
            "allowed_origins": None,
            "source": None,
            "channel": "",
            "owner_id": None,
            "redirect_url": "",
            "rate_limit_per_minute": 10_000,
            "name": "n" * 200,
        },
        SimpleNamespace(source="website", channel="web_form"),
        no_codes,
    ) == {
        "allowed_origins": [],
        "source": None,
        "channel": None,
        "owner_id": None,
        "redirect_url": None,
        "rate_limit_per_minute": 10_000,
        "name": "n" * 200,
    }


def test_a_code_the_form_keeps_is_not_checked_again():
    current = SimpleNamespace(source="retired", channel="web_form")
    assert domain.clean_form({"source": "retired"}, current, no_codes) == {"source": "retired"}


def bad(data: Any, current: Any = None) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_form(data, current, active)
    return exc.value.errors


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": "x", "colour": 1}, [{"field": "colour", "message": "unknown field"}]),
        ({"name": " "}, [{"field": "name", "message": "must be a non-empty string"}]),
        ({"name": 5}, [{"field": "name", "message": "must be a non-empty string"}]),
        ({"name": "n" * 201}, [{"field": "name", "message": "must be at most 200 characters"}]),
        (
            {"name": "x", "is_active": 1},
            [{"field": "is_active", "message": "must be true or false"}],
        ),
        (
            {"name": "x", "allowed_origins": "https://a.io"},
            [
                {
                    "field": "allowed_origins",
                    "message": "must be a list of origins like https://www.example.com",
                }
            ],
        ),
        (
            {"name": "x", "allowed_origins": ["https://a.io", "ftp://b", 5]},
            [
                {
                    "field": "allowed_origins[1]",
                    "message": "must be an origin like https://www.example.com",
                },
                {
                    "field": "allowed_origins[2]",
                    "message": "must be a string like https://www.example.com",
                },
            ],
        ),
        ({"name": "x", "source": 5}, [{"field": "source", "message": "must be a string"}]),
        (
            {"name": "x", "source": "fair"},
            [
                {
                    "field": "source",
                    "message": "must be one of the active source codes: event, website",
                }
            ],
        ),
        ({"name": "x", "team_id": "team"}, [{"field": "team_id", "message": "must be a UUID"}]),
        ({"name": "x", "owner_id": 7}, [{"field": "owner_id", "message": "must be a UUID"}]),
        (
            {"name": "x", "honeypot_field": "Fax"},
            [
                {
                    "field": "honeypot_field",
                    "message": "must be a field name: a-z, digits and _ (at most 50)",
                }
            ],
        ),
        (
            {"name": "x", "honeypot_field": "h" * 51},
            [
                {
                    "field": "honeypot_field",
                    "message": "must be a field name: a-z, digits and _ (at most 50)",
                }
            ],
        ),
        (
            {"name": "x", "honeypot_field": "email"},
            [{"field": "honeypot_field", "message": "must not be the name of a lead field"}],
        ),
        (
            {"name": "x", "rate_limit_per_minute": "5"},
            [{"field": "rate_limit_per_minute", "message": "must be a whole number"}],
        ),
        (
            {"name": "x", "rate_limit_per_minute": True},
            [{"field": "rate_limit_per_minute", "message": "must be a whole number"}],
        ),
        (
            {"name": "x", "rate_limit_per_minute": 0},
            [{"field": "rate_limit_per_minute", "message": "must be between 1 and 10000"}],
        ),
        (
            {"name": "x", "rate_limit_per_minute": 10_001},
            [{"field": "rate_limit_per_minute", "message": "must be between 1 and 10000"}],
        ),
        *(
            (
                {"name": "x", "redirect_url": url},
                [
                    {
                        "field": "redirect_url",
                        "message": "must be an http:// or https:// address (at most 2000"
                        " characters)",
                    }
                ],
            )
            for url in (
                "ftp://a.io",
                "https://a.io/ x",
                "https://" + "a" * 1993,
                "https://",
                "http://[::1",
                5,
            )
        ),
        ({}, [{"field": "name", "message": "is required"}]),
        ({"is_active": True}, [{"field": "name", "message": "is required"}]),
    ],
)
def test_each_bad_setting_is_named(data, expected):
    assert bad(data) == expected


@pytest.mark.parametrize("url", ["http://a.io/thanks", "HTTPS://a.io", "https://a.io:8443/x?y=1"])
def test_a_web_address_to_go_to_after_posting(url):
    assert (
        domain.clean_form({"name": "x", "redirect_url": url}, None, no_codes)["redirect_url"] == url
    )


def test_the_longest_web_address_is_taken():
    url = "https://" + "a" * 1992
    assert (
        domain.clean_form({"name": "x", "redirect_url": url}, None, no_codes)["redirect_url"] == url
    )


def test_an_update_needs_no_name_and_a_form_setting_is_an_object():
    assert domain.clean_form({"is_active": True}, SimpleNamespace(), no_codes) == {
        "is_active": True
    }
    assert bad("x") == [{"field": "data", "message": "must be an object of web form fields"}]


def test_at_most_100_origins():
    origins = [f"https://s{i}.io" for i in range(101)]
    assert bad({"name": "x", "allowed_origins": origins}) == [
        {"field": "allowed_origins", "message": "must list at most 100 origins"}
    ]
    assert (
        len(domain.clean_form({"allowed_origins": origins[:100]}, 1, no_codes)["allowed_origins"])
        == 100
    )


def test_only_settings_that_differ_are_changes():
    current = SimpleNamespace(name="A", is_active=True, allowed_origins=[], source=None)
    assert domain.form_changes(current, {"source": None, "name": "B", "allowed_origins": []}) == [
        "name"
    ]
