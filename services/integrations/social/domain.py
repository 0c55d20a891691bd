"""The social service's rules: pure functions, no I/O.

How each platform proves a request is its own, checked in constant time
(:func:`hmac.compare_digest`):

- Facebook: ``X-Hub-Signature-256: sha256=<hex>``, HMAC-SHA256 of the exact body with
  the app secret; the subscription is verified once with ``hub.verify_token``.
- Telegram: ``X-Telegram-Bot-Api-Secret-Token``, the secret given to ``setWebhook``.
- VK Callback API: ``secret`` inside the JSON body; ``confirmation`` answered with the
  group's confirmation string.

A request that proves nothing is *unsigned* (401), one that proves wrongly is *forged*
(403), and a signed one older than the platform's redelivery window is *replayed* (403):
a platform redelivers within its window, and the same delivery then finds its first
answer (:mod:`.hooks`), so only a capture sent again later is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.platform.errors import PermissionDenied, Unauthenticated, ValidationFailed

KINDS = ("facebook", "telegram", "vk")
#: what an administrator types for each kind: settings (shown again) and secrets
#: (write-only, encrypted at rest)
SETTINGS: dict[str, tuple[str, ...]] = {
    "facebook": ("page_id", "graph_url"),
    "telegram": ("bot_username", "language"),
    "vk": ("group_id", "confirmation"),
}
SECRETS: dict[str, tuple[str, ...]] = {
    "facebook": ("app_secret", "verify_token", "page_access_token"),
    "telegram": ("secret_token",),
    "vk": ("secret",),
}
REQUIRED_SECRETS: dict[str, tuple[str, ...]] = {
    "facebook": ("app_secret", "verify_token", "page_access_token"),
    "telegram": ("secret_token",),
    "vk": ("secret",),
}
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v19.0"
#: how long after its event a platform may still deliver it (Facebook retries for up
#: to 36 hours, Telegram keeps an update 24 hours); older is a replay
REPLAY_WINDOW: dict[str, timedelta] = {
    "facebook": timedelta(hours=48),
    "telegram": timedelta(hours=25),
}
#: a clock a little ahead of ours is no forgery
CLOCK_SKEW = timedelta(minutes=5)
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
LANGUAGES = ("en", "ru")


class Refused(Exception):
    """A request the platform did not send: ``outcome`` ∈ unsigned, forged, replayed."""

    def __init__(self, outcome: str, detail: str):
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail

    def error(self) -> Exception:
        if self.outcome == "unsigned":
            return Unauthenticated(self.detail)
        return PermissionDenied(self.detail)


# --- checking the sender ----------------------------------------------------------------


def hub_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Facebook sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_facebook_signature(secret: str, body: bytes, header: str | None) -> None:
    if not header:
        raise Refused("unsigned", "No X-Hub-Signature-256 header")
    if not hmac.compare_digest(hub_signature(secret, body).encode(), header.strip().encode()):
        raise Refused("forged", "X-Hub-Signature-256 does not match the body")


def check_facebook_verification(verify_token: str, mode: str | None, token: str | None) -> None:
    if mode != "subscribe" or token is None:
        raise Refused("unsigned", "Not a subscription check (hub.mode, hub.verify_token)")
    if not hmac.compare_digest(verify_token.encode(), token.encode()):
        raise Refused("forged", "hub.verify_token is not this channel's")


def check_telegram_secret(secret: str, header: str | None) -> None:
    if not header:
        raise Refused("unsigned", "No X-Telegram-Bot-Api-Secret-Token header")
    if not hmac.compare_digest(secret.encode(), header.encode()):
        raise Refused("forged", "X-Telegram-Bot-Api-Secret-Token is not this bot's")


def check_vk_secret(secret: str, event: dict[str, Any]) -> None:
    sent = event.get("secret")
    if not isinstance(sent, str) or not sent:
        raise Refused("unsigned", "The event carries no secret")
    if not hmac.compare_digest(secret.encode(), sent.encode()):
        raise Refused("forged", "The event's secret is not this group's")


def check_fresh(kind: str, occurred: datetime | None, now: datetime) -> None:
    """Refuse a signed delivery older than the platform's redelivery window."""
    window = REPLAY_WINDOW.get(kind)
    if window is None or occurred is None:
        return
    if occurred < now - window:
        raise Refused("replayed", f"The event is from {occurred:%Y-%m-%d %H:%M} UTC: too old")
    if occurred > now + CLOCK_SKEW:
        raise Refused("forged", "The event is dated in the future")


