"""Batch identity: a batch remembers what it queued (a hash of its requests) and which copy of that it is, unique
together, so "Queue all" is idempotent across sessions and replicas; "Queue again" makes the next copy.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: batches made before this have no fingerprint (NULLs never collide in a unique index).
    op.add_column("batches", sa.Column("fingerprint", sa.String(64)))
    op.add_column("batches", sa.Column("copy", sa.Integer, nullable=False, server_default="0"))
    op.create_index("batches_identity", "batches", ["fingerprint", "copy"], unique=True)


def downgrade() -> None:
    raise NotImplementedError("The app never downgrades a database.")
