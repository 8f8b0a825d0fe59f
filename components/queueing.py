""""Queue all", shared by the Batch page and Variants on Create: the estimate against what is left of the month's
budget before anything is pressed (disabled, with the reason, when it cannot fit), one batch however often it is
pressed ("Already queued as … at …", from the database, so a reload or another tab is caught too), and "Queue
again" behind a confirmation."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st

from starvideos.errors import StarVideosError
from starvideos.models import VideoRequest
from starvideos.pricing import estimate_cost, money

from . import registry
from .runtime import Backend, current_user, session_id
from .text import md_escape, shorten
from .timing import clock

if TYPE_CHECKING:  # the queue needs SQLAlchemy, which the Create page's first paint never waits for (B4)
    from starvideos.estimates import BudgetStanding
    from starvideos.queue import Batch

# How old a reading of the month's spend a page may show (a refusal always reads it afresh).
STANDING_MAX_AGE = 5.0


@dataclass
class Plan:
    """What one press of "Queue all" would queue."""

    scope: str
    """``batch`` or ``variants``: the prefix of this area's keys."""
    requests: Sequence[VideoRequest]
    source: str
    label: str
    """The button's label, like "Queue all (12)"."""
    name: str = ""
    """The batch's name; empty: "Variants: <prompt> · <time of the press>"."""
    known_fingerprint: str | None = None
    """``batch_fingerprint(requests)`` when the page has it already (cached with the parsed file)."""
    problems: list[str] = field(default_factory=list)
    """Why the form cannot be queued (nothing is queued while there are any)."""
    note: str = ""
    """Said after "Queued … as “name”", like the rows skipped."""

    @property
    def fingerprint(self) -> str:
        """Worked out only when needed (a press, or a batch to compare with), not on every Create rerun (B16)."""
        if self.known_fingerprint is None:
            from starvideos.queue import batch_fingerprint

            self.known_fingerprint = batch_fingerprint(self.requests)
        return self.known_fingerprint

    def batch_name(self) -> str:
        if self.name.strip():
            return self.name.strip()
        prompt = self.requests[0].prompt if self.requests else ""
        return f"Variants: {shorten(str(prompt), 50)} · {clock(time.time())}"


@dataclass(frozen=True)
class Outcome:
    fingerprint: str
    kind: str
    """``queued``, ``already`` or ``refused``."""
    text: str
    batch: Batch | None = None


def standing(backend: Backend) -> BudgetStanding | None:
    """The month against the budget, read only when there is a budget to show it against."""
    settings = backend.settings
    if settings.monthly_budget is None or settings.price_per_second is None:
        return None
    try:
        return backend.estimates.standing(max_age=STANDING_MAX_AGE)
    except StarVideosError:
        return None


def estimate_line(backend: Backend, requests: Sequence[VideoRequest],
                  month: BudgetStanding | None) -> tuple[str | None, str | None]:
    """("Estimated cost: … · … left of this month's … budget", the reason it cannot fit or None)."""
    currency = backend.settings.currency
    cost = estimate_cost(requests, backend.settings.price_per_second) if requests else None
    if cost is None:
        return None, None
    line = f"Estimated cost: {money(cost, currency)}"
    if month is None:
        return line, None
    line += f" · {money(month.left, currency)} left of this month's {money(month.budget, currency)} budget"
    if month.fits(cost):
        return line, None
    count = len(requests)
    what = "This task" if count == 1 else f"These {count:,} tasks"
    return line, (f"{what} would cost {money(cost, currency)}, but only {money(month.left, currency)} is left of "
                  f"this month's {money(month.budget, currency)} budget (STARVIDEOS_MONTHLY_BUDGET): "
                  f"{money(month.spent, currency)} is already spent or queued. Remove some, or raise "
                  "STARVIDEOS_MONTHLY_BUDGET.")


def queue_all(backend: Backend, plan: Plan, *, known: Batch | None = None) -> None:
    """The estimate, then "Queue all" (or, for what was queued already, where and when, and "Queue again…").
    ``known`` is the batch these requests already went into, when the page looked it up."""
    ss = st.session_state
    outcome = _outcome(plan) if f"{plan.scope}_outcome" in ss else None
    shown = known or (outcome.batch if outcome is not None and outcome.kind in ("queued", "already") else None)
    count = len(plan.requests)
    line, refusal = estimate_line(backend, plan.requests, standing(backend))
    counted = f"{count:,} task{'s' if count != 1 else ''}"
    st.caption(f"{counted} · {line}" if line else counted)
    if outcome is not None and outcome.kind == "queued" and outcome.batch is not None:
        st.success(outcome.text, icon=":material/playlist_add_check:")
    elif shown is not None:
        st.info(already_text(backend, shown), icon=":material/playlist_add_check:")
    elif outcome is not None and outcome.kind == "refused":
        st.error(outcome.text, icon=":material/error:")
    if shown is None:
        # One button and no row around it: every block is work on each Create rerun (B16).
        st.button(plan.label, key=f"{plan.scope}_queue", type="primary", icon=":material/playlist_add:",
                  disabled=not count or refusal is not None, on_click=_queue, args=(backend, plan, None))
    else:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.button("Queue again…", key=f"{plan.scope}_again", icon=":material/replay:",
                      on_click=_open_again, args=(plan.scope, shown))
            if plan.scope != "batch":
                st.page_link(registry.BATCH.path, label="Follow it on the Batch page",
                             icon=":material/open_in_new:", query_params={"batch": str(shown.id)})
    if refusal is not None:
        st.warning(md_escape(refusal), icon=":material/savings:")
    again = _asked_again(plan) if f"{plan.scope}_again_open" in ss else None
    if again is not None:
        _queue_again(backend, plan, again)


