"""Bulk actions on a list's selection — a part of the imports service.

The gateway (``gateway/routers/bulk.py``) checks the request and hands the records to
this part: ``run_bulk_action`` does a few ids at once and answers their results,
``create_bulk_action`` makes a job of a larger selection or of all that a list's filter
and search match, ``get_bulk_action`` tells its progress from any gateway, and
``count_bulk_selection`` counts a selection (the confirmation's number).

Records are done by :func:`do_chunk`, the one place that does them: the call a single
change makes — ``update_<record>`` (an owner assigned, a field changed),
``delete_<record>``, or ``get_<record>`` then the feed's ``create_post`` — as the
caller (the actor the gateway passed) and with the version the caller saw, so the
owning service checks rights, state and version per record and each is ``done`` or
``refused`` with the service's status and reason. Those calls go a :data:`CHUNK` of
records at a time in one ``run_record_batch`` RPC to the owning service
(services/platform/record_batch.py), which runs the very entrypoint once a record,
each in its own transaction; :data:`PARALLEL` such calls are in flight. (One RPC a
record, four in flight, did 102 records a second where the gateway's in-memory jobs
had done 225: bench/README.md, bench/bulk_actions.py.)

A job is a row of ``bulk_actions`` and its selection rows of ``bulk_records`` (all that
a filter matches is read once, at the job's start, with the versions read then). The
timer claims a waiting job with a lease (``FOR UPDATE SKIP LOCKED``: instances share
the jobs, and one whose runner died is taken over when its lease ends) and works on it
for a second at a time; the records' results are committed with the job's counts as
their calls end (what ended while the ones before were being written, together),
before more records are begun, so at most the records of the calls in flight
(``PARALLEL × CHUNK``) have no stored result: a restarted service resumes after the
records stored and does none twice (a post is also sent with an idempotency key of the
job and record, so even a record in flight when the process was killed is posted once;
a deletion, or an update with the version the caller saw, in flight then is refused
rather than done twice; an update without a version would be made again with the same
values). Ended jobs are answered for an hour, then pruned.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import eventlet
import eventlet.queue
from nameko.exceptions import RemoteError, UnknownService
from nameko.timer import timer

from services.platform.errors import EXPECTED, OspreyError, ValidationFailed
from services.platform.events import utcnow
from services.platform.fields import failed
from services.platform.ids import new_id
from services.platform.record_batch import reason_of, refusal
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from . import bulk_store, domain
from .dependencies import ImportsBase

log = logging.getLogger(__name__)

#: the most ids one request names
MAX_IDS = 5000
#: the most records all_matching takes
MAX_MATCHING = 50_000
#: the most ids ``run_bulk_action`` does at once (the gateway's synchronous answer)
NOW_MAX = 20
#: records sent to their owning service in one call (each still its own call there)
CHUNK = 25
#: calls in flight at once
PARALLEL = 4
#: list rows read a page while the selection is read
PAGE = 500
TICK_SECONDS = 0.5
#: how long the runner works on a job before it lets go (and a stopping service ends)
SLICE_SECONDS = 1.0
ACTIONS = ("assign", "update", "delete", "post")


@dataclass(frozen=True)
class Target:
    service: str
    singular: str
    #: the feed's name for the record (None: no feed)
    feed_type: str | None = None


TARGETS: dict[str, Target] = {
    "leads": Target("leads", "lead", "lead"),
    "accounts": Target("sales", "account", "account"),
    "contacts": Target("sales", "contact", "contact"),
    "opportunities": Target("sales", "opportunity", "opportunity"),
    "activities": Target("sales", "activity"),
    "products": Target("orders", "product"),
    "price-lists": Target("orders", "price_list"),
    "orders": Target("orders", "order", "order"),
    "invoices": Target("orders", "invoice", "invoice"),
}

Picked = list[tuple[str, int | None]]


def check_bulk(data: Any, *, need_action: bool = True) -> dict[str, Any]:
    """``{entity, action, changes, text, ids, versions | query}`` checked (the gateway has
    checked the change itself); without ``need_action`` (a count) what the action needs
    is not asked. Raises ``ValidationFailed`` naming the field."""
    data = data if isinstance(data, dict) else {}
    entity, action = data.get("entity"), data.get("action")
    if entity not in TARGETS:
        raise failed("entity", "one of " + ", ".join(TARGETS))
    if need_action and action not in ACTIONS:
        raise failed("action", "one of " + ", ".join(ACTIONS))
    posts = need_action and action == "post"
    if posts and TARGETS[entity].feed_type is None:
        raise failed("action", f"{entity} have no feed")
    if posts and (not isinstance(data.get("text"), str) or not data["text"].strip()):
        raise failed("text", "post needs text")
    changes = data.get("changes") or {}
    if not isinstance(changes, dict):
        raise failed("changes", "must be an object")
    ids, query = data.get("ids"), data.get("query")
    if (ids is None) == (query is None):
        raise failed("ids", "give either ids or query")
    if ids is not None and (
        not isinstance(ids, list)
        or not 1 <= len(ids) <= MAX_IDS
        or not all(isinstance(i, str) and is_uuid(i) for i in ids)
    ):
        raise failed("ids", f"1 to {MAX_IDS} record ids")
    if query is not None and not isinstance(query, dict):
        raise failed("query", "must be an object")
    versions = data.get("versions") or {}
    if not isinstance(versions, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in versions.values()
    ):
        raise failed("versions", "record id → version number")
    return {
        "entity": entity, "action": action, "changes": changes, "text": data.get("text"),
        "ids": ids, "versions": {str(k).lower(): v for k, v in versions.items()},
        "query": query,
    }  # fmt: skip


def selection(
    rpcs: dict[str, Any], spec: dict[str, Any], actor: dict[str, Any],
    on_page: Callable[[], None] | None = None,
) -> Picked:  # fmt: skip
    """``(id, version)`` of each selected record: the ids given (once each) with the
    versions the caller saw, or every record the list matches as the caller reads it
    now. Raises ``ValidationFailed`` past :data:`MAX_MATCHING`, and the list's own."""
    if spec["ids"] is not None:
        unique = list(dict.fromkeys(i.lower() for i in spec["ids"]))
        return [(i, spec["versions"].get(i)) for i in unique]
    service, method = domain.EXPORTABLE[spec["entity"]]
    found: Picked = []
    cursor = None
    while True:
        page = getattr(rpcs[service], method)(
            {**spec["query"], "limit": PAGE, "cursor": cursor}, actor=actor
        )
        items = page["items"] if isinstance(page, dict) else page
        found.extend((r["id"], r.get("version")) for r in items)
        if len(found) > MAX_MATCHING:
            raise ValidationFailed(
                f"More than {MAX_MATCHING} records match; narrow the filter",
                [{"field": "all_matching", "message": f"at most {MAX_MATCHING} records"}],
            )
        if on_page is not None:
            on_page()
        cursor = page.get("next_cursor") if isinstance(page, dict) else None
        if not cursor:
            return found


