"""The one way work is claimed through the database: a lease that expires.

A row is claimed by setting its ``lease_owner`` and ``lease_until`` in the transaction that chose it: ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL (two replicas choosing at once take different rows), the write lock on SQLite (taken at
``BEGIN IMMEDIATE``). A lease that is held and not expired is never taken; a dead replica's leases lapse on their
own. Work done under a lease is recorded only by its owner (``owned``), so a replica that lost its lease cannot
overwrite what the next owner did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa


def free(table: sa.Table, now: float) -> sa.ColumnElement[bool]:
    """Rows nobody holds: never leased, or the lease has run out."""
    return sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now)


def claim(conn: sa.Connection, table: sa.Table, key: sa.Column[Any], *, where: Sequence[sa.ColumnElement[bool]],
          order_by: Sequence[Any], limit: int, owner: str, lease_seconds: float, now: float,
          values: Mapping[str, Any] | None = None, returning: Sequence[sa.Column[Any]] = ()) -> list[sa.Row[Any]]:
    """Lease up to ``limit`` rows matching ``where`` (and free), in ``order_by`` order, to ``owner``; also set
    ``values`` on them. Returns the claimed rows (``returning`` columns, the key by default) in the chosen order."""
    if limit <= 0:
        return []
    chosen = list(conn.execute(sa.select(key).where(*where, free(table, now)).order_by(*order_by).limit(limit)
                               .with_for_update(skip_locked=True)).scalars())
    if not chosen:
        return []
    columns = list(returning) or [key]
    rows = conn.execute(table.update().where(key.in_(chosen)).values(
        lease_owner=owner, lease_until=now + lease_seconds, **dict(values or {})).returning(*columns, key)).all()
    position = {value: n for n, value in enumerate(chosen)}  # RETURNING does not promise an order
    return sorted(rows, key=lambda row: position[row[-1]])


def owned(table: sa.Table, key: sa.Column[Any], value: Any, owner: str) -> sa.ColumnElement[bool]:
    """The row ``value``, only while ``owner`` holds it."""
    return sa.and_(key == value, table.c.lease_owner == owner)


def release(conn: sa.Connection, table: sa.Table, key: sa.Column[Any], values: Sequence[Any], owner: str,
            **changes: Any) -> int:
    """Give the leases of ``values`` back (with ``changes``), only those ``owner`` still holds."""
    if not values:
        return 0
    result = conn.execute(table.update().where(key.in_(list(values)), table.c.lease_owner == owner)
                          .values(lease_owner=None, lease_until=None, **changes))
    return result.rowcount or 0
