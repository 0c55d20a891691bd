"""Stand-ins for identity, leads, sales, orders and feed that answer the gateway's RPCs on cue
(and bare stand-ins for the other registered services, which these tests do not call).

They are real Nameko services on the real broker, so the gateway's RPC client
speaks the real protocol to them; what they answer depends on the argument, so a
test can ask for a slow answer, a typed error or a bug. Run one per process:
``python -m tests.gateway.fake_services identity``.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

import sys  # noqa: E402
from typing import Any  # noqa: E402

from nameko.cli.run import run as nameko_run  # noqa: E402
from nameko.rpc import rpc  # noqa: E402

from services.platform.config import nameko_config  # noqa: E402
from services.platform.errors import (  # noqa: E402
    EXPECTED,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)

ADMIN = {
    "id": "00000000-0000-7000-8000-000000000001",
    "email": "admin@osprey.test",
    "full_name": "Ada Admin",
    "roles": ["admin"],
    "team_id": None,
    "permissions": ["users.manage"],
    "locale": "en",
    "theme": "light",
}
SLOW_SECONDS = 30
SCOPED_TOKEN = "osp_leads-reader"
SCOPED_TOKEN_ID = "00000000-0000-7000-8000-0000000000c1"
#: works until revoked through the gateway (this process remembers)
REVOCABLE_TOKEN = "osp_revocable"
REVOCABLE_TOKEN_ID = "00000000-0000-7000-8000-0000000000c2"
REVOKED: set[str] = set()


def lead(lead_id: str, version: int = 3, **fields: Any) -> dict[str, Any]:
    return {
        "id": lead_id,
        "contact_name": "Lena Lead",
        "stage": "qualification",
        "version": version,
        **fields,
    }


class FakeIdentity:
    name = "identity"

    @rpc(expected_exceptions=EXPECTED)
    def login(self, email: str, password: str, address: str | None = None) -> dict:
        if address != "127.0.0.1":  # the gateway passes the client's address on
            raise RateLimited("Too many failed sign-ins", retry_after=60)
        if password != "right":
            raise Unauthenticated("Wrong email or password")
        return {
            "token": "admin-token",
            "expires_at": "2099-01-01T00:00:00Z",
            "user": {"id": ADMIN["id"], "email": email},
        }

    @rpc(expected_exceptions=EXPECTED)
    def logout(self, token: str) -> None:
        return None

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_token(self, token: str) -> dict:
        if token == "admin-token":
            return ADMIN
        if token == SCOPED_TOKEN:  # a personal token of the admin's, reading leads only
            return {**ADMIN, "session_id": SCOPED_TOKEN_ID, "scopes": ["leads:read"]}
        if token == REVOCABLE_TOKEN and REVOCABLE_TOKEN_ID not in REVOKED:
            return {**ADMIN, "session_id": REVOCABLE_TOKEN_ID, "scopes": ["leads:read"]}
        if token == "slow-token":
            eventlet.sleep(SLOW_SECONDS)
        raise Unauthenticated("Unknown or expired token")

    @rpc(expected_exceptions=EXPECTED)
    def revoke_personal_token(self, user_id: str, token_id: str, actor: dict) -> dict:
        REVOKED.add(token_id)
        return {"id": token_id, "user_id": user_id}

    @rpc(expected_exceptions=EXPECTED)
    def get_user(self, user_id: str, actor: dict) -> dict:
        return {
            "id": user_id,
            "email": actor["email"],
            "full_name": actor["full_name"],
            "roles": actor["roles"],
        }

    @rpc(expected_exceptions=EXPECTED)
    def list_users(self, query: dict, actor: dict) -> dict:
        # Echo what arrived, so a test can check the gateway's query translation.
        return {
            "items": [],
            "next_cursor": None,
            "received_query": query,
            "received_actor": actor["id"],
        }


class FakeLeads:
    name = "leads"

    @rpc(expected_exceptions=EXPECTED)
    def get_lead(self, lead_id: str, actor: dict) -> dict:
        if lead_id == "missing":
            raise NotFound("Lead not found")
        if lead_id == "forbidden":
            raise PermissionDenied("You may not read this lead")
        if lead_id == "slow":
            eventlet.sleep(SLOW_SECONDS)
        if lead_id == "bug":
            raise RuntimeError("secret internal detail at /srv/osprey/leads.py line 42")
        return lead(lead_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_lead(self, data: dict, actor: dict) -> dict:
        if data.get("email") == "not-an-email":
            raise ValidationFailed(
                "email: not an email address",
                [{"field": "email", "message": "Not an email address"}],
            )
        return lead("00000000-0000-7000-8000-0000000000aa", version=1, **data)

    @rpc(expected_exceptions=EXPECTED)
    def update_lead(
        self, lead_id: str, data: dict, actor: dict, expected_version: int | None = None
    ) -> dict:
        if expected_version is not None and expected_version != 3:
            raise Conflict(
                "The lead was changed by someone else",
                [{"field": "version", "message": "Stale version"}],
            )
        return lead(lead_id, version=4, **data, received_version=expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def delete_lead(self, lead_id: str, actor: dict, expected_version: int | None = None) -> None:
        if expected_version is not None and expected_version != 3:
            raise Conflict("The lead was changed by someone else")

    @rpc(expected_exceptions=EXPECTED)
    def list_leads(self, query: dict, actor: dict) -> dict:
        return {
            "items": [lead("00000000-0000-7000-8000-0000000000bb")],
            "next_cursor": None,
            "received_query": query,
        }

    @rpc
    def describe_leads(self) -> dict:
        return {"fields": [{"name": "stage", "type": "enum"}]}

    @rpc
    def echo(self, *args: Any, **kwargs: Any) -> dict:
        return {"args": list(args), "kwargs": kwargs}


class FakeSales:
    """Accounts and contacts: just enough to prove the routes reach the sales service."""

    name = "sales"

    @rpc(expected_exceptions=EXPECTED)
    def create_account(self, data: dict, actor: dict, allow_duplicates: bool = False) -> dict:
        return {"id": "00000000-0000-7000-8000-0000000000cc", "version": 1, **data}

    @rpc(expected_exceptions=EXPECTED)
    def update_contact(
        self, contact_id: str, data: dict, actor: dict, expected_version: int | None = None
    ) -> dict:
        if expected_version is not None and expected_version != 3:
            raise Conflict("The contact was changed meanwhile")
        return {"id": contact_id, "version": 4, **data}

    @rpc(expected_exceptions=EXPECTED)
    def list_contacts(self, query: dict, actor: dict) -> dict:
        return {"items": [], "next_cursor": None, "received_query": query}

    @rpc
    def describe_accounts(self) -> dict:
        return {"fields": [{"name": "type", "type": "enum"}]}

    @rpc
    def describe_contacts(self) -> dict:
        return {"fields": [{"name": "emails", "type": "list"}]}

    @rpc
    def describe_opportunities(self) -> dict:
        return {"fields": [{"name": "amount", "type": "money"}]}

    @rpc
    def describe_activities(self) -> dict:
        return {"fields": [{"name": "due_at", "type": "datetime"}]}


class FakeOrders:
    """Orders: enough to prove the routes reach the orders service and pass what they should."""

    name = "orders"

    @rpc(expected_exceptions=EXPECTED)
    def create_order(self, data: dict, actor: dict) -> dict:
        return {
            "id": "00000000-0000-7000-8000-0000000000dd",
            "number": "2026-000001",
            **data,
            "version": 1,
            "status": "draft",
            "subtotal": "0.00",
            "discount_total": "0.00",
            "tax_total": "0.00",
            "total": "0.00",
            "owner_id": actor["id"],
        }

    @rpc(expected_exceptions=EXPECTED)
    def confirm_order(
        self, order_id: str, actor: dict, expected_version: int | None = None
    ) -> dict:
        if order_id == "shipped":
            raise Conflict("A shipped order cannot be confirmed")
        return {
            "id": order_id,
            "number": "2026-000001",
            "currency": "EUR",
            "status": "confirmed",
            "subtotal": "0.00",
            "discount_total": "0.00",
            "tax_total": "0.00",
            "total": "0.00",
            "owner_id": actor["id"],
            "version": (expected_version or 1) + 1,
        }

    @rpc(expected_exceptions=EXPECTED)
    def register_payment(
        self,
        invoice_id: str,
        amount: Any,
        actor: dict,
        paid_at: str | None = None,
        expected_version: int | None = None,
    ) -> dict:
        if amount == "1000000":
            raise ValidationFailed(
                "amount: is more than the 10.00 outstanding",
                [{"field": "amount", "message": "is more than the 10.00 outstanding"}],
            )
        return {
            "id": invoice_id,
            "number": "INV-2026-000001",
            "currency": "EUR",
            "status": "paid",
            "subtotal": "10.00",
            "discount_total": "0.00",
            "tax_total": "0.00",
            "total": "10.00",
            "paid_amount": amount,
            "due_date": "2026-12-31",
            "owner_id": actor["id"],
            "version": 2,
            "received_paid_at": paid_at,
        }

    @rpc
    def describe_products(self) -> dict:
        return {"fields": [{"name": "code", "type": "string"}]}

    @rpc
    def describe_orders(self) -> dict:
        return {"fields": [{"name": "status", "type": "enum"}]}

    @rpc
    def describe_invoices(self) -> dict:
        return {"fields": [{"name": "due_date", "type": "date"}]}


class FakeFeed:
    """Feed: an empty live stream, so the gateway's hub starts and /readyz sees it."""

    name = "feed"

    @rpc
    def last_stream_seq(self) -> int:
        return 0

    @rpc
    def stream_range(self, from_seq: int, to_seq: int) -> list:
        return []

    @rpc(expected_exceptions=EXPECTED)
    def stream_items(self, actor: dict, after_seq: int = 0, limit: int = 500) -> list:
        return []


SERVICES = {cls.name: cls for cls in (FakeIdentity, FakeLeads, FakeSales, FakeOrders, FakeFeed)}


def stand_in(name: str) -> type:
    """A registered service these tests never call: it only serves its RPC queue, so that
    ``/readyz`` finds every service of the registry served."""

    @rpc
    def ping_stand_in(self) -> str:
        return name

    return type(f"StandIn_{name}", (), {"name": name, "ping_stand_in": ping_stand_in})


def main() -> None:
    nameko_run(
        [SERVICES[name] if name in SERVICES else stand_in(name) for name in sys.argv[1:]],
        nameko_config(),
    )


if __name__ == "__main__":
    main()
