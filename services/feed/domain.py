"""The feed's pure rules: the Markdown-like renderer and its sanitizing, mentions,
handles, and who may see a stream item (``audience_includes``).

Nothing here touches the database or the network. The visibility rule itself lives in
``services.platform.audience`` (the gateway's live stream applies it to every item it
relays, and the gateway imports no service); it is named here too for the feed's code.

The renderer escapes everything first: the text is cut into tokens (code spans,
``[text](url)`` links, bare URLs, ``@handle`` mentions and plain runs), every plain
run is HTML-escaped, and only then are the few tags of the allow-list put around
escaped text. No markup the author typed ever reaches the output as markup, so no
``<script>``, event handler or style attribute can survive; a link's URL is kept only
when it is ``http``, ``https`` or ``mailto`` (anything else is shown as text).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

# The platform's visibility rule, named here too for the feed's code.
from services.platform.audience import audience_includes as audience_includes
from services.platform.audience import can_read_record as can_read_record

#: The tags the renderer writes, with the attributes each may carry.
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "p": frozenset(),
    "br": frozenset(),
    "strong": frozenset(),
    "em": frozenset(),
    "code": frozenset(),
    "ul": frozenset(),
    "li": frozenset(),
    "blockquote": frozenset(),
    "a": frozenset({"href", "rel", "target", "class", "data-user-id", "data-team-id"}),
}
SAFE_SCHEMES = ("http://", "https://", "mailto:")

MAX_TEXT = 20_000
HANDLE_CHARS = r"[A-Za-z0-9][A-Za-z0-9._-]*"

# Post kinds, notification kinds, the record types a post may be about.
POST_KINDS = ("user", "system")
NOTIFICATION_KINDS = ("mention", "comment", "like", "assignment", "system")
RECORD_TYPES = ("lead", "opportunity", "account", "contact", "order", "invoice", "activity")
SYSTEM_EVENT_TYPES = (
    "lead_assigned",
    "opportunity_stage_changed",
    "opportunity_won",
    "order_status_changed",
    "invoice_overdue",
    "activity_created",
    "activity_completed",
)
#: the records an activity may be for whose feeds show its posts (sales' RELATED_TYPES)
ACTIVITY_PARENT_TYPES = ("lead", "contact", "account", "opportunity", "order")
#: what each activity type is called in a system post (an ``email`` makes none)
ACTIVITY_KINDS = {"task": "Task", "call": "Call", "meeting": "Meeting"}

STREAM_TYPES = (
    "post_created",
    "post_updated",
    "post_deleted",
    "comment_added",
    "comment_deleted",
    "post_liked",
    "post_unliked",
    "notification_created",
    "notifications_read",
    "record_access_changed",
)


class Invalid(ValueError):
    """A value that breaks a rule; the service reports it as ``ValidationFailed``."""


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# -- list filters -------------------------------------------------------------------------

#: what each of the feed's own lists filters by: field → its values' options (None: ids;
#: "bool": true or false)
NOTIFICATION_FILTERS: dict[str, tuple[str, ...] | str | None] = {
    "kind": NOTIFICATION_KINDS,
    "read": "bool",
    "related_type": RECORD_TYPES,
    "related_id": None,
}
CHANNEL_FILTERS: dict[str, tuple[str, ...] | str | None] = {
    "is_private": "bool",
    "member_ids": None,
}


def list_filters(data: Any, allowed: Mapping[str, tuple[str, ...] | str | None]) -> dict[str, Any]:
    """A list's ``filter`` as ``{field: [values]}`` (a boolean for true/false ones);
    :class:`Invalid` naming ``filter[<field>]`` for another field or a wrong value."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise Invalid("filter: must be an object of fields")
    clean: dict[str, Any] = {}
    for name, values in data.items():
        where = f"filter[{name}]"
        if name not in allowed:
            raise Invalid(f"{where}: cannot filter by this field")
        options = allowed[name]
        if options == "bool":
            if not isinstance(values, bool):
                raise Invalid(f"{where}: must be true or false")
            clean[name] = values
            continue
        if not isinstance(values, list) or not values:
            raise Invalid(f"{where}: give one value or more")
        for value in values:
            if options is None and not is_uuid(value):
                raise Invalid(f"{where}: give ids (UUIDs)")
            if isinstance(options, tuple) and value not in options:
                raise Invalid(f"{where}: must be any of {', '.join(options)}")
        clean[name] = list(values)
    return clean


