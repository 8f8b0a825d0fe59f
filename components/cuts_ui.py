"""Cuts on a board or a chain of continued takes: "Make a cut" (size, crossfade, title and end cards) queued to the
background builder, its versions (v1, v2 … with what changed) with live progress, the finished cut playing from the
app's own signed link with a download, Present and Compare; and each take's In and Out points on a board.

Nothing here draws a cut: a press only plans and queues it (``CutStore.request``), which refuses before any work a
cut over ``STARVIDEOS_MAX_CUT_SECONDS`` and takes that cannot be used (left out only after the person agrees, in a
dialog)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from starvideos.cuts import AUTO, MAX_CROSSFADE, Cut, CutOptions, CutStore, Plan, Problem, Trim
from starvideos.errors import StarVideosError, UnusableTakesError, ValidationError

from . import registry
from .live import on_its_own_timer
from .media_links import media_url
from .moment_player import MomentAction
from .runtime import Backend, current_user
from .styles import present_styles
from .text import md_escape, md_inert

REFRESH = 1.0
"""Seconds between two readings of a cut being made."""
SIZE_LABELS = {AUTO: "Most common among the takes", "1280x720": "1280×720 (landscape)",
               "1920x1080": "1920×1080 (landscape)", "720x1280": "720×1280 (portrait)",
               "1080x1920": "1080×1920 (portrait)"}
STATE_WORDS = {"pending": "Waiting", "building": "Being made", "done": "Ready", "failed": "Could not be made",
               "cancelled": "Cancelled"}
_CONSENT = "cut_consent"


@dataclass(frozen=True)
class Subject:
    """What is cut: a board, or the chain through a take; ``key`` tells its widgets apart."""

    board_id: int | None = None
    record_id: int | None = None
    """Any take of the chain."""

    @property
    def key(self) -> str:
        return f"b{self.board_id}" if self.board_id is not None else f"c{self.record_id}"

    def plan(self, store: CutStore, options: CutOptions) -> Plan:
        if self.board_id is not None:
            return store.plan_board(self.board_id, options)
        assert self.record_id is not None
        return store.plan_chain(self.record_id, options)

    def versions(self, store: CutStore) -> list[Cut]:
        if self.board_id is not None:
            return store.versions(board_id=self.board_id)
        chain = store.chain(self.record_id) if self.record_id is not None else []
        return store.versions(chain_id=chain[0].id) if chain else []


# Making a cut ----------------------------------------------------------------------------------------------------


def cut_panel(backend: Backend, subject: Subject, *, present_query: Callable[[Cut], dict[str, str]] | None = None,
              ) -> None:
    """The cut's settings, "Make a cut", and the versions made so far (live while one is being made)."""
    with st.container(border=True, key=f"cut_panel_{subject.key}"):
        st.subheader("Cut", anchor=False)
        what = ("The takes one after another, in order, each from its In to its Out point" if subject.board_id
                is not None else "The chain's shots one after another, first to last")
        st.caption(f"{what}, as one video. It is made in the background: you can leave this page.")
        label = "Make a cut" if subject.board_id is not None else "Make a cut of this chain"
        made = _read(backend, subject)
        with st.expander(label, icon=":material/movie_edit:", expanded=not made):
            options = _options(subject.key)
            pressed = st.button("Make a cut", key=f"cut_make_{subject.key}", type="primary",
                                icon=":material/movie_edit:")
        if pressed and _request(backend, subject, options):
            made = _read(backend, subject)
        _notice(subject.key)
        _consent_dialog_if_asked(backend, subject)
        versions(backend, subject, made, present_query=present_query)


def _options(key: str) -> CutOptions:
    size_col, fade_col = st.columns(2)
    with size_col:
        size = st.selectbox("Size", list(SIZE_LABELS), format_func=SIZE_LABELS.__getitem__, key=f"cut_size_{key}",
                            help="Takes of the other shape are fitted between black bars, never stretched.")
    with fade_col:
        crossfade = st.slider("Crossfade", 0.0, MAX_CROSSFADE, 0.0, 0.1, format="%.1f s", key=f"cut_crossfade_{key}",
                              help="0 for straight cuts.")
    title_card = st.checkbox("Title card (the name)", key=f"cut_title_{key}")
    end_on = st.checkbox("End card", key=f"cut_end_on_{key}")
    end_card = None
    if end_on:
        end_card = st.text_input("End card words", key=f"cut_end_{key}", value="Thank you", max_chars=120)
    return CutOptions(size=size or AUTO, crossfade=round(float(crossfade), 2), title_card=bool(title_card),
                      end_card=end_card)


