"""The feed's renderer: Markdown-like text to HTML that carries no script, whatever is typed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from services.feed import domain

USERS = {"ann": {"type": "user", "id": "u-ann", "handle": "ann"}}
TEAMS = {"team-a": {"type": "team", "id": "t-a", "handle": "team-a"}}


def resolve(handle: str):
    return USERS.get(handle) or TEAMS.get(handle)


class Checker(HTMLParser):
    """Fails on any tag or attribute outside the allow-list, or an unsafe URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in domain.ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
            return
        for name, value in attrs:
            if name not in domain.ALLOWED_TAGS[tag]:
                self.problems.append(f"attribute {name} on {tag}")
            if name == "href":
                url = (value or "").strip().lower()
                if not url.startswith(("http://", "https://", "mailto:")):
                    self.problems.append(f"href {value}")
        if tag != "br":
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in domain.ALLOWED_TAGS:
            self.problems.append(f"end tag {tag}")
        elif not self.open or self.open.pop() != tag:
            self.problems.append(f"unbalanced {tag}")


def check(html: str) -> None:
    checker = Checker()
    checker.feed(html)
    checker.close()
    assert checker.problems == [], html
    assert checker.open == [], html


# Well-known payloads (OWASP XSS filter evasion cheat sheet, PortSwigger's list and
# the like), each rendered and then parsed the way a browser would.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data:text/html,<script>alert(1)</script>",
    "javascript:alert(1)",
    '<div style="width: expression(alert(1))">x</div>',
    "<style>@import 'https://evil.example/x.css';</style>",
    "<b onmouseover=alert(1)>hover</b>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src="x" alt="" onerror="alert(1)"',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '[x](https://example.com/"onmouseover="alert(1))',
    'https://example.com/"><script>alert(1)</script>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "@ann<script>alert(1)</script>",
    '@ann" onmouseover="alert(1)',
    "**<img src=x onerror=alert(1)>**",
    "`<script>alert(1)</script>`",
    "> <script>alert(1)</script>",
    "- <img src=x onerror=alert(1)>",
    "<!--<script>alert(1)//-->",
    '<object data="javascript:alert(1)"></object>',
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_as_markup(payload: str) -> None:
    html = domain.render(payload, resolve)
    check(html)
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<svg" not in lowered
    assert "<iframe" not in lowered and "<style" not in lowered
    assert not re.search(r"<[^>]*\s(style|on\w+)\s*=", lowered)
    assert 'href="javascript' not in lowered and 'href="data' not in lowered
    assert 'href="vbscript' not in lowered


def test_there_are_enough_payloads() -> None:
    assert len(PAYLOADS) >= 25


def test_markdown_like_text_renders() -> None:
    html = domain.render(
        "Hello **team** and *you*, see [docs](https://osprey.dev/docs) or "
        "https://osprey.dev.\nsecond line `a<b`\n\n- one\n- two\n\n> quoted",
        resolve,
    )
    assert html == (
        "<p>Hello <strong>team</strong> and <em>you</em>, see "
        '<a href="https://osprey.dev/docs" rel="nofollow noopener noreferrer" target="_blank">'
        "docs</a> or "
        '<a href="https://osprey.dev" rel="nofollow noopener noreferrer" target="_blank">'
        "https://osprey.dev</a>.<br>second line <code>a&lt;b</code></p>"
        "<ul><li>one</li><li>two</li></ul>"
        "<blockquote><p>quoted</p></blockquote>"
    )
    check(html)


def test_mentions_link_known_users_and_teams_only() -> None:
    html = domain.render("hi @Ann, @team-a and @nobody. mail me at ann@osprey.dev", resolve)
    assert '<a class="mention" data-user-id="u-ann">@Ann</a>' in html
    assert '<a class="mention" data-team-id="t-a">@team-a</a>' in html
    assert "@nobody" in html and "nobody</a>" not in html
    assert "ann@osprey.dev" in html and html.count('class="mention"') == 2
    check(html)


def test_mentioned_handles_skip_code_and_emails() -> None:
    text = "@Ann and @team-a. `@ignored` ann@osprey.dev @ann again"
    assert domain.mentioned_handles(text) == ["ann", "team-a"]


def test_mailto_and_unsafe_links() -> None:
    assert 'href="mailto:a@b.c"' in domain.render("[mail](mailto:a@b.c)")
    html = domain.render("[x](ftp://host/file)")
    assert "<a" not in html and "ftp://host/file" in html


def test_handles() -> None:
    assert domain.user_handle("Ann.Archer@Osprey.Test") == "ann.archer"
    assert domain.team_handle("  Key  Accounts ") == "key-accounts"


def test_clean_text_rejects_empty_and_huge() -> None:
    with pytest.raises(domain.Invalid):
        domain.clean_text("   ")
    with pytest.raises(domain.Invalid):
        domain.clean_text("x" * (domain.MAX_TEXT + 1))
    with pytest.raises(domain.Invalid):
        domain.clean_text(5)
    assert domain.clean_text("a\r\nb") == "a\nb"


ANN = {"id": "u1", "team_id": "t1", "roles": ["sales_rep"]}
BOB = {"id": "u2", "team_id": "t2", "roles": ["sales_rep"]}
ROOT = {"id": "u3", "team_id": None, "roles": ["admin"]}


def test_audience_includes() -> None:
    everyone = {"kind": "all"}
    members = {"kind": "users", "user_ids": ["u1"]}
    record = {
        "kind": "record",
        "record": {"type": "lead", "id": "l", "owner_id": "u9", "team_id": "t1"},
    }
    shared = {
        "kind": "record",
        "record": {"type": "lead", "id": "l", "owner_id": None, "team_id": None},
    }
    assert domain.audience_includes(everyone, BOB)
    assert domain.audience_includes(members, ANN) and not domain.audience_includes(members, BOB)
    assert not domain.audience_includes(members, ROOT)  # private channels: members only
    assert domain.audience_includes(record, ANN) and not domain.audience_includes(record, BOB)
    assert domain.audience_includes(record, ROOT)
    assert domain.audience_includes(shared, BOB)
    assert not domain.audience_includes(everyone, None)
    assert not domain.audience_includes(everyone, {})
    assert not domain.audience_includes({"kind": "nobody"}, ANN)
    assert not domain.audience_includes(None, ANN)


def test_system_post_texts() -> None:
    text, kind, record = domain.system_post_text(
        "order_status_changed",
        {"order": {"id": "o", "number": "SO-1"}, "from": "in_progress", "to": "shipped"},
    )
    assert kind == "order" and record["id"] == "o" and "SO-1" in text
    assert (
        domain.system_post_text("order_status_changed", {"order": {"id": "o"}, "to": "confirmed"})
        is None
    )
    assert (
        domain.system_post_text("opportunity_won", {"id": "d", "name": "Deal"})[1] == "opportunity"
    )
    assert domain.system_post_text("something_else", {}) is None
