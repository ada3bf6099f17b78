"""Life changes: a pause, the time of day, the birth nobody reported, and a loss.

subscribers.paused_until: the last day of a pause (NULL while paused after a loss).
subscribers.day_part: morning, afternoon or evening, inside the send window.
subscribers.birth_asked_on / birth_assumed_on: "Has your baby arrived?" asked (or NOT YET said),
and the day we moved the person to after-birth tips counted from the due date.
subscribers.loss_on: the day a loss was reported (no baby text ever again).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("paused_until", "day_part", "birth_asked_on", "birth_assumed_on", "loss_on")


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("day_part", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("birth_asked_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("birth_assumed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("loss_on", sa.Date(), nullable=True))


def downgrade() -> None:
    # The older code knows neither a pause nor a finished program: both count as active again,
    # except after a loss, which stays stopped (no baby text ever again).
    op.execute(
        "UPDATE subscribers SET status = 'stopped' "
        "WHERE status IN ('paused', 'completed') AND loss_on IS NOT NULL"
    )
    op.execute("UPDATE subscribers SET status = 'active' WHERE status = 'paused'")
    op.execute("UPDATE subscribers SET status = 'stopped' WHERE status = 'completed'")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
