"""Batch work: a durable queue (tasks waiting to be sent carry a batch and when they were queued), batches, the
queue's shared switch (paused, or waiting out a 429 for the whole deployment), and team presets with three good
examples.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json
import time

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The API docs' own advice: say the subject, the action, the camera and the style.
EXAMPLES = [
    ("Product hero shot", {"prompt": "A matte black wireless headphone on a marble plinth, slowly rotating, "
                                          "soft studio light, shallow depth of field, camera orbits 90 degrees, "
                                          "clean commercial style",
                           "duration": 6, "ratio": "16:9", "mode": "text"}),
    ("Vertical social teaser", {"prompt": "A barista pours latte art in a sunlit cafe, close-up, handheld "
                                               "camera drifting in, warm film grain, lively and cozy",
                                "duration": 8, "ratio": "9:16", "mode": "text"}),
    ("Cinematic establishing shot", {"prompt": "A lighthouse on a cliff in a storm at dusk, waves crashing, "
                                                    "slow aerial push-in from the sea, moody teal and orange "
                                                    "grade, anamorphic look",
                                     "duration": 10, "ratio": "16:9", "mode": "text"}),
]


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    # Plain ADD COLUMN (see 0002): a batch copy of the table would drop the count triggers.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tasks ADD COLUMN batch_id INTEGER REFERENCES batches (id) ON DELETE SET NULL")
    else:
        op.add_column("tasks", sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id", ondelete="SET NULL")))
    op.add_column("tasks", sa.Column("enqueued_at", sa.Float))
    op.create_index("tasks_batch", "tasks", ["batch_id", "status"])
    op.create_table(
        "queue_state",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("paused_until", sa.Float),
        sa.Column("reason", sa.Text),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    presets = op.create_table(
        "presets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("name_key", sa.String(120), nullable=False, unique=True),
        sa.Column("form", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    now = time.time()
    op.bulk_insert(presets, [{"name": name, "name_key": name.casefold(), "form": json.loads(json.dumps(form)),
                              "created_by": None, "created_at": now, "updated_at": now} for name, form in EXAMPLES])


def downgrade() -> None:
    raise NotImplementedError("The app never downgrades a database.")
