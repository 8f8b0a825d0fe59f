"""The database's tables, declared once (SQLAlchemy Core). Migrations in ``migrations/versions`` build exactly this
shape on SQLite and PostgreSQL; a test compares the two.

Times are seconds since the epoch (floats), the way the rest of the package keeps them.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Alembic revisions in order; the database layer checks a database's revision against these without importing
# Alembic, so an up-to-date database opens fast and a newer one is refused.
REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")
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
    sa.Column("image_keys", sa.JSON),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="SET NULL")),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id", ondelete="SET NULL")),
    sa.Column("enqueued_at", sa.Float),
    # The note a retake was made from (see migration 0008), and the team preset a take was made with.
    sa.Column("note_id", sa.Integer, sa.ForeignKey("notes.id", ondelete="SET NULL", use_alter=True,
                                                   name="tasks_note_id_fkey")),
    sa.Column("preset_id", sa.Integer, sa.ForeignKey("presets.id", ondelete="SET NULL")),
    sa.Index("tasks_status", "status", "id"),
    sa.Index("tasks_mode", "mode", "id"),
    sa.Index("tasks_session", "session_id", "id"),
    sa.Index("tasks_creator", "created_by", "id"),
    sa.Index("tasks_params", "params_hash", "attempted_at"),
    sa.Index("tasks_due", "status", "next_lookup_at"),
    sa.Index("tasks_parent", "parent_id"),
    sa.Index("tasks_batch", "batch_id", "status"),
    sa.Index("tasks_note", "note_id"),
    sa.Index("tasks_preset", "preset_id"),
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

# Reference pictures teammates uploaded, stored once per content hash.
uploads = sa.Table(
    "uploads", metadata,
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
    sa.Index("uploads_recent", "last_used_at"),
)

# The app's own copy of each finished video and the pictures made from it; claimed by one replica at a time.
task_media = sa.Table(
    "task_media", metadata,
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
    sa.Index("task_media_due", "state", "due_at"),
)

# Showcase: named, ordered collections of takes; stakeholder ratings and comments; share links to one board.
boards = sa.Table(
    "boards", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("name_key", sa.String(120), nullable=False, unique=True),
    sa.Column("best_record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="SET NULL")),
    sa.Column("created_by", sa.String(320)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

board_items = sa.Table(
    "board_items", metadata,
    sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("added_by", sa.String(320)),
    sa.Column("added_at", sa.Float, nullable=False),
    sa.Index("board_items_order", "board_id", "position"),
    sa.Index("board_items_record", "record_id"),
)

ratings = sa.Table(
    "ratings", metadata,
    sa.Column("record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("rater", sa.String(340), primary_key=True),
    sa.Column("stars", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

comments = sa.Table(
    "comments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("author", sa.String(80), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(320)),
    sa.Column("share_link_id", sa.Integer, sa.ForeignKey("share_links.id", ondelete="SET NULL")),
    sa.Column("created_at", sa.Float, nullable=False),
    # The board whose card it was posted from (see migration 0009): a share link's holder sees only its board's.
    sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="SET NULL")),
    sa.Index("comments_record", "record_id", "id"),
)

share_links = sa.Table(
    "share_links", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.String(320)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float),
    sa.Column("revoked_at", sa.Float),
    # What a link holder may do besides watching, rating and commenting (see migration 0008).
    sa.Column("allow_notes", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("allow_requests", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("share_links_board", "board_id"),
)

# Batch work: batches of queued creates, the queue's shared switch (paused, or waiting out a 429), team presets.
batches = sa.Table(
    "batches", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(320)),
    sa.Column("created_at", sa.Float, nullable=False),
    # What was queued (a hash of the requests), and which copy of it: "Queue all" pressed twice, in two tabs or on
    # two replicas, finds the first batch instead of paying again; "Queue again" (confirmed) makes copy n + 1.
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("copy", sa.Integer, nullable=False, server_default="0"),
    sa.Index("batches_identity", "fingerprint", "copy", unique=True),
)

queue_state = sa.Table(
    "queue_state", metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("paused_until", sa.Float),
    sa.Column("reason", sa.Text),
    sa.Column("updated_at", sa.Float, nullable=False),
)

presets = sa.Table(
    "presets", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("name_key", sa.String(120), nullable=False, unique=True),
    sa.Column("form", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(320)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# The deployment's own secrets (see migration 0006): made once by whichever replica needs one first.
app_secrets = sa.Table(
    "app_secrets", metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# One row per background worker of every replica, written as it beats; /readyz and /metrics read them.
worker_heartbeats = sa.Table(
    "worker_heartbeats", metadata,
    sa.Column("owner", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("host", sa.String(200), nullable=False, server_default=""),
    sa.Column("beat_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Index("worker_heartbeats_kind", "kind", "beat_at"),
)

# Messages to a team's chat (STARVIDEOS_NOTIFY_URL), one per finished task or ended batch (see migration 0006): a
# row is written in the transaction that settled its subject, and sent once by whichever replica claims it.
notifications = sa.Table(
    "notifications", metadata,
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
    sa.Index("notifications_due", "state", "due_at"),
)

# Cuts (see migration 0007): a board (in its order) or a chain of continued takes made into one video by the cut
# builder, claimed with a lease like every background job. Each cut of a board or chain is a new version; old ones
# stay. Ids are never reused (a cut is announced once per id).
cuts = sa.Table(
    "cuts", metadata,
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
    sa.Index("cuts_due", "state", "created_at"),
    sqlite_autoincrement=True,
)

# Each take's in and out points on one board (seconds into the take; None = its start or end), used by that board's
# cuts. A take taken off the board loses its points with it.
board_trims = sa.Table(
    "board_trims", metadata,
    sa.Column("board_id", sa.Integer, primary_key=True),
    sa.Column("record_id", sa.Integer, primary_key=True),
    sa.Column("in_seconds", sa.Float),
    sa.Column("out_seconds", sa.Float),
    sa.Column("updated_by", sa.String(320)),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.ForeignKeyConstraint(["board_id", "record_id"], ["board_items.board_id", "board_items.record_id"],
                            ondelete="CASCADE", name="board_trims_item"),
)

# Review (see migration 0008): notes pinned to a moment of a take, with a picture of that frame made in the
# background (claimed with a lease); each take's approval state on a board and every change to it (the log is what
# the notifications announce); blind votes on a board's takes, one ballot per voter.
notes = sa.Table(
    "notes", metadata,
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
    sa.Index("notes_record", "record_id", "at_seconds"),
    sa.Index("notes_frames", "frame_state", "id"),
)

approvals = sa.Table(
    "approvals", metadata,
    sa.Column("board_id", sa.Integer, primary_key=True),
    sa.Column("record_id", sa.Integer, primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("set_by", sa.String(80), nullable=False),
    sa.Column("created_by", sa.String(320)),
    sa.Column("share_link_id", sa.Integer, sa.ForeignKey("share_links.id", ondelete="SET NULL")),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.ForeignKeyConstraint(["board_id", "record_id"], ["board_items.board_id", "board_items.record_id"],
                            ondelete="CASCADE", name="approvals_item"),
    sa.Index("approvals_state", "board_id", "state"),
)

approval_events = sa.Table(
    "approval_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("set_by", sa.String(80), nullable=False),
    sa.Column("created_by", sa.String(320)),
    sa.Column("share_link_id", sa.Integer, sa.ForeignKey("share_links.id", ondelete="SET NULL")),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("approval_events_item", "board_id", "record_id", "id"),
)

blind_votes = sa.Table(
    "blind_votes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    sa.Column("record_ids", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(320)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revealed_at", sa.Float),
    sa.Column("revealed_by", sa.String(320)),
    sa.Index("blind_votes_board", "board_id", "id"),
)

ballots = sa.Table(
    "ballots", metadata,
    sa.Column("vote_id", sa.Integer, sa.ForeignKey("blind_votes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("voter", sa.String(340), primary_key=True),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("share_link_id", sa.Integer, sa.ForeignKey("share_links.id", ondelete="SET NULL")),
    sa.Column("created_at", sa.Float, nullable=False),
)
