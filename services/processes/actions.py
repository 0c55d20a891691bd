"""The CRM actions a service task can perform: their parameters (the designer's form),
which service owns each, the RPC it becomes, and whether sending it twice is harmless.

Pure: no Nameko, no I/O. A diagram names an action in
``<spiffworkflow:serviceTaskOperator id="create_activity">`` with one
``<spiffworkflow:parameter id=".." type=".." value="<expression>"/>`` per parameter; the
expressions are evaluated in the sandbox when the task runs.

Every call carries an idempotency key (the instance and the task). The ledger
(``action_calls``) remembers each key's answer, so a step that is run again — after a
retry, a crash or a redelivery — takes the stored answer instead of acting again. Only
a call whose answer was lost (sent, no reply) is in doubt: it is sent again when that
is harmless — the action is idempotent by nature (a read, a change to given values), or
its RPC is *keyed* (:data:`KEYED`: the owning service takes ``idempotency_key`` and
answers a request it has applied with its first answer). Any other fails the step for
an administrator to check and then retry or skip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: entity -> (service, singular used in RPC names)
ENTITIES: dict[str, tuple[str, str]] = {
    "lead": ("leads", "lead"),
    "account": ("sales", "account"),
    "contact": ("sales", "contact"),
    "opportunity": ("sales", "opportunity"),
    "activity": ("sales", "activity"),
    "order": ("orders", "order"),
    "invoice": ("orders", "invoice"),
    "product": ("orders", "product"),
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # string | object | uuid | entity | number | boolean
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    service: str | None
    params: tuple[Param, ...]
    idempotent: bool
    description: str = ""
    available: bool = True
    needs: str | None = None
    title_ru: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "title_ru": self.title_ru,
            "service": self.service,
            "description": self.description,
            "idempotent": self.idempotent,
            "available": self.available,
            "needs": self.needs,
            "params": [
                {
                    "name": p.name,
                    "type": p.type,
                    "required": p.required,
                    "description": p.description,
                }
                for p in self.params
            ],
        }


_ENTITY = Param(
    "entity",
    "entity",
    description="lead, account, contact, opportunity, activity, order, invoice, product",
)
_ID = Param("id", "uuid", description="the record's id, e.g. record['id']")
_DATA = Param("data", "object", description="the fields, e.g. {'title': 'Call back'}")

CATALOGUE: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "read_record", "Read a record", None, (_ENTITY, _ID), True, title_ru="Читать запись"
        ),
        Action(
            "create_record",
            "Create a record",
            None,
            (_ENTITY, _DATA),
            True,  # keyed
            title_ru="Создать запись",
        ),
        Action(
            "change_record",
            "Change a record",
            None,
            (_ENTITY, _ID, _DATA),
            True,
            title_ru="Изменить запись",
        ),
        Action(
            "delete_record",
            "Delete a record",
            None,
            (_ENTITY, _ID),
            True,
            title_ru="Удалить запись",
        ),
        Action(
            "assign_owner",
            "Assign an owner",
            "leads",
            (
                Param("lead_id", "uuid"),
                Param(
                    "owner_id",
                    "uuid",
                    required=False,
                    description="empty: by the distribution rules",
                ),
            ),
            True,  # keyed
            description="By the distribution rules unless an owner is given",
            title_ru="Назначить ответственного",
        ),
        Action(
            "qualify_lead",
            "Qualify a lead",
            "leads",
            (
                Param("lead_id", "uuid"),
                Param(
                    "data",
                    "object",
                    description="contact_id | contact, account_id | account, need_type",
                ),
            ),
            True,  # keyed
            title_ru="Квалифицировать лид",
        ),
        Action(
            "disqualify_lead",
            "Disqualify a lead",
            "leads",
            (Param("lead_id", "uuid"), Param("reason", "string")),
            True,  # keyed
            title_ru="Дисквалифицировать лид",
        ),
        Action(
            "handoff_lead",
            "Hand a lead off to sales",
            "leads",
            (Param("lead_id", "uuid"), Param("data", "object", required=False)),
            True,
            description="Creates the opportunity; a repeated hand-off returns the same deal",
            title_ru="Передать в продажу",
        ),
        Action(
            "move_opportunity",
            "Move a deal to a stage",
            "sales",
            (Param("opportunity_id", "uuid"), Param("stage_id", "uuid")),
            True,  # keyed
            title_ru="Перевести сделку на стадию",
        ),
        Action(
            "win_opportunity",
            "Win a deal",
            "sales",
            (Param("opportunity_id", "uuid"),),
            True,  # keyed
            title_ru="Выиграть сделку",
        ),
        Action(
            "lose_opportunity",
            "Lose a deal",
            "sales",
            (Param("opportunity_id", "uuid"), Param("reason", "string")),
            True,  # keyed
            title_ru="Проиграть сделку",
        ),
        Action(
            "confirm_order",
            "Confirm an order",
            "orders",
            (Param("order_id", "uuid"),),
            True,  # keyed
            title_ru="Подтвердить заказ",
        ),
        Action(
            "create_activity",
            "Create an activity",
            "sales",
            (_DATA,),
            True,  # keyed
            description="type, title, owner_id, due_at, related_type, related_id, ...",
            title_ru="Создать активность",
        ),
        Action(
            "post_to_feed",
            "Post to the feed",
            "feed",
            (
                Param("text", "string"),
                Param("related_type", "string", required=False),
                Param("related_id", "uuid", required=False),
                Param("channel_id", "uuid", required=False),
            ),
            True,  # keyed
            title_ru="Опубликовать в ленте",
        ),
        Action(
            "send_email",
            "Send an email",
            "mail",
            (
                Param("mailbox_id", "uuid", description="the mailbox it is sent from"),
                Param("to", "string", description="an address or a list of them"),
                Param("template_id", "uuid", required=False, description="fills subject and body"),
                Param("subject", "string", required=False),
                Param("body", "string", required=False),
                Param("related_type", "string", required=False),
                Param("related_id", "uuid", required=False),
            ),
            False,
            description="Through the mail service, from a template or written out, "
            "linked to the record",
            title_ru="Отправить письмо",
        ),
        Action(
            "call_webhook",
            "Call a webhook",
            None,
            (
                Param("url", "string", description="http(s) only"),
                Param("body", "object", required=False),
                Param("method", "string", required=False),
            ),
            True,
            description="POST JSON with an Idempotency-Key header; the receiver must honour it",
            title_ru="Вызвать вебхук",
        ),
    )
}


def check_parameters(operation: str | None, params: dict[str, Any]) -> str | None:
    """What is wrong with a diagram's action and its parameters, or None."""
    action = CATALOGUE.get(operation or "")
    if action is None:
        names = ", ".join(sorted(CATALOGUE))
        return f"unknown action {operation!r} (one of: {names})"
    known = {p.name for p in action.params}
    unknown = sorted(set(params) - known)
    if unknown:
        return f"{operation}: unknown parameter {unknown[0]!r}"
    missing = [p.name for p in action.params if p.required and not params.get(p.name)]
    if missing:
        return f"{operation}: parameter {missing[0]!r} is required"
    return None


