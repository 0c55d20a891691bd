"""The document and the services agree on bodies (issue 20 point 7): a body the
document calls valid is one its service takes, and bodies a fuzzer found the services
refusing — null where a service takes none, two fields of which one is wanted, a field
that needs another, a number off a widget's grid — the document refuses too. Each body
is judged by the document's own schema and by the service's own check."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from gateway import openapi_entities, openapi_rules
from gateway.app import create_app
from gateway.routers import files
from gateway.routers.bulk import BulkActionIn
from gateway.routers.opportunities import StageFields
from services.analytics.saved_store import check_widgets
from services.feed import file_types
from services.identity.domain import clean_preference
from services.identity.rights import check_fields_known, clean_rights
from services.integrations.exchange.domain import clean_connection
from services.integrations.mail.domain import clean_mailbox, clean_template
from services.integrations.social.channels import split
from services.integrations.social.domain import check_channel, check_subscription
from services.leads.domain import webforms
from services.leads.domain.distribution import check_rule, clean_rule, new_rule
from services.leads.domain.lead import IDENTIFYING_FIELDS, check_new_lead
from services.leads.domain.process import clean_qualify
from services.leads.domain.scoring import clean_scoring_rule
from services.platform.errors import ValidationFailed
from services.platform.record_shares import clean_share
from services.platform.values import InvalidValue, normalize_phone
from services.processes.domain import clean_start
from services.sales.domain.accounts import ACCOUNT, CONTACT
from services.sales.domain.activities import clean_participants
from services.sales.domain.records import clean_changes, clean_line

U = "0190e2a4-7c1e-7000-8000-000000000001"
MAIL = {"email": "ann@example.com", "imap_host": "imap.example.com", "password": "secret"}
WEBHOOK = {"name": "CRM feed", "url": "https://hooks.example.com/in", "events": ["lead_created"]}
WIDGET = {"kind": "number", "report": {"entity": "leads"}}
LINE = {"product_id": U, "price": "12.50"}


def _line(item: dict[str, Any]) -> None:
    errors: list[dict[str, str]] = []
    clean_line("lines[0]", item, errors)
    if errors:
        raise ValidationFailed("bad line", errors)


def _channel(body: dict[str, Any]) -> None:
    _, settings, secrets = split(body["kind"], body)
    check_channel(body["kind"], settings, secrets, True)


def _new_distribution_rule(body: dict[str, Any]) -> None:
    # as the leads service makes one: the fields checked, then the rule as a whole
    check_rule(new_rule(clean_rule(body, creating=True)))


def _bulk_action(body: dict[str, Any]) -> None:
    try:
        BulkActionIn.model_validate(body)
    except ValidationError as exc:
        errors = [{"field": "body", "message": str(exc)}]
        raise ValidationFailed("bad bulk action", errors) from None


RULE = {"name": "Hot", "field": "stage", "points": 10}
BULK = {"entity": "leads", "ids": [U]}
FACEBOOK = {"kind": "facebook", "name": "Lead ads", "app_secret": "a", "verify_token": "v"}


def _phone(line: dict[str, Any]) -> None:
    try:
        normalize_phone(line["phone"])
    except InvalidValue as exc:
        raise ValidationFailed(str(exc), [{"field": "phone", "message": str(exc)}]) from None


#: model → (the service's check, bodies it takes, bodies it refuses)
CASES: dict[str, tuple[Callable[[Any], Any], list[Any], list[Any]]] = {
    "RecordShareIn": (
        clean_share,
        [{"user_id": U}, {"team_id": U, "access": "edit"}],
        [{}, {"user_id": U, "team_id": U}, {"user_id": None}],
    ),
    "QualifyIn": (
        clean_qualify,
        [
            {"contact_id": U},
            {"contact": {}, "account_id": U},
            {"contact": {}, "account": {"name": "N"}},
        ],
        [
            {},
            {"contact_id": U, "contact": {}},
            {"contact_id": U, "account_id": U, "account": {}},
            {"contact_id": U, "allow_duplicates": None},
        ],
    ),
    "StartIn": (
        clean_start,
        [{"definition_id": U}, {"definition_id": U, "record_type": "lead", "record_id": U}],
        [
            {"definition_id": U, "record_type": "lead"},
            {"definition_id": U, "record_id": U},
            {"definition_id": U, "record_type": "planet", "record_id": U},
        ],
    ),
    "ExchangeConnectionCreate": (
        lambda body: clean_connection(body, creating=True),
        [
            {"email": "ann@example.com", "password": "secret"},
            {"email": "ann@example.com", "auth": "oauth2", "access_token": "t"},
            {"email": "ann@example.com", "password": "p", "ews_url": "", "login": None},
        ],
        [
            {"email": "ann@example.com"},
            {"email": "ann@example.com", "auth": "oauth2", "password": "secret"},
            {"email": "ann@example.com", "password": "secret", "is_shared": None},
            {"email": "ann@example.com", "password": "secret", "deletions": None},
            {"email": "ann@example.com", "password": "secret", "past_days": 4000},
            {"email": "ann@example.com", "password": "secret", "ews_url": "ews.example.com"},
        ],
    ),
    "MailboxCreate": (
        lambda body: clean_mailbox(body, creating=True),
        [MAIL, {**MAIL, "smtp_host": None, "imap_port": 993, "security": "ssl"}],
        [
            {**MAIL, "imap_host": "Imap host"},
            {**MAIL, "security": None},
            {**MAIL, "login": ""},
            {**MAIL, "imap_port": 0},
            {**MAIL, "is_shared": None},
        ],
    ),
    "WebhookCreate": (
        lambda body: check_subscription(body, True),
        [WEBHOOK, {**WEBHOOK, "is_active": False}],
        [{**WEBHOOK, "url": "00000000"}, {**WEBHOOK, "is_active": None}, {**WEBHOOK, "name": " "}],
    ),
    "Widget": (
        lambda widget: check_widgets([widget]),
        [WIDGET, {**WIDGET, "x": 11, "y": 0, "w": 1, "h": 12}],
        [{**WIDGET, "x": 12}, {**WIDGET, "w": 0}, {**WIDGET, "h": None}],
    ),
    "DealLineIn": (
        _line,
        [{**LINE, "quantity": "2"}, {**LINE, "quantity": "0.5"}, {**LINE, "quantity": 3}],
        [
            {**LINE, "quantity": "0"},
            {**LINE, "quantity": 0},
            {**LINE, "quantity": "1.2345"},
            {**LINE, "quantity": "1", "price": "-1"},
        ],
    ),
    "DistributionRuleCreate": (
        _new_distribution_rule,
        [
            {"name": "North", "strategy": "round_robin", "owner_ids": [U]},
            {"name": "North", "strategy": "fixed_owner", "fixed_owner_id": U},
        ],
        [
            {"name": "North", "strategy": "round_robin"},
            {"name": "North", "strategy": "least_open", "owner_ids": []},
            {"name": "North", "strategy": "round_robin", "owner_ids": [U, U]},
            {"name": "North", "strategy": "fixed_owner"},
            {"name": "North"},
            {"strategy": "round_robin"},
            {"name": " ", "strategy": "round_robin"},
            {"name": "North", "strategy": None},
            {"name": "North", "strategy": "round_robin", "position": 2_000_000},
        ],
    ),
    "SocialChannelCreate": (
        _channel,
        [
            {**FACEBOOK, "page_access_token": "p", "page_id": "1234567890"},
            {"kind": "telegram", "name": "Bot", "secret_token": "t-1_x", "language": "ru"},
            {"kind": "vk", "name": "Group", "secret": "s", "confirmation": "c0de"},
        ],
        [
            FACEBOOK,
            {**FACEBOOK, "page_access_token": "p", "bot_username": "osprey_bot"},
            {"kind": "telegram", "name": "Bot", "secret_token": "t-1_x", "group_id": "1"},
            {"kind": "telegram", "name": "Bot", "secret_token": "not one!"},
            {"kind": "vk", "name": "Group", "secret": "s"},
        ],
    ),
    "ScoringRuleCreate": (
        clean_scoring_rule,
        [
            {**RULE, "operator": "equals", "value": "handoff"},
            {**RULE, "operator": "in", "value": ["handoff", "nurturing"]},
            {**RULE, "operator": "is_set"},
            {**RULE, "field": "email", "operator": "contains", "value": "@example"},
            {**RULE, "field": "created_at", "operator": "gte", "value": "2026-03-01"},
            {**RULE, "field": "owner_id", "operator": "not_equals", "value": U},
            {**RULE, "field": "region", "operator": "equals", "value": 7},
        ],
        [
            {**RULE, "operator": "equals"},
            {**RULE, "operator": "equals", "value": "planet"},
            {**RULE, "operator": "in", "value": []},
            {**RULE, "operator": "in", "value": ["handoff", "planet"]},
            {**RULE, "operator": "is_empty", "value": "x"},
            {**RULE, "field": "email", "operator": "contains", "value": " "},
            {**RULE, "field": "created_at", "operator": "lte", "value": "soon"},
            {**RULE, "field": "owner_id", "operator": "equals", "value": "someone"},
            {**RULE, "field": "region", "operator": "equals", "value": [1]},
        ],
    ),
    "BulkActionIn": (
        _bulk_action,
        [
            {**BULK, "action": "assign", "owner_id": U},
            {**BULK, "action": "update", "changes": {"region": "North"}},
            {**BULK, "action": "delete"},
            {**BULK, "action": "post", "text": "Call back"},
            {"entity": "orders", "action": "post", "all_matching": True, "text": "Hi"},
            {"entity": "products", "action": "assign", "all_matching": True, "dry_run": True},
        ],
        [
            {"entity": "leads", "action": "delete"},
            {**BULK, "action": "delete", "all_matching": True},
            {**BULK, "action": "assign"},
            {**BULK, "action": "update", "changes": {}},
            {**BULK, "action": "post", "text": " "},
            {"entity": "products", "action": "assign", "ids": [U], "owner_id": U},
            {"entity": "orders", "action": "delete", "ids": [U]},
            {"entity": "activities", "action": "post", "ids": [U], "text": "Hi"},
        ],
    ),
    "TemplateCreate": (
        lambda body: clean_template(body, creating=True),
        [{"name": "Welcome", "subject": "Hello {{first_name}}", "body": ""}],
        [
            {"name": "Welcome", "subject": "Hello"},
            {"name": " ", "subject": "Hello", "body": "Hi"},
            {"name": "x" * 201, "subject": "Hello", "body": "Hi"},
            {"name": "Welcome", "subject": None, "body": "Hi"},
        ],
    ),
    "EntityRightsIn": (
        lambda rights: clean_rights({"leads": rights}),
        [
            {"read": True, "update": True, "read_scope": "team", "write_scope": "team"},
            {"read": True, "read_scope": "all", "write_scope": "team", "hidden": ["budget"]},
            {"create": False, "read": False},
            {"read": True, "read_only": ["owner_id"]},
        ],
        [
            {"update": True},
            {"read": False, "export": True},
            {"read": True, "write_scope": "team"},
            {"read": True, "read_scope": "team", "write_scope": "all"},
            {"read": True, "hidden": ["id"]},
            {"read": True, "read_only": ["Budget"]},
        ],
    ),
    "ContactPhoneIn": (
        _phone,
        [{"phone": "+1 555 0100"}, {"phone": "8 (800) 555-35-35", "kind": "work"}],
        [{"phone": ""}, {"phone": "123"}, {"phone": "call me"}],
    ),
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def _valid(document: dict[str, Any], model: str, body: Any) -> bool:
    schema = {**document["components"]["schemas"][model], "components": document["components"]}
    return bool(jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(body))


def _taken(check: Callable[[Any], Any], body: Any) -> bool:
    try:
        check(body)
    except ValidationFailed:
        return False
    return True


@pytest.mark.parametrize("model", sorted(CASES))
def test_what_the_document_takes_the_service_takes(document: dict[str, Any], model: str) -> None:
    check, taken, refused = CASES[model]
    for body in taken:
        assert _taken(check, body), f"{model}: the service refuses {body}"
        assert _valid(document, model, body), f"{model}: the document refuses {body}"
    for body in refused:
        assert not _taken(check, body), f"{model}: the service takes {body}"
        assert not _valid(document, model, body), f"{model}: the document takes {body}"


def test_a_file_is_answered_under_a_type_its_download_declares(document: dict[str, Any]) -> None:
    declared = document["paths"]["/api/v1/files/{file_id}"]["get"]["responses"]["200"]["content"]
    # a generated client reads the bytes as bytes; a checker sees every kept type in range
    assert next(iter(declared)) == "application/octet-stream"
    kept = {kind for _, kind in file_types._SIGNATURES} | {"text/plain", "image/svg+xml"}
    for kind in sorted(kept):
        main, sub = kind.split("/")
        assert any(
            d.split("/")[0] in ("*", main) and d.split("/")[1] in ("*", sub) for d in declared
        ), f"{kind} is in no declared media range of GET /files/{{file_id}}"
    assert files.router is not None


def test_an_activity_s_participants_are_stated_as_the_sales_service_reads_them(
    document: dict[str, Any],
) -> None:
    prop = document["components"]["schemas"]["ActivityUpdate"]["properties"]["participants"]
    schema = {**prop, "components": document["components"]}
    good = [[{"type": "contact", "id": U}, {"type": "user", "id": U}], None, []]
    bad = [[{"type": "lead", "id": U}], [{"type": "user", "id": "x"}], [{"type": "user"}]]
    for value in good:
        assert not clean_participants(value)[1], value
        assert jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(value), value
    for value in bad:
        assert clean_participants(value)[1], value
        assert not jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(value), value


def test_a_preference_key_is_stated_as_identity_reads_it(document: dict[str, Any]) -> None:
    (param,) = document["paths"]["/api/v1/me/preferences/{key}"]["put"]["parameters"]
    for key in ("lists.leads.columns", "theme", "a-b_c.d"):
        clean_preference(key, 1)
        assert re.search(param["schema"]["pattern"], key), key
    for key in ("Leads", "0lists", "lists leads", "x" * 101):
        with pytest.raises(ValidationFailed):
            clean_preference(key, 1)
        assert not re.search(param["schema"]["pattern"], key) or len(key) > 100, key


def test_a_token_s_create_names_what_identity_requires(document: dict[str, Any]) -> None:
    token = document["components"]["schemas"]["TokenCreate"]
    assert set(token["required"]) == {"name", "scopes", "expires_on"}
    for name in token["required"]:
        assert "null" not in str(token["properties"][name]), name
    assert "admin" in token["properties"]["scopes"]["items"]["enum"]


def test_what_an_update_refuses_or_an_id_that_is_no_uuid_is_not_stated_otherwise(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    # services/orders/domain: an invoice's order is never changed (422), so the update
    # does not offer it, and names nothing else
    update = schemas["InvoiceFields"]
    assert "order_id" not in update["properties"] and update["additionalProperties"] is False
    assert "order_id" in schemas["InvoiceCreate"]["properties"]
    # a Facebook page's and a VK group's ids are theirs, not Osprey's UUIDs
    for name in ("page_id", "group_id"):
        prop = schemas["SocialChannelCreate"]["properties"][name]
        assert "uuid" not in str(prop), prop


def test_a_whole_number_written_with_a_zero_fraction_is_an_integer() -> None:
    """JSON Schema's integer holds 4192.0, so the document's ``integer`` fields take
    it (the fuzzer sent it and the gateway answered 422); other fractions, bools and
    texts stay refused, and what the service is given is the integer."""
    assert StageFields.model_validate({"position": 4192.0}).changes() == {"position": 4192}
    assert type(StageFields.model_validate({"position": 4192.0}).position) is int
    for bad in (4192.5, True, "3", 1e300):
        with pytest.raises(ValidationError):
            StageFields.model_validate({"position": bad})


def test_every_request_example_is_valid_by_the_json_schema_of_its_body(
    document: dict[str, Any],
) -> None:
    """Judged by a JSON Schema validator (oneOf, not, dependentRequired included): an
    example of a body whose fields exclude each other names one way, not both."""
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not media or "example" not in media:
                continue
            schema = {**media["schema"], "components": document["components"]}
            errors = [
                str(e)
                for e in jsonschema_rs.validator_for(schema, validate_formats=True).iter_errors(
                    media["example"]
                )
            ]
            assert not errors, f"{method} {path}: {media['example']} {errors}"
            checked += 1
    assert checked > 100


def test_a_role_s_hidden_columns_are_its_entity_s_fields(document: dict[str, Any]) -> None:
    """identity refuses a hidden or read-only column its entity does not have (with the
    fields each service describes); the document names those fields per entity."""
    put = document["paths"]["/api/v1/roles/{role_id}/rights"]["put"]
    schema = {
        **put["requestBody"]["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    body_valid = jsonschema_rs.validator_for(schema).is_valid
    known = {
        plural: [f["name"] for f in openapi_entities.entities()[singular]["fields"]]
        for plural, singular in (("leads", "lead"), ("orders", "order"))
    }
    for body in (
        {"leads": {"read": True, "hidden": ["region"], "read_only": ["owner_id"]}},
        {"orders": {"read": True, "hidden": ["total"]}},
    ):
        check_fields_known(clean_rights(body), known)
        assert body_valid(body), body
    for body in (
        {"leads": {"read": True, "hidden": ["total"]}},
        {"orders": {"read": True, "read_only": ["region"]}},
    ):
        with pytest.raises(ValidationFailed):
            check_fields_known(clean_rights(body), known)
        assert not body_valid(body), body


def _submission(body: dict[str, Any]) -> None:
    # as the leads service takes a form's post: its lead fields, then the new lead's rule
    honeypot = webforms.new_form({"name": "Contact us"})["honeypot_field"]
    check_new_lead({**webforms.submitted_fields(body, honeypot), "stage": "new"})


def test_a_web_form_submission_is_stated_as_the_leads_service_reads_it(
    document: dict[str, Any],
) -> None:
    """A form posts the lead fields (any other is refused, naming it) and says who wrote
    (one of contact_name, account_name, email, phone); the document says the same, for
    JSON and for a plain HTML form's post."""
    assert openapi_rules.SUBMISSION_FIELDS == webforms.PUBLIC_FIELDS
    assert openapi_rules.TRUNCATED_FIELDS == webforms.TRUNCATED_FIELDS
    assert openapi_rules.IDENTIFYING_FIELDS == IDENTIFYING_FIELDS
    post = document["paths"][openapi_rules.SUBMISSIONS]["post"]
    # a plain HTML form's post without a redirect_url is thanked with a page (200)
    assert "text/html" in post["responses"]["200"]["content"]
    content = post["requestBody"]["content"]
    for media in ("application/json", "application/x-www-form-urlencoded"):
        valid = jsonschema_rs.validator_for(content[media]["schema"]).is_valid
        for body in (
            {"contact_name": "Ann Lee"},
            {"email": "ann@example.com", openapi_rules.HONEYPOT: ""},
            {"phone": "+1 555 0100", "utm_source": "x" * 400, "notes": "Call me"},
            content["application/json"]["example"],
        ):
            assert _taken(_submission, body), body
            assert valid(body), (media, body)
        for body in (
            {},
            {"notes": "Call me"},
            {"name": "Ann Lee"},
            {"contact_name": "Ann Lee", "company": "Northwind"},
        ):
            assert not _taken(_submission, body), body
            assert not valid(body), (media, body)


