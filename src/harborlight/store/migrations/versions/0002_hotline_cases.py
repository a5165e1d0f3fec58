"""Hotline cases: contacts with sealed survivor fields, mentions, services, consents, exceptions, referrals.

Nothing here holds a survivor field in the clear: `*_sealed` columns hold AES-GCM sealed values
(cases/keys.py) whose keys live outside the database.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def _users(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("users.id"), nullable=nullable)


def _case() -> sa.Column:
    return sa.Column("case_id", sa.Integer, sa.ForeignKey("hotline_cases.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "hotline_cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String(20), nullable=False, unique=True),
        sa.Column("opened_at", STAMP, nullable=False),
        _users("opened_by", nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("merged_into", sa.Integer, sa.ForeignKey("hotline_cases.id"), nullable=True),
    )
    op.create_table(
        "hotline_contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(32), nullable=False, unique=True),
        _case(),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("record_id", sa.String(200), nullable=True),
        sa.Column("received_at", STAMP, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("reporter_role", sa.String(30), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(2), nullable=True),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("wants", sa.Text, nullable=False),
        _users("recorded_by", nullable=True),
        sa.Column("recorded_at", STAMP, nullable=False),
        *(sa.Column(f"{field}_sealed", sa.Text, nullable=True)
          for field in ("caller_name", "caller_phone", "callback", "narrative", "location")),
        sa.UniqueConstraint("source", "record_id"),
    )
    op.create_table(
        "case_mentions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("hotline_contacts.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value_sealed", sa.Text, nullable=False),
        sa.Column("entity_id", sa.String(80), nullable=True, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        _users("decided_by", nullable=True),
        sa.Column("decided_at", STAMP, nullable=True),
    )
    op.create_table(
        "service_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        _case(),
        sa.Column("service", sa.String(30), nullable=False),
        sa.Column("wanted_when", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _users("recorded_by"),
        sa.Column("recorded_at", STAMP, nullable=False),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True),
        _case(),
        sa.Column("recipient_org", sa.String(200), nullable=False),
        sa.Column("recipient_class", sa.String(30), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("purpose", sa.String(300), nullable=False),
        sa.Column("expires_at", STAMP, nullable=False),
        _users("recorded_by"),
        sa.Column("recorded_at", STAMP, nullable=False),
        sa.Column("revoked_at", STAMP, nullable=True),
        _users("revoked_by", nullable=True),
    )
    op.create_table(
        "access_exceptions",
        sa.Column("id", sa.Integer, primary_key=True),
        _case(),
        sa.Column("reason_code", sa.String(30), nullable=False),
        sa.Column("reference", sa.String(120), nullable=False),
        sa.Column("recipient_org", sa.String(200), nullable=False),
        sa.Column("recipient_class", sa.String(30), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("hours", sa.Integer, nullable=False),
        _users("requested_by"),
        sa.Column("requested_at", STAMP, nullable=False),
        _users("approved_by", nullable=True),
        sa.Column("approved_at", STAMP, nullable=True),
        sa.Column("expires_at", STAMP, nullable=True),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer, primary_key=True),
        _case(),
        sa.Column("provider_source", sa.String(200), nullable=False),
        sa.Column("provider_record_id", sa.String(200), nullable=False),
        sa.Column("provider_name", sa.String(200), nullable=False),
        sa.Column("services", sa.Text, nullable=False),
        sa.Column("fields_shared", sa.Text, nullable=False),
        sa.Column("payload_sealed", sa.Text, nullable=False),
        _users("made_by"),
        sa.Column("made_at", STAMP, nullable=False),
    )


def downgrade() -> None:
    for table in ("referrals", "access_exceptions", "consents", "service_requests", "case_mentions",
                  "hotline_contacts", "hotline_cases"):
        op.drop_table(table)
