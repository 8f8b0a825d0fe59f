"""Storage: uploaded reference pictures, the app's own copy of every finished video (with its poster, preview and
last frame), the stored keys of a task's images, and a task's parent (a shot continued from another's last frame).

Finished tasks that already have a provider link are queued for copying, so yesterday's takes are kept too.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite accepts a reference on a new nullable column): a batch copy of the table would drop
    # the count triggers with it.
    op.add_column("tasks", sa.Column("image_keys", sa.JSON))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tasks ADD COLUMN parent_id INTEGER REFERENCES tasks (id) ON DELETE SET NULL")
    else:
        op.add_column("tasks", sa.Column("parent_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="SET NULL")))
    op.create_index("tasks_parent", "tasks", ["parent_id"])
    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(320)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_used_at", sa.Float, nullable=False),
    )
    op.create_index("uploads_recent", "uploads", ["last_used_at"])
    op.create_table(
        "task_media",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.Column("video_key", sa.String(300)),
        sa.Column("poster_key", sa.String(300)),
        sa.Column("preview_key", sa.String(300)),
        sa.Column("last_frame_key", sa.String(300)),
        sa.Column("size", sa.BigInteger),
        sa.Column("info", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("task_media_due", "task_media", ["state", "due_at"])
    now = time.time()
    op.execute(sa.text(
        "INSERT INTO task_media (record_id, state, source_url, attempts, due_at, updated_at) "
        "SELECT id, 'pending', video_url, 0, :now, :now FROM tasks "
        "WHERE status = 'completed' AND video_url IS NOT NULL AND deleted_at IS NULL").bindparams(now=now))


def downgrade() -> None:
    raise NotImplementedError("The app never downgrades a database.")
