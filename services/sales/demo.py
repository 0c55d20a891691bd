"""Demo sales data for ``osprey demo-data``: accounts, contacts, deals, activities, plans.

Everything goes through the running sales service by RPC, like any client, so the
events flow as they would. Loaded once: the demo accounts' names tell whether they
are there already.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

DEMO_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    # name, type, industry, web
    ("Acme Tools", "customer", "Manufacturing", "https://acme-tools.example"),
    ("Northwind Foods", "customer", "Retail", "https://northwind.example"),
    ("Globex Logistics", "customer", "Logistics", "https://globex.example"),
    ("Initech Software", "partner", "IT", "https://initech.example"),
    ("Umbrella Pharma", "customer", "Healthcare", "https://umbrella.example"),
    ("Stark Metals", "customer", "Metallurgy", "https://stark-metals.example"),
    ("Vandelay Industries", "competitor", "IT", "https://vandelay.example"),
    ("Osprey Demo Ltd", "our_company", "IT", "https://osprey.example"),
)
DEMO_CONTACTS: tuple[tuple[str, str, int], ...] = (
    # full name, job title, account index
    ("Anna Smith", "Procurement manager", 0),
    ("Boris Novak", "CEO", 0),
    ("Chloe Garcia", "Head of IT", 1),
    ("Dmitri Orlov", "CFO", 2),
    ("Elena Chen", "Operations director", 2),
    ("Frank Brown", "CTO", 3),
    ("Grace Müller", "Buyer", 4),
    ("Hugo Kuznetsov", "Plant manager", 5),
    ("Irina Petrova", "Sales director", 6),
)
DEMO_DEALS: tuple[tuple[str, int, int, str, str, str], ...] = (
    # title, account index, contact index, amount, stage name or won/lost, need
    ("CRM rollout for 40 seats", 0, 0, "48000.00", "Qualification", "software"),
    ("Support contract 2027", 0, 1, "12000.00", "Proposal", "support"),
    ("Warehouse scanners", 1, 2, "23500.00", "Presentation", "hardware"),
    ("Fleet tracking pilot", 2, 3, "15800.00", "Negotiation", "software"),
    ("Route planning consulting", 2, 4, "9400.00", "Qualification", "consulting"),
    ("Partner reseller deal", 3, 5, "31000.00", "Proposal", "software"),
    ("Lab data platform", 4, 6, "76000.00", "Negotiation", "software"),
    ("Plant floor tablets", 5, 7, "18250.00", "Presentation", "hardware"),
    ("Onboarding workshop", 1, 2, "4200.00", "won", "consulting"),
    ("Legacy migration", 4, 6, "54000.00", "won", "software"),
    ("Extended warranty", 5, 7, "6100.00", "lost", "support"),
)
DEMO_CURRENCY = "EUR"


def demo_contact_email(index: int) -> str:
    """The address of demo contact ``index`` (``anna.smith@acme-tools.example``): the
    demo mailbox of ``make up`` gets mail from these (osprey/demo.py)."""
    full_name, _title, account = DEMO_CONTACTS[index]
    handle = full_name.lower().replace(" ", ".").replace("ü", "u")
    return f"{handle}@{DEMO_ACCOUNTS[account][3].split('//', 1)[1]}"


def load_demo(sales: Any, actor: dict[str, Any], owner_ids: list[str], team_id: str) -> int:
    """Create the demo records through ``sales`` (an RPC proxy); how many were created.

    Returns 0 when the demo accounts exist already.
    """
    existing = sales.list_accounts(
        {"filter": {"name": DEMO_ACCOUNTS[0][0]}, "limit": 1}, actor=actor
    )
    if existing["items"]:
        return 0
    created = 0
    accounts = []
    for i, (name, kind, industry, web) in enumerate(DEMO_ACCOUNTS):
        accounts.append(
            sales.create_account(
                {
                    "name": name,
                    "type": kind,
                    "industry": industry,
                    "web": web,
                    "owner_id": owner_ids[i % len(owner_ids)],
                    "team_id": team_id,
                },
                actor=actor,
                allow_duplicates=True,
            )
        )
    contacts = []
    for i, (full_name, title, account) in enumerate(DEMO_CONTACTS):
        contacts.append(
            sales.create_contact(
                {
                    "full_name": full_name,
                    "job_title": title,
                    "account_id": accounts[account]["id"],
                    "emails": [{"email": demo_contact_email(i), "is_primary": True}],
                    "phones": [{"phone": f"+1555{2000000 + i * 7919:07d}", "kind": "work"}],
                    "owner_id": owner_ids[i % len(owner_ids)],
                    "team_id": team_id,
                },
                actor=actor,
                allow_duplicates=True,
            )
        )
    created += len(accounts) + len(contacts)
    stages = {s["name"]: s["id"] for s in sales.list_opportunity_stages(actor=actor)}
    today = date.today()
    deals = []
    for i, (title, account, contact, amount, stage, need) in enumerate(DEMO_DEALS):
        deal = sales.create_opportunity(
            {
                "title": title,
                "account_id": accounts[account]["id"],
                "contact_id": contacts[contact]["id"],
                "amount": amount,
                "currency": DEMO_CURRENCY,
                "need_type": need,
                "close_date": (today + timedelta(days=7 + 9 * i)).isoformat(),
                "owner_id": owner_ids[i % len(owner_ids)],
                "team_id": team_id,
            },
            actor=actor,
        )
        if stage == "won":
            deal = sales.win_opportunity(deal["id"], actor=actor)
        elif stage == "lost":
            deal = sales.lose_opportunity(deal["id"], "Chose a cheaper offer", actor=actor)
        elif stages.get(stage) and stages[stage] != deal["stage_id"]:
            deal = sales.move_opportunity(deal["id"], stages[stage], actor=actor)
        deals.append(deal)
    created += len(deals)
    sales.add_tactic(
        deals[6]["id"], {"kind": "strength", "text": "We already run their lab"}, actor=actor
    )
    sales.add_tactic(deals[6]["id"], {"kind": "threat", "text": "Budget freeze in Q1"}, actor=actor)
    sales.add_competitor(
        deals[6]["id"],
        {
            "account_id": accounts[6]["id"],
            "offer": "15% cheaper, no local support",
            "comparison": "We win on support and delivery time",
        },
        actor=actor,
    )
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    activities = (
        ("call", "Call about the pilot results", -2, "opportunity", deals[3]["id"]),
        ("task", "Send the revised proposal", -1, "opportunity", deals[1]["id"]),
        ("meeting", "Demo for the lab team", 2, "opportunity", deals[6]["id"]),
        ("task", "Prepare the contract draft", 4, "account", accounts[2]["id"]),
        ("call", "Introduce the support plans", 1, "contact", contacts[2]["id"]),
    )
    for i, (kind, title, days, related_type, related_id) in enumerate(activities):
        start = now + timedelta(days=days)
        sales.create_activity(
            {
                "type": kind,
                "title": title,
                "start_at": start.isoformat(),
                "due_at": (start + timedelta(hours=1)).isoformat(),
                "related_type": related_type,
                "related_id": related_id,
                "owner_id": owner_ids[i % len(owner_ids)],
                "team_id": team_id,
            },
            actor=actor,
        )
    created += len(activities)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    for owner_id in owner_ids:
        sales.create_forecast_plan(
            {
                "owner_id": owner_id,
                "period_kind": "quarter",
                "period_start": quarter_start.isoformat(),
                "amount": "60000.00",
                "currency": DEMO_CURRENCY,
            },
            actor=actor,
        )
    return created + len(owner_ids)