def _request(backend: Backend, subject: Subject, options: CutOptions, skip: tuple[int, ...] = ()) -> bool:
    """Plan and queue the cut; True when it was queued (or found already made), else what went wrong is shown or
    the consent dialog is asked for."""
    store: CutStore = backend.cuts
    try:
        plan = subject.plan(store, options)
        cut, new = store.request(plan, skip=skip, created_by=current_user())
    except UnusableTakesError as exc:
        st.session_state[_CONSENT] = (subject.key, options, exc.problems)
        return False
    except ValidationError as exc:
        _say(subject.key, "error", "The cut was not started: " + " ".join(exc.problems))
        return False
    except StarVideosError as exc:
        _say(subject.key, "error", f"{exc.message} {exc.hint}")
        return False
    if new:
        backend.cut_builder.wake()
        _say(subject.key, "success", f"Cut {cut.label} is queued ({cut.seconds:.1f} s); it is made in the "
                                     "background.")
    else:
        word = "is already made" if cut.done else "is already being made"
        _say(subject.key, "info", f"Nothing changed since {cut.label}: that cut {word}.")
    return True


def _read(backend: Backend, subject: Subject, *, fallback: list[Cut] | None = None) -> list[Cut]:
    """The versions; while the database is away for a moment, what was read before (and a word saying so)."""
    try:
        return subject.versions(backend.cuts)
    except StarVideosError:
        st.caption("Could not read the cuts just now; trying again…")
        return fallback or []


def _say(key: str, kind: str, text: str) -> None:
    st.session_state[f"cut_notice_{key}"] = (kind, text)


def _notice(key: str) -> None:
    notice = st.session_state.pop(f"cut_notice_{key}", None)
    if notice is None:
        return
    kind, text = notice
    show = {"error": st.error, "success": st.success, "info": st.info}[kind]
    show(md_inert(text), icon={"error": ":material/block:", "success": ":material/movie_edit:",
                                "info": ":material/info:"}[kind])


def _consent_dialog_if_asked(backend: Backend, subject: Subject) -> None:
    asked = st.session_state.get(_CONSENT)
    if asked and asked[0] == subject.key:
        _consent(backend, subject, asked[1], asked[2])


def _close_consent() -> None:
    st.session_state.pop(_CONSENT, None)


@st.dialog("Some takes cannot be used", on_dismiss=_close_consent)
def _consent(backend: Backend, subject: Subject, options: CutOptions, problems: list[Problem]) -> None:
    """Name each take that cannot be used and why; the cut is made without them only when the person agrees."""
    st.write("These takes would be left out of the cut:")
    with st.container(key="cut_consent_takes"):
        for _record_id, name, why in problems:
            st.text(f"{name}: {why}")  # a name holds a prompt: shown as typed, never formatted
    make, cancel = st.columns(2)
    with make:
        agreed = st.button("Make the cut without them", type="primary", key="cut_consent_yes")
    with cancel:
        if st.button("Cancel", key="cut_consent_no"):
            _close_consent()
            st.rerun()
    if agreed:
        _close_consent()
        _request(backend, subject, options, skip=tuple(p[0] for p in problems))
        st.rerun()  # closes the dialog; a new problem (another take) asks again


# Versions --------------------------------------------------------------------------------------------------------


def versions(backend: Backend, subject: Subject, made: list[Cut], *,
             present_query: Callable[[Cut], dict[str, str]] | None = None) -> None:
    """The versions (``made``, as read for this run), newest first; redrawn every second while one is waiting or
    being made."""
    if not made:
        return
    active = any(c.active for c in made)

    @st.fragment(run_every=REFRESH if active else None)
    def live() -> None:
        now = _read(backend, subject, fallback=made)
        if now:
            _version(backend, now[0], present_query, others=[c for c in now[1:] if c.done])
        if len(now) > 1:
            with st.expander(f"Earlier versions ({len(now) - 1})", icon=":material/history:"):
                for cut in now[1:]:
                    _version(backend, cut, present_query, others=[], compact=True)
        if on_its_own_timer() and any(c.active for c in now) != active:
            st.rerun()  # one finished (or started): the whole page redraws, and the timer stops (or starts)

    live()


