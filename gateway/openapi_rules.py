"""Bodies whose fields depend on each other, stated as the services check them (issue
20): one field or another, what an action or a strategy needs, the value an operator
takes — as ``if``/``then``/``else`` on the body's model, so that a generated client
still reads each body as one model (``oneOf`` would make it several), and with an
example the service accepts.

:mod:`gateway.openapi_entities` states each field on its own; what is here ties them
together (:data:`TOGETHER` by model, :func:`state_rules` for the rules made from the
services' own lists).
"""

from __future__ import annotations

import copy
from typing import Any

#: an http(s) address, or nothing
HTTP_URL_OR_EMPTY = r"^(https?://|$)"


def drop_null(prop: dict[str, Any]) -> None:
    if "anyOf" in prop:
        prop["anyOf"] = [b for b in prop["anyOf"] if b.get("type") != "null"]
        if len(prop["anyOf"]) == 1:
            branch = prop.pop("anyOf")[0]
            # what is said beside the branch (an array's items' options) stays said
            items = {**branch.get("items", {}), **prop.get("items", {})}
            prop.update(branch)
            if items:
                prop["items"] = items


def branches(prop: dict[str, Any], kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    if prop.get("type") in kinds:
        return [prop]
    return [b for b in prop.get("anyOf", []) if b.get("type") in kinds]


def _exactly_one(first: str, second: str) -> dict[str, Any]:
    """One of two fields, not both (as if/then/else: a generated client still reads the
    body as one model; oneOf would make it two)."""
    return {
        "if": {"required": [first]},
        "then": {"not": {"required": [second]}},
        "else": {"required": [second]},
    }


#: what an invoice of an order takes from it (services/orders/domain.FROM_ORDER)
FROM_ORDER = ("currency", "total", "tax_total", "account_id")
#: bodies whose fields exclude or need each other, as their services check them (null
#: counts as left out there, so these fields take no null, :data:`NO_NULL`): model →
#: keywords of the body's schema
TOGETHER: dict[str, dict[str, Any]] = {
    # services/platform/record_shares: a user or a team, not both
    "RecordShareIn": _exactly_one("user_id", "team_id"),
    "LeadShareIn": _exactly_one("user_id", "team_id"),
    # services/sales/domain/forecasts: a user's plan or a team's
    "ForecastCreate": _exactly_one("owner_id", "team_id"),
    # services/feed/posts: on a channel or on a record
    "PostIn": _exactly_one("channel_id", "related"),
    # services/leads/domain/process: a contact picked or made; an account picked, made
    # or neither
    "QualifyIn": {
        **_exactly_one("contact_id", "contact"),
        "dependentSchemas": {"account_id": {"not": {"required": ["account"]}}},
    },
    # services/orders/domain: an invoice of an order (its money and account come from
    # it), or one made by hand with its currency and total
    "InvoiceCreate": {
        "if": {"required": ["order_id"]},
        "then": {"not": {"anyOf": [{"required": [name]} for name in FROM_ORDER]}},
        "else": {"required": ["currency", "total"]},
    },
    # services/processes/domain.clean_start: the record a process runs for, or none
    "StartIn": {"dependentRequired": {"record_type": ["record_id"], "record_id": ["record_type"]}},
    # services/integrations/google/connections.complete_google_authorization: the code
    # Google sent, unless it sent the user's refusal (error), which is answered 422
    "AuthorizationCallback": {
        "if": {"required": ["error"], "properties": {"error": {"type": "string", "minLength": 1}}},
        "then": {},
        "else": {"required": ["code"], "properties": {"code": {"type": "string", "minLength": 1}}},
        "examples": [{"state": "k3VtQ8x2Rbn1oW5cZ7yLp0aE", "code": "4/0AeaYSHB7x2q"}],
    },
    # services/integrations/exchange/domain.clean_connection: the password basic
    # sign-in needs, or the token OAuth2 needs
    "ExchangeConnectionCreate": {
        "if": {"required": ["auth"], "properties": {"auth": {"const": "oauth2"}}},
        "then": {"required": ["access_token"]},
        "else": {"required": ["password"]},
        "examples": [{"email": "ann.lee@example.com", "password": "plum-orbit-castle-72"}],
    },
}
#: a UUID as the services read one
UUID = {"type": "string", "format": "uuid"}
#: a rule's value that is one thing (services/leads/domain/scoring._scalar_ok): a text
#: (not blank, at most 300 characters), a number or true/false
SCALAR: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"\S", "maxLength": 300},
        {"type": "number"},
        {"type": "boolean"},
    ]
}
#: services/leads/domain/scoring.MAX_IN_VALUES
MAX_IN_VALUES = 200
#: services/leads/domain/distribution.MAX_OWNERS
MAX_OWNERS = 200


