"""call_steps (a retried call webhook records nothing twice); messages by (phone, created_at)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 22:25:09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_steps")),
        sa.UniqueConstraint("call_sid", "step", name=op.f("uq_call_steps_call_sid_step")),
    )
    with op.batch_alter_table("call_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_steps_created_at"), ["created_at"], unique=False)

    # Loop protection counts a number's recent texts; the old phone-only index is its prefix.
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_phone"))
        batch_op.create_index("ix_messages_phone_created_at", ["phone", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_phone_created_at")
        batch_op.create_index(batch_op.f("ix_messages_phone"), ["phone"], unique=False)

    with op.batch_alter_table("call_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_steps_created_at"))

    op.drop_table("call_steps")