def calls_of(
    spec: dict[str, Any], records: list[tuple[int, str, int | None]]
) -> tuple[str, str, list[dict[str, Any]]]:
    """The owning service, its entrypoint and the calls that do the records (a post:
    the read of each record as the caller, which the feed's post then follows)."""
    target = TARGETS[spec["entity"]]
    if spec["action"] in ("assign", "update"):
        calls = [{"args": [record_id, spec["changes"]], "kwargs": {"expected_version": version}}
                 for _, record_id, version in records]  # fmt: skip
        return target.service, f"update_{target.singular}", calls
    if spec["action"] == "delete":
        calls = [{"args": [record_id], "kwargs": {"expected_version": version}}
                 for _, record_id, version in records]  # fmt: skip
        return target.service, f"delete_{target.singular}", calls
    # the record as the caller reads it (the feed knows owners, not every right)
    return target.service, f"get_{target.singular}", [{"args": [r[1]]} for r in records]


def post_calls(
    spec: dict[str, Any], records: list[tuple[int, str, int | None]], job_id: str | None
) -> list[dict[str, Any]]:
    """The feed's posts on the records, each with its idempotency key (a job's, so a
    post done again is not doubled)."""
    feed_type = TARGETS[spec["entity"]].feed_type
    return [
        {"args": [{"related": {"type": feed_type, "id": record_id}, "text": spec["text"]}],
         "kwargs": {"idempotency_key": f"bulk-action:{job_id}:{record_id}" if job_id else None}}
        for _, record_id, _ in records
    ]  # fmt: skip


