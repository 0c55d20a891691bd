"""Timers that fire on time and are never lost, and calls that are never forgotten.

Every waiting instance with a timer has ``next_due_at`` (its earliest timer, indexed).
``wake_due_instances`` runs every half second in every replica: it claims due
instances with ``FOR UPDATE SKIP LOCKED`` (a replica never takes one another holds, so
no timer fires twice), lets SpiffWorkflow fire them (``refresh_timers`` inside
:meth:`Engine.run`) and saves each with its next due time, in batches, until none is
due or its time budget is spent. A restart loses nothing: the due time is in the row.

``sweep_action_calls`` sends the calls a worker asked for but never sent (it died
between commit and send), and settles the calls sent without an answer: an idempotent
action is sent again, any other fails its step for an administrator to check.
"""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from typing import Any

from nameko.timer import timer

from services.platform.events import utcnow

from . import actions, calls, domain, steps, store
from .dependencies import ProcessesBase
from .engine import StepFailed
from .steps import entry

TIMER_SECONDS = 0.5
SWEEP_SECONDS = 5.0


class TimersMixin(ProcessesBase):
    @timer(interval=TIMER_SECONDS)
    def wake_due_instances(self) -> int:
        """Fire every due timer; returns how many instances were woken."""
        woken = 0
        deadline = time.monotonic() + self.settings.timer_budget
        while time.monotonic() < deadline:
            due = store.claim_due(self.db, utcnow(), self.settings.timer_batch)
            if not due:
                self.db.rollback()
                break
            keys: list[str] = []
            for row in due:
                keys += steps.take_step(
                    self.db, self.engine, row.id, _timer_fired, None, locked=row
                )
            self.db.commit()
            woken += len(due)
            calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
        return woken

    @timer(interval=SWEEP_SECONDS)
    def sweep_action_calls(self) -> int:
        """Send forgotten calls and settle lost answers; returns how many it handled."""
        now = utcnow()
        rows = store.stale_calls(
            self.db,
            pending_before=now - timedelta(seconds=self.settings.pending_grace),
            sent_before=now - timedelta(seconds=self.settings.action_timeout * 2),
        )
        resend, keys = [], []
        for row in rows:
            if row.state == "pending":
                resend.append(row.key)
            elif domain.call_in_doubt_may_resend(
                actions.is_idempotent(row.operation, row.params), False
            ):
                store.reset_call(self.db, row.key)
                resend.append(row.key)
            else:
                error = {
                    "type": "Unavailable",
                    "message": "No answer came: the action may or may not have happened. "
                    "Check the record, then retry (sends it again) or skip.",
                    "errors": [],
                }
                store.fail_call(self.db, row.key, error, now)
                if row.purpose == "service_task":
                    failure = StepFailed(
                        f"{row.operation}: {error['message']}", row.task_id, row.element_id
                    )

                    def fail(
                        workflow: Any,
                        _row: Any,
                        task_id: str = row.task_id,
                        element_id: str | None = row.element_id,
                    ) -> list[dict[str, Any]]:
                        with contextlib.suppress(KeyError, ValueError):
                            self.engine.fail_task(workflow, task_id)
                        return [entry("action_in_doubt", element_id=element_id, task_id=task_id)]

                    keys += steps.take_step(
                        self.db, self.engine, row.instance_id, fail, None, failure_of_change=failure
                    )
        # a completion parked for an answer that never came (its call failed)
        store.drop_parked_completions(self.db, now - timedelta(days=1))
        self.db.commit()
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), resend + keys)
        return len(rows)


def _timer_fired(workflow: Any, row: Any) -> list[dict[str, Any]]:
    return [
        entry(
            "timer_fired", data={"due_at": row.next_due_at.isoformat() if row.next_due_at else None}
        )
    ]