def _version(backend: Backend, cut: Cut, present_query: Callable[[Cut], dict[str, str]] | None, *,
             others: list[Cut], compact: bool = False) -> None:
    with st.container(border=not compact, key=f"cut_version_{cut.id}"):
        # The player beside what the version is, so the board's takes stay near the top of the page.
        picture, words = st.columns([3, 2], gap="medium")
        with words:
            st.markdown(f"**{cut.label}** · {md_escape(STATE_WORDS.get(cut.state, cut.state))} · "
                        f"{md_escape(cut.describe().split(' · ', 1)[1])}")
            if cut.changes:
                st.caption("Changed: " + md_inert("; ".join(cut.changes)))  # take names hold prompts
            if cut.skipped:
                st.caption("Left out: " + md_inert("; ".join(f"{name} ({why})" for _i, name, why in cut.skipped)))
        if cut.active:
            share = cut.progress if cut.state == "building" else 0.0
            with picture:
                words_now = f"Making the cut… {share:.0%}" if cut.state == "building" else \
                    "Waiting for the cut builder…"
                st.progress(share, text=words_now)
            with words:
                st.button("Cancel", key=f"cut_cancel_{cut.id}", icon=":material/cancel:", on_click=_cancel,
                          args=(backend, cut.id))
        elif cut.done:
            assert cut.video_key is not None
            with picture:
                if not compact or st.toggle("Play", key=f"cut_play_{cut.id}"):
                    st.video(media_url(backend, cut.video_key), muted=True)
            with words:
                _actions(backend, cut, present_query, others)
        else:
            with picture:
                if cut.error:
                    st.error(md_inert(cut.error), icon=":material/error:")
            with words:
                st.button("Try again", key=f"cut_retry_{cut.id}", icon=":material/refresh:", on_click=_retry,
                          args=(backend, cut.id))


def _actions(backend: Backend, cut: Cut, present_query: Callable[[Cut], dict[str, str]] | None,
             others: list[Cut]) -> None:
    assert cut.video_key is not None
    st.link_button("Download", media_url(backend, cut.video_key, download_name=file_name(cut)),
                   icon=":material/download:", help="The cut as an MP4 file.")
    if present_query is not None:
        st.page_link(registry.PRESENT.path, label="Present", icon=":material/slideshow:",
                     query_params=present_query(cut))
    if others:
        compare_with(backend, cut, others)


def compare_with(backend: Backend, cut: Cut, others: list[Cut]) -> None:
    """This cut beside an earlier one, both playing."""
    with st.popover("Compare", icon=":material/compare:"):
        labels = {c.id: c.describe() for c in others}
        other_id = st.selectbox("Compare with", list(labels), format_func=labels.__getitem__,
                                key=f"cut_compare_{cut.id}")
        other = next((c for c in others if c.id == other_id), None)
        if other is None or other.video_key is None:
            return
        left, right = st.columns(2)
        for column, shown in ((left, cut), (right, other)):
            with column:
                st.caption(md_escape(shown.describe()))
                st.video(media_url(backend, str(shown.video_key)), muted=True)


def file_name(cut: Cut) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", cut.title).strip("-").lower()[:40] or "cut"
    return f"{stem}-{cut.label}.mp4"


def _cancel(backend: Backend, cut_id: int) -> None:
    backend.cuts.cancel(cut_id)


def _retry(backend: Backend, cut_id: int) -> None:
    if backend.cuts.retry(cut_id):
        backend.cut_builder.wake()


def latest_cut(backend: Backend, board_id: int, *, on_present: Callable[[Cut], None]) -> None:
    """The board's newest finished cut, playing, with Present and a download (the shared board's view)."""
    made = next((c for c in backend.cuts.versions(board_id=board_id) if c.done), None)
    if made is None or made.video_key is None:
        return
    with st.container(border=True, key=f"cut_latest_{board_id}"):
        picture, words = st.columns([3, 2], gap="medium")
        with picture:
            st.video(media_url(backend, made.video_key), muted=True)
        with words:
            st.subheader("The cut", anchor=False)
            st.caption(md_escape(made.describe()))
            # A button, not a link to this same page: such a link would not put the view in the address.
            st.button("Present the cut", key="cut_latest_present", icon=":material/slideshow:", on_click=on_present,
                      args=(made,))
            st.link_button("Download", media_url(backend, made.video_key, download_name=file_name(made)),
                           icon=":material/download:")


# Present -----------------------------------------------------------------------------------------------------------


def present_cut(backend: Backend, cut: Cut | None, *, on_exit: Callable[[], None]) -> None:
    """A finished cut as Present's one item: as big as the window allows, autoplaying, its title as the caption."""
    present_styles()
    if cut is None or not cut.done or cut.video_key is None:
        st.info("This cut is not ready (or no longer exists).", icon=":material/videocam_off:")
    else:
        with st.container(key="present_stage"):
            st.video(media_url(backend, cut.video_key), autoplay=True, loop=True, muted=True)
        with st.container(key="present_caption"):
            st.text(f"{cut.title} · {cut.describe()}")
    st.button("Exit", key="present_exit", shortcut="Esc", icon=":material/close:", on_click=on_exit)


# In and out points -------------------------------------------------------------------------------------------------


SET_POINTS = {"in": "Set in", "out": "Set out"}
"""The buttons a board's player carries for a take's In and Out points (members only)."""


