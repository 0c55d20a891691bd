"""Subject rules and mail templates, an administrator's settings. A thin RPC part."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, NotFound
from services.platform.events import utcnow
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from . import domain, rules_store
from .dependencies import MailBase
from .models import templates


def _no_template() -> NotFound:
    return NotFound("No such template", [{"field": "template_id", "message": "no such template"}])


def _name_taken(db: Any, name: str, other_than: str | None = None) -> bool:
    """Whether another template has ``name`` (names are unique: ``uq_templates_name``)."""
    query = sa.select(templates.c.id).where(templates.c.name == name)
    if other_than is not None:
        query = query.where(templates.c.id != other_than)
    return db.scalar(query) is not None


def _taken() -> Conflict:
    return Conflict("A template with this name exists", [{"field": "name", "message": "is taken"}])


class RulesRpc(MailBase):
    @rpc(expected_exceptions=EXPECTED)
    def list_subject_rules(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Every subject rule, oldest first; anyone signed in."""
        Actor.from_dict(actor)
        return {"items": rules_store.list_rules(self.db), "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def create_subject_rule(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """``{name, pattern, record_type, record_id?, is_active?}``: mail whose subject
        matches ``pattern`` links to ``record_id``, or (none given) to the record the
        match names (``INV-\\d+`` → that invoice). Admins only; ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        caller.require_admin()
        rule = rules_store.insert_rule(self.db, domain.clean_rule(data, creating=True), caller.id)
        self.db.commit()
        return rule

    @rpc(expected_exceptions=EXPECTED)
    def delete_subject_rule(self, rule_id: str, actor: dict[str, Any]) -> None:
        """Remove a rule (links it made stay). Admins only; ``NotFound``."""
        Actor.from_dict(actor).require_admin()
        if not is_uuid(rule_id) or not rules_store.delete_rule(self.db, rule_id):
            raise NotFound("No such rule", [{"field": "rule_id", "message": "no such rule"}])
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def list_mail_templates(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Every template ``{id, name, subject, body, version}``, by name."""
        Actor.from_dict(actor)
        return {"items": rules_store.list_templates(self.db), "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def create_mail_template(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """``{name, subject, body}`` with merge fields (``{{contact.first_name}}``).
        Admins only; ``Conflict`` (name taken), ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        caller.require_admin()
        values = domain.clean_template(data, creating=True)
        if _name_taken(self.db, values["name"]):
            raise _taken()
        template = rules_store.insert_template(self.db, values, caller.id)
        self.db.commit()
        return template

    @rpc(expected_exceptions=EXPECTED)
    def update_mail_template(
        self, template_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Change ``{name, subject, body}`` of a template. Admins only; ``NotFound``,
        ``Conflict`` (the new name is another template's), ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        caller.require_admin()
        values = domain.clean_template(data, creating=False)
        if not is_uuid(template_id) or rules_store.template_row(self.db, template_id) is None:
            raise _no_template()
        # a rename onto another template's name was a unique violation, so a 500
        if "name" in values and _name_taken(self.db, values["name"], other_than=template_id):
            raise _taken()
        if values:
            self.db.execute(
                templates.update()
                .where(templates.c.id == template_id)
                .values(**values, version=templates.c.version + 1, updated_at=utcnow())
            )
        template = rules_store.dump_template(rules_store.template_row(self.db, template_id))
        self.db.commit()
        return template

    @rpc(expected_exceptions=EXPECTED)
    def delete_mail_template(self, template_id: str, actor: dict[str, Any]) -> None:
        Actor.from_dict(actor).require_admin()
        if (
            not is_uuid(template_id)
            or not self.db.execute(templates.delete().where(templates.c.id == template_id)).rowcount
        ):
            raise _no_template()
        self.db.commit()
