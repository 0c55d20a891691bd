"""Demo leads for ``osprey demo-data``: forty leads from the demo companies, owned by
the demo sales people, every fifth waiting unassigned for distribution.

Everything goes through the running leads service by RPC, like any client, so the
events flow as they would. Loaded once: the demo leads' emails tell whether they are
there already.
"""

from __future__ import annotations

from typing import Any

_FIRST = ("Anna", "Boris", "Chloe", "Dmitri", "Elena", "Frank", "Grace", "Hugo", "Irina", "Jack")
_LAST = ("Smith", "Kuznetsova", "Garcia", "Novak", "Chen", "Orlov", "Brown", "Müller")
_COMPANIES = (
    "Acme Tools",
    "Northwind Foods",
    "Globex Logistics",
    "Initech Software",
    "Umbrella Pharma",
    "Stark Metals",
    "Wayne Construction",
    "Tyrell Robotics",
)
_SOURCES = ("website", "event", "referral", "cold_call", "social", "email")
_CHANNELS = ("web_form", "phone", "email", "facebook", "telegram")
_NEEDS = ("software", "consulting", "support", "hardware")
_MATURITIES = ("unknown", "interest", "need", "intention", "ready")
DEMO_LEAD_COUNT = 40


def demo_leads(team_id: str, owner_ids: list[str]) -> list[dict[str, Any]]:
    """The demo leads, always the same ones (their emails tell whether they were loaded)."""
    leads = []
    for i in range(DEMO_LEAD_COUNT):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 3) % len(_LAST)]
        company = _COMPANIES[i % len(_COMPANIES)]
        domain_name = company.split()[0].lower() + ".example"
        leads.append(
            {
                "contact_name": f"{first} {last}",
                "account_name": company,
                "email": f"{first.lower()}.{i:02d}@{domain_name}",
                "phone": f"+1555{1000000 + i * 7919:07d}",
                "source": _SOURCES[i % len(_SOURCES)],
                "channel": _CHANNELS[i % len(_CHANNELS)],
                "need_type": _NEEDS[i % len(_NEEDS)],
                "need_maturity": _MATURITIES[i % len(_MATURITIES)],
                "score": (i * 37) % 101,
                # every fifth lead waits unassigned, for distribution
                "owner_id": None if i % 5 == 4 else owner_ids[i % len(owner_ids)],
                "team_id": team_id,
            }
        )
    return leads


def load_demo(leads: Any, actor: dict[str, Any], owner_ids: list[str], team_id: str) -> int:
    """Create the demo leads through ``leads`` (an RPC proxy); how many were created.

    Returns 0 when any of them exists already.
    """
    demo = demo_leads(team_id, owner_ids)
    existing = leads.list_leads(
        {"filter": {"email": [lead["email"] for lead in demo]}, "limit": 1}, actor=actor
    )
    if existing["items"]:
        return 0
    for lead in demo:
        leads.create_lead(lead, actor=actor)
    return len(demo)
