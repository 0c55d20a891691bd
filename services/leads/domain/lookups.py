"""The lookups (lead sources, channels, disqualification reasons, need types, deals'
loss reasons) as pure rules.

Lookups are the configurable lists the web app offers as choices. A lead stores the
chosen *code* as text, so a code never changes once created; a kind with no rows at
all gets its defaults back (:data:`DEFAULT_LOOKUPS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from services.platform.errors import Conflict, NotFound
from services.platform.fields import failed
from services.platform.values import validation_failed

LOOKUP_KINDS: tuple[str, ...] = (
    "source",
    "channel",
    "disqualification_reason",
    "need_type",
    "loss_reason",
)
#: The lists a new (or emptied) installation starts with; the one place in code that
#: names them (migration leads_0003 seeds the same, written out there).
DEFAULT_LOOKUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "source": (
        ("website", "Website"),
        ("event", "Event"),
        ("referral", "Referral"),
        ("cold_call", "Cold call"),
        ("social", "Social networks"),
        ("email", "Email"),
        ("advertising", "Advertising"),
        ("partner", "Partner"),
    ),
    "channel": (
        ("web_form", "Web form"),
        ("phone", "Phone"),
        ("email", "Email"),
        ("chat", "Chat"),
        ("facebook", "Facebook"),
        ("telegram", "Telegram"),
        ("vk", "VK"),
    ),
    "disqualification_reason": (
        ("no_budget", "No budget"),
        ("no_need", "No need"),
        ("chose_competitor", "Chose a competitor"),
        ("no_response", "No response"),
        ("duplicate", "Duplicate"),
        ("spam", "Spam"),
    ),
    # what a lead or a deal is for (a lead's and an opportunity's need_type)
    "need_type": (
        ("licences", "Licences"),
        ("implementation", "Implementation"),
        ("support", "Support"),
        ("training", "Training"),
        ("consulting", "Consulting"),
    ),
    # why a deal was lost (an opportunity's lost_reason, given to lose)
    "loss_reason": (
        ("price", "Price"),
        ("chose_competitor", "Chose a competitor"),
        ("no_budget", "No budget"),
        ("no_decision", "No decision"),
        ("timing", "Timing"),
    ),
}
#: Positions of defaults and of new entries without one step by this much.
POSITION_STEP = 10
MAX_LOOKUP_POSITION = 1_000_000
CODE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")
LOOKUP_CREATE_FIELDS: tuple[str, ...] = ("code", "name", "position", "is_active")
LOOKUP_UPDATE_FIELDS: tuple[str, ...] = ("name", "position", "is_active")


def check_kind(kind: Any) -> None:
    """One of the lists there are; another is reported as a missing one."""
    if kind not in LOOKUP_KINDS:
        raise NotFound(
            f"No lookup list named {kind!r}",
            [{"field": "kind", "message": f"must be one of {', '.join(LOOKUP_KINDS)}"}],
        )


def default_lookups(kind: str) -> list[dict[str, Any]]:
    """A list's defaults as ``{code, name, position}``, in order, a step apart."""
    return [
        {"code": code, "name": name, "position": (i + 1) * POSITION_STEP}
        for i, (code, name) in enumerate(DEFAULT_LOOKUPS.get(kind, ()))
    ]


def clean_lookup(data: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """An entry's fields among ``allowed`` (create or update); every problem at once.
    The code never changes: on update it is refused, naming why."""
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object")
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name == "code" and "code" not in allowed:
            errors.append({"field": "code", "message": "cannot change: leads store it"})
        elif name not in allowed:
            errors.append({"field": str(name), "message": "unknown field"})
        elif name == "code":
            if not isinstance(value, str) or not CODE_PATTERN.fullmatch(value.strip()):
                errors.append(
                    {
                        "field": "code",
                        "message": "must be lower_snake_case letters, digits and _ (at most 100)",
                    }
                )
            else:
                clean["code"] = value.strip()
        elif name == "name":
            if not isinstance(value, str) or not value.strip():
                errors.append({"field": "name", "message": "must be a non-empty string"})
            elif len(value.strip()) > 200:
                errors.append({"field": "name", "message": "must be at most 200 characters"})
            else:
                clean["name"] = value.strip()
        elif name == "position":
            if not isinstance(value, int) or isinstance(value, bool):
                errors.append({"field": "position", "message": "must be a whole number"})
            elif not 0 <= value <= MAX_LOOKUP_POSITION:
                errors.append(
                    {
                        "field": "position",
                        "message": f"must be between 0 and {MAX_LOOKUP_POSITION}",
                    }
                )
            else:
                clean["position"] = value
        elif name == "is_active":
            if not isinstance(value, bool):
                errors.append({"field": "is_active", "message": "must be true or false"})
            else:
                clean["is_active"] = value
    if errors:
        raise validation_failed(errors)
    return clean


def clean_new_lookup(data: Any) -> dict[str, Any]:
    """A new entry's fields: ``code`` and ``name`` are required."""
    values = clean_lookup(data, LOOKUP_CREATE_FIELDS)
    errors = []
    if "code" not in values:
        errors.append({"field": "code", "message": "is required"})
    if "name" not in values:
        errors.append({"field": "name", "message": "is required"})
    if errors:
        raise validation_failed(errors)
    return values


def next_position(positions: list[int]) -> int:
    """Where a new entry without a position goes: a step after the last one."""
    return max(positions, default=0) + POSITION_STEP


def lookup_changes(current: Any, values: Mapping[str, Any]) -> list[str]:
    """The entry's fields an update really changes, in field order."""
    return [n for n in LOOKUP_UPDATE_FIELDS if n in values and values[n] != getattr(current, n)]


def code_taken(kind: str, code: str) -> Conflict:
    """The error for a code the list has already."""
    return Conflict(
        f"The {kind.replace('_', ' ')} list has the code '{code}' already",
        [{"field": "code", "message": "exists already in this list"}],
    )


def uses_text(counts: list[tuple[str, str, int]]) -> list[str]:
    """What carries a code, from ``(one, many, count)``: ``["3 leads", "1 web form"]``."""
    return [f"{n} {one if n == 1 else many}" for one, many, n in counts if n]


def code_in_use(code: str, uses: list[str]) -> Conflict:
    """The error for deleting a code something carries: deactivate it instead."""
    return Conflict(
        f"'{code}' is in use ({', '.join(uses)}); deactivate it instead",
        [{"field": "code", "message": f"is in use: {', '.join(uses)}"}],
    )
