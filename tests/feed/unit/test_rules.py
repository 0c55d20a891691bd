"""The feed's rules at their edges: ids, handles, mentions, the text a post may hold,
which links survive, the renderer's blocks and inline tokens, and the system posts
made from other services' events."""

from __future__ import annotations

import pytest

from services.feed import domain

USERS = {"ann": {"type": "user", "id": "u-ann"}, "sales": {"type": "team", "id": "t-sales"}}
REL = 'rel="nofollow noopener noreferrer" target="_blank"'


def resolve(handle: str):
    return USERS.get(handle)


def test_an_id_is_a_uuid_string() -> None:
    assert domain.is_uuid("00000000-0000-7000-8000-000000000001") is True
    assert domain.is_uuid("00000000000070008000000000000001") is True
    assert domain.is_uuid("not-a-uuid") is False
    assert domain.is_uuid("") is False
    assert domain.is_uuid(None) is False
    assert domain.is_uuid(12) is False


def test_handles_of_people_and_teams() -> None:
    assert domain.user_handle(" Ann@Osprey.Test") == "ann"
    assert domain.user_handle("bob") == "bob"
    assert domain.user_handle(None) == ""
    assert domain.team_handle("Key \t Accounts  East") == "key-accounts-east"
    assert domain.team_handle(None) == ""


def test_mentions_are_lowercased_once_each_without_a_closing_dot() -> None:
    assert domain.mentioned_handles("@Ann. Then @ann and @Bob.Smith... and @sales!") == [
        "ann",
        "bob.smith",
        "sales",
    ]
    assert domain.mentioned_handles("no one here") == []
    assert domain.mentioned_handles("`@code` x@y.z path/@root") == []
    assert domain.mentioned_handles("`a` @after `b` @last") == ["after", "last"]


def test_a_posts_text_has_its_line_ends_and_nul_characters_cleaned() -> None:
    assert domain.clean_text("a\r\nb\rc\x00d") == "a\nb\ncd"
    assert domain.clean_text("  kept as typed  ") == "  kept as typed  "


def test_a_text_of_exactly_the_maximum_is_kept_and_one_more_is_refused() -> None:
    assert domain.MAX_TEXT == 20_000
    assert domain.clean_text("x" * 20_000) == "x" * 20_000
    with pytest.raises(domain.Invalid) as exc:
        domain.clean_text("x" * 20_001, "comment")
    assert str(exc.value) == "comment: must be at most 20000 characters"


def test_empty_or_non_text_is_refused_naming_the_field() -> None:
    with pytest.raises(domain.Invalid) as exc:
        domain.clean_text(" \r\n\x00 ")
    assert str(exc.value) == "text: must not be empty"
    with pytest.raises(domain.Invalid) as exc:
        domain.clean_text(["x"], "body")
    assert str(exc.value) == "body: must be a string"


@pytest.mark.parametrize(
    "url", ["https://osprey.dev", "HTTP://OSPREY.DEV/x", "mailto:a@b.c", "http://ab"]
)
def test_safe_links_are_kept(url: str) -> None:
    assert domain.safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "javascript:alert(1)",
        "java\tscript:alert(1)",
        "https://x y",
        "https://x\x7f",
        "ftp://host",
        "https://",
        "http://",
        "http://a",  # no longer than "https://": no host worth linking
        "data:text/html,x",
        "//osprey.dev",
    ],
)
def test_unsafe_links_are_dropped(url: str) -> None:
    assert domain.safe_url(url) is None


def test_a_link_with_an_unsafe_url_stays_text_with_its_emphasis() -> None:
    assert domain.render_inline("[**go**](javascript:x)") == ("[<strong>go</strong>](javascript:x)")
    assert domain.render_inline("[a *b*](https://x.io)") == (
        f'<a href="https://x.io" {REL}>a <em>b</em></a>'
    )


def test_a_bare_url_leaves_its_closing_punctuation_outside() -> None:
    assert domain.render_inline("see https://x.io/a?b=1&c=2).") == (
        f'see <a href="https://x.io/a?b=1&amp;c=2" {REL}>https://x.io/a?b=1&amp;c=2</a>).'
    )
    assert domain.render_inline("mailto:a@b.c!") == (
        f'<a href="mailto:a@b.c" {REL}>mailto:a@b.c</a>!'
    )


