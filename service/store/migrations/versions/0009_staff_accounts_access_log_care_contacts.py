"""The care team reaches the person: staff accounts, the access log, calls and texts from the
page, and when an escalation was first opened.

staff_accounts: per-person logins (nurse or admin), with the phone "Call now" rings.
access_log: who saw which escalation's number, and when (no words, no number).
care_contacts: each call or text made from an escalation's page, and how it went.
escalations.first_viewed_at / first_viewed_by: the timeline's "first viewed".

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_viewed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("first_viewed_by", sa.String(length=64), nullable=True))
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("password_temporary", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("name_key", name=op.f("uq_staff_accounts_name_key")),
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_access_log_escalation_id_escalations"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_accounts.id"], name=op.f("fk_access_log_staff_id_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_log_escalation_id"), ["escalation_id"])
        batch_op.create_index(batch_op.f("ix_access_log_seen_at"), ["seen_at"])
        batch_op.create_index(batch_op.f("ix_access_log_staff_id"), ["staff_id"])
    op.create_table(
        "care_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("message_row_id", sa.Integer(), nullable=True),
        sa.Column("staff_call_sid", sa.String(length=64), nullable=True),
        sa.Column("staff_call_status", sa.String(length=24), nullable=True),
        sa.Column("person_call_sid", sa.String(length=64), nullable=True),
        sa.Column("person_call_status", sa.String(length=24), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_care_contacts_escalation_id_escalations"),
        ),
        sa.ForeignKeyConstraint(
            ["message_row_id"],
            ["messages.id"],
            name=op.f("fk_care_contacts_message_row_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name=op.f("fk_care_contacts_staff_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_contacts")),
        sa.UniqueConstraint("staff_call_sid", name=op.f("uq_care_contacts_staff_call_sid")),
    )
    with op.batch_alter_table("care_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_contacts_created_at"), ["created_at"])
        batch_op.create_index(batch_op.f("ix_care_contacts_escalation_id"), ["escalation_id"])
        batch_op.create_index(batch_op.f("ix_care_contacts_message_row_id"), ["message_row_id"])
        batch_op.create_index(batch_op.f("ix_care_contacts_staff_id"), ["staff_id"])


def downgrade() -> None:
    # The care page's texts stay in the message log; the rest only the new version can use.
    with op.batch_alter_table("care_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_contacts_staff_id"))
        batch_op.drop_index(batch_op.f("ix_care_contacts_message_row_id"))
        batch_op.drop_index(batch_op.f("ix_care_contacts_escalation_id"))
        batch_op.drop_index(batch_op.f("ix_care_contacts_created_at"))
    op.drop_table("care_contacts")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_log_staff_id"))
        batch_op.drop_index(batch_op.f("ix_access_log_seen_at"))
        batch_op.drop_index(batch_op.f("ix_access_log_escalation_id"))
    op.drop_table("access_log")
    op.drop_table("staff_accounts")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("first_viewed_by")
        batch_op.drop_column("first_viewed_at")
