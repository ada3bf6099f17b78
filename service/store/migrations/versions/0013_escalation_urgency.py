"""Escalations carry the triage table's family and urgency.

escalations.reason now holds a safety family (one of 19: back_pain, fall, fracture, chest_pain,
breathing, bleeding, self_harm, ...); the old keyword reasons become their family
(severe_back_pain and checkin_back_pain -> back_pain, trouble_breathing -> breathing,
heavy_bleeding -> bleeding). escalations.urgency: call_911 or call_care_team_today, as the
reply said; old rows get their family's urgency.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The keyword reasons before the triage table, and their family.
RENAMED = {
    "severe_back_pain": "back_pain",
    "checkin_back_pain": "back_pain",
    "trouble_breathing": "breathing",
    "heavy_bleeding": "bleeding",
}
# The families whose reply says to call 911 first (the triage table when this was written).
CALL_911 = ("chest_pain", "breathing", "seizure", "fainting", "bleeding", "self_harm")


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgency", sa.String(length=24), nullable=True))
    escalations = sa.table("escalations", sa.column("reason"), sa.column("urgency"))
    for old, family in RENAMED.items():
        op.execute(escalations.update().where(escalations.c.reason == old).values(reason=family))
    op.execute(
        escalations.update().where(escalations.c.reason.in_(CALL_911)).values(urgency="call_911")
    )
    op.execute(
        escalations.update()
        .where(escalations.c.urgency.is_(None))
        .values(urgency="call_care_team_today")
    )


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("urgency")
