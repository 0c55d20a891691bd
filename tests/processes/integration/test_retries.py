"""An action whose answer is lost is sent again under its idempotency key, and the
owning service, which keeps the key with the effect, acts once; one whose service does
not keep it is left for an administrator (docs/processes.md, "Retries of a lost
answer")."""

from __future__ import annotations

import sqlalchemy as sa

from services.platform.ids import new_id
from tests.platform.keyed_requests import count, waiting_on_locks

from .conftest import ADMIN, REP, call, fixture_xml, rows, wait_for


def test_a_post_whose_answer_is_lost_is_sent_again_and_posted_once(
    container_factory, config, crm, db_engine
):
    """The feed is slowed by a lock on its posts: the processes service stops waiting
    after a second, the call is in doubt, and the sweeper sends it again under the same
    key while the first is still at work. When the lock goes, the first posts and the
    second gets the first's answer: one post, and the step completes with it."""
    from services.processes.service import ProcessesService

    processes = container_factory(ProcessesService, {**config, "PROCESS_ACTION_TIMEOUT": 1})
    processes.start()
    channel = call(crm["feed"], "create_channel", {"name": "Wins"}, actor=ADMIN)
    definition = call(
        processes, "create_process_definition", fixture_xml("post_to_channel.bpmn"), actor=ADMIN
    )
    call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)

    with db_engine.connect() as holder:
        holder.execute(sa.text("LOCK TABLE feed.posts IN SHARE MODE"))
        started = call(
            processes,
            "start_process_instance",
            {
                "definition_id": definition["id"],
                "data": {"channel_id": channel["id"], "text": "We won Acme"},
            },
            actor=REP,
        )

        def sent_again() -> bool:
            (ledger,) = rows(
                db_engine,
                "SELECT attempts FROM processes.action_calls WHERE instance_id = :i",
                i=started["id"],
            )
            # the first call waits for the lock, the one sent again for the first's key
            return ledger.attempts >= 2 and waiting_on_locks(db_engine) >= 2

        wait_for(sent_again, timeout=30, what="the lost call to be sent again")
        assert count(db_engine, "SELECT count(*) FROM feed.posts") == 0
        holder.rollback()

    def finished() -> dict | None:
        instance = call(processes, "get_process_instance", started["id"], actor=REP)
        return instance if instance["state"] in ("completed", "failed") else None

    done = wait_for(finished, timeout=30, what="the step to complete")
    assert done["state"] == "completed", (done["error"], done["calls"])
    (post,) = rows(db_engine, "SELECT id, text FROM feed.posts")
    assert post.text == "We won Acme"
    assert done["data"]["post"]["id"] == post.id
    (ledger,) = done["calls"]
    assert ledger["state"] == "done" and ledger["attempts"] >= 2
    kinds = [e["kind"] for e in done["log"]]
    assert kinds.count("action_done") == 1 and "action_in_doubt" not in kinds
    # every sending has been answered by now, and none of them posted again
    wait_for(lambda: waiting_on_locks(db_engine) == 0, what="every sending to be answered")
    assert count(db_engine, "SELECT count(*) FROM feed.posts") == 1
    assert count(db_engine, "SELECT count(*) FROM feed.outbox WHERE type = 'post_created'") == 1


def test_an_email_whose_answer_is_lost_is_not_sent_again(container_factory, config, db_engine):
    """The mail service has stopped (its queue stays): the call goes out and no answer
    comes. Mail does not keep the key — an email sent twice is two emails — so the call
    is settled as failed for an administrator to check instead of being sent again
    behind their back."""
    from cryptography.fernet import Fernet

    from services.integrations.mail.service import MailService
    from services.processes.service import ProcessesService

    mail_config = {
        **config,
        "SECRET_KEYS": [Fernet.generate_key().decode()],
        "MAIL_SYNC": "0",
    }
    mail = container_factory(MailService, mail_config)
    mail.start()
    mail.stop()
    processes = container_factory(ProcessesService, {**config, "PROCESS_ACTION_TIMEOUT": 1})
    processes.start()
    definition = call(
        processes, "create_process_definition", fixture_xml("send_email.bpmn"), actor=ADMIN
    )
    call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)
    started = call(
        processes,
        "start_process_instance",
        {"definition_id": definition["id"], "data": {"mailbox_id": new_id()}},
        actor=REP,
    )

    def failed() -> dict | None:
        instance = call(processes, "get_process_instance", started["id"], actor=REP)
        return instance if instance["state"] == "failed" else None

    instance = wait_for(failed, timeout=30, what="the sweeper to settle the lost answer")
    (lost,) = instance["calls"]
    assert lost["operation"] == "send_email" and lost["attempts"] == 1
    assert "may or may not have happened" in instance["error"]["message"]
    assert "action_in_doubt" in [e["kind"] for e in instance["log"]]


def test_an_activity_whose_answer_is_lost_is_made_once_when_sales_is_back(
    container_factory, config, db_engine, rabbit_manager
):
    """Sales has stopped (its queue stays): a user task's activity is asked for and no
    answer comes. Sales keeps the key, so the call is sent again instead of failing its
    step; when sales starts again it takes every copy and makes one activity."""
    from services.processes.service import ProcessesService
    from services.sales.service import SalesService

    stopped = container_factory(SalesService, config)
    stopped.start()
    stopped.stop()
    processes = container_factory(ProcessesService, {**config, "PROCESS_ACTION_TIMEOUT": 1})
    processes.start()
    definition = call(
        processes, "create_process_definition", fixture_xml("call_with_deadline.bpmn"), actor=ADMIN
    )
    call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)
    started = call(
        processes,
        "start_process_instance",
        {"definition_id": definition["id"], "data": {"assignee": REP["id"], "deadline": "PT1H"}},
        actor=REP,
    )

    def ledger() -> list:
        return rows(
            db_engine,
            "SELECT * FROM processes.action_calls WHERE instance_id = :i",
            i=started["id"],
        )

    wait_for(lambda: ledger()[0].attempts >= 2, timeout=30, what="the lost call to be sent again")
    assert count(db_engine, "SELECT count(*) FROM sales.activities") == 0

    back = container_factory(SalesService, config)
    back.start()
    (done,) = wait_for(
        lambda: [r for r in ledger() if r.state == "done"], timeout=30, what="an answer"
    )
    assert done.operation == "create_activity" and done.attempts >= 2
    (activity,) = rows(db_engine, "SELECT id, owner_id FROM sales.activities")
    assert done.result["id"] == activity.id and activity.owner_id == REP["id"]
    (task,) = wait_for(
        lambda: rows(
            db_engine,
            "SELECT activity_id FROM processes.process_tasks"
            " WHERE instance_id = :i AND activity_id IS NOT NULL",
            i=started["id"],
        ),
        what="the task to know its activity",
    )
    assert task.activity_id == activity.id
    instance = call(processes, "get_process_instance", started["id"], actor=REP)
    assert instance["state"] == "waiting"

    def queue_empty() -> bool:
        queue = rabbit_manager.get_queue(config["vhost"], "rpc-sales")
        return queue.get("messages") == 0

    # every copy sales took was answered with the first one's activity
    wait_for(queue_empty, what="sales to take every copy")
    wait_for(lambda: waiting_on_locks(db_engine) == 0, what="every copy to be answered")
    assert count(db_engine, "SELECT count(*) FROM sales.activities") == 1
