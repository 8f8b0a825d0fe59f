"""Team presets: the Create form saved under a name, for everyone (three good examples ship with the app)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .database import Database
from .schema import presets
from .showcase import clean_text

FIELDS = ("mode", "prompt", "model", "duration", "ratio", "subject", "action", "camera", "style")


@dataclass(frozen=True)
class Preset:
    id: int
    name: str
    form: dict[str, Any]
    """``mode`` (``text``/``image``/``first_last``), ``prompt``, ``model``, ``duration``, ``ratio`` and the prompt
    builder's ``subject``/``action``/``camera``/``style`` (image links are not kept: they expire)."""
    created_by: str | None
    updated_at: float


class PresetStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self) -> list[Preset]:
        rows = self.db.rows(sa.select(presets).order_by(presets.c.name))
        return [_preset(row._mapping) for row in rows]

    def get(self, preset_id: int) -> Preset | None:
        rows = self.db.rows(sa.select(presets).where(presets.c.id == preset_id))
        return _preset(rows[0]._mapping) if rows else None

    def save(self, name: str, form: dict[str, Any], *, created_by: str | None = None) -> Preset:
        """Save (or replace) the preset with this name (any case)."""
        name = " ".join(clean_text(name, 120, "Preset name").split())
        kept = {k: form[k] for k in FIELDS if k in form}
        now = time.time()
        with self.db.write() as conn:
            conn.execute(self.db.upsert(presets, {"name": name, "name_key": name.casefold(), "form": kept,
                                                  "created_by": created_by, "created_at": now, "updated_at": now},
                                        keys=["name_key"], update={"name": name, "form": kept, "updated_at": now}))
            row = conn.execute(sa.select(presets).where(presets.c.name_key == name.casefold())).one()
        return _preset(row._mapping)

    def delete(self, preset_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(presets.delete().where(presets.c.id == preset_id))


def _preset(row: Any) -> Preset:
    form = row["form"]
    if isinstance(form, str):
        import json

        form = json.loads(form)
    return Preset(row["id"], row["name"], dict(form or {}), row["created_by"], row["updated_at"])