# -- handles ------------------------------------------------------------------------------


def user_handle(email: str | None) -> str:
    """A user's handle: the local part of the email, lowercased."""
    return (email or "").split("@", 1)[0].strip().lower()


def team_handle(name: str | None) -> str:
    """A team's handle: its name lowercased, runs of spaces turned into ``-``."""
    return re.sub(r"\s+", "-", (name or "").strip().lower())


MENTION_RE = re.compile(rf"(?<![A-Za-z0-9_.@/])@({HANDLE_CHARS})")


def mentioned_handles(text: str) -> list[str]:
    """The handles ``@named`` in ``text`` (lowercased, first mention first, no repeats).

    A trailing dot (the end of a sentence) is not part of a handle.
    """
    seen: list[str] = []
    for segment in _segments_outside_code(text):
        for match in MENTION_RE.finditer(segment):
            handle = match.group(1).rstrip(".").lower()
            if handle and handle not in seen:
                seen.append(handle)
    return seen


def _segments_outside_code(text: str) -> list[str]:
    return re.split(r"`[^`\n]*`", text)


# -- text ---------------------------------------------------------------------------------


def clean_text(value: Any, field: str = "text") -> str:
    if not isinstance(value, str):
        raise Invalid(f"{field}: must be a string")
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise Invalid(f"{field}: must not be empty")
    if len(text) > MAX_TEXT:
        raise Invalid(f"{field}: must be at most {MAX_TEXT} characters")
    return text


def safe_url(url: str) -> str | None:
    """``url`` when its scheme is allowed (``http``, ``https``, ``mailto``), else None.

    Control characters and whitespace (which browsers drop inside a scheme, as in
    ``java\\tscript:``) make a URL unsafe outright.
    """
    if not url or any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        return None
    lowered = url.lower()
    if not lowered.startswith(SAFE_SCHEMES):
        return None
    if lowered.startswith(("http://", "https://")) and len(url) <= len("https://"):
        return None
    return url


# Inline tokens, tried left to right at each position.
_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<link>\[(?P<label>[^\]\n]{1,500})\]\((?P<url>[^)\s]{1,2000})\))"
    r"|(?P<bare>(?<![\w/])(?:https?://|mailto:)[^\s<>\"'`]+)"
    rf"|(?P<mention>(?<![A-Za-z0-9_.@/])@{HANDLE_CHARS})"
)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?![*\w])")

Mention = Mapping[str, Any]  # {type, id, handle}
Resolver = Callable[[str], Mention | None]


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _emphasis(escaped: str) -> str:
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _ITALIC.sub(r"<em>\1</em>", escaped)


def _link(url: str, label_html: str) -> str:
    rel = 'rel="nofollow noopener noreferrer" target="_blank"'
    return f'<a href="{_escape(url)}" {rel}>{label_html}</a>'


