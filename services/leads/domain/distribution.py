"""Distribution rules and who may assign a lead, as pure functions.

A rule has conditions (need type, source, region, team; an empty one matches any
lead) and a strategy: ``round_robin`` (the next of ``owner_ids`` in turn),
``least_open`` (the candidate with the fewest open leads) or ``fixed_owner``. Rules
are tried in ``position`` order; the first active rule that matches decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.fields import failed
from services.platform.values import is_uuid, validation_failed

DISTRIBUTION_STRATEGIES: tuple[str, ...] = ("round_robin", "least_open", "fixed_owner")
#: The rule's settings a caller writes; ``last_index`` is the rule's own state.
DISTRIBUTION_RULE_FIELDS: tuple[str, ...] = (
    "name",
    "position",
    "is_active",
    "need_type",
    "source",
    "region",
    "team_id",
    "strategy",
    "owner_ids",
    "fixed_owner_id",
)
#: Text conditions: compared trimmed and case-insensitively with the lead's value.
TEXT_CONDITIONS: tuple[str, ...] = ("need_type", "source", "region")
#: Stages whose unowned leads ``distribute_unassigned`` picks up.
DISTRIBUTABLE_STAGES: tuple[str, ...] = ("qualification", "distribution")
MAX_OWNERS = 200
MAX_RULE_POSITION = 1_000_000
#: The most leads one ``distribute_unassigned`` call takes.
MAX_DISTRIBUTE = 5000


def _uuid(value: Any) -> str | None:
    return str(value).lower() if is_uuid(value) else None


def clean_rule(data: Any, *, creating: bool) -> dict[str, Any]:
    """A rule's fields checked one by one (every problem at once); ``position`` may be
    left out on create (the rule goes last). The whole rule is checked by
    :func:`check_rule` once merged with what is stored."""
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object of rule fields")
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name not in DISTRIBUTION_RULE_FIELDS:
            message = "is read-only" if name in ("id", "last_index", "version") else "unknown field"
            errors.append({"field": str(name), "message": message})
            continue
        if name == "name":
            if not isinstance(value, str) or not value.strip():
                errors.append({"field": name, "message": "give the rule a name"})
            elif len(value.strip()) > 200:
                errors.append({"field": name, "message": "must be at most 200 characters"})
            else:
                clean[name] = value.strip()
        elif name == "position":
            if not isinstance(value, int) or isinstance(value, bool):
                errors.append({"field": name, "message": "must be a whole number"})
            elif not 0 <= value <= MAX_RULE_POSITION:
                errors.append({"field": name, "message": f"must be from 0 to {MAX_RULE_POSITION}"})
            else:
                clean[name] = value
        elif name == "is_active":
            if not isinstance(value, bool):
                errors.append({"field": name, "message": "must be true or false"})
            else:
                clean[name] = value
        elif name in TEXT_CONDITIONS:
            if value is None or (isinstance(value, str) and not value.strip()):
                clean[name] = None  # any lead
            elif not isinstance(value, str):
                errors.append({"field": name, "message": "must be a string (or null for any)"})
            elif len(value.strip()) > 100:
                errors.append({"field": name, "message": "must be at most 100 characters"})
            else:
                clean[name] = value.strip()
        elif name in ("team_id", "fixed_owner_id"):
            if value is None or value == "":
                clean[name] = None
            elif _uuid(value) is None:
                errors.append({"field": name, "message": "must be a UUID"})
            else:
                clean[name] = _uuid(value)
        elif name == "strategy":
            if value not in DISTRIBUTION_STRATEGIES:
                strategies = ", ".join(DISTRIBUTION_STRATEGIES)
                errors.append({"field": name, "message": f"must be one of {strategies}"})
            else:
                clean[name] = value
        elif name == "owner_ids":
            owners = _clean_owner_ids(value, errors)
            if owners is not None:
                clean[name] = owners
    if creating:
        if "name" not in data:
            errors.append({"field": "name", "message": "give the rule a name"})
        if "strategy" not in data:
            strategies = ", ".join(DISTRIBUTION_STRATEGIES)
            errors.append({"field": "strategy", "message": f"pick one of {strategies}"})
    if errors:
        raise validation_failed(errors)
    return clean


def _clean_owner_ids(value: Any, errors: list[dict[str, str]]) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append({"field": "owner_ids", "message": "must be a list of user ids"})
        return None
    if len(value) > MAX_OWNERS:
        errors.append({"field": "owner_ids", "message": f"at most {MAX_OWNERS} owners"})
        return None
    owners: list[str] = []
    for item in value:
        owner = _uuid(item)
        if owner is None:
            errors.append({"field": "owner_ids", "message": f"{item!r} is not a UUID"})
            return None
        if owner in owners:
            errors.append({"field": "owner_ids", "message": f"{owner} is listed twice"})
            return None
        owners.append(owner)
    return owners


def new_rule(changes: Mapping[str, Any]) -> dict[str, Any]:
    """A new rule's settings: what the caller sent, any lead and active where not."""
    return {
        "is_active": True,
        "need_type": None,
        "source": None,
        "region": None,
        "team_id": None,
        "owner_ids": [],
        "fixed_owner_id": None,
        **changes,
    }


