"""Demo feed data for ``osprey demo-data``: a public channel, a private one, a few posts.

Everything goes through the running feed service by RPC, like any client. Loaded once:
the ``General`` channel tells whether it is there already.
"""

from __future__ import annotations

from typing import Any

GENERAL = "General"
PRIVATE = "Sales leadership"


def load_demo(feed: Any, admin_actor: dict[str, Any], people: list[dict[str, Any]]) -> int:
    """Create the demo channels and posts unless present; how many records were made.

    ``people``: the demo users ``{id, email}`` (the first is the team's manager).
    """
    existing = feed.list_channels({"limit": 500}, actor=admin_actor)["items"]
    if any(c["name"] == GENERAL for c in existing):
        return 0
    handles = [p["email"].split("@", 1)[0].lower() for p in people]
    general = feed.create_channel(
        {"name": GENERAL, "description": "News for everybody at the company"},
        actor=admin_actor,
    )
    leadership = feed.create_channel(
        {
            "name": PRIVATE,
            "description": "Pipeline reviews (managers only)",
            "is_private": True,
            "member_ids": [people[0]["id"]] if people else [],
        },
        actor=admin_actor,
    )
    made = 2
    texts = [
        (
            general["id"],
            "Welcome to the **Osprey** feed! Follow channels and deals to see "
            "their news here. Docs: https://osprey.dev",
        ),
        (
            general["id"],
            "Quarter kick-off on Monday at 10:00.\n\n- pipeline review\n"
            "- new price list\n- *questions*",
        ),
    ]
    if handles:
        texts.append(
            (leadership["id"], f"@{handles[0]} please review the deals closing this month.")
        )
    if len(handles) > 1:
        texts.append((general["id"], f"Great first week, @{handles[-1]}!"))
    for channel_id, text in texts:
        feed.create_post({"channel_id": channel_id, "text": text}, actor=admin_actor)
        made += 1
    return made