def render_inline(text: str, resolve: Resolver | None = None) -> str:
    """One line of text as safe HTML (escaped first, then the allowed inline tags)."""
    out: list[str] = []
    pos = 0
    for match in _INLINE.finditer(text):
        out.append(_emphasis(_escape(text[pos : match.start()])))
        pos = match.end()
        token = match.group(0)
        if match.group("code"):
            out.append(f"<code>{_escape(token[1:-1])}</code>")
        elif match.group("link"):
            url = safe_url(match.group("url"))
            label = _emphasis(_escape(match.group("label")))
            out.append(_link(url, label) if url else _emphasis(_escape(token)))
        elif match.group("bare"):
            raw = token
            trail = ""
            while raw and raw[-1] in ".,;:!?)":
                trail = raw[-1] + trail
                raw = raw[:-1]
            url = safe_url(raw)
            out.append((_link(url, _escape(raw)) if url else _escape(raw)) + _escape(trail))
        else:
            handle = token[1:]
            trail = ""
            while handle.endswith("."):
                handle, trail = handle[:-1], trail + "."
            found = resolve(handle.lower()) if resolve and handle else None
            if found is None:
                out.append(_escape(token))
                continue
            attr = "data-team-id" if found["type"] == "team" else "data-user-id"
            out.append(
                f'<a class="mention" {attr}="{_escape(str(found["id"]))}">@{_escape(handle)}</a>'
                + trail
            )
    out.append(_emphasis(_escape(text[pos:])))
    return "".join(out)


def render(text: str, resolve: Resolver | None = None) -> str:
    """The Markdown-like ``text`` as safe HTML.

    Blocks: paragraphs (split by a blank line, single line breaks kept as ``<br>``),
    ``- `` lists and ``> `` quotes. Inline: ``**bold**``, ``*italic*``, `` `code` ``,
    ``[text](url)``, bare URLs and ``@handle`` mentions (``resolve(handle)`` → the
    user or team, or None to leave the text as is).
    """
    blocks: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraph: list[str] = []
    items: list[str] = []
    quote: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(
                "<p>" + "<br>".join(render_inline(x, resolve) for x in paragraph) + "</p>"
            )
            paragraph.clear()
        if items:
            blocks.append(
                "<ul>" + "".join(f"<li>{render_inline(x, resolve)}</li>" for x in items) + "</ul>"
            )
            items.clear()
        if quote:
            inner = "<br>".join(render_inline(x, resolve) for x in quote)
            blocks.append(f"<blockquote><p>{inner}</p></blockquote>")
            quote.clear()

    for line in lines:
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith(("- ", "* ")) and not stripped.startswith("**"):
            if paragraph or quote:
                flush()
            items.append(stripped[2:].strip())
        elif stripped.startswith(">"):
            if paragraph or items:
                flush()
            quote.append(stripped[1:].strip())
        else:
            if items or quote:
                flush()
            paragraph.append(stripped)
    flush()
    return "".join(blocks)


# -- records from events ------------------------------------------------------------------


def record_title(record: Mapping[str, Any]) -> str | None:
    """A short name for a record carried by an event (name, number or person)."""
    keys = ("name", "title", "number", "full_name", "contact_name", "account_name", "company")
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:300]
    person = " ".join(
        str(record.get(k)).strip() for k in ("first_name", "last_name") if record.get(k)
    )
    return person[:300] or None


def system_post_text(event_type: str, data: Mapping[str, Any]) -> tuple[str, str, dict] | None:
    """For a domain event: ``(text, record type, record)`` of its system post, or None.

    Built from the event's data alone (no call back to the source).
    """
    if event_type == "lead_assigned":
        lead = data
        title = record_title(lead) or "A lead"
        return f"Lead **{title}** was assigned.", "lead", dict(lead)
    if event_type == "opportunity_stage_changed":
        deal = data.get("opportunity") or {}
        title = record_title(deal) or "A deal"
        # The event names the stages by id only; a name is used when one is carried.
        stage = deal.get("stage_name") or data.get("to_stage_name")
        where = f"stage {stage}" if stage else "a new stage"
        chance = deal.get("probability")
        tail = f" ({chance}% probability)" if chance not in (None, "") else ""
        return f"Deal **{title}** moved to {where}{tail}.", "opportunity", dict(deal)
    if event_type == "opportunity_won":
        title = record_title(data) or "A deal"
        amount = data.get("amount")
        currency = data.get("currency") or ""
        tail = f" ({amount} {currency})".rstrip() if amount else ""
        return f"Deal **{title}** was won{tail}.", "opportunity", dict(data)
    if event_type == "order_status_changed":
        if data.get("to") != "shipped":
            return None
        order = data.get("order") or {}
        title = record_title(order) or "An order"
        return f"Order **{title}** was shipped.", "order", dict(order)
    if event_type == "invoice_overdue":
        title = record_title(data) or "An invoice"
        due = data.get("due_date")
        tail = f" (due {due})" if due else ""
        return f"Invoice **{title}** is overdue{tail}.", "invoice", dict(data)
    if event_type in ("activity_created", "activity_completed") and posts_activity(data):
        kind = ACTIVITY_KINDS[data["type"]]
        title = record_title(data) or "(no title)"
        done = "completed" if event_type == "activity_completed" else "added"
        return f"{kind} **{title}** was {done}.", "activity", dict(data)
    return None


