"""Replies bound to the question asked: the subscriber keeps the last question we asked.

subscribers.pending_question / pending_options / pending_asked_at replace last_checkin_at: a
check-in, the menu or a "which one?" stays the question a bare "1" or "YES" answers until it is
answered or another question replaces it (no 72-hour limit). A check-in sent before this
migration becomes a pending check-in asked at the same time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_question", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("pending_options", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pending_asked_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE subscribers SET pending_question = 'checkin', pending_asked_at = last_checkin_at"
        " WHERE last_checkin_at IS NOT NULL"
    )
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("last_checkin_at")


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_checkin_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE subscribers SET last_checkin_at = pending_asked_at"
        " WHERE pending_question = 'checkin'"
    )
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("pending_asked_at")
        batch_op.drop_column("pending_options")
        batch_op.drop_column("pending_question")
