"""The database's tables, declared once (SQLAlchemy Core). Migrations in ``migrations/versions`` build exactly this
shape on SQLite and PostgreSQL; a test compares the two.

Times are seconds since the epoch (floats), the way the rest of the package keeps them.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Alembic revisions in order; the database layer checks a database's revision against these without importing
# Alembic, so an up-to-date database opens fast and a newer one is refused.
REVISIONS: tuple[str, ...] = ("0001",)
HEAD = REVISIONS[-1]

tasks = sa.Table(
    "tasks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("task_id", sa.String(200), unique=True),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("params_hash", sa.String(64), nullable=False),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("ratio", sa.String(8), nullable=False),
    sa.Column("duration", sa.Integer, nullable=False),
    sa.Column("session_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_by", sa.String(320)),
    sa.Column("attempted_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.Column("error", sa.Text),
    sa.Column("video_url", sa.Text),
    sa.Column("remote_created", sa.BigInteger),
    sa.Column("raw", sa.JSON),
    sa.Column("deleted_at", sa.Float),
    sa.Column("next_lookup_at", sa.Float),
    sa.Column("lookup_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lookup_error", sa.Text),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", sa.Float),
    sa.Index("tasks_status", "status", "id"),
    sa.Index("tasks_mode", "mode", "id"),
    sa.Index("tasks_session", "session_id", "id"),
    sa.Index("tasks_creator", "created_by", "id"),
    sa.Index("tasks_params", "params_hash", "attempted_at"),
    sa.Index("tasks_due", "status", "next_lookup_at"),
    sqlite_autoincrement=True,  # ids are never reused: higher is always newer, even after deletes
)

# Per-status counts kept by triggers (see migration 0001), so History's total is one small read at any size.
task_counts = sa.Table(
    "task_counts", metadata,
    sa.Column("status", sa.String(24), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)

# Token buckets shared by every replica: status lookups, create requests, comment posting.
rate_limits = sa.Table(
    "rate_limits", metadata,
    sa.Column("name", sa.String(120), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
