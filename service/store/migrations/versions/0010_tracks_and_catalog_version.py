"""Reminder tracks and the catalog version in the consent log.

subscribers.breastfeeding: whether they breastfeed (NULL: not asked, or skipped).
subscribers.weaned_on: the day they stopped breastfeeding.
subscribers.track: `baby` (the default) or `self_care` (bone tips with no baby words).
consent_events.catalog_version: the version of the whole message catalog at that opt-in or
opt-out (NULL for entries kept before).

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
    # Plain DROP COLUMN (SQLite 3.35 or newer has it): batch mode would copy `subscribers` to a
    # new table and drop the old one, and with foreign keys on, that drop would take every
    # planned message and message of the person with it.
    for table, column in (
        ("consent_events", "catalog_version"),
        ("subscribers", "track"),
        ("subscribers", "weaned_on"),
        ("subscribers", "breastfeeding"),
    ):
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
