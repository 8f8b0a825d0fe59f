"""The server layer: the deployment's secret (signs media links, session cookies and export links; one per
deployment so every replica accepts what another signed), worker heartbeats (``/readyz`` and ``/metrics``) and the
notifications outbox (one message per finished task or ended batch, sent once across replicas).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("host", sa.String(200), nullable=False, server_default=""),
        sa.Column("beat_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
    )
    op.create_index("worker_heartbeats_kind", "worker_heartbeats", ["kind", "beat_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float),
        sa.UniqueConstraint("kind", "subject_id", name="notifications_once"),
    )
    op.create_index("notifications_due", "notifications", ["state", "due_at"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("worker_heartbeats")
    op.drop_table("app_secrets")