def check_rule(values: Mapping[str, Any]) -> None:
    """What a rule needs as a whole: owners to choose from, or its fixed owner."""
    strategy = values.get("strategy")
    if strategy in ("round_robin", "least_open") and not values.get("owner_ids"):
        raise failed("owner_ids", f"{strategy} needs at least one owner to choose from")
    if strategy == "fixed_owner" and not values.get("fixed_owner_id"):
        raise failed("fixed_owner_id", "fixed_owner needs the owner's id")


def distribution_rule_changes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """The rule's settings an update really changes, in field order."""
    return [n for n in DISTRIBUTION_RULE_FIELDS if n in changes and changes[n] != current[n]]


def _same_text(condition: str | None, value: str | None) -> bool:
    if condition is None:
        return True
    return value is not None and condition.strip().casefold() == value.strip().casefold()


def rule_matches(rule: Any, lead: Any) -> bool:
    """Every condition the rule sets holds for the lead (an empty condition: any lead)."""
    if not all(_same_text(getattr(rule, c), getattr(lead, c)) for c in TEXT_CONDITIONS):
        return False
    return rule.team_id is None or rule.team_id == lead.team_id


def first_matching(rules: Iterable[Any], lead: Any) -> Any | None:
    """The first active rule (in the order given) that matches the lead."""
    return next((r for r in rules if r.is_active and rule_matches(r, lead)), None)


def no_rule_matches(lead: Any) -> ValidationFailed:
    """The error when no active rule matches the lead, saying what the rules looked at."""
    return failed(
        "owner_id",
        "no active distribution rule matches this lead (need type "
        f"{lead.need_type or '-'}, source {lead.source or '-'}, region "
        f"{lead.region or '-'}); add a rule or give an owner_id",
    )


def next_round_robin(owner_ids: list[str], last_index: int) -> int:
    """The index of the owner whose turn it is after ``last_index``."""
    return (last_index + 1) % len(owner_ids) if last_index >= 0 else 0


def least_loaded(owner_ids: list[str], open_counts: Mapping[str, int]) -> str:
    """The candidate with the fewest open leads; a tie goes to the first in the list."""
    return min(owner_ids, key=lambda owner: (open_counts.get(owner, 0), owner_ids.index(owner)))


def clean_assign(data: Any) -> str | None:
    """The owner asked for (by hand), or None to let the rules choose."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise failed("data", "must be {} (by the rules) or {owner_id}")
    unknown = [{"field": str(k), "message": "unknown field"} for k in data if k != "owner_id"]
    if unknown:
        raise validation_failed(unknown)
    if "owner_id" not in data:
        return None
    owner_id = _uuid(data["owner_id"])
    if owner_id is None:
        raise failed(
            "owner_id", "must be a user's id (send {} to assign by the distribution rules)"
        )
    return owner_id


def require_assign_by_rules(caller: Actor, owner_id: str | None, team_id: str | None) -> None:
    """Who may let the rules reassign a lead: whoever may change it, or anyone who can
    see an unowned one."""
    if not (caller.can_change(owner_id, team_id, "leads") or owner_id is None):
        raise PermissionDenied(
            "You may not reassign this lead",
            [{"field": "lead_id", "message": "only its owner or a manager may"}],
        )


def require_assign_by_hand(
    caller: Actor, owner_id: str | None, team_id: str | None, new_owner_id: str
) -> None:
    """Admins assign any lead, managers their team's, a rep hands their own lead on or
    takes an unowned lead they can see (for themselves only)."""
    if caller.is_admin or caller.can_change(owner_id, team_id, "leads"):
        return
    if owner_id is None and new_owner_id == caller.id:
        return
    message = (
        "A sales rep may take an unowned lead or hand on their own"
        if owner_id is None
        else "Only the lead's owner or a manager may reassign it"
    )
    raise PermissionDenied(message, [{"field": "owner_id", "message": message}])


def team_by_hand(team_id: str | None, caller: Actor) -> str | None:
    """The team of a lead assigned by hand: its own, else the assigner's (unless an admin)."""
    if team_id is None and not caller.is_admin:
        return caller.team_id
    return team_id


def clean_distribute_limit(limit: Any) -> int:
    """How many leads one ``distribute_unassigned`` call takes: 1 to 5000."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_DISTRIBUTE:
        raise failed("limit", f"must be a whole number from 1 to {MAX_DISTRIBUTE}")
    return limit