class ActionError(Exception):
    """A call that cannot be made as asked (a user's mistake in the diagram)."""


#: The RPCs whose owning service takes the call's ``idempotency_key`` (keeps it with
#: the effect and answers a request it applied with its first answer), so sending one
#: again after a lost answer acts once (services/platform/requests_once.py).
KEYED: frozenset[tuple[str, str]] = frozenset(
    {
        ("leads", "create_lead"),
        ("leads", "assign_lead"),
        ("leads", "qualify_lead"),
        ("leads", "disqualify_lead"),
        ("orders", "create_order"),
        ("orders", "create_invoice"),
        ("orders", "create_product"),
        ("orders", "confirm_order"),
        ("sales", "create_account"),
        ("sales", "create_contact"),
        ("sales", "create_opportunity"),
        ("sales", "create_activity"),
        ("sales", "move_opportunity"),
        ("sales", "win_opportunity"),
        ("sales", "lose_opportunity"),
        ("sales", "complete_activity"),
        ("feed", "create_post"),
    }
)


@dataclass(frozen=True)
class Call:
    """One RPC: ``service.method(*args, actor=..., **kwargs)``; or a webhook."""

    service: str | None
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    @property
    def keyed(self) -> bool:
        """Whether the owning service takes the call's ``idempotency_key``."""
        return (self.service, self.method) in KEYED


def _entity(params: dict[str, Any]) -> tuple[str, str]:
    entity = params.get("entity")
    if entity not in ENTITIES:
        raise ActionError(f"entity must be one of {', '.join(ENTITIES)}; got {entity!r}")
    return ENTITIES[entity]