def test_mentions_of_users_and_teams_link_and_unknown_ones_stay_text() -> None:
    assert domain.render_inline("@Ann.. and @sales", resolve) == (
        '<a class="mention" data-user-id="u-ann">@Ann</a>.. and '
        '<a class="mention" data-team-id="t-sales">@sales</a>'
    )
    assert domain.render_inline("@ann") == "@ann"  # nobody to ask
    assert domain.render_inline("@who", resolve) == "@who"


def test_code_is_escaped_and_never_emphasised() -> None:
    assert domain.render_inline("`**x** <b>`") == "<code>**x** &lt;b&gt;</code>"
    assert domain.render_inline("a*b*c and **bold**") == "a*b*c and <strong>bold</strong>"
    assert domain.render_inline("2 * 3 * 4") == "2 * 3 * 4"


def test_blocks_paragraphs_lists_and_quotes() -> None:
    text = "one\ntwo\n* a\n- b\n**not a list**\n> q1\n>q2\nafter\n\n\nnext"
    assert domain.render(text) == (
        "<p>one<br>two</p>"
        "<ul><li>a</li><li>b</li></ul>"
        "<p><strong>not a list</strong></p>"
        "<blockquote><p>q1<br>q2</p></blockquote>"
        "<p>after</p>"
        "<p>next</p>"
    )
    assert domain.render("- a\n> b\n- c") == (
        "<ul><li>a</li></ul><blockquote><p>b</p></blockquote><ul><li>c</li></ul>"
    )
    assert domain.render("a\r\nb\rc") == "<p>a<br>b<br>c</p>"
    assert domain.render("") == ""
    assert domain.render("  \n  ") == ""


def test_a_records_title_is_its_first_name_like_field() -> None:
    assert domain.record_title({"name": "  Acme  ", "number": "1"}) == "Acme"
    assert domain.record_title({"name": " ", "title": "Deal"}) == "Deal"
    assert domain.record_title({"number": "SO-1", "full_name": "Ann"}) == "SO-1"
    assert domain.record_title({"company": "Initech"}) == "Initech"
    assert domain.record_title({"first_name": "Ann", "last_name": " Lee "}) == "Ann Lee"
    assert domain.record_title({"last_name": "Lee"}) == "Lee"
    assert domain.record_title({"name": 5}) is None
    assert domain.record_title({}) is None
    assert domain.record_title({"name": "n" * 301}) == "n" * 300
    assert domain.record_title({"first_name": "f" * 400}) == "f" * 300


def test_system_posts_of_each_event() -> None:
    assert domain.system_post_text("lead_assigned", {"id": "l", "contact_name": "Ann"}) == (
        "Lead **Ann** was assigned.",
        "lead",
        {"id": "l", "contact_name": "Ann"},
    )
    assert (
        domain.system_post_text("lead_assigned", {"id": "l"})[0] == "Lead **A lead** was assigned."
    )
    moved = domain.system_post_text(
        "opportunity_stage_changed",
        {"opportunity": {"id": "d", "name": "Big", "probability": 40}, "to_stage_name": "Offer"},
    )
    assert moved == (
        "Deal **Big** moved to stage Offer (40% probability).",
        "opportunity",
        {"id": "d", "name": "Big", "probability": 40},
    )
    assert domain.system_post_text(
        "opportunity_stage_changed",
        {"opportunity": {"id": "d", "stage_name": "Won", "probability": ""}},
    )[0] == ("Deal **A deal** moved to stage Won.")
    assert domain.system_post_text("opportunity_stage_changed", {})[0] == (
        "Deal **A deal** moved to a new stage."
    )
    assert domain.system_post_text(
        "opportunity_stage_changed", {"opportunity": {"probability": 0}}
    )[0] == ("Deal **A deal** moved to a new stage (0% probability).")