# --- reading what the platforms send ------------------------------------------------------


def bad(message: str) -> ValidationFailed:
    return ValidationFailed(message, [{"field": "body", "message": message}])


@dataclass(frozen=True)
class FacebookLead:
    leadgen_id: str
    page_id: str
    form_id: str | None
    created_time: int | None


def facebook_leads(payload: Any) -> list[FacebookLead]:
    """The ``leadgen`` changes of a Page webhook (other fields are ignored)."""
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise bad("Not a Page webhook (object is not 'page')")
    found = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            raise bad("An entry is not an object")
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or change.get("field") != "leadgen":
                continue
            value = change.get("value")
            if not isinstance(value, dict) or not value.get("leadgen_id"):
                raise bad("A leadgen change has no leadgen_id")
            created = value.get("created_time")
            found.append(
                FacebookLead(
                    leadgen_id=str(value["leadgen_id"]),
                    page_id=str(value.get("page_id") or entry.get("id") or ""),
                    form_id=str(value["form_id"]) if value.get("form_id") else None,
                    created_time=int(created) if isinstance(created, int | float) else None,
                )
            )
    return found


#: form field names → lead fields (Facebook's standard questions, VK's keys)
FIELD_NAMES: dict[str, str] = {
    "full_name": "contact_name",
    "name": "contact_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "patronymic": "patronymic",
    "email": "email",
    "phone_number": "phone",
    "phone": "phone",
    "company_name": "account_name",
    "company": "account_name",
    "job_title": "job_title",
    "city": "region",
}


def lead_from_answers(answers: list[tuple[str, str]]) -> dict[str, Any]:
    """Lead fields from a form's ``(question key, answer)`` pairs; the questions the
    CRM has no field for go into ``notes``."""
    fields: dict[str, str] = {}
    other: list[str] = []
    for key, value in answers:
        value = (value or "").strip()
        if not value:
            continue
        field = FIELD_NAMES.get(key.strip().lower())
        if field and field not in fields:
            fields[field] = value
        else:
            other.append(f"{key}: {value}")
    lead: dict[str, Any] = {}
    parts = (fields.get("first_name"), fields.get("patronymic"), fields.get("last_name"))
    name = fields.pop("contact_name", None) or " ".join(part for part in parts if part)
    for part in ("first_name", "last_name", "patronymic"):
        fields.pop(part, None)
    if name:
        lead["contact_name"] = name[:300]
    for field in ("email", "phone", "account_name"):
        if field in fields:
            lead[field] = fields.pop(field)[:300]
    other = [f"{k}: {v}" for k, v in fields.items()] + other
    if other:
        lead["notes"] = "\n".join(other)[:2000]
    return lead


def graph_answers(lead: Any) -> list[tuple[str, str]]:
    """``field_data`` of a Graph API lead: ``[{name, values: [...]}, ...]``."""
    if not isinstance(lead, dict) or not isinstance(lead.get("field_data"), list):
        raise bad("The Graph API's lead has no field_data")
    answers = []
    for item in lead["field_data"]:
        if isinstance(item, dict) and item.get("name"):
            values = [str(v) for v in item.get("values") or [] if v is not None]
            answers.append((str(item["name"]), ", ".join(values)))
    return answers


@dataclass(frozen=True)
class VkLead:
    lead_id: str
    group_id: str
    form_name: str | None
    answers: list[tuple[str, str]]


