"""The team data layer: tasks store their request as the JSON payload it is, plus the few columns that are filtered
or indexed; per-status counts kept by triggers; lookup leases; shared rate limits.

A SQLite file made by the app before this migration (``PRAGMA user_version`` 1 or 2, a ``tasks`` table with one
column per request field) is upgraded in place with every row intact.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    legacy = _is_legacy(bind)
    if legacy:
        for trigger in ("task_counts_insert", "task_counts_delete", "task_counts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS task_counts")
        for index in ("tasks_status", "tasks_mode", "tasks_session", "tasks_params"):
            op.execute(f"DROP INDEX IF EXISTS {index}")
        op.rename_table("tasks", "tasks_v2")

    op.create_table(
        "tasks",
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
        sqlite_autoincrement=True,
    )
    op.create_index("tasks_status", "tasks", ["status", "id"])
    op.create_index("tasks_mode", "tasks", ["mode", "id"])
    op.create_index("tasks_session", "tasks", ["session_id", "id"])
    op.create_index("tasks_creator", "tasks", ["created_by", "id"])
    op.create_index("tasks_params", "tasks", ["params_hash", "attempted_at"])
    op.create_index("tasks_due", "tasks", ["status", "next_lookup_at"])
    op.create_table(
        "task_counts",
        sa.Column("status", sa.String(24), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    op.create_table(
        "rate_limits",
        sa.Column("name", sa.String(120), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )

    if legacy:
        _copy_legacy_rows(bind)
        op.drop_table("tasks_v2")
    _create_count_triggers(bind.dialect.name)
    op.execute("INSERT INTO task_counts (status, n) SELECT status, COUNT(*) FROM tasks WHERE deleted_at IS NULL "
               "GROUP BY status")


def downgrade() -> None:
    raise NotImplementedError("The app never downgrades a database.")


def _is_legacy(bind: sa.Connection) -> bool:
    inspector = sa.inspect(bind)
    return inspector.has_table("tasks") and "images" in {c["name"] for c in inspector.get_columns("tasks")}


def _params_hash(payload: dict[str, Any]) -> str:
    # Must match starvideos.history.params_hash (a test checks it), so duplicates are still noticed after upgrade.
    key = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _copy_legacy_rows(bind: sa.Connection) -> None:
    old = sa.table("tasks_v2", *(sa.column(name) for name in (
        "id", "task_id", "status", "session_id", "attempted_at", "updated_at", "prompt", "model", "duration",
        "ratio", "images", "mode", "error", "video_url", "remote_created", "raw")))
    new = sa.table("tasks", *(sa.column(name) for name in (
        "id", "task_id", "status", "request", "params_hash", "prompt", "mode", "ratio", "duration", "session_id",
        "attempted_at", "updated_at", "finished_at", "error", "video_url", "remote_created", "raw",
        "lookup_failures")))
    last_id = 0
    while True:
        rows = bind.execute(sa.select(old).where(old.c.id > last_id).order_by(old.c.id).limit(_BATCH)).mappings().all()
        if not rows:
            return
        bind.execute(new.insert(), [_converted(row) for row in rows])
        last_id = rows[-1]["id"]


def _converted(row: sa.RowMapping) -> dict[str, Any]:
    images = json.loads(row["images"] or "[]")
    payload = {"prompt": row["prompt"], "model": row["model"], "duration": row["duration"], "ratio": row["ratio"]}
    if images:
        payload["images"] = images
    finished = row["updated_at"] if row["status"] in ("completed", "failed") else None
    return {
        "id": row["id"], "task_id": row["task_id"], "status": row["status"], "request": json.dumps(payload),
        "params_hash": _params_hash(payload), "prompt": row["prompt"], "mode": row["mode"], "ratio": row["ratio"],
        "duration": row["duration"], "session_id": row["session_id"] or "", "attempted_at": row["attempted_at"],
        "updated_at": row["updated_at"], "finished_at": finished, "error": row["error"],
        "video_url": row["video_url"], "remote_created": row["remote_created"], "raw": row["raw"],
        "lookup_failures": 0,
    }


def _create_count_triggers(dialect: str) -> None:
    # A row counts for its status while it is not deleted; every change of status or deletion moves one count.
    if dialect == "sqlite":
        op.execute("""CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks WHEN NEW.deleted_at IS NULL BEGIN
            INSERT INTO task_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
        END""")
        op.execute("""CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks WHEN OLD.deleted_at IS NULL BEGIN
            UPDATE task_counts SET n = n - 1 WHERE status = OLD.status;
        END""")
        op.execute("""CREATE TRIGGER task_counts_update AFTER UPDATE OF status, deleted_at ON tasks
            WHEN OLD.status IS NOT NEW.status OR (OLD.deleted_at IS NULL) != (NEW.deleted_at IS NULL) BEGIN
            UPDATE task_counts SET n = n - 1 WHERE status = OLD.status AND OLD.deleted_at IS NULL;
            INSERT INTO task_counts (status, n) SELECT NEW.status, 1 WHERE NEW.deleted_at IS NULL
                ON CONFLICT (status) DO UPDATE SET n = n + 1;
        END""")
        return
    # PostgreSQL: the two count rows are always touched in the same order (by status name), so two transactions
    # moving tasks in opposite directions can never deadlock on them.
    op.execute("""CREATE FUNCTION task_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        dec text := NULL;
        inc text := NULL;
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            IF OLD.deleted_at IS NULL THEN dec := OLD.status; END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF NEW.deleted_at IS NULL THEN inc := NEW.status; END IF;
        END IF;
        IF dec IS NOT DISTINCT FROM inc THEN
            RETURN NULL;
        END IF;
        IF dec IS NOT NULL AND (inc IS NULL OR dec < inc) THEN
            UPDATE task_counts SET n = n - 1 WHERE status = dec;
            dec := NULL;
        END IF;
        IF inc IS NOT NULL THEN
            INSERT INTO task_counts (status, n) VALUES (inc, 1)
                ON CONFLICT (status) DO UPDATE SET n = task_counts.n + 1;
        END IF;
        IF dec IS NOT NULL THEN
            UPDATE task_counts SET n = n - 1 WHERE status = dec;
        END IF;
        RETURN NULL;
    END $$""")
    op.execute("""CREATE TRIGGER task_counts_apply AFTER INSERT OR DELETE OR UPDATE OF status, deleted_at ON tasks
        FOR EACH ROW EXECUTE FUNCTION task_counts_apply()""")
