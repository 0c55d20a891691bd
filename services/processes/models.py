"""Tables of the processes service (schema ``processes``).

A *definition* is a named process (its BPMN process id is its ``key``); every save is a
row of ``definition_versions`` with the XML, SpiffWorkflow's serialized spec and what
starts it; ``deployed_version_id`` names the one new instances use. An *instance* keeps
SpiffWorkflow's serialized state without the spec (that is its version's) plus the
columns we query by: status, the record it is about, ``next_due_at`` (its earliest
timer, indexed for the timer entrypoint) and the events it waits for. ``process_log``
is every step; ``action_calls`` is the ledger of CRM actions (one row per idempotency
key); ``process_tasks`` are the user tasks and the activities they became.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from services.platform.db import service_metadata

metadata = service_metadata("processes")

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)

definitions = sa.Table(
    "definitions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("deployed_version_id", ID, nullable=True),
    sa.Column("deployed_version", sa.Integer, nullable=True),
    sa.Column("is_shipped", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("created_by", ID, nullable=True),
    sa.Index("uq_definitions_key", "key", unique=True),
)

definition_versions = sa.Table(
    "definition_versions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column(
        "definition_id", ID, sa.ForeignKey("definitions.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("bpmn_xml", sa.Text, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),  # SpiffWorkflow's serialized specs (JSON)
    sa.Column("triggers", JSONB, nullable=False),
    sa.Column("summary", JSONB, nullable=False),  # user tasks, actions, timers: the designer's
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", ID, nullable=True),
    sa.Column("deployed_at", TS, nullable=True),
    sa.UniqueConstraint("definition_id", "number"),
)

# What starts a deployed version: one row per start event bound to an event or message
# (timers start through an instance that waits on its start timer).
start_triggers = sa.Table(
    "start_triggers",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "definition_id", ID, sa.ForeignKey("definitions.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("version_id", ID, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # signal | message
    sa.Column("name", sa.String(200), nullable=False),  # lead_created, a message name
    sa.Column("start_event_id", sa.String(200), nullable=False),
    sa.Column("condition", sa.Text, nullable=True),
    sa.Index("ix_start_triggers_kind_name", "kind", "name"),
)

instances = sa.Table(
    "instances",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("definition_id", ID, sa.ForeignKey("definitions.id"), nullable=False),
    sa.Column("version_id", ID, sa.ForeignKey("definition_versions.id"), nullable=False),
    sa.Column("version_number", sa.Integer, nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("record_type", sa.String(40), nullable=True),
    sa.Column("record_id", sa.String(64), nullable=True),
    sa.Column("state", JSONB, nullable=False),
    sa.Column("data", JSONB, nullable=False),  # the process data as of the last step
    sa.Column("next_due_at", TS, nullable=True),
    sa.Column("waiting_for", ARRAY(sa.String(200)), nullable=False, server_default="{}"),
    sa.Column("current", JSONB, nullable=False, server_default="[]"),  # where it stands
    # record events that came while it was busy, for when it waits again (oldest first)
    sa.Column("inbox", JSONB, nullable=False, server_default="[]"),
    sa.Column("error", JSONB, nullable=True),
    sa.Column("started_by", ID, nullable=True),
    # the record's owner and team when it started (who may read the instance)
    sa.Column("owner_id", ID, nullable=True),
    sa.Column("team_id", ID, nullable=True),
    sa.Column("start_event", sa.String(200), nullable=True),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("ended_at", TS, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Index(
        "ix_instances_due",
        "next_due_at",
        postgresql_where=sa.text("next_due_at IS NOT NULL AND status = 'waiting'"),
    ),
    sa.Index("ix_instances_record", "record_type", "record_id"),
    sa.Index("ix_instances_definition_status", "definition_id", "status", "started_at"),
    sa.Index("ix_instances_status_started", "status", "started_at"),
)

process_log = sa.Table(
    "process_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("instance_id", ID, sa.ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("element_id", sa.String(200), nullable=True),
    sa.Column("element_name", sa.String(300), nullable=True),
    sa.Column("task_id", sa.String(64), nullable=True),
    sa.Column("actor_id", ID, nullable=True),
    sa.Column("actor_name", sa.String(300), nullable=True),
    sa.Column("data", JSONB, nullable=True),
    sa.Index("ix_process_log_instance", "instance_id", "id"),
)

action_calls = sa.Table(
    "action_calls",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),  # the idempotency key
    sa.Column("instance_id", ID, sa.ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("element_id", sa.String(200), nullable=True),
    sa.Column("operation", sa.String(100), nullable=False),
    sa.Column("params", JSONB, nullable=False),
    sa.Column("purpose", sa.String(20), nullable=False),  # service_task | user_task | cleanup
    # pending (not sent) -> sent -> done | failed; a sent call with no answer is unknown
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("result", JSONB, nullable=True),
    sa.Column("error", JSONB, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("sent_at", TS, nullable=True),
    sa.Column("done_at", TS, nullable=True),
    sa.Index(
        "ix_action_calls_open",
        "created_at",
        postgresql_where=sa.text("state IN ('pending', 'sent')"),
    ),
    sa.Index("ix_action_calls_instance", "instance_id"),
)

#: An activity completed before the answer that names it reached its user task (the
#: answer was in flight): kept until that answer arrives and completes the task.
parked_completions = sa.Table(
    "parked_completions",
    metadata,
    sa.Column("activity_id", ID, primary_key=True),
    sa.Column("data", JSONB, nullable=False),
    sa.Column("actor", JSONB, nullable=True),
    sa.Column("parked_at", TS, nullable=False),
)

process_tasks = sa.Table(
    "process_tasks",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("instance_id", ID, sa.ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    sa.Column("task_id", sa.String(64), nullable=False),  # SpiffWorkflow's task id
    sa.Column("element_id", sa.String(200), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("assignee_id", ID, nullable=True),
    sa.Column("candidate_role", sa.String(100), nullable=True),
    sa.Column("state", sa.String(20), nullable=False),  # open | completed | cancelled
    sa.Column("form", JSONB, nullable=False, server_default="[]"),
    sa.Column("activity_id", ID, nullable=True),
    sa.Column("record_type", sa.String(40), nullable=True),
    sa.Column("record_id", sa.String(64), nullable=True),
    sa.Column("due_at", TS, nullable=True),
    sa.Column("data", JSONB, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("completed_at", TS, nullable=True),
    sa.Column("completed_by", ID, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.UniqueConstraint("instance_id", "task_id"),
    sa.Index("ix_process_tasks_activity", "activity_id"),
    sa.Index("ix_process_tasks_assignee_state", "assignee_id", "state"),
)