def test_qualify_s_new_contact_and_account_are_stated_as_sales_reads_them(
    document: dict[str, Any],
) -> None:
    """Qualifying makes the contact (and account) from the fields sent: sales takes a
    new one's fields and refuses any other, naming it; the document says the same
    instead of a free object."""
    valid = jsonschema_rs.validator_for(
        {**document["components"]["schemas"]["QualifyIn"], "components": document["components"]},
        validate_formats=True,
    ).is_valid
    for kind, entity in (("contact", CONTACT), ("account", ACCOUNT)):
        name = "full_name" if kind == "contact" else "name"
        taken = {name: "Ann Lee"}
        refused = {"name" if kind == "contact" else "full_name": "Ann Lee"}
        assert _taken(lambda fields, e=entity: clean_changes(e, fields), taken)
        assert not _taken(lambda fields, e=entity: clean_changes(e, fields), refused)
        others = {"contact_id": U} if kind == "account" else {}
        assert valid({**others, kind: taken}), kind
        assert not valid({**others, kind: refused}), kind
    # a new account needs its name (sales: "name: is required"); a contact's may be the lead's
    assert not valid({"contact_id": U, "account": {}})
    assert valid({"contact": {}})


def test_google_s_callback_needs_the_code_unless_the_user_refused(
    document: dict[str, Any],
) -> None:
    """google.complete_google_authorization: Google's refusal (a non-empty error) is
    answered 422 whatever else came; otherwise the code must be a non-empty string."""
    valid = jsonschema_rs.validator_for(
        document["components"]["schemas"]["AuthorizationCallback"]
    ).is_valid
    assert valid({"state": "s", "code": "4/0A1"})
    assert valid({"state": "s", "error": "access_denied"})
    assert valid({"state": "s", "code": "4/0A1", "error": None})
    for body in ({"state": "s"}, {"state": "s", "code": ""}, {"state": "s", "error": ""}):
        assert not valid(body), body
