"""Web forms' reads and writes: the forms, and the attempts the rate limit counts.

Every function takes the session ``db`` first and none commits. Attempt rows are
shared by every replica through the database; the sender's address is stored only as
a SHA-256 (``domain.ip_hash``) and forgotten once the rolling minute has passed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform import records
from services.platform.access import Actor
from services.platform.events import utcnow
from services.platform.ids import new_id

from . import domain
from .models import WebForm, WebFormSubmission
from .schemas import dump_form

#: Old attempt rows deleted per submission (enough to keep up, small enough to be quick).
PRUNE_BATCH = 500


def list_forms(db: Any) -> list[WebForm]:
    """Every web form by name."""
    return list(db.execute(sa.select(WebForm).order_by(WebForm.name, WebForm.id)).scalars())


def load_form(db: Any, form_id: Any, *, for_update: bool = False) -> WebForm:
    """The form, or ``NotFound`` (on ``form_id``)."""
    return records.load_record(
        db, WebForm, form_id, "web form", for_update=for_update, field="form_id"
    )


def public_form(db: Any, form_id: Any) -> WebForm:
    """The form a website may post to: an inactive one is reported like a missing one."""
    form = load_form(db, form_id)
    if not form.is_active:
        raise records.not_found("web form", "form_id")
    return form


def add_form(db: Any, values: dict[str, Any], caller: Actor, actor: dict[str, Any]) -> WebForm:
    """Write a new form (``domain.new_form``'s defaults where ``values`` says nothing); emit
    ``web_form_created``."""
    now = utcnow()
    form = WebForm(
        id=new_id(),
        **domain.new_form(values),
        submissions=0,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=caller.id,
    )
    db.add(form)
    db.flush()
    db.emit("web_form_created", dump_form(form), actor=actor)
    return form


def update_form(
    db: Any, form: WebForm, values: dict[str, Any], changed: list[str], actor: dict[str, Any]
) -> None:
    """Apply the ``changed`` settings, bump the version, emit ``web_form_updated``."""
    for name in changed:
        setattr(form, name, values[name])
    form.version += 1
    form.updated_at = utcnow()
    db.flush()
    db.emit("web_form_updated", {**dump_form(form), "changed_fields": changed}, actor=actor)


def delete_form(db: Any, form: WebForm, actor: dict[str, Any]) -> None:
    """Delete the form (its leads stay) and emit ``web_form_deleted`` with its last state."""
    last_state = dump_form(form)
    db.delete(form)
    db.flush()
    db.emit("web_form_deleted", last_state, actor=actor)


def record_attempt(db: Any, form: WebForm, client_ip: str | None) -> int | None:
    """Record one attempt of this form from this address; when the rolling minute is full
    already, record nothing and return the seconds until a place frees up.

    Attempts of one form and address are serialized by a transaction-level advisory
    lock, so replicas racing each other cannot both take the last place; the caller
    commits either way (keeping the attempt or the pruning, and releasing the lock).
    """
    key = domain.ip_hash(form.id, client_ip)
    db.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))
    now = db.execute(sa.select(sa.func.clock_timestamp())).scalar_one()
    since = now - domain.RATE_WINDOW
    prune_attempts(db, since)
    in_window = sa.select(WebFormSubmission.submitted_at).where(
        WebFormSubmission.form_id == form.id,
        WebFormSubmission.ip_hash == key,
        WebFormSubmission.submitted_at >= since,
    )
    count = db.execute(sa.select(sa.func.count()).select_from(in_window.subquery())).scalar_one()
    limit = form.rate_limit_per_minute
    if count >= limit:
        # The place frees up when the attempt `count - limit + 1` from the oldest ages out.
        oldest = db.execute(
            in_window.order_by(WebFormSubmission.submitted_at).offset(count - limit).limit(1)
        ).scalar_one()
        return domain.retry_after(oldest, now)
    db.add(WebFormSubmission(id=new_id(), form_id=form.id, ip_hash=key, submitted_at=now))
    return None


def prune_attempts(db: Any, before: Any) -> int:
    """Forget one batch of attempts older than ``before`` (skipping rows others prune)."""
    stale = (
        sa.select(WebFormSubmission.id)
        .where(WebFormSubmission.submitted_at < before)
        .order_by(WebFormSubmission.submitted_at)
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)
    )
    deleted = db.execute(sa.delete(WebFormSubmission).where(WebFormSubmission.id.in_(stale)))
    return deleted.rowcount or 0


def count_submission(db: Any, form_id: str, lead_id: str, actor: dict[str, Any]) -> None:
    """The form counts the lead it made; emit ``web_form_submitted``."""
    db.execute(
        sa.update(WebForm).where(WebForm.id == form_id).values(submissions=WebForm.submissions + 1)
    )
    db.emit("web_form_submitted", {"form_id": form_id, "lead_id": lead_id}, actor=actor)
