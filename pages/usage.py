"""Usage: seconds of video and what they cost, per day and month, per person with sign-in, against the budget."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import streamlit as st

from components import runtime
from components.messages import stop_unless_database
from components.review_ui import wins_tables
from components.router import ensure_router

ensure_router()

backend = runtime.backend()
settings = backend.settings
st.title("Usage")
stop_unless_database(backend.database_problem())

estimates = backend.estimates
if settings.price_per_second is None:
    st.info("Set `STARVIDEOS_PRICE_PER_SECOND` (and `STARVIDEOS_CURRENCY`) to see costs; seconds of video are shown "
            "meanwhile.", icon=":material/payments:")
month = estimates.month_to_date()
if month is not None:
    budget = settings.monthly_budget
    if budget:
        st.progress(min(1.0, month / budget), text=f"This month: {estimates.money(month)} of "
                                                   f"{estimates.money(budget)} (STARVIDEOS_MONTHLY_BUDGET)")
    else:
        st.metric("This month so far", estimates.money(month), help="Created, running, finished and queued tasks.")

days = estimates.usage(days=30)
if not days:
    st.caption("No tasks in the last 30 days.")
else:
    unit = settings.currency if settings.price_per_second is not None else "seconds of video"
    per_day = {row.period: (row.cost if row.cost is not None else row.seconds) for row in days}
    today = datetime.now(timezone.utc).date()
    # Every day of the window, quiet ones at zero, so the chart reads as a timeline.
    timeline = {(today - timedelta(days=n)).isoformat(): per_day.get((today - timedelta(days=n)).isoformat(), 0)
                for n in range(29, -1, -1)}
    st.subheader(f"Per day, last 30 days ({unit})")
    st.bar_chart({unit: timeline}, height=240, x_label="Day (UTC)", y_label=unit)
    st.subheader("Per month")
    st.dataframe([{"Month": r.period, "Tasks": r.tasks, "Seconds": r.seconds, "Cost": estimates.money(r.cost)}
                  for r in estimates.monthly()], hide_index=True, width="stretch", key="usage_months")
    if runtime.current_user() is not None:
        st.subheader("Per person, per month")
        st.dataframe([{"Month": r.period, "Person": r.person or "—", "Tasks": r.tasks, "Seconds": r.seconds,
                       "Cost": estimates.money(r.cost)} for r in estimates.monthly(by_person=True)],
                     hide_index=True, width="stretch", key="usage_people")
wins_tables(backend)