def _when(field: str, values: list[str] | str, then: dict[str, Any]) -> dict[str, Any]:
    """``then`` where ``field`` is one of ``values`` (the field is required by the body)."""
    condition = {"const": values} if isinstance(values, str) else {"enum": values}
    return {"if": {"properties": {field: condition}, "required": [field]}, "then": then}


def _chain(rules: list[dict[str, Any]], last: dict[str, Any] | None = None) -> dict[str, Any]:
    """Rules whose conditions exclude each other, as one nested if/then/else (no allOf:
    a generated client would read an allOf as several models)."""
    chained: dict[str, Any] = dict(last or {})
    for rule in reversed(rules):
        chained = {**rule, "else": chained} if chained else dict(rule)
    return chained


def scoring_value_rule(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The value a scoring rule's operator takes, and for a field with a list of options
    or ids what ``equals`` and ``in`` take of it (services/leads/domain/scoring
    ._check_value and ._check_option)."""
    kinds: list[tuple[list[str], dict[str, Any]]] = [
        ([f["name"]], {"type": "string", "enum": f["options"]})
        for f in fields
        if f.get("type") == "enum" and f.get("options")
    ]
    ids = [f["name"] for f in fields if f.get("type") == "uuid" and not f.get("read_only")]
    if ids:
        kinds.append((ids, UUID))

    def of_field(value: Any) -> dict[str, Any]:
        # what value takes where the field has options or ids: ``value(one)``
        return _chain(
            [_when("field", names, {"properties": {"value": value(one)}}) for names, one in kinds]
        )

    in_list = {"type": "array", "minItems": 1, "maxItems": MAX_IN_VALUES, "items": SCALAR}
    by_operator = _chain(
        [
            _when(
                "operator",
                "in",
                {"properties": {"value": in_list}, **of_field(lambda one: {"items": one})},
            ),  # fmt: skip
            _when(
                "operator",
                "contains",
                {"properties": {"value": {"type": "string", "pattern": r"\S", "maxLength": 300}}},
            ),  # fmt: skip
            _when(
                "operator",
                ["gte", "lte"],
                {
                    "properties": {
                        "value": {
                            "anyOf": [
                                {"type": "number"},
                                {"type": "string", "format": "date"},
                                {"type": "string", "format": "date-time"},
                            ]
                        }
                    }
                },
            ),  # fmt: skip
        ],
        # equals and not_equals
        {"properties": {"value": SCALAR}, **of_field(lambda one: one)},
    )
    return {
        **_when("operator", ["is_set", "is_empty"], {"properties": {"value": {"type": "null"}}}),
        "else": {"required": ["value"], **by_operator},
    }


#: services/leads/domain/distribution.check_rule: owners to choose from, or the one owner
DISTRIBUTION_STRATEGY: dict[str, Any] = _chain(
    [
        _when(
            "strategy",
            ["round_robin", "least_open"],
            {
                "required": ["owner_ids"],
                "properties": {
                    "owner_ids": {
                        "type": "array",
                        "items": UUID,
                        "minItems": 1,
                        "maxItems": MAX_OWNERS,
                        "uniqueItems": True,
                    }
                },
            },
        ),  # fmt: skip
        _when(
            "strategy",
            "fixed_owner",
            {"required": ["fixed_owner_id"], "properties": {"fixed_owner_id": UUID}},
        ),  # fmt: skip
    ]
)


def bulk_action_rule(
    owned: list[str], deletable: list[str], with_feed: list[str]
) -> dict[str, Any]:
    """gateway/routers/bulk.BulkActionIn: the selected ids or all the list matches; and
    unless only counted (``dry_run``), what the action needs and the records it suits."""
    action = _chain(
        [
            _when(
                "action",
                "assign",
                {
                    "required": ["owner_id"],
                    "properties": {"owner_id": UUID, "entity": {"enum": owned}},
                },
            ),  # fmt: skip
            _when(
                "action",
                "update",
                {
                    "required": ["changes"],
                    "properties": {"changes": {"type": "object", "minProperties": 1}},
                },
            ),  # fmt: skip
            _when("action", "delete", {"properties": {"entity": {"enum": deletable}}}),
            _when(
                "action",
                "post",
                {
                    "required": ["text"],
                    "properties": {
                        "text": {"type": "string", "pattern": r"\S"},
                        "entity": {"enum": with_feed},
                    },
                },
            ),  # fmt: skip
        ]
    )
    unless_counted = {
        "if": {"properties": {"dry_run": {"const": True}}, "required": ["dry_run"]},
        "then": {},
        "else": action,
    }
    return {
        "if": {"properties": {"all_matching": {"const": True}}, "required": ["all_matching"]},
        "then": {"properties": {"ids": {"type": "null"}}, **unless_counted},
        "else": {
            "required": ["ids"],
            "properties": {"ids": {"type": "array"}},
            **copy.deepcopy(unless_counted),
        },
        "examples": [
            {"entity": "leads", "action": "assign", "all_matching": True, "dry_run": True}
        ],
    }


#: a column a role's rights name (services/identity/rights._FIELD; id and version never)
COLUMN = {
    "type": "string",
    "pattern": r"^[a-z][a-z0-9_]{0,62}$",
    "not": {"enum": ["id", "version"]},
}
#: services/identity/rights._clean_entity: every operation needs read; a role changes
#: only records it reads (write_scope no wider than read_scope, both "own" when left out)
ENTITY_RIGHTS: dict[str, Any] = {
    "dependentSchemas": {
        op: {
            "if": {"properties": {op: {"const": True}}},
            "then": {"required": ["read"], "properties": {"read": {"const": True}}},
        }
        for op in ("create", "update", "delete", "export")
    },
    **_chain(
        [
            _when("read_scope", "team", {"properties": {"write_scope": {"enum": ["own", "team"]}}}),
            _when("read_scope", "all", {}),
        ],
        {"properties": {"write_scope": {"enum": ["own"]}}},
    ),
}


def state_rules(schemas: dict[str, Any], described: dict[str, Any]) -> None:
    """The rules made from the services' own lists, on the models that take them."""
    lead_fields = described.get("entities", {}).get("lead", {}).get("fields", [])
    scoring = schemas.get("ScoringRuleCreate")
    if scoring is not None:
        scoring.update(scoring_value_rule(lead_fields))
        scoring["examples"] = [
            {"name": "Ready to buy", "field": "need_maturity", "operator": "equals",
             "value": "ready", "points": 30}
        ]  # fmt: skip
    distribution = schemas.get("DistributionRuleCreate")
    if distribution is not None:
        distribution.update(copy.deepcopy(DISTRIBUTION_STRATEGY))
        distribution["examples"] = [
            {"name": "Moscow leads", "region": "Moscow", "strategy": "least_open",
             "owner_ids": ["0190e2a4-7c1e-7000-8000-000000000001"]}
        ]  # fmt: skip
    rights = schemas.get("EntityRightsIn")
    if rights is not None:
        rights.update(copy.deepcopy(ENTITY_RIGHTS))
        for name in ("hidden", "read_only"):
            rights["properties"][name]["items"] = dict(COLUMN)
    bulk = schemas.get("BulkActionIn")
    if bulk is not None:
        from .routers.bulk import TARGETS

        bulk.update(
            bulk_action_rule(
                [e for e, t in TARGETS.items() if t.owned],
                [e for e, t in TARGETS.items() if t.deletable],
                [e for e, t in TARGETS.items() if t.has_feed],
            )
        )


#: what a web form posts (services/leads/domain/webforms.PUBLIC_FIELDS; anything else is
#: refused, naming the field) and the fields of which one must say something
#: (services/leads/domain/lead.IDENTIFYING_FIELDS)
SUBMISSION_FIELDS = (
    "contact_name", "account_name", "email", "phone", "need_type", "region", "notes",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "referrer",
)  # fmt: skip
IDENTIFYING_FIELDS = ("contact_name", "account_name", "email", "phone")
#: cut to their length rather than refused (webforms.TRUNCATED_FIELDS)
TRUNCATED_FIELDS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
)
#: a new form's honeypot field (webforms: ``honeypot_field``'s default)
HONEYPOT = "website"
SUBMISSIONS = "/api/v1/web-forms/{form_id}/submissions"


