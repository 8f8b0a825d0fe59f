"""Board-scoped comments: the board a comment was posted on, so a share link's holder sees only its board's
comments (a take on two boards shared with two clients showed each client the other's). Comments made through a
share link get that link's board; the others (from a task's page, or a board before this) stay on none.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot ALTER a constraint in: the column comes with its reference (see 0008's columns on tasks).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE comments ADD COLUMN board_id INTEGER REFERENCES boards (id) ON DELETE SET NULL")
    else:
        op.add_column("comments", sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="SET NULL")))
    op.execute("UPDATE comments SET board_id = (SELECT share_links.board_id FROM share_links "
               "WHERE share_links.id = comments.share_link_id) WHERE share_link_id IS NOT NULL")


def downgrade() -> None:
    raise NotImplementedError("The app never downgrades a database.")