def already_text(backend: Backend, batch: Batch) -> str:
    """"Already queued as “launch · 14:02” at 14:02 · 7 of 12 sent or settled"."""
    from starvideos.queue import settled

    try:
        counts = backend.queue.progress(batch.id)
    except StarVideosError:
        counts = {}
    done = sum(n for state, n in counts.items() if state not in ("pending", "sending"))
    state = "finished" if counts and settled(counts) else f"{done:,} of {batch.total:,} sent or settled"
    return f"Already queued as “{one_line(batch.name)}” at {clock(batch.created_at)} · {state}."


def one_line(name: str) -> str:
    """A name someone typed (or a file was called), escaped to show as the characters it is, on one line: a line
    break could otherwise turn a following "===" into a heading."""
    return md_escape(" ".join(str(name).split()))


def _outcome(plan: Plan) -> Outcome | None:
    outcome = st.session_state.get(f"{plan.scope}_outcome")
    return outcome if isinstance(outcome, Outcome) and outcome.fingerprint == plan.fingerprint else None


def _asked_again(plan: Plan) -> Batch | None:
    again = st.session_state.get(f"{plan.scope}_again_open")
    return again if again is not None and getattr(again, "fingerprint", None) == plan.fingerprint else None


def _queue(backend: Backend, plan: Plan, again: Batch | None, name: str | None = None) -> None:
    """A callback, so the page drawn after the press already knows the batch (a second press in the same moment
    finds it in the database)."""
    from starvideos.queue import AlreadyQueuedError

    ss = st.session_state
    key = f"{plan.scope}_outcome"
    if plan.problems:
        ss[key] = Outcome(plan.fingerprint, "refused", "Fix the form first (nothing was queued): "
                          + md_escape("; ".join(plan.problems)))
        return
    name = " ".join((name or "").split()) or plan.batch_name()
    try:
        batch = backend.queue.enqueue(plan.requests, name=name, source=plan.source, session_id=session_id(),
                                      created_by=current_user(), again=again)
    except AlreadyQueuedError as exc:
        ss[key] = Outcome(plan.fingerprint, "already", exc.message, exc.batch)
        return
    except StarVideosError as exc:
        ss[key] = Outcome(plan.fingerprint, "refused", f"**{md_escape(exc.title)}** {md_escape(exc.message)}")
        return
    ss[key] = Outcome(plan.fingerprint, "queued", f"Queued {batch.total:,} task{'s' if batch.total != 1 else ''} "
                      f"as “{one_line(batch.name)}”{md_escape(plan.note)}. They go out at the team's pace.", batch)
    ss.setdefault("batch_focus", set()).add(batch.id)


def _open_again(scope: str, batch: Batch) -> None:
    st.session_state[f"{scope}_again_open"] = batch


def _close_again() -> None:
    for scope in ("batch", "variants"):
        st.session_state.pop(f"{scope}_again_open", None)


def _confirm_again(backend: Backend, plan: Plan, batch: Batch) -> None:
    name = str(st.session_state.get(f"{plan.scope}_again_name") or "")
    _queue(backend, plan, batch, name)
    st.session_state[f"{plan.scope}_again_done"] = True


@st.dialog("Queue again?", icon=":material/replay:", on_dismiss=_close_again)
def _queue_again(backend: Backend, plan: Plan, batch: Batch) -> None:
    ss = st.session_state
    count = len(plan.requests)
    st.markdown(f"{already_text(backend, batch)}\n\nQueue the same {count:,} task{'s' if count != 1 else ''} once "
                "more? They are new tasks, created and billed again.")
    line, refusal = estimate_line(backend, plan.requests, standing(backend))
    if line:
        st.caption(line)
    ss.setdefault(f"{plan.scope}_again_name", f"{plan.batch_name()} ({batch.copy + 2})")
    st.text_input("Batch name", key=f"{plan.scope}_again_name", max_chars=200)
    if refusal is not None:
        st.warning(md_escape(refusal), icon=":material/savings:")
    with st.container(horizontal=True):
        # A callback, so the confirmation counts whether the dialog reruns alone (a browser) or with the page.
        st.button("Queue again", key=f"{plan.scope}_again_confirm", type="primary", disabled=refusal is not None,
                  on_click=_confirm_again, args=(backend, plan, batch))
        if st.button("Cancel", key=f"{plan.scope}_again_cancel"):
            _close_again()
            st.rerun()
    if ss.pop(f"{plan.scope}_again_done", False):
        _close_again()
        ss.pop(f"{plan.scope}_again_name", None)
        st.rerun()  # close the dialog; the page shows what was queued


def focus_label(batch: Batch, counts: dict[str, int]) -> str:
    """" · just queued" while a batch this session queued is running; " · finished" once nothing in it waits or
    runs."""
    from starvideos.queue import settled

    if counts and settled(counts):
        return " · finished"
    return " · just queued" if batch.id in st.session_state.get("batch_focus", set()) else ""
