"""Messages waiting in our outbox get their own state: `waiting` (was `queued` with no SID), and an
outbox text Twilio refused is `rejected` (was `failed`, Twilio's own word for a failed delivery).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE messages SET status = 'waiting' "
        "WHERE status = 'queued' AND twilio_sid IS NULL AND direction = 'outbound'"
    )
    op.execute(
        "UPDATE messages SET status = 'rejected' "
        "WHERE status = 'failed' AND twilio_sid IS NULL AND direction = 'outbound'"
    )


def downgrade() -> None:
    op.execute("UPDATE messages SET status = 'queued' WHERE status IN ('waiting', 'submitted')")
    op.execute("UPDATE messages SET status = 'failed' WHERE status = 'rejected'")