def vk_lead(event: dict[str, Any]) -> VkLead:
    obj = event.get("object")
    if not isinstance(obj, dict) or not obj.get("lead_id"):
        raise bad("lead_forms_new carries no object with a lead_id")
    answers = []
    for item in obj.get("answers") or []:
        if isinstance(item, dict) and item.get("key"):
            answer = item.get("answer")
            if isinstance(answer, list):
                answer = ", ".join(str(a) for a in answer)
            answers.append((str(item["key"]), str(answer or "")))
    return VkLead(
        lead_id=str(obj["lead_id"]),
        group_id=str(obj.get("group_id") or event.get("group_id") or ""),
        form_name=str(obj["form_name"]) if obj.get("form_name") else None,
        answers=answers,
    )


# --- the Telegram dialogue ----------------------------------------------------------------

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "ask_name": "Hello! What is your name?",
        "ask_phone": "Thank you, {name}. Your phone number, please (or tap the button).",
        "bad_phone": "That does not look like a phone number. Please send it again.",
        "share": "Share my phone number",
        "done": "Thank you! We will call you soon.",
        "again": "We have your request already. Send /start to leave another.",
    },
    "ru": {
        "ask_name": "Здравствуйте! Как вас зовут?",
        "ask_phone": "Спасибо, {name}. Ваш номер телефона (или нажмите кнопку).",
        "bad_phone": "Это не похоже на номер телефона. Пришлите его ещё раз.",
        "share": "Отправить мой номер",
        "done": "Спасибо! Мы скоро вам позвоним.",
        "again": "Ваша заявка уже у нас. Отправьте /start, чтобы оставить ещё одну.",
    },
}
PHONE = re.compile(r"^\+?[\d\s().-]{7,25}$")


@dataclass(frozen=True)
class Step:
    """What one message does to a chat's dialogue: its next step and answers, the
    reply, and the lead to create when the dialogue is complete."""

    step: str
    answers: dict[str, Any]
    reply: dict[str, Any] | None
    lead: dict[str, Any] | None = None


def telegram_message(update: Any) -> dict[str, Any] | None:
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise bad("Not a Telegram update (no update_id)")
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None  # edited messages, callbacks, ...: nothing for this dialogue
    return message


def next_step(
    step: str | None, answers: dict[str, Any], message: dict[str, Any], language: str
) -> Step:
    """The dialogue: any first message (or ``/start``) asks the name, the name asks
    the phone (typed or shared with the contact button), the phone completes it."""
    texts = TEXTS.get(language) or TEXTS["en"]
    chat_id = message["chat"]["id"]
    text = str(message.get("text") or "").strip()

    def reply(words: str, **extra: Any) -> dict[str, Any]:
        return {"method": "sendMessage", "chat_id": chat_id, "text": words, **extra}

    if text.startswith("/start") or step in (None, "done"):
        if step == "done" and not text.startswith("/start"):
            return Step("done", answers, reply(texts["again"]))
        return Step("name", {}, reply(texts["ask_name"], reply_markup={"remove_keyboard": True}))
    if step == "name":
        name = text[:200]
        if not name:
            return Step("name", answers, reply(texts["ask_name"]))
        keyboard = {
            "keyboard": [[{"text": texts["share"], "request_contact": True}]],
            "one_time_keyboard": True,
            "resize_keyboard": True,
        }
        return Step(
            "phone",
            {**answers, "name": name},
            reply(texts["ask_phone"].format(name=name), reply_markup=keyboard),
        )
    contact = message.get("contact") if isinstance(message.get("contact"), dict) else None
    phone = str(contact.get("phone_number") or "") if contact else text
    if not PHONE.match(phone.strip()) or sum(c.isdigit() for c in phone) < 7:
        return Step("phone", answers, reply(texts["bad_phone"]))
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    notes = ["Telegram"]
    if sender.get("username"):
        notes.append(f"@{sender['username']}")
    notes.append(f"chat {chat_id}")
    lead = {
        "contact_name": answers.get("name") or sender.get("first_name") or "Telegram",
        "phone": phone.strip()[:50],
        "notes": " ".join(notes),
    }
    done = {**answers, "phone": phone.strip()}
    return Step("done", done, reply(texts["done"], reply_markup={"remove_keyboard": True}), lead)


# --- what an administrator sets -----------------------------------------------------------


