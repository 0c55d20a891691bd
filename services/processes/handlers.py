"""Record events start processes and wake the instances waiting for them.

Each handler is ``@idempotent`` (the event id is claimed in the same transaction as
the instances it starts or moves), so a redelivered event starts nothing twice. Most
record events start nothing and wake nobody: one read in autocommit
(:func:`store.anything_listens`) tells, and such an event is acknowledged with no
claim, no transaction and no commit (``idempotent_if``). An
event reaches an instance that waits for a signal of the event's name only when the
instance is about the same record: a deal's process hears its own deal's stage changes.
``activity_completed`` also completes the user task the activity stands for.
"""

from __future__ import annotations

from typing import Any

from nameko.events import event_handler
from nameko.timer import timer

from services.platform.events import utcnow
from services.platform.idempotency import idempotent, idempotent_if

from . import calls, domain, steps, store
from .dependencies import ProcessesBase
from .gate import GATE_SECONDS, refresh_gate


def _listened(self: ProcessesBase, event: dict[str, Any]) -> bool:
    """Whether a start or an instance may hear the event (asked before the claim)."""
    data = event.get("data") or {}
    record_type, record_id, _ = domain.record_of(event["type"], data)
    names = domain.derived_events(event["type"], data)
    return store.anything_listens(self.db, names, record_type, record_id)


class HandlersMixin(ProcessesBase):
    @timer(interval=GATE_SECONDS)
    def refresh_event_gate(self) -> None:
        """After a start, a reconnection (which binds every queue again) or a change."""
        refresh_gate(self)

    def _on_record_event(self, event: dict[str, Any]) -> list[str]:
        """Start what the event starts and wake what waits for it (not committed)."""
        event_type, data = event["type"], event.get("data") or {}
        record_type, record_id, record = domain.record_of(event_type, data)
        process_data = domain.process_data(event_type, data, record)
        keys: list[str] = []
        names = domain.derived_events(event_type, data)
        for trigger in store.triggers_for(self.db, "signal", names):
            if not domain.condition_holds(trigger.condition, process_data):
                continue
            definition = store.definition(self.db, trigger.definition_id)
            version = store.version_by_id(self.db, trigger.version_id)
            _, more = steps.start_instance(
                self.db,
                self.engine,
                definition,
                version,
                record_type=record_type,
                record_id=record_id,
                data=process_data,
                how=("signal", trigger.name),
                payload=process_data,
                actor=event.get("actor"),
            )
            keys += more
        if record_type and record_id:
            actor = event.get("actor")
            for name in names:
                for instance_id in store.instances_for_event(self.db, record_type, record_id, name):
                    # decided under the row's lock: a step finishing meanwhile is seen
                    row = store.instance(self.db, instance_id, for_update=True)
                    if row.status == "waiting" and f"signal:{name}" in (row.waiting_for or []):
                        keys += steps.take_step(
                            self.db,
                            self.engine,
                            instance_id,
                            steps.deliver_signal(self.engine, name, process_data),
                            actor,
                        )
                    elif row.status == "running":
                        # Busy with an action: kept for when it waits again (a deal won
                        # while its stage task is being made is still won).
                        kept = {"name": name, "data": process_data, "actor": actor}
                        store.keep_in_inbox(self.db, instance_id, kept)
        return keys

    def _handle(self, event: dict[str, Any]) -> None:
        keys = self._on_record_event(event)
        self.db.commit()  # also records the event as processed (see idempotent)
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)

    # --- leads ----------------------------------------------------------------------

    @event_handler("leads", "lead_created")
    @idempotent_if(_listened)
    def handle_lead_created(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("leads", "lead_updated")
    @idempotent_if(_listened)
    def handle_lead_updated(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("leads", "lead_stage_changed")
    @idempotent_if(_listened)
    def handle_lead_stage_changed(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("leads", "lead_qualified")
    @idempotent_if(_listened)
    def handle_lead_qualified(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("leads", "lead_disqualified")
    @idempotent_if(_listened)
    def handle_lead_disqualified(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("leads", "lead_assigned")
    @idempotent_if(_listened)
    def handle_lead_assigned(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("leads", "lead_handed_off")
    @idempotent_if(_listened)
    def handle_lead_handed_off(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("leads", "lead_converted")
    @idempotent_if(_listened)
    def handle_lead_converted(self, event: dict[str, Any]) -> None:
        self._handle(event)

    # --- sales ----------------------------------------------------------------------

    @event_handler("sales", "account_created")
    @idempotent_if(_listened)
    def handle_account_created(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("sales", "contact_created")
    @idempotent_if(_listened)
    def handle_contact_created(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("sales", "opportunity_created")
    @idempotent_if(_listened)
    def handle_opportunity_created(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("sales", "opportunity_updated")
    @idempotent_if(_listened)
    def handle_opportunity_updated(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("sales", "opportunity_stage_changed")
    @idempotent_if(_listened)
    def handle_opportunity_stage_changed(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("sales", "opportunity_won")
    @idempotent_if(_listened)
    def handle_opportunity_won(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("sales", "opportunity_lost")
    @idempotent_if(_listened)
    def handle_opportunity_lost(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("sales", "activity_completed")
    @idempotent
    def handle_activity_completed(self, event: dict[str, Any]) -> None:
        """The activity of a user task was completed in sales: the task is done, with
        the activity's ``result`` as its data; then as any record event."""
        activity = event.get("data") or {}
        activity_id = activity.get("id")
        data = {"result": activity.get("result")}
        actor = event.get("actor")
        keys: list[str] = []
        row = store.task_by_activity(self.db, activity_id) if activity_id else None
        if row is None and activity_id:
            # A task's activity can be completed before the answer naming it is stored:
            # with the answers still to come locked (one being stored is waited for),
            # look again; still unknown while answers are due, the completion is parked
            # for its answer to find.
            answers_due = store.lock_unanswered_task_activities(self.db)
            row = store.task_by_activity(self.db, activity_id)
            if row is None and answers_due:
                store.park_completion(self.db, activity_id, data, actor, utcnow())
        if row is not None and row.state == "open":
            keys += steps.complete_user_task(self.db, self.engine, row, data, actor)
        keys += self._on_record_event(event)
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)

    # --- orders ---------------------------------------------------------------------

    @event_handler("orders", "order_placed")
    @idempotent_if(_listened)
    def handle_order_placed(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("orders", "order_status_changed")
    @idempotent_if(_listened)
    def handle_order_status_changed(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("orders", "order_cancelled")
    @idempotent_if(_listened)
    def handle_order_cancelled(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("orders", "invoice_paid")
    @idempotent_if(_listened)
    def handle_invoice_paid(self, event: dict[str, Any]) -> None:
        self._handle(event)

    @event_handler("orders", "invoice_overdue")
    @idempotent_if(_listened)
    def handle_invoice_overdue(self, event: dict[str, Any]) -> None:
        self._handle(event)

    # --- mail (when the mail service runs) ------------------------------------------

    @event_handler("mail", "email_received")
    @idempotent_if(_listened)
    def handle_email_received(self, event: dict[str, Any]) -> None:
        self._handle(event)
