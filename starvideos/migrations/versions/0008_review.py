"""Review: notes pinned to a moment of a take (with a picture of that frame, made in the background), approval
states per take per board with who set them (and a log of every change, which the notifications announce), the
note a retake was made from and the preset a take was made with, what a share link allows, and blind votes with
one ballot per voter.

Revision ID: 0008
Revises: 0006 (0007, the cuts migration, once it has landed)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="SET NULL")),
        sa.Column("at_seconds", sa.Float, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.Column("share_link_id", sa.Integer, sa.ForeignKey("share_links.id", ondelete="SET NULL")),
        sa.Column("frame_state", sa.String(16), nullable=False),
        sa.Column("frame_key", sa.String(300)),
        sa.Column("thumb_key", sa.String(300)),
        sa.Column("frame_error", sa.Text),
        sa.Column("frame_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("resolved_at", sa.Float),
        sa.Column("resolved_by", sa.String(320)),
        sa.Column("resolved_record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("notes_record", "notes", ["record_id", "at_seconds"])
    op.create_index("notes_frames", "notes", ["frame_state", "id"])
    # Plain ADD COLUMN (see 0002): a batch copy of the table would drop the count triggers.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tasks ADD COLUMN note_id INTEGER REFERENCES notes (id) ON DELETE SET NULL")
        op.execute("ALTER TABLE tasks ADD COLUMN preset_id INTEGER REFERENCES presets (id) ON DELETE SET NULL")
    else:
        op.add_column("tasks", sa.Column("note_id", sa.Integer, sa.ForeignKey("notes.id", ondelete="SET NULL")))
        op.add_column("tasks", sa.Column("preset_id", sa.Integer, sa.ForeignKey("presets.id", ondelete="SET NULL")))
    op.create_index("tasks_note", "tasks", ["note_id"])
    op.create_index("tasks_preset", "tasks", ["preset_id"])
    # Links made before this allowed comments, so they allow notes too; requesting changes is asked for.
    op.add_column("share_links", sa.Column("allow_notes", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("share_links", sa.Column("allow_requests", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "approvals",
        sa.Column("board_id", sa.Integer, primary_key=True),
        sa.Column("record_id", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("set_by", sa.String(80), nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.Column("share_link_id", sa.Integer, sa.ForeignKey("share_links.id", ondelete="SET NULL")),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.ForeignKeyConstraint(["board_id", "record_id"], ["board_items.board_id", "board_items.record_id"],
                                ondelete="CASCADE", name="approvals_item"),
    )
    op.create_index("approvals_state", "approvals", ["board_id", "state"])
    op.create_table(
        "approval_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("set_by", sa.String(80), nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.Column("share_link_id", sa.Integer, sa.ForeignKey("share_links.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("approval_events_item", "approval_events", ["board_id", "record_id", "id"])
    op.create_table(
        "blind_votes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record_ids", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revealed_at", sa.Float),
        sa.Column("revealed_by", sa.String(320)),
    )
    op.create_index("blind_votes_board", "blind_votes", ["board_id", "id"])
    op.create_table(
        "ballots",
        sa.Column("vote_id", sa.Integer, sa.ForeignKey("blind_votes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("voter", sa.String(340), primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("share_link_id", sa.Integer, sa.ForeignKey("share_links.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("The app never downgrades a database.")
