"""planned messages, plan runs, subscriber check-in and invalid-number columns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 21:56:51.785223
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_runs",
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("time_zone", "local_date", name=op.f("pk_plan_runs")),
    )
    op.create_table(
        "planned_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column(
            "recipient",
            sa.Enum("subscriber", "care_team", name="recipient", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum("sms", "voice", name="channel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "sending",
                "sent",
                "unknown",
                "failed",
                "skipped",
                "cancelled",
                name="planstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("twilio_sid", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_planned_messages_escalation_id_escalations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_planned_messages_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_messages")),
        sa.UniqueConstraint("escalation_id", name=op.f("uq_planned_messages_escalation_id")),
        sa.UniqueConstraint(
            "subscriber_id", "item_key", "local_date", name="uq_planned_messages_once"
        ),
    )
    with op.batch_alter_table("planned_messages", schema=None) as batch_op:
        batch_op.create_index("ix_planned_messages_due", ["status", "send_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_planned_messages_twilio_sid"), ["twilio_sid"], unique=False
        )

    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_checkin_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("number_invalid_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("number_invalid_code", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("number_invalid_code")
        batch_op.drop_column("number_invalid_at")
        batch_op.drop_column("last_checkin_at")

    with op.batch_alter_table("planned_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_messages_twilio_sid"))
        batch_op.drop_index("ix_planned_messages_due")

    op.drop_table("planned_messages")
    op.drop_table("plan_runs")
