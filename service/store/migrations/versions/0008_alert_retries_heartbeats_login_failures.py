"""Alerts retried with backoff from the database, errors recorded per message, the scheduler's
heartbeat, and the care page's login throttle shared by every web process.

planned_messages.last_error, messages.last_error: why the last try to send failed.
escalations.webhook_attempts / webhook_next_at / webhook_error: the webhook alert's retries.
scheduler_heartbeats: each job's last finished pass (/readyz, the care page's status line).
login_failures: wrong care-page passwords, counted across processes and restarts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("planned_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("webhook_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("webhook_next_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("webhook_error", sa.String(length=200), nullable=True))
    op.create_table(
        "scheduler_heartbeats",
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("process", sa.String(length=128), nullable=False),
        sa.Column("summary", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_scheduler_heartbeats")),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_failures_client_failed_at", ["client", "failed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_login_failures_failed_at"), ["failed_at"], unique=False
        )


def downgrade() -> None:
    # Older code knows no `error` state: such rows become `unknown` (never resent either).
    op.execute("UPDATE planned_messages SET status = 'unknown' WHERE status = 'error'")
    op.execute("UPDATE messages SET status = 'unknown' WHERE status = 'error'")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_failed_at"))
        batch_op.drop_index("ix_login_failures_client_failed_at")
    op.drop_table("login_failures")
    op.drop_table("scheduler_heartbeats")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("webhook_error")
        batch_op.drop_column("webhook_next_at")
        batch_op.drop_column("webhook_attempts")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("last_error")
    with op.batch_alter_table("planned_messages", schema=None) as batch_op:
        batch_op.drop_column("last_error")