def state_web_form_submission(doc: dict[str, Any]) -> None:
    """A web form's submission as the leads service reads it: the lead fields a form
    posts, each as a new lead takes it (texts cut to their length are not refused for
    it), the honeypot, nothing else; and at least one of the fields that say who wrote
    (not blank) — as a chain of if/then/else, so a generated client still reads one model."""
    post = doc["paths"].get(SUBMISSIONS, {}).get("post")
    lead = doc["components"]["schemas"].get("LeadCreate")
    if post is None or lead is None:
        return
    properties: dict[str, Any] = {}
    for name in SUBMISSION_FIELDS:
        prop = copy.deepcopy(lead["properties"].get(name, {"type": "string"}))
        prop.pop("title", None)
        if name in TRUNCATED_FIELDS:
            for branch in branches(prop, ("string",)):
                branch.pop("maxLength", None)
        properties[name] = prop
    properties[HONEYPOT] = {
        "type": "string",
        "description": "the form's honeypot field (website unless the form names another): "
        "left empty by people, a filled one is taken and dropped",
    }
    said = {"type": "string", "pattern": r"\S"}
    rule: dict[str, Any] = {
        "required": [IDENTIFYING_FIELDS[-1]],
        "properties": {IDENTIFYING_FIELDS[-1]: said},
    }
    for name in reversed(IDENTIFYING_FIELDS[:-1]):
        rule = {
            "if": {"required": [name], "properties": {name: said}},
            "then": {},
            "else": rule,
        }
    schema = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        **rule,
    }
    for content in post["requestBody"]["content"].values():
        content["schema"] = copy.deepcopy(schema)
    # a plain HTML form's post of a form without a redirect_url: a thank-you page
    post["responses"].setdefault(
        "200",
        {
            "description": "A plain HTML form post, the form without a redirect_url: a "
            "thank-you page",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
    )
    post["requestBody"]["content"]["application/json"]["example"] = {
        "contact_name": "Ann Lee",
        "email": "ann.lee@example.com",
        "notes": "Please call me back",
    }


def state_qualify_new_records(schemas: dict[str, Any]) -> None:
    """Qualifying a lead makes its contact (and account) from ``contact`` (``account``):
    the fields a new one takes (sales refuses any other, naming it), not a free object;
    what a new one needs beside them may come from the lead (its contact_name)."""
    qualify = schemas.get("QualifyIn")
    if qualify is None:
        return
    for kind, model in (("contact", "ContactCreate"), ("account", "AccountCreate")):
        made = schemas.get(model)
        if made is None or kind not in qualify.get("properties", {}):
            continue
        qualify["properties"][kind] = {
            "title": f"Qualify{kind.title()}",
            "description": f"a new {kind}'s fields, as `POST /{kind}s` takes them",
            "type": "object",
            "properties": copy.deepcopy(made["properties"]),
            "additionalProperties": False,
        }
        if kind == "account" and made.get("required"):
            # an account's name is its own; a contact's may be the lead's contact_name
            qualify["properties"][kind]["required"] = list(made["required"])


def state_social_kinds(schemas: dict[str, Any], kinds: dict[str, Any]) -> None:
    """A new social channel takes its kind's own fields and needs its kind's secrets
    (services/integrations/social: "not a field of a telegram channel"), as a chain of
    if/then/else on ``kind``."""
    model = schemas.get("SocialChannelCreate")
    if model is None or not kinds:
        return
    every = {f for kind in kinds.values() for f in kind["fields"]}
    rule: dict[str, Any] = {}
    for name, kind in reversed(list(kinds.items())):
        others = sorted(every - set(kind["fields"]))
        then: dict[str, Any] = {"required": kind["required"]}
        if others:
            then["not"] = {"anyOf": [{"required": [f]} for f in others]}
        branch = {
            "if": {"properties": {"kind": {"const": name}}},
            "then": then,
        }
        if rule:
            branch["else"] = rule
        rule = branch
    model.update(rule)
    for name in ("app_secret", "verify_token", "page_access_token", "secret_token", "secret"):
        drop_null(model.get("properties", {}).get(name, {}))
    token = model.get("properties", {}).get("secret_token")
    if token is not None:
        token["pattern"] = r"^[A-Za-z0-9_-]{1,256}$"
    for name in ("graph_url",):
        for branch in branches(model.get("properties", {}).get(name, {}), ("string",)):
            branch["pattern"] = HTTP_URL_OR_EMPTY
    first = next(iter(kinds))
    model["examples"] = [
        {"kind": first, "name": "Lead ads", **{f: "s3cret-value" for f in kinds[first]["required"]}}
    ]
