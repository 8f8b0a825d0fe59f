"""The price of video seconds (no database needed: the Create page shows it before anything else is loaded)."""

from __future__ import annotations

from collections.abc import Sequence

from .models import VideoRequest


def estimate_cost(requests: Sequence[VideoRequest], price_per_second: float | None) -> float | None:
    """``price_per_second`` × the seconds asked for; None when no price is set."""
    if price_per_second is None:
        return None
    return round(sum(int(r.duration) for r in requests if isinstance(r.duration, int)) * price_per_second, 4)


def money(amount: float | None, currency: str) -> str:
    return "—" if amount is None else f"{amount:,.2f} {currency}"