def test_system_posts_of_a_win_a_shipment_and_an_overdue_invoice() -> None:
    assert domain.system_post_text(
        "opportunity_won", {"id": "d", "name": "Big", "amount": "100.00", "currency": "EUR"}
    )[0] == ("Deal **Big** was won (100.00 EUR).")
    # Without a currency the amount keeps the space meant to go before it.
    assert domain.system_post_text("opportunity_won", {"amount": "5"})[0] == (
        "Deal **A deal** was won (5 )."
    )
    assert domain.system_post_text("opportunity_won", {"name": "X", "currency": "EUR"})[0] == (
        "Deal **X** was won."
    )
    assert domain.system_post_text(
        "order_status_changed", {"to": "shipped", "order": {"id": "o"}}
    ) == ("Order **An order** was shipped.", "order", {"id": "o"})
    assert domain.system_post_text("order_status_changed", {"to": "shipped"})[2] == {}
    assert domain.system_post_text(
        "invoice_overdue", {"number": "INV-1", "due_date": "2026-01-02"}
    ) == (
        "Invoice **INV-1** is overdue (due 2026-01-02).",
        "invoice",
        {"number": "INV-1", "due_date": "2026-01-02"},
    )
    assert domain.system_post_text("invoice_overdue", {})[0] == "Invoice **An invoice** is overdue."


def test_where_the_web_app_shows_a_record() -> None:
    assert domain.record_link("opportunity", "x") == "/opportunities/x"
    assert domain.record_link("lead", "y") == "/leads/y"
    assert domain.record_link("invoice", "z") == "/invoices/z"
    assert domain.record_link("activity", "a") == "/activities/a"


def test_system_posts_of_an_activity_added_and_completed() -> None:
    call = {
        "id": "a",
        "type": "call",
        "title": "Call back",
        "source": None,
        "related_type": "opportunity",
        "related_id": "0190a0d0-0000-7000-8000-000000000001",
    }
    assert domain.system_post_text("activity_created", call) == (
        "Call **Call back** was added.",
        "activity",
        call,
    )
    done = domain.system_post_text("activity_completed", {**call, "type": "task", "title": ""})
    assert done is not None and done[0] == "Task **(no title)** was completed."
    assert domain.system_post_plain("activity_completed", call) == (
        ["title"],
        "An activity was completed.",
    )
    # an email, a synced meeting and an activity for no record (or an unknown one) post nothing
    for quiet in (
        {**call, "type": "email"},
        {**call, "type": "meeting", "source": "google"},
        {**call, "related_type": None, "related_id": None},
        {**call, "related_type": "invoice"},
        {**call, "related_id": "not-an-id"},
    ):
        assert domain.system_post_text("activity_created", quiet) is None
    assert domain.activity_parent(call) == ("opportunity", call["related_id"])


# --- what the first mutation run showed unpinned ------------------------------------------------


def test_a_handle_is_what_comes_before_the_first_at_sign() -> None:
    assert domain.user_handle("ann@team@osprey.test") == "ann"


def test_a_closing_dot_is_dropped_but_letters_are_kept() -> None:
    assert domain.mentioned_handles("thanks @REX.") == ["rex"]


def test_printable_characters_in_a_link_are_fine() -> None:
    assert domain.safe_url("https://x.io/!") == "https://x.io/!"
    assert domain.safe_url('https://x.io/"') == 'https://x.io/"'


def test_a_bare_url_keeps_its_last_letter_and_one_without_host_stays_text() -> None:
    assert domain.render_inline("https://x.io/AX") == (
        f'<a href="https://x.io/AX" {REL}>https://x.io/AX</a>'
    )
    assert domain.render_inline("see http://.") == "see http://."


def test_tokens_after_an_unknown_mention_are_still_rendered() -> None:
    assert domain.render_inline("@who and `code` https://x.io", resolve) == (
        f'@who and <code>code</code> <a href="https://x.io" {REL}>https://x.io</a>'
    )


def test_mentions_are_linked_in_lists_and_quotes_too() -> None:
    assert domain.render("- hi @ann\n> for @sales", resolve) == (
        '<ul><li>hi <a class="mention" data-user-id="u-ann">@ann</a></li></ul>'
        '<blockquote><p>for <a class="mention" data-team-id="t-sales">@sales</a></p>'
        "</blockquote>"
    )


def test_every_name_like_field_can_title_a_record() -> None:
    for key in ("name", "title", "number", "full_name", "contact_name", "account_name", "company"):
        assert domain.record_title({key: f" {key} "}) == key
