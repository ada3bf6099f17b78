"""Care-team alerts belong to their escalation, not a subscriber: planned_messages.subscriber_id
may be NULL (a stranger's red flag is alerted too, and DELETE no longer cascades an alert away).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("planned_messages", schema=None) as batch_op:
        batch_op.alter_column("subscriber_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Alerts without a subscriber cannot be kept under the old rule.
    op.execute("DELETE FROM planned_messages WHERE subscriber_id IS NULL")
    with op.batch_alter_table("planned_messages", schema=None) as batch_op:
        batch_op.alter_column("subscriber_id", existing_type=sa.Integer(), nullable=False)
