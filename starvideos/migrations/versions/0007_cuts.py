"""Cuts: a board or a chain of continued takes made into one video, in versions, by a background builder that
claims each cut with a lease; and each take's in and out points per board.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cuts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="SET NULL")),
        sa.Column("chain_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="SET NULL")),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("changes", sa.JSON),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("unreadable", sa.JSON),
        sa.Column("video_key", sa.String(300)),
        sa.Column("poster_key", sa.String(300)),
        sa.Column("preview_key", sa.String(300)),
        sa.Column("size", sa.BigInteger),
        sa.Column("info", sa.JSON),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("created_by", sa.String(320)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.UniqueConstraint("board_id", "version", name="cuts_board_version"),
        sa.UniqueConstraint("chain_id", "version", name="cuts_chain_version"),
        sqlite_autoincrement=True,
    )
    op.create_index("cuts_due", "cuts", ["state", "created_at"])
    op.create_table(
        "board_trims",
        sa.Column("board_id", sa.Integer, primary_key=True),
        sa.Column("record_id", sa.Integer, primary_key=True),
        sa.Column("in_seconds", sa.Float),
        sa.Column("out_seconds", sa.Float),
        sa.Column("updated_by", sa.String(320)),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.ForeignKeyConstraint(["board_id", "record_id"], ["board_items.board_id", "board_items.record_id"],
                                ondelete="CASCADE", name="board_trims_item"),
    )


def downgrade() -> None:
    op.drop_table("board_trims")
    op.drop_table("cuts")