def result_of(record_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    if answer.get("ok"):
        return {"id": record_id, "outcome": "done", "status": None, "reason": None}
    return {"id": record_id, "outcome": "refused", "status": answer.get("status") or 500,
            "reason": answer.get("reason") or "Internal server error"}  # fmt: skip


def call_batch(rpcs: dict[str, Any], service: str, method: str, calls: list[dict[str, Any]],
          actor: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    """The service's answers to the calls, each ``{ok}`` or ``{ok: false, status,
    reason}``; a failed batch refuses each of its calls with its reason."""
    try:
        answers = rpcs[service].run_record_batch(method, calls, actor=actor)
    except (OspreyError, RemoteError, UnknownService) as exc:
        return [refusal(exc)] * len(calls)
    if not isinstance(answers, list) or len(answers) != len(calls):
        return [refusal(RuntimeError("a batch answered out of step"))] * len(calls)
    return answers


def do_chunk(
    rpcs: dict[str, Any], spec: dict[str, Any], records: list[tuple[int, str, int | None]],
    actor: dict[str, Any], job_id: str | None = None,
) -> list[tuple[int, dict[str, Any]]]:  # fmt: skip
    """Do the action to a few records as the caller, in one call to their owning
    service (a post: one more to the feed): ``(seq, {id, outcome, status, reason})``
    each, in their order."""
    service, method, calls = calls_of(spec, records)
    answers = call_batch(rpcs, service, method, calls, actor)
    if spec["action"] == "post":
        readable = [(r, n) for n, (r, a) in enumerate(zip(records, answers, strict=True))
                    if a.get("ok")]  # fmt: skip
        if readable:
            calls = post_calls(spec, [r for r, _ in readable], job_id)
            posted = call_batch(rpcs, "feed", "create_post", calls, actor)
            for (_, n), answer in zip(readable, posted, strict=True):
                answers[n] = answer
    return [(seq, result_of(record_id, answer))
            for (seq, record_id, _), answer in zip(records, answers, strict=True)]  # fmt: skip


def do_records(
    rpcs: dict[str, Any], spec: dict[str, Any], records: list[tuple[int, str, int | None]],
    actor: dict[str, Any], job_id: str | None = None,
) -> Iterator[list[tuple[int, dict[str, Any]]]]:  # fmt: skip
    """``(seq, result)`` of the records ``(seq, id, version)`` as they are done, a
    :data:`CHUNK` of them a call and :data:`PARALLEL` calls in flight: each group is
    what ended while the caller dealt with the one before (a job stores each group
    before it takes more)."""
    pool = eventlet.GreenPool(PARALLEL)
    ended: eventlet.queue.LightQueue = eventlet.queue.LightQueue()

    def one(chunk: list[tuple[int, str, int | None]]) -> None:
        try:
            ended.put(do_chunk(rpcs, spec, chunk, actor, job_id))
        except Exception as exc:  # noqa: BLE001 - raised where the results are read
            ended.put(exc)

    def start_all() -> None:
        for start in range(0, len(records), CHUNK):
            pool.spawn_n(one, records[start : start + CHUNK])  # waits while PARALLEL run

    eventlet.spawn_n(start_all)
    left = len(records)
    while left:
        group: list[tuple[int, dict[str, Any]]] = []
        for chunk in [ended.get(), *[ended.get_nowait() for _ in range(ended.qsize())]]:
            if isinstance(chunk, Exception):
                raise chunk
            group.extend(chunk)
        left -= len(group)
        yield group


def answer(spec: dict[str, Any], state: str, created: datetime, total: int,
           results: list[dict[str, Any]], job_id: str | None) -> dict[str, Any]:  # fmt: skip
    """A bulk action answered at once, as the API shows it."""
    done = sum(1 for r in results if r["outcome"] == "done")
    return {
        "id": job_id, "entity": spec["entity"], "action": spec["action"], "state": state,
        "total": total, "done": done, "refused": len(results) - done, "results": results,
        "error": None, "created_at": created.isoformat(), "finished_at": utcnow().isoformat(),
    }  # fmt: skip


class BulkActionsRpc(ImportsBase):
    """Bulk actions: done at once, or as jobs run in the background."""

    def rpcs(self) -> dict[str, Any]:
        return {**self.owners(), "feed": self.feed_rpc}

    @rpc(expected_exceptions=EXPECTED)
    def count_bulk_selection(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """How many records the selection holds (a dry run: nothing is changed), as a
        bulk action in state ``counted``. Raises ``ValidationFailed`` (the selection,
        over 50,000 matching, the list's own filter)."""
        created = utcnow()
        spec = check_bulk(data, need_action=False)
        total = len(selection(self.rpcs(), spec, actor))
        return {**answer(spec, "counted", created, total, [], None),
                "finished_at": created.isoformat()}  # fmt: skip

    @rpc(expected_exceptions=EXPECTED)
    def run_bulk_action(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Do the action to up to 20 ``ids`` now: the bulk action ``done``, with each
        record's result. Raises ``ValidationFailed``."""
        created = utcnow()
        spec = check_bulk(data)
        if spec["ids"] is None or len(spec["ids"]) > NOW_MAX:
            raise failed("ids", f"at most {NOW_MAX} ids are done at once; more are a job")
        picked = selection(self.rpcs(), spec, actor)
        records = [(n, record_id, version) for n, (record_id, version) in enumerate(picked)]
        ended = sorted(r for group in do_records(self.rpcs(), spec, records, actor)
                       for r in group)  # fmt: skip
        results = [result for _, result in ended]
        return answer(spec, "done", created, len(picked), results, new_id())

    @rpc(expected_exceptions=EXPECTED)
    def create_bulk_action(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Queue the action as a job (the ids, or all that ``query`` matches, read when
        it starts): the job ``running``. Raises ``ValidationFailed``."""
        spec = check_bulk(data)
        job_id, now = new_id(), utcnow()
        bulk_store.insert_job(self.db, {
            "id": job_id, "owner_id": str(actor.get("id")), "actor": actor,
            "entity": spec["entity"], "action": spec["action"], "changes": spec["changes"],
            "text": spec["text"], "query": spec["query"], "status": "queued",
            "created_at": now,
        })  # fmt: skip
        if spec["ids"] is not None:
            picked = selection(self.rpcs(), spec, actor)
            bulk_store.add_records(self.db, job_id, picked)
            bulk_store.update_job(self.db, job_id, total=len(picked))
        row = bulk_store.load_job(self.db, job_id, None, now)
        self.db.commit()
        return bulk_store.view(row, [])

    @rpc(expected_exceptions=EXPECTED)
    def get_bulk_action(self, job_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The job's state, progress and each record's result so far; ``NotFound`` when
        it is not the caller's own or ended over an hour ago."""
        row = bulk_store.load_job(self.db, job_id, str(actor.get("id")), utcnow())
        results = bulk_store.results(self.db, job_id)
        self.db.commit()
        return bulk_store.view(row, results)

    @timer(interval=TICK_SECONDS)
    def run_bulk_actions(self) -> None:
        """Claim a waiting job and work on it for a slice."""
        job = bulk_store.claim_job(self.db, utcnow())
        self.db.commit()
        if job is None:
            return
        try:
            self._bulk_slice(job)
        except Exception as exc:  # noqa: BLE001 - the job says why it stopped
            if not isinstance(exc, OspreyError):
                log.exception("bulk action %s failed", job.id)
            self.db.rollback()
            bulk_store.update_job(
                self.db, job.id, status="failed", error=reason_of(exc)[1],
                finished_at=utcnow(), leased_until=None,
            )  # fmt: skip
            self.db.commit()

    @timer(interval=60)
    def prune_bulk_actions(self) -> None:
        """Forget the jobs that ended over an hour ago."""
        bulk_store.prune(self.db, utcnow())
        self.db.commit()

    def _bulk_slice(self, job: Any) -> None:
        spec = {"entity": job.entity, "action": job.action, "changes": job.changes,
                "text": job.text, "ids": None, "versions": {}, "query": job.query}  # fmt: skip
        rpcs = self.rpcs()
        if job.total is None:

            def renew() -> None:
                bulk_store.update_job(self.db, job.id, leased_until=utcnow() + bulk_store.LEASE)
                self.db.commit()

            picked = selection(rpcs, spec, job.actor, renew)
            bulk_store.add_records(self.db, job.id, picked)
            bulk_store.update_job(self.db, job.id, total=len(picked))
            self.db.commit()
        deadline = time.monotonic() + SLICE_SECONDS
        while time.monotonic() < deadline:
            batch = bulk_store.pending(self.db, job.id, PARALLEL * CHUNK * 2)
            self.db.commit()
            if not batch:
                bulk_store.update_job(
                    self.db, job.id, status="done", finished_at=utcnow(), leased_until=None
                )
                self.db.commit()
                return
            records = [(r.seq, r.record_id, r.version) for r in batch]
            for group in do_records(rpcs, spec, records, job.actor, job.id):
                bulk_store.record_results(self.db, job.id, group, utcnow())
                self.db.commit()
        # let the next tick (of this or another instance) take it up again
        bulk_store.update_job(self.db, job.id, leased_until=utcnow())
        self.db.commit()
