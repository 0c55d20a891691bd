"""Record bodies as the services check them (issue 20): each field's length, options,
bounds and format, and the fields a new record needs, in the OpenAPI document.

The services describe every kind of record once (``services.platform.fields.Entity``)
and refuse what does not fit it; the gateway passes the body on and checks JSON types
only. So that the document says what the services accept, this module reads their
description — ``gateway/entity_fields.json``, written by ``python -m
osprey.entity_fields`` from the entities themselves and checked against them by
tests/gateway/test_entity_fields.py — and states it on the bodies of ``POST
/<plural>`` (create: the required fields too) and ``PATCH /<plural>/{id}``. A body
model a create shares with an update becomes a create model of its own in the
document (``OrderCreate``), so only the create says what is required.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from .listing import MAX_LIMIT
from .openapi_rules import (
    HTTP_URL_OR_EMPTY,
    TOGETHER,
    branches,
    drop_null,
    state_rules,
    state_social_kinds,
)

ENTITY_FIELDS = Path(__file__).with_name("entity_fields.json")
#: collections whose records an entity describes: path segment → entity
PLURALS: dict[str, str] = {
    "leads": "lead",
    "accounts": "account",
    "contacts": "contact",
    "opportunities": "opportunity",
    "opportunity-stages": "opportunity_stage",
    "activities": "activity",
    "forecasts": "forecast",
    "products": "product",
    "price-lists": "price_list",
    "orders": "order",
    "invoices": "invoice",
}
#: what a currency field takes (services.platform.fields.parse_currency)
CURRENCY_PATTERN = r"^\s*[A-Za-z]{3}\s*$"
#: what a money field takes as a string: not negative, at most two decimals (parse_money)
MONEY_PATTERN = r"^\s*[0-9]{1,16}(\.[0-9]{1,2})?\s*$"
MAX_MONEY = 9999999999999999
#: a percentage: 0 to 100, at most two decimals (parse_percent)
PERCENT_PATTERN = r"^\s*(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)\s*$"
#: a required text field: something other than spaces (an empty one is missing)
NOT_BLANK = r"\S"
_TEXT_TYPES = frozenset({"string", "text", "email", "phone"})
#: a host name or address as the mail service takes it (services/integrations/mail/domain)
HOST_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
#: an outbound webhook's address: http(s) and a host
WEBHOOK_URL = r"^https?://[^\s/]+"
#: a browser's Origin: http(s), a host, perhaps a port and a lone trailing slash
ORIGIN = r"^\s*https?://[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(:[0-9]{1,5})?/?\s*$"
#: a line's quantity: positive, at most a billion, at most three decimals (parse_quantity)
QUANTITY_PATTERN = (
    r"^\s*0*([1-9][0-9]{0,8}(\.[0-9]{1,3})?|0?\.(0{0,2}[1-9]|0?[1-9][0-9]|[1-9][0-9]{2}))\s*$"
)
#: a phone number: digits, spaces, ( ) - . and a leading +, with 5 to 15 digits
PHONE_PATTERN = r"^\s*\+?[ ().-]*([0-9][ ().-]*){5,15}\s*$"
_ID_LIST = {"maxItems": 1000, "items": {"type": "string", "minLength": 1, "maxLength": 1024}}


#: bodies that are no record's, whose fields take one of a service's lists of codes:
#: (model, field) → the list's name in entity_fields.json ``options``
BODY_OPTIONS: dict[tuple[str, str], str] = {
    ("ReportSpec", "entity"): "report_entities",
    ("ReportCreate", "entity"): "report_entities",
    ("Widget", "kind"): "widget_kinds",
    ("ScoringRuleFields", "field"): "scoring_fields",
    ("ScoringRuleFields", "operator"): "scoring_operators",
    ("DistributionRuleFields", "strategy"): "distribution_strategies",
    ("TacticIn", "kind"): "tactic_kinds",
    ("MailboxCreate", "kind"): "mailbox_kinds",
    ("SubjectRuleIn", "record_type"): "email_rule_record_types",
    ("EmailLinkIn", "type"): "email_link_types",
    ("ExchangeConnectionCreate", "auth"): "exchange_auths",
    ("ExchangeConnectionUpdate", "auth"): "exchange_auths",
    **{
        (model, field): name
        for model in ("ExchangeConnectionCreate", "ExchangeConnectionUpdate")
        for field, name in (
            ("visibility", "exchange_visibilities"),
            ("export_contacts", "exchange_exports"),
            ("deletions", "exchange_deletions"),
        )
    },
    **{
        (model, field): name
        for model in ("MailboxCreate", "MailboxUpdate")
        for field, name in (
            ("kind", "mailbox_kinds"),
            ("security", "mail_securities"),
            ("smtp_security", "mail_securities"),
            ("visibility", "mail_visibilities"),
        )
    },
    ("UserCreate", "locale"): "user_locales",
    ("UserCreate", "theme"): "user_themes",
    ("UserUpdate", "locale"): "user_locales",
    ("UserUpdate", "theme"): "user_themes",
    ("ReportUpdate", "entity"): "report_entities",
    ("StartIn", "record_type"): "process_record_types",
    # a follow's target or a post's record (a post names no channel this way)
    ("RecordRef", "type"): "subscription_targets",
}
#: (model, field) → what else its service checks of it, as keywords of its schema
KEYWORDS: dict[tuple[str, str], dict[str, Any]] = {
    # services/leads/domain/lookups: CODE_PATTERN, MAX_LOOKUP_POSITION
    ("LookupCreate", "code"): {"pattern": r"^\s*[a-z0-9][a-z0-9_]{0,99}\s*$"},
    ("LookupCreate", "position"): {"minimum": 0, "maximum": 1_000_000},
    ("LookupUpdate", "position"): {"minimum": 0, "maximum": 1_000_000},
    # a plan's period starts on the first day of a month (of a quarter, of a year)
    ("ForecastCreate", "period_start"): {"pattern": r"^[0-9]{4}-[0-9]{2}-01$"},
    # services/leads/domain/duplicates.clean_merge_ids: 1 to MAX_MERGE others, none twice
    ("LeadMergeIn", "lead_ids"): {
        "items": {"type": "string", "format": "uuid"},
        "minItems": 1,
        "maxItems": 20,
        "uniqueItems": True,
    },
    # services/identity/domain._role_ids: roles by their ids
    ("UserCreate", "role_ids"): {"items": {"type": "string", "format": "uuid"}},
    ("UserUpdate", "role_ids"): {"items": {"type": "string", "format": "uuid"}},
    # identity's new passwords: at least 10 characters (and hard to guess, judged there)
    ("PasswordReset", "password"): {"minLength": 10},
    ("MailboxCreate", "password"): {"minLength": 1, "maxLength": 1024},
    ("MailboxUpdate", "password"): {"minLength": 1, "maxLength": 1024},
    # services/integrations/mail/domain.clean_mailbox: a host name or address, a port,
    # up to 50 folder names, a login of 1..320 characters
    **{
        (model, field): keywords
        for model in ("MailboxCreate", "MailboxUpdate")
        for field, keywords in (
            ("imap_host", {"pattern": HOST_PATTERN}),
            ("smtp_host", {"pattern": f"{HOST_PATTERN}|^$"}),
            ("imap_port", {"minimum": 1, "maximum": 65535}),
            ("smtp_port", {"minimum": 1, "maximum": 65535}),
            ("login", {"pattern": NOT_BLANK, "maxLength": 320}),
            (
                "folders",
                {"maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 500}},
            ),
            ("sync_since", {"format": "date"}),
        )
    },
    # services/integrations/exchange/domain.clean_connection
    **{
        (model, field): keywords
        for model in ("ExchangeConnectionCreate", "ExchangeConnectionUpdate")
        for field, keywords in (
            ("password", {"minLength": 1, "maxLength": 10000}),
            ("access_token", {"minLength": 1, "maxLength": 10000}),
            ("login", {"maxLength": 320}),
            ("ews_url", {"pattern": HTTP_URL_OR_EMPTY, "maxLength": 2000}),
            ("autodiscover_url", {"pattern": HTTP_URL_OR_EMPTY, "maxLength": 2000}),
            ("past_days", {"minimum": 0, "maximum": 3660}),
            ("future_days", {"minimum": 0, "maximum": 3660}),
            ("contact_folders", _ID_LIST),
            ("export_contact_ids", _ID_LIST),
        )
    },
    # services/integrations/social/domain.check_subscription
    **{
        (model, field): keywords
        for model in ("WebhookCreate", "WebhookUpdate")
        for field, keywords in (
            ("name", {"pattern": NOT_BLANK}),
            ("url", {"pattern": WEBHOOK_URL}),
            ("events", {"minItems": 1}),
        )
    },
    # services/analytics/saved_store.check_widgets: a widget's place on the 12-column grid
    ("Widget", "x"): {"minimum": 0, "maximum": 11},
    ("Widget", "y"): {"minimum": 0, "maximum": 1000},
    ("Widget", "w"): {"minimum": 1, "maximum": 12},
    ("Widget", "h"): {"minimum": 1, "maximum": 12},
    # services/feed/domain.clean_text: a post says something
    ("PostIn", "text"): {"pattern": NOT_BLANK},
    # services/leads/domain/webforms.normalize_origin: scheme, host and port only
    ("WebFormCreate", "allowed_origins"): {"items": {"type": "string", "pattern": ORIGIN}},
    ("WebFormUpdate", "allowed_origins"): {"items": {"type": "string", "pattern": ORIGIN}},
    # services/leads/domain/distribution and scoring: a rule's name, place and points
    ("DistributionRuleFields", "name"): {"pattern": NOT_BLANK, "maxLength": 200},
    ("DistributionRuleFields", "position"): {"minimum": 0, "maximum": 1_000_000},
    ("DistributionRuleFields", "owner_ids"): {"items": {"type": "string", "format": "uuid"}},
    ("ScoringRuleFields", "name"): {"pattern": NOT_BLANK, "maxLength": 200},
    ("ScoringRuleFields", "points"): {"minimum": -100, "maximum": 100},
    # services/feed/channels: a channel's members are users
    ("ChannelIn", "member_ids"): {"items": {"type": "string", "format": "uuid"}},
    # services/platform/values.normalize_phone
    ("ContactPhoneIn", "phone"): {"pattern": PHONE_PATTERN},
    ("UserUpdate", "password"): {"minLength": 10},
    # services/sales/domain/activities: who takes part, each a contact or a user once
    **{
        (model, "participants"): {
            "maxItems": 100,
            "uniqueItems": True,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "id"],
                "properties": {
                    "type": {"type": "string", "enum": ["contact", "user"]},
                    "id": {"type": "string", "format": "uuid"},
                },
            },
        }
        for model in ("ActivityCreate", "ActivityUpdate", "ActivityFields")
    },
    # identity: a new user's password as every new password (how hard it is to guess is
    # judged there, and no schema can say it)
    ("UserCreate", "password"): {"minLength": 10},
}
#: fields a body of no record's needs, by model (its service answers "is required")
REQUIRED: dict[str, tuple[str, ...]] = {
    "TacticIn": ("kind", "text"),
    "CompetitorIn": ("account_id",),
    "CareerCreate": ("account_id",),
    "MailboxCreate": ("email", "imap_host", "password"),
    "ExchangeConnectionCreate": ("email",),
    # identity: a token says what it is for, what it may do and when it ends
    "TokenCreate": ("name", "scopes", "expires_on"),
}
_EXCHANGE_NOT_NULL = (
    "auth",
    "email",
    "password",
    "access_token",
    "sync_mail",
    "visibility",
    "import_contacts",
    "contact_folders",
    "export_contacts",
    "export_contact_ids",
    "sync_calendar",
    "sync_tasks",
    "deletions",
    "past_days",
    "future_days",
    "is_shared",
)
_MAIL_FLAGS = (
    "security",
    "smtp_security",
    "sync_since",
    "visibility",
    "is_shared",
    "store_internal",
)
#: fields the services refuse null for (leave the field out to keep it as it is), by
#: model: what a fuzzer found them answering 422 to, each checked in the service's code
NO_NULL: dict[str, tuple[str, ...]] = {
    "DistributionRuleFields": ("name", "position", "is_active", "strategy"),
    "ScoringRuleFields": ("name", "field", "operator", "points", "is_active"),
    "LookupUpdate": ("name", "position", "is_active"),
    "TemplateIn": ("name", "subject", "body"),
    # exchange: null only for the login, the two URLs and the owner
    "ExchangeConnectionCreate": _EXCHANGE_NOT_NULL,
    "ExchangeConnectionUpdate": _EXCHANGE_NOT_NULL,
    "MailboxCreate": ("kind", "email", "login", "folders", "password", "imap_host", *_MAIL_FLAGS),
    "MailboxUpdate": ("kind", "email", "login", "folders", "password", "imap_host", *_MAIL_FLAGS),
    "WebhookCreate": ("is_active",),
    "WebhookUpdate": ("name", "url", "events", "is_active"),
    "LookupCreate": ("is_active",),
    "RecordShareIn": ("user_id", "team_id"),
    "LeadShareIn": ("user_id", "team_id"),
    "ForecastCreate": ("owner_id", "team_id"),
    "PostIn": ("channel_id", "related"),
    "QualifyIn": ("contact_id", "contact", "account_id", "account", "allow_duplicates"),
    "StartIn": ("record_type", "record_id"),
    "Widget": ("x", "y", "w", "h"),
    "MeUpdate": ("full_name", "password"),
    "UserUpdate": ("email", "full_name", "password", "role_ids", "is_active", "locale", "theme"),
    "ChannelIn": ("is_private",),
    "ContactPhoneIn": ("is_primary",),
    "ContactEmailIn": ("is_primary",),
    "InvoiceCreate": ("order_id", "currency", "total", "tax_total", "account_id"),
    "UserCreate": ("role_ids", "is_active", "locale", "theme"),
    "TeamUpdate": ("name",),
    "CareerCreate": ("account_id", "is_primary"),
    "DisqualifyIn": ("reason",),
    "CompetitorIn": ("account_id",),
    "TacticIn": ("kind", "text"),
    "WebFormCreate": ("rate_limit_per_minute",),
    "ForecastUpdate": ("amount",),
    "OpportunityCreate": ("owner_id",),
    "OrderCreate": ("owner_id",),
    "OrdersSettingsIn": (
        "company_name",
        "company_address",
        "company_email",
        "company_phone",
        "company_tax_id",
        "company_bank",
        "propose_order_on_win",
    ),
}
#: fields an update takes only as they are (a deal's stage changes by ``move``)
NOT_IN_UPDATE: dict[str, tuple[str, ...]] = {
    "OpportunityUpdate": ("stage_id",),
}
#: fields an update refuses (422): not in its body at all
NOT_TAKEN_BY_UPDATE: dict[str, tuple[str, ...]] = {
    # an invoice made by hand stays one: a new invoice is made from the order instead
    "InvoiceFields": ("order_id",),
}


#: bodies a create shares with an update, whose create needs these fields (their
#: service answers "is required"): model → fields; the create gets a model of its own
CREATE_REQUIRED: dict[str, tuple[str, ...]] = {
    "DistributionRuleFields": ("name", "strategy"),
    "ScoringRuleFields": ("name", "field", "operator", "points"),
}
#: path parameters that take one of those lists: name → the list
PATH_OPTIONS: dict[str, str] = {"entity": "audit_entities"}
#: path parameters the services read by a pattern: (path, name) → pattern
PATH_PATTERNS: dict[tuple[str, str], str] = {
    # services/identity/domain.PREFERENCE_KEY
    ("/api/v1/me/preferences/{key}", "key"): r"^[a-z][a-z0-9_.-]{0,99}$",
}


@cache
def described() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ENTITY_FIELDS.read_text(encoding="utf-8"))
    return data


def entities() -> dict[str, Any]:
    found: dict[str, Any] = described()["entities"]
    return found


def options(name: str) -> list[str]:
    found: list[str] = described()["options"][name]
    return found


def _column_names(entity: str) -> list[str]:
    """The fields of an entity a role may hide or make read-only (never id, version)."""
    return [f["name"] for f in entities()[entity]["fields"] if f["name"] not in ("id", "version")]


def _state_options(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for (model, field), keywords in KEYWORDS.items():
        prop = schemas.get(model, {}).get("properties", {}).get(field)
        for branch in branches(prop or {}, ("string", "integer", "array")):
            branch.update(keywords)
    for model, names in REQUIRED.items():
        found = schemas.get(model)
        if found is None:
            continue
        found["required"] = sorted({*found.get("required", []), *names})
        for name in names:
            drop_null(found.get("properties", {}).get(name, {}))
    report = schemas.get("Widget", {}).get("properties", {}).get("report")
    if report is not None:  # a widget's report: at least the entity it counts
        report["required"] = ["entity"]
        report["properties"] = {"entity": {"type": "string", "enum": options("report_entities")}}
    reopen = schemas.get("ReopenIn", {}).get("properties", {}).get("stage")
    closed = set(options("lead_closed_stages"))
    for branch in branches(reopen or {}, ("string",)):
        branch["enum"] = [s for s in options("lead_stages") if s not in closed]
    rights = (
        doc["paths"]
        .get("/api/v1/roles/{role_id}/rights", {})
        .get("put", {})
        .get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
    )
    if "schema" in rights:
        rights["schema"]["minProperties"] = 1
        rights["schema"]["propertyNames"] = {"enum": options("rights_entities")}
        # hidden and read-only columns are the entity's own fields (services/identity
        # /rights.check_fields_known, with the fields its service describes)
        ref = rights["schema"].get("additionalProperties", {}).get("$ref")
        rights["schema"]["properties"] = {
            plural: {
                "$ref": ref,
                "properties": {
                    key: {"items": {"enum": _column_names(PLURALS[plural])}}
                    for key in ("hidden", "read_only")
                },
            }
            for plural in options("rights_entities")
            if ref and PLURALS.get(plural) in entities()
        }
    for model, names in NO_NULL.items():
        for name in names:
            prop = schemas.get(model, {}).get("properties", {}).get(name)
            if prop is not None:
                drop_null(prop)
    for model, names in NOT_IN_UPDATE.items():
        for name in names:
            prop = schemas.get(model, {}).get("properties", {}).get(name)
            if prop is not None:
                prop["readOnly"] = True
    for model, names in NOT_TAKEN_BY_UPDATE.items():
        for name in names:
            schemas.get(model, {}).get("properties", {}).pop(name, None)
    _state_lines(schemas)
    for model, keywords in TOGETHER.items():
        if model in schemas:
            schemas[model].update(copy.deepcopy(keywords))
    for (model, field), name in BODY_OPTIONS.items():
        prop = schemas.get(model, {}).get("properties", {}).get(field)
        for branch in branches(prop or {}, ("string",)):
            branch["enum"] = options(name)
    for path, item in doc["paths"].items():
        for operation in item.values():
            for param in operation.get("parameters", []):
                pattern = PATH_PATTERNS.get((path, param["name"]))
                if pattern and param["in"] == "path":
                    param["schema"] = {**param["schema"], "pattern": pattern}
                name = PATH_OPTIONS.get(param["name"])
                if not path.startswith("/api/v1/audit/"):
                    continue
                if param["in"] == "path" and name:
                    param["schema"] = {**param["schema"], "enum": options(name)}
                if param["in"] == "query" and param["name"] == "limit":
                    param["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}


#: a product line's decimals (services/platform/fields): field → (pattern of its string,
#: bounds of its number)
LINE_DECIMALS: dict[str, tuple[str, dict[str, Any]]] = {
    "quantity": (QUANTITY_PATTERN, {"exclusiveMinimum": 0, "maximum": 1_000_000_000}),
    "price": (MONEY_PATTERN, {"minimum": 0, "maximum": MAX_MONEY}),
    "discount": (PERCENT_PATTERN, {"minimum": 0, "maximum": 100}),
    "tax_rate": (PERCENT_PATTERN, {"minimum": 0, "maximum": 100}),
}
LINE_MODELS = ("DealLineIn", "OrderLineIn")


def _state_lines(schemas: dict[str, Any]) -> None:
    """A line's quantity, price, discount and tax rate: what parse_quantity, parse_money
    and parse_percent take (a JSON number as a whole one, so no decimals are lost)."""
    for model in LINE_MODELS:
        for name, prop in schemas.get(model, {}).get("properties", {}).items():
            if name not in LINE_DECIMALS:
                continue
            pattern, bounds = LINE_DECIMALS[name]
            for branch in branches(prop, ("string",)):
                branch["pattern"] = pattern
            for branch in branches(prop, ("integer",)):
                branch.update(bounds)
            if "anyOf" in prop:  # a float's decimals are not a schema's to count
                prop["anyOf"] = [b for b in prop["anyOf"] if b.get("type") != "number"]


def _state_field(prop: dict[str, Any], field: dict[str, Any], required: bool) -> None:
    """One property made to say what the field takes (never more than its JSON type)."""
    kind = field["type"]
    strings = branches(prop, ("string",))
    for branch in strings:
        if kind in _TEXT_TYPES and "max_length" in field:
            branch["maxLength"] = field["max_length"]
        elif kind == "enum":
            options = list(field["options"])
            branch["enum"] = options + ([""] if field.get("empty_clears") and not required else [])
        elif kind == "uuid":
            branch["format"] = "uuid"
        elif kind == "currency":
            branch["pattern"] = CURRENCY_PATTERN
        elif kind == "date":
            branch["format"] = "date"
        elif kind == "datetime":
            branch["format"] = "date-time"
        elif kind == "money":
            branch["pattern"] = MONEY_PATTERN
        elif kind == "percent":
            branch["pattern"] = PERCENT_PATTERN
        if required and kind in _TEXT_TYPES:
            branch["pattern"] = NOT_BLANK
    for branch in branches(prop, ("integer", "number")):
        if kind == "integer":
            if "minimum" in field:
                branch["minimum"] = field["minimum"]
            if "maximum" in field:
                branch["maximum"] = field["maximum"]
        elif kind == "percent":
            branch["minimum"], branch["maximum"] = 0, 100
        elif kind == "money":
            branch["minimum"], branch["maximum"] = 0, MAX_MONEY
    if required:
        # a required field's value: null or empty is what "missing" means to the service
        drop_null(prop)


def _state_model(model: dict[str, Any], entity: dict[str, Any], create: bool) -> None:
    fields = {f["name"]: f for f in entity["fields"] if not f.get("read_only")}
    needed = set(entity["required_on_create"]) if create else set()
    props = model.get("properties", {})
    for name, prop in props.items():
        if name in fields:
            _state_field(prop, fields[name], name in needed)
    if create:
        required = [n for n in props if n in needed or n in model.get("required", [])]
        if required:
            model["required"] = required
        groups = entity["one_of_on_create"]
        if groups:
            said = " or ".join(", ".join(g) for g in groups)
            note = f"A new one needs {said}."
            model["description"] = f"{model.get('description', '')} {note}".strip()


def _body(operation: dict[str, Any]) -> dict[str, Any] | None:
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    schema = (media or {}).get("schema", {})
    return schema if "$ref" in schema else None


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def apply(doc: dict[str, Any]) -> None:
    """State each record body's fields; a create's body gets its own model if shared;
    the other bodies' and paths' lists of codes."""
    schemas = doc["components"]["schemas"]
    uses: dict[str, int] = {}
    for item in doc["paths"].values():
        for operation in item.values():
            body = _body(operation)
            if body:
                name = body["$ref"].rsplit("/", 1)[-1]
                uses[name] = uses.get(name, 0) + 1
    for path, item in doc["paths"].items():
        parts = path.strip("/").split("/")
        if len(parts) not in (3, 4) or parts[:2] != ["api", "v1"] or parts[2] not in PLURALS:
            continue
        if len(parts) == 4 and not parts[3].startswith("{"):
            continue
        entity_name = PLURALS[parts[2]]
        entity = entities()[entity_name]
        for method, operation in item.items():
            body = _body(operation)
            if body is None or method not in ("post", "patch"):
                continue
            create = method == "post" and len(parts) == 3
            name = body["$ref"].rsplit("/", 1)[-1]
            if create and uses.get(name, 0) > 1:
                new_name = f"{_camel(entity_name)}Create"
                if new_name in schemas and new_name != name:
                    new_name = f"{_camel(entity_name)}CreateBody"
                schemas[new_name] = {**copy.deepcopy(schemas[name]), "title": new_name}
                body["$ref"] = f"#/components/schemas/{new_name}"
                uses[name] -= 1
                name = new_name
            _state_model(schemas[name], entity, create)
    _state_options(doc)
    state_social_kinds(doc["components"]["schemas"], described().get("social_channel_kinds", {}))
    _split_creates(doc)
    state_rules(doc["components"]["schemas"], described())


def _split_creates(doc: dict[str, Any]) -> None:
    """A body a create shares with an update (:data:`CREATE_REQUIRED`): the create's
    own copy, stated as the shared one is, with the fields a new one needs."""
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        body = _body(item.get("post", {})) if not path.endswith("}") else None
        name = body["$ref"].rsplit("/", 1)[-1] if body else ""
        if body is None or name not in CREATE_REQUIRED:
            continue
        new_name = name.removesuffix("Fields") + "Create"
        schemas[new_name] = {**copy.deepcopy(schemas[name]), "title": new_name}
        schemas[new_name]["required"] = list(CREATE_REQUIRED[name])
        body["$ref"] = f"#/components/schemas/{new_name}"