def check_channel(
    kind: str, settings: dict[str, Any], secrets: dict[str, Any], creating: bool
) -> None:
    """Raise ``ValidationFailed`` naming every bad field of a channel."""
    problems = []
    if kind not in KINDS:
        problems.append({"field": "kind", "message": "one of " + ", ".join(KINDS)})
        raise ValidationFailed("The channel is not valid", problems)
    for name in secrets:
        value = secrets[name]
        if not isinstance(value, str) or not value.strip() or len(value) > 1000:
            problems.append({"field": name, "message": "a text of 1 to 1000 characters"})
    if creating:
        for name in REQUIRED_SECRETS[kind]:
            if name not in secrets:
                problems.append({"field": name, "message": "required"})
    token = secrets.get("secret_token")
    if kind == "telegram" and isinstance(token, str) and not TELEGRAM_SECRET.fullmatch(token):
        problems.append(
            {"field": "secret_token", "message": "1-256 characters: A-Z, a-z, 0-9, _ and -"}
        )
    for name, value in settings.items():
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            problems.append({"field": name, "message": "a text of up to 2000 characters"})
    graph = settings.get("graph_url")
    if graph and not re.match(r"^https?://", str(graph)):
        problems.append({"field": "graph_url", "message": "an http(s) address"})
    if settings.get("language") and settings["language"] not in LANGUAGES:
        problems.append({"field": "language", "message": "en or ru"})
    if kind == "vk" and creating and not settings.get("confirmation"):
        problems.append({"field": "confirmation", "message": "required"})
    if problems:
        raise ValidationFailed("The channel is not valid", problems)


# --- outbound webhooks --------------------------------------------------------------------

#: the events a subscriber may choose, and the service that sends each
EVENTS: dict[str, str] = {
    "lead_created": "leads",
    "lead_qualified": "leads",
    "lead_disqualified": "leads",
    "lead_converted": "leads",
    "account_created": "sales",
    "contact_created": "sales",
    "opportunity_created": "sales",
    "opportunity_won": "sales",
    "opportunity_lost": "sales",
    "activity_created": "sales",
    "order_placed": "orders",
}
SIGNATURE_HEADER = "Osprey-Signature"
#: a receiver refuses a signature older than this (it guards against replays)
SIGNATURE_TOLERANCE_SECONDS = 300


def webhook_body(event: dict[str, Any]) -> str:
    """The exact body every attempt of one event's delivery sends and signs."""
    return json.dumps(
        {
            "id": event["id"],
            "type": event["type"],
            "occurred_at": event.get("occurred_at"),
            "data": event.get("data"),
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def webhook_signature(secret: str, body: str, timestamp: int) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_webhook_signature(
    secret: str,
    body: bytes,
    header: str | None,
    now: int,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does (docs/inbound.md): the header's time is recent and its
    ``v1`` is the HMAC of ``"<t>." + body`` — compared in constant time."""
    if not header:
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac.encode(), parts.get("v1", "").encode())


def check_subscription(data: dict[str, Any], creating: bool) -> None:
    problems = []
    if creating or "name" in data:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            problems.append({"field": "name", "message": "1-200 characters"})
    if creating or "url" in data:
        url = data.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url) or len(url) > 2000:
            problems.append({"field": "url", "message": "an http(s) address"})
    if creating or "events" in data:
        events = data.get("events")
        if not isinstance(events, list) or not events:
            problems.append({"field": "events", "message": "at least one event"})
        else:
            unknown = [e for e in events if e not in EVENTS]
            if unknown:
                problems.append(
                    {"field": "events", "message": "unknown: " + ", ".join(map(str, unknown))}
                )
    if "is_active" in data and not isinstance(data["is_active"], bool):
        problems.append({"field": "is_active", "message": "true or false"})
    secret = data.get("secret")
    if secret is not None and (not isinstance(secret, str) or not 16 <= len(secret) <= 200):
        problems.append({"field": "secret", "message": "16-200 characters"})
    unknown_fields = set(data) - {"name", "url", "events", "is_active", "secret"}
    for field in sorted(unknown_fields):
        problems.append({"field": field, "message": "not a field of a webhook"})
    if problems:
        raise ValidationFailed("The webhook is not valid", problems)
