"""``python -m osprey.entity_fields [path]``: every service's record fields, as data for
the gateway's OpenAPI document (issue 20).

The services describe each kind of record once (``services.platform.fields.Entity``)
and check what callers send against it; the gateway imports no service, so it reads
this description from ``gateway/entity_fields.json``, written here from the entities
themselves (tests/gateway/test_entity_fields.py fails when the file and the services
differ: run this module again). The document then states each field's type, length,
options and bounds, and the fields a new record needs, as the services check them.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

#: each entity the API creates or changes as a record: wire name → where it is described
ENTITIES: dict[str, str] = {
    "lead": "services.leads.domain.lead:LEAD",
    "account": "services.sales.domain.accounts:ACCOUNT",
    "contact": "services.sales.domain.accounts:CONTACT",
    "opportunity": "services.sales.domain.opportunities:OPPORTUNITY",
    "opportunity_stage": "services.sales.domain.stages:STAGE",
    "activity": "services.sales.domain.activities:ACTIVITY",
    "forecast": "services.sales.domain.forecasts:PLAN",
    "product": "services.orders.schemas:PRODUCT",
    "price_list": "services.orders.schemas:PRICE_LIST",
    "order": "services.orders.schemas:ORDER",
    "invoice": "services.orders.schemas:INVOICE",
}
#: the other lists of codes the services accept, by the name the gateway asks for them
OPTIONS: dict[str, str] = {
    "audit_entities": "services.audit.domain:ENTITIES",
    "report_entities": "services.analytics.domain:ENTITIES",
    "widget_kinds": "services.analytics.saved_store:WIDGET_KINDS",
    "scoring_fields": "services.leads.domain.scoring:SCORABLE_FIELDS",
    "scoring_operators": "services.leads.domain.scoring:SCORING_OPERATORS",
    "distribution_strategies": "services.leads.domain.distribution:DISTRIBUTION_STRATEGIES",
    "lookup_kinds": "services.leads.domain.lookups:LOOKUP_KINDS",
    "tactic_kinds": "services.sales.domain.tactics:TACTIC_KINDS",
    "mailbox_kinds": "services.integrations.mail.domain:KINDS",
    "email_rule_record_types": "services.integrations.mail.domain:RECORD_SERVICES",
    "email_link_types": "services.sales.domain.emails:EMAIL_LINK_TYPES",
    "exchange_auths": "services.integrations.exchange.domain:AUTHS",
    "exchange_visibilities": "services.integrations.exchange.domain:VISIBILITIES",
    "exchange_exports": "services.integrations.exchange.domain:EXPORTS",
    "exchange_deletions": "services.integrations.exchange.domain:DELETIONS",
    "mail_securities": "services.integrations.mail.domain:SECURITY",
    "mail_visibilities": "services.integrations.mail.domain:VISIBILITY",
    "user_locales": "services.identity.domain:LOCALES",
    "user_themes": "services.identity.domain:THEMES",
    "process_record_types": "services.processes.domain:RECORD_TYPES",
    "subscription_targets": "services.feed.subscriptions:TARGET_TYPES",
    "rights_entities": "services.platform.access:ENTITIES",
    "lead_stages": "services.leads.domain.lead:STAGES",
    "lead_closed_stages": "services.leads.domain.lead:CLOSED_STAGES",
    "import_entities": "services.integrations.imports.domain:ENTITIES",
}
#: what a new record needs besides its required fields: one of these groups in full
#: (a lead names someone or something; an invoice is an order's or made by hand)
ONE_OF: dict[str, str] = {
    "lead": "services.leads.domain.lead:IDENTIFYING_FIELDS",
}
INVOICE_ONE_OF: list[list[str]] = [["order_id"], ["currency", "total"]]
#: required on the record, not in the body: the caller when left out
DEFAULTED = frozenset({"owner_id"})


def _load(where: str) -> Any:
    module, name = where.split(":")
    return getattr(importlib.import_module(module), name)


def _field(spec: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": spec.name, "type": spec.type}
    if spec.read_only:
        out["read_only"] = True
    if spec.required:
        out["required"] = True
    if spec.max_length is not None:
        out["max_length"] = spec.max_length
    if spec.type == "enum":
        out["options"] = list(spec.options)
        out["empty_clears"] = spec.empty_clears
    if spec.minimum is not None:
        out["minimum"] = spec.minimum
    if spec.maximum is not None:
        out["maximum"] = spec.maximum
    return out


def describe() -> dict[str, Any]:
    """Each entity's fields, the fields a new one needs and its alternatives; the other
    lists of codes (:data:`OPTIONS`)."""
    out: dict[str, Any] = {}
    for name, where in ENTITIES.items():
        entity = _load(where)
        one_of = [[f] for f in _load(ONE_OF[name])] if name in ONE_OF else []
        if name == "invoice":
            one_of = INVOICE_ONE_OF
        in_groups = {f for group in one_of for f in group}
        required = [
            f.name
            for f in entity.fields
            if f.required and not f.read_only and f.name not in DEFAULTED | in_groups
        ]
        out[name] = {
            "fields": [_field(f) for f in entity.fields],
            "required_on_create": required,
            "one_of_on_create": one_of,
        }
    return {
        "entities": out,
        "options": {name: list(_load(where)) for name, where in OPTIONS.items()},
        "social_channel_kinds": social_channel_kinds(),
    }


def social_channel_kinds() -> dict[str, Any]:
    """Each kind of social channel's own fields (settings and secrets) and what a new
    one of that kind needs (services/integrations/social)."""
    domain = importlib.import_module("services.integrations.social.domain")
    return {
        kind: {
            "fields": [*domain.SETTINGS[kind], *domain.SECRETS[kind]],
            "required": [
                *domain.REQUIRED_SECRETS[kind],
                # a VK channel answers VK's confirmation request with it
                *(["confirmation"] if kind == "vk" else []),
            ],
        }
        for kind in domain.KINDS
    }


def document_text() -> str:
    return json.dumps(describe(), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> None:
    text = document_text()
    if len(argv) > 1:
        with open(argv[1], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