def posts_activity(activity: Mapping[str, Any]) -> bool:
    """Whether an activity's events make system posts: one made in Osprey (not synced
    from a calendar), for a record, of a type other than ``email`` (mail shows itself)."""
    return (
        activity.get("type") in ACTIVITY_KINDS
        and activity.get("source") is None
        and activity_parent(activity) is not None
    )


def activity_parent(activity: Mapping[str, Any]) -> tuple[str, str] | None:
    """The record an activity is for, whose feed shows its posts (None: none)."""
    parent_type, parent_id = activity.get("related_type"), activity.get("related_id")
    if parent_type in ACTIVITY_PARENT_TYPES and is_uuid(parent_id):
        return str(parent_type), str(parent_id)
    return None


#: the type of the record each system post's event is about
SYSTEM_EVENT_RECORD_TYPE = {
    "lead_assigned": "lead",
    "opportunity_stage_changed": "opportunity",
    "opportunity_won": "opportunity",
    "order_status_changed": "order",
    "invoice_overdue": "invoice",
    "activity_created": "activity",
    "activity_completed": "activity",
}
#: a system post's text without its record's fields, by event type
PLAIN_SYSTEM_TEXT = {
    "lead_assigned": "A lead was assigned.",
    "opportunity_stage_changed": "A deal moved to a new stage.",
    "opportunity_won": "A deal was won.",
    "order_status_changed": "An order was shipped.",
    "invoice_overdue": "An invoice is overdue.",
    "activity_created": "An activity was added.",
    "activity_completed": "An activity was completed.",
}


def title_fields(record: Mapping[str, Any]) -> list[str]:
    """The fields :func:`record_title` takes the record's title from."""
    for key in ("name", "title", "number", "full_name", "contact_name", "account_name", "company"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return [key]
    return [k for k in ("first_name", "last_name") if record.get(k)]


def system_post_plain(event_type: str, data: Mapping[str, Any]) -> tuple[list[str], str] | None:
    """For an event that makes a system post (:func:`system_post_text`): the record's
    fields its text names and the text without them, for a reader whose role hides any
    of those fields (docs/architecture.md, "Access rights"); None when it names none."""
    built = system_post_text(event_type, data)
    if built is None:
        return None
    _, _, record = built
    fields = title_fields(record)
    if event_type == "opportunity_stage_changed":
        if record.get("stage_name") or data.get("to_stage_name"):
            fields.append("stage_id")
        if record.get("probability") not in (None, ""):
            fields.append("probability")
    elif event_type == "opportunity_won" and record.get("amount"):
        fields += ["amount", "currency"]
    elif event_type == "invoice_overdue" and record.get("due_date"):
        fields.append("due_date")
    if not fields:
        return None
    return fields, PLAIN_SYSTEM_TEXT[event_type]


def record_link(record_type: str, record_id: str) -> str:
    """Where the web app shows a record."""
    plural = {"opportunity": "opportunities", "activity": "activities"}.get(
        record_type, f"{record_type}s"
    )
    return f"/{plural}/{record_id}"
