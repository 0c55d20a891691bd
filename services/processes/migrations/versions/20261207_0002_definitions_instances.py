"""Process definitions and their versions, start triggers, instances (SpiffWorkflow
state, the indexed next_due_at), the process log, the action ledger, user tasks.

Revision ID: processes_0002
Revises: processes_0001
Create Date: 2026-12-07 03:17:51.493240
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "processes_0002"
down_revision = "processes_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definitions",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("deployed_version_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("deployed_version", sa.Integer(), nullable=True),
        sa.Column("is_shipped", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.UUID(as_uuid=False), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definitions")),
        schema="processes",
    )
    op.create_index("uq_definitions_key", "definitions", ["key"], unique=True, schema="processes")
    op.create_table(
        "definition_versions",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("definition_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("triggers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["processes.definitions.id"],
            name=op.f("fk_definition_versions_definition_id_definitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definition_versions")),
        sa.UniqueConstraint(
            "definition_id", "number", name=op.f("uq_definition_versions_definition_id_number")
        ),
        schema="processes",
    )
    op.create_table(
        "start_triggers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("definition_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("version_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_event_id", sa.String(length=200), nullable=False),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["processes.definitions.id"],
            name=op.f("fk_start_triggers_definition_id_definitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_start_triggers")),
        schema="processes",
    )
    op.create_index(
        "ix_start_triggers_kind_name",
        "start_triggers",
        ["kind", "name"],
        unique=False,
        schema="processes",
    )
    op.create_table(
        "instances",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("definition_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("version_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "waiting_for",
            postgresql.ARRAY(sa.String(length=200)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "current", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("error", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("started_by", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("start_event", sa.String(length=200), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["processes.definitions.id"],
            name=op.f("fk_instances_definition_id_definitions"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["processes.definition_versions.id"],
            name=op.f("fk_instances_version_id_definition_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instances")),
        schema="processes",
    )
    op.create_index(
        "ix_instances_definition_status",
        "instances",
        ["definition_id", "status", "started_at"],
        unique=False,
        schema="processes",
    )
    op.create_index(
        "ix_instances_due",
        "instances",
        ["next_due_at"],
        unique=False,
        schema="processes",
        postgresql_where=sa.text("next_due_at IS NOT NULL AND status = 'waiting'"),
    )
    op.create_index(
        "ix_instances_record",
        "instances",
        ["record_type", "record_id"],
        unique=False,
        schema="processes",
    )
    op.create_index(
        "ix_instances_status_started",
        "instances",
        ["status", "started_at"],
        unique=False,
        schema="processes",
    )
    op.create_table(
        "action_calls",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("instance_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=True),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["processes.instances.id"],
            name=op.f("fk_action_calls_instance_id_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_action_calls")),
        schema="processes",
    )
    op.create_index(
        "ix_action_calls_instance",
        "action_calls",
        ["instance_id"],
        unique=False,
        schema="processes",
    )
    op.create_index(
        "ix_action_calls_open",
        "action_calls",
        ["created_at"],
        unique=False,
        schema="processes",
        postgresql_where=sa.text("state IN ('pending', 'sent')"),
    )
    op.create_table(
        "process_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("instance_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=True),
        sa.Column("element_name", sa.String(length=300), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("actor_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("actor_name", sa.String(length=300), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["processes.instances.id"],
            name=op.f("fk_process_log_instance_id_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_log")),
        schema="processes",
    )
    op.create_index(
        "ix_process_log_instance",
        "process_log",
        ["instance_id", "id"],
        unique=False,
        schema="processes",
    )
    op.create_table(
        "process_tasks",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("instance_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("assignee_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("candidate_role", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "form", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("activity_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("record_type", sa.String(length=40), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["processes.instances.id"],
            name=op.f("fk_process_tasks_instance_id_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_tasks")),
        sa.UniqueConstraint(
            "instance_id", "task_id", name=op.f("uq_process_tasks_instance_id_task_id")
        ),
        schema="processes",
    )
    op.create_index(
        "ix_process_tasks_activity",
        "process_tasks",
        ["activity_id"],
        unique=False,
        schema="processes",
    )
    op.create_index(
        "ix_process_tasks_assignee_state",
        "process_tasks",
        ["assignee_id", "state"],
        unique=False,
        schema="processes",
    )


def downgrade() -> None:
    op.drop_index("ix_process_tasks_assignee_state", table_name="process_tasks", schema="processes")
    op.drop_index("ix_process_tasks_activity", table_name="process_tasks", schema="processes")
    op.drop_table("process_tasks", schema="processes")
    op.drop_index("ix_process_log_instance", table_name="process_log", schema="processes")
    op.drop_table("process_log", schema="processes")
    op.drop_index(
        "ix_action_calls_open",
        table_name="action_calls",
        schema="processes",
        postgresql_where=sa.text("state IN ('pending', 'sent')"),
    )
    op.drop_index("ix_action_calls_instance", table_name="action_calls", schema="processes")
    op.drop_table("action_calls", schema="processes")
    op.drop_index("ix_instances_status_started", table_name="instances", schema="processes")
    op.drop_index("ix_instances_record", table_name="instances", schema="processes")
    op.drop_index(
        "ix_instances_due",
        table_name="instances",
        schema="processes",
        postgresql_where=sa.text("next_due_at IS NOT NULL AND status = 'waiting'"),
    )
    op.drop_index("ix_instances_definition_status", table_name="instances", schema="processes")
    op.drop_table("instances", schema="processes")
    op.drop_index("ix_start_triggers_kind_name", table_name="start_triggers", schema="processes")
    op.drop_table("start_triggers", schema="processes")
    op.drop_table("definition_versions", schema="processes")
    op.drop_index("uq_definitions_key", table_name="definitions", schema="processes")
    op.drop_table("definitions", schema="processes")
