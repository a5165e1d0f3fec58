"""The workspace: agencies, users, sessions, packet releases, notes, outcomes entered, the audit chain.

The audit log refuses UPDATE and DELETE by trigger on both databases, so even the role that owns
the table cannot edit the chain without first dropping the trigger (which `audit verify` would
then still catch through the hashes). On PostgreSQL, `grant_app_role` also keeps the server's own
role to SELECT and INSERT on it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", STAMP, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handle", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id"), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", STAMP, nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("last_seen_at", STAMP, nullable=False),
        sa.Column("expires_at", STAMP, nullable=False),
    )
    op.create_table(
        "packet_releases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("network_id", sa.String(80), nullable=False, index=True),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id"), nullable=False, index=True),
        sa.Column("released_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("released_at", STAMP, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("networks_run", sa.String(80), nullable=False),
        sa.Column("packet_json", sa.Text, nullable=False),
        sa.Column("packet_digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(80), nullable=False, index=True),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "outcome_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("operation", sa.String(200), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("network_id", sa.String(80), nullable=True),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id"), nullable=True),
        sa.Column("person_role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("entered_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("entered_at", STAMP, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')"))
    for statement in append_only_sql(op.get_bind().dialect.name):
        op.execute(sa.text(statement))


def append_only_sql(dialect: str) -> list[str]:
    """Triggers that refuse UPDATE and DELETE on the audit log (and TRUNCATE on PostgreSQL)."""
    if dialect == "postgresql":
        return [
            """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
            """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
               FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
            """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
               FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
        ]
    return [
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    ]


def downgrade() -> None:
    for table in ("audit_head", "audit_log", "outcome_entries", "notes", "packet_releases", "sessions", "users",
                  "agencies"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("DROP FUNCTION IF EXISTS audit_log_append_only()"))