def _id(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise ActionError(f"{name} must be a record id; got {value!r}")
    return value


def _object(params: dict[str, Any], name: str, required: bool = True) -> dict[str, Any]:
    value = params.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ActionError(f"{name} must be an object; got {type(value).__name__}")
    return value


def build_call(operation: str, params: dict[str, Any]) -> Call:
    """The RPC an action becomes, its arguments checked; raises :class:`ActionError`."""
    action = CATALOGUE.get(operation)
    if action is None:
        raise ActionError(f"unknown action {operation!r}")
    if not action.available:
        raise ActionError(f"{action.title} needs {action.needs}")
    if operation in ("read_record", "create_record", "change_record", "delete_record"):
        service, singular = _entity(params)
        verb = {
            "read_record": "get",
            "create_record": "create",
            "change_record": "update",
            "delete_record": "delete",
        }[operation]
        method = f"{verb}_{singular}"
        if operation == "create_record":
            return Call(service, method, (_object(params, "data"),), {})
        if operation == "change_record":
            return Call(service, method, (_id(params, "id"), _object(params, "data")), {})
        return Call(service, method, (_id(params, "id"),), {})
    if operation == "assign_owner":
        owner = params.get("owner_id")
        return Call(
            "leads",
            "assign_lead",
            (_id(params, "lead_id"), {"owner_id": owner} if owner else {}),
            {},
        )
    if operation == "qualify_lead":
        return Call("leads", "qualify_lead", (_id(params, "lead_id"), _object(params, "data")), {})
    if operation == "disqualify_lead":
        return Call(
            "leads",
            "disqualify_lead",
            (_id(params, "lead_id"), str(params.get("reason") or "")),
            {},
        )
    if operation == "handoff_lead":
        return Call(
            "leads",
            "handoff_lead",
            (_id(params, "lead_id"), _object(params, "data", required=False)),
            {},
        )
    if operation == "move_opportunity":
        return Call(
            "sales",
            "move_opportunity",
            (_id(params, "opportunity_id"), _id(params, "stage_id")),
            {},
        )
    if operation == "win_opportunity":
        return Call("sales", "win_opportunity", (_id(params, "opportunity_id"),), {})
    if operation == "lose_opportunity":
        return Call(
            "sales",
            "lose_opportunity",
            (_id(params, "opportunity_id"), str(params.get("reason") or "")),
            {},
        )
    if operation == "confirm_order":
        return Call("orders", "confirm_order", (_id(params, "order_id"),), {})
    if operation == "create_activity":
        return Call("sales", "create_activity", (_object(params, "data"),), {})
    if operation == "post_to_feed":
        data: dict[str, Any] = {"text": str(params.get("text") or "")}
        if params.get("channel_id"):
            data["channel_id"] = params["channel_id"]
        elif params.get("related_type") and params.get("related_id"):
            data["related"] = {"type": params["related_type"], "id": params["related_id"]}
        else:
            raise ActionError("post_to_feed needs channel_id or related_type and related_id")
        return Call("feed", "create_post", (data,), {})
    if operation == "send_email":
        to = params.get("to")
        mail: dict[str, Any] = {
            "mailbox_id": _id(params, "mailbox_id"),
            "to": [to] if isinstance(to, str) else to,
        }
        for name in ("template_id", "subject", "body"):
            if params.get(name):
                mail[name] = params[name]
        if params.get("related_type") and params.get("related_id"):
            mail["related"] = {"type": params["related_type"], "id": params["related_id"]}
        if not (mail.get("template_id") or mail.get("body")):
            raise ActionError("send_email needs template_id or body")
        return Call("mail", "send_email", (mail,), {})
    if operation == "call_webhook":
        url = params.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ActionError(f"url must be an http(s) address; got {url!r}")
        method = str(params.get("method") or "POST").upper()
        if method not in ("POST", "PUT", "PATCH"):
            raise ActionError("method must be POST, PUT or PATCH")
        return Call(None, "webhook", (url, method, params.get("body") or {}), {})
    raise ActionError(f"{operation} cannot be run")  # pragma: no cover - every name above


#: The calls the service makes for its own bookkeeping (a user task's activity), and
#: whether each is a set (sending it again changes nothing more); completing one is
#: not, but its RPC is keyed.
INTERNAL: dict[str, bool] = {"cancel_activity": True, "complete_activity": False}


def build_internal_call(operation: str, params: dict[str, Any]) -> Call:
    """The RPC of a bookkeeping call; raises :class:`ActionError` for an unknown one."""
    params = params or {}
    if operation == "cancel_activity":
        return Call(
            "sales", "update_activity", (params["activity_id"], {"status": "cancelled"}), {}
        )
    if operation == "complete_activity":
        return Call("sales", "complete_activity", (params["activity_id"], params.get("data")), {})
    raise ActionError(f"unknown action {operation!r}")


def build_any_call(operation: str, params: dict[str, Any]) -> Call:
    """A diagram's action (:func:`build_call`) or a bookkeeping call."""
    if operation in CATALOGUE:
        return build_call(operation, params)
    return build_internal_call(operation, params)


def is_idempotent(operation: str, params: dict[str, Any]) -> bool:
    """Whether sending this call again after a lost answer acts at most once: the
    action is idempotent by nature, or its RPC is keyed (:data:`KEYED`)."""
    try:
        if build_any_call(operation, params).keyed:
            return True
    except (ActionError, KeyError, TypeError):
        pass  # never sent: it fails at once, whatever this says
    if operation in INTERNAL:
        return INTERNAL[operation]
    action = CATALOGUE.get(operation)
    if action is None:
        return False
    if operation == "assign_owner":
        return bool(params.get("owner_id"))  # by hand is a set; by the rules is a turn
    return action.idempotent


def catalogue() -> list[dict[str, Any]]:
    """Every action with its parameter form, for the designer's side panel."""
    return [a.to_dict() for a in CATALOGUE.values()]