def trim_inputs(backend: Backend, board_id: int, record_id: int, duration: float | None, trim: Trim) -> None:
    """A take's In and Out points on this board (seconds; empty is the take's own start or end), saved as typed."""
    key = f"{board_id}_{record_id}"
    top = float(duration) if duration else None
    # Points kept for an earlier copy of the take may lie past this one's end: shown clamped, never a crash.
    start, end = (trim.start, trim.end) if top is None else (
        None if trim.start is None else min(trim.start, top), None if trim.end is None else min(trim.end, top))
    # Once drawn, an input shows its own state (what was typed, or what "Set in" / "Set out" put there): passing
    # the stored value too would only make Streamlit warn about two sources.
    if f"trim_in_{key}" in st.session_state:
        start = None
    if f"trim_out_{key}" in st.session_state:
        end = None
    in_col, out_col = st.columns(2)
    with in_col:
        st.number_input("In (s)", min_value=0.0, max_value=top, value=start, step=0.1, format="%.1f",
                        key=f"trim_in_{key}", on_change=_save_trim, args=(backend, board_id, record_id, top),
                        placeholder="start")
    with out_col:
        st.number_input("Out (s)", min_value=0.0, max_value=top, value=end, step=0.1, format="%.1f",
                        key=f"trim_out_{key}", on_change=_save_trim, args=(backend, board_id, record_id, top),
                        placeholder="end")
    problem = st.session_state.get(f"trim_problem_{key}")
    if problem:
        st.error(md_inert(problem), icon=":material/content_cut:")
    else:
        trim_caption(top, trim)


def trim_caption(duration: float | None, trim: Trim) -> None:
    """"Plays a–b s" when the take is trimmed on this board: shown with the In and Out inputs or without them."""
    if (plays := plays_text(trim, duration)) is not None:
        st.caption(plays)


def plays_text(trim: Trim, duration: float | None) -> str | None:
    """ "Plays 1.2–3.0 s (1.8 s) in the cut", or None when the take plays whole or its end is not known."""
    if trim.start is None and trim.end is None:
        return None
    first, last = trim.start or 0.0, trim.end if trim.end is not None else duration
    return None if last is None else f"Plays {first:.1f}–{last:.1f} s ({last - first:.1f} s) in the cut"


def _save_trim(backend: Backend, board_id: int, record_id: int, duration: float | None) -> None:
    ss = st.session_state
    key = f"{board_id}_{record_id}"
    _store_trim(backend, board_id, record_id, duration, Trim(ss.get(f"trim_in_{key}"), ss.get(f"trim_out_{key}")))


def set_point(backend: Backend, board_id: int, record_id: int, duration: float | None, press: MomentAction) -> None:
    """"Set in" / "Set out" pressed on the take's player: that moment becomes the point, checked and saved as a
    typed one is, and the In and Out inputs show the points now kept."""
    if press.action not in SET_POINTS:
        return
    kept = backend.cuts.trims(board_id).get(record_id, Trim())
    at = _tenths(press.at)
    trim = Trim(at, kept.end) if press.action == "in" else Trim(kept.start, at)
    key = f"{board_id}_{record_id}"
    # Said in a toast as well: the player is under the card, the In and Out inputs (and their message) above it,
    # often off screen, so a press seemed to do nothing, even when it was refused.
    if _store_trim(backend, board_id, record_id, duration, trim):
        st.session_state[f"trim_in_{key}"] = trim.start
        st.session_state[f"trim_out_{key}"] = trim.end
        point = f"{SET_POINTS[press.action].removeprefix('Set ').capitalize()} at {at:.1f} s"
        plays = plays_text(trim, float(duration) if duration else None)
        st.toast(f"{point}. {plays}." if plays else f"{point}.", icon=":material/content_cut:")
    else:
        st.toast(md_inert(str(st.session_state.get(f"trim_problem_{key}") or "")), icon=":material/error:")


def _tenths(seconds: float) -> float:
    """The moment as the button named it (``0:01.2``: whole tenths, never a later frame)."""
    return math.floor(seconds * 10 + 1e-6) / 10


def _store_trim(backend: Backend, board_id: int, record_id: int, duration: float | None, trim: Trim) -> bool:
    key = f"{board_id}_{record_id}"
    ss = st.session_state
    try:
        backend.cuts.set_trim(board_id, record_id, trim, duration=duration, updated_by=current_user())
    except ValidationError as exc:
        ss[f"trim_problem_{key}"] = " ".join(exc.problems) + " (not saved)"
    except StarVideosError as exc:
        ss[f"trim_problem_{key}"] = f"{exc.message} {exc.hint}"
    else:
        ss.pop(f"trim_problem_{key}", None)
        return True
    return False
