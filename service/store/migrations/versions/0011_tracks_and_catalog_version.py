"""Reminder tracks and the catalog version in the consent log.

subscribers.breastfeeding: whether they breastfeed (NULL: not asked, or skipped).
subscribers.weaned_on: the day they stopped breastfeeding.
subscribers.track: `baby` (the default) or `self_care` (bone tips with no baby words).
consent_events.catalog_version: the version of the whole message catalog at that opt-in or
opt-out (NULL for entries kept before).
Planned messages not sent yet move to the new catalog's ids (the reminders were renamed), and
back to the old ones on the way down.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The reminders as they were named before, and the new text that says the same.
RENAMED = {
    "reminder.calcium_food": "reminder.calcium.each_meal",
    "reminder.calcium_daily": "reminder.calcium.amount",
    "reminder.vitamin_d": "reminder.later.vitamin_d",
    "reminder.activity_walk": "reminder.activity.walk",
    "reminder.activity_strength": "reminder.activity.chair",
    "reminder.back_pain_pregnancy": "reminder.third_trimester.back_pain",
    "reminder.calcium_breastfeeding": "reminder.breastfeeding.each_meal",
    "reminder.activity_after_birth": "reminder.newborn.walk",
    "reminder.lifting": "reminder.newborn.lifting",
}
# On the way down, each new pool's texts go back to one old text of the same kind.
OLD_BY_POOL = {
    "reminder.calcium.": "reminder.calcium_food",
    "reminder.activity.": "reminder.activity_walk",
    "reminder.pregnancy.": "reminder.vitamin_d",
    "reminder.third_trimester.": "reminder.back_pain_pregnancy",
    "reminder.newborn.": "reminder.activity_after_birth",
    "reminder.fracture_peak.": "reminder.back_pain_pregnancy",
    "reminder.later.": "reminder.vitamin_d",
    "reminder.breastfeeding.": "reminder.calcium_breastfeeding",
    "reminder.weaned.": "reminder.calcium_breastfeeding",
    "reminder.self_care.": "reminder.vitamin_d",
    "checkin.back_pain_": "checkin.back_pain",
}
NOT_SENT = ("planned", "claimed")


def _rename(old: str, new: str, *, prefix: bool = False) -> None:
    """Point the planned messages not sent yet at another text id."""
    planned = sa.table(
        "planned_messages", sa.column("message_id", sa.String), sa.column("status", sa.String)
    )
    which = planned.c.message_id.startswith(old) if prefix else planned.c.message_id == old
    op.execute(
        sa.update(planned).where(which, planned.c.status.in_(NOT_SENT)).values(message_id=new)
    )


def upgrade() -> None:
    for old, new in RENAMED.items():
        _rename(old, new)
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("breastfeeding", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("weaned_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "track",
                sa.Enum("baby", "self_care", name="track", native_enum=False, length=16),
                nullable=False,
                server_default="baby",
            )
        )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalog_version", sa.String(length=16), nullable=True))


def downgrade() -> None:
    for new_prefix, old in OLD_BY_POOL.items():
        _rename(new_prefix, old, prefix=True)
    # Plain DROP COLUMN (SQLite 3.35 or newer has it): the column goes in place, with no copy
    # of `subscribers` and nothing for a foreign key to act on.
    for table, column in (
        ("consent_events", "catalog_version"),
        ("subscribers", "track"),
        ("subscribers", "weaned_on"),
        ("subscribers", "breastfeeding"),
    ):
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
