"""Deciding on a board's takes: each take's approval state (Approved, Needs changes, Rejected) with who set it,
the board's progress ("3 of 8 approved"), a filter by state kept in the address, and what a share link allows.
People's names are shown as text, never as Markdown."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from starvideos.errors import StarVideosError
from starvideos.review import (
    APPROVED,
    CHANGES,
    MAX_VOTE_TAKES,
    MIN_VOTE_TAKES,
    REJECTED,
    STATES,
    Approval,
    LinkRights,
    Progress,
    Review,
    vote_letter,
)
from starvideos.showcase import Board, ShareLink, Take

from . import address
from .labels import BadgeColor
from .players import video_source
from .runtime import Backend, current_user
from .showcase_ui import author, typed_by_link_holder, viewer
from .text import md_escape, plain
from .timing import ago

UNDECIDED = "undecided"
FILTERS = {"all": "All", APPROVED: "Approved", CHANGES: "Needs changes", REJECTED: "Rejected",
           UNDECIDED: "Undecided"}
ICONS = {APPROVED: ":material/check_circle:", CHANGES: ":material/edit_note:", REJECTED: ":material/block:"}
COLORS: dict[str, BadgeColor] = {APPROVED: "green", CHANGES: "orange", REJECTED: "red"}


def member_name() -> str:
    """Who a member's decision is attributed to: the signed-in email, else the name they typed, else "Team"."""
    return current_user() or str(st.session_state.get("your_name") or "").strip() or "Team"


def board_progress(takes: Sequence[Take], states: dict[int, Approval]) -> Progress:
    """Counted from what the page already read (no second query)."""
    counts: dict[str, int] = {}
    for take in takes:
        state = states.get(take.record.id)
        if state is not None:
            counts[state.state] = counts.get(state.state, 0) + 1
    return Progress(len(takes), counts)


def progress_bar(progress: Progress) -> None:
    """ "3 of 8 approved", with how many need changes, are rejected or are undecided."""
    with st.container(key="approval_progress"):
        st.progress(progress.approved / progress.total if progress.total else 0.0, text=progress.text)
        parts = [f"{progress.counts.get(state, 0)} {STATES[state].lower()}" for state in (CHANGES, REJECTED)]
        st.caption(" · ".join([*parts, f"{progress.undecided} undecided"]))


def state_filter() -> str:
    """The filter chosen ("all" or a state), kept in the address so a reload or a pasted link keeps it."""
    chosen = (address.query_choices("state", FILTERS) or ["all"])[0]
    address.show("approval_filter", chosen)
    st.segmented_control("Show", list(FILTERS), format_func=FILTERS.__getitem__, key="approval_filter",
                         on_change=_remember_filter)
    return chosen


def _remember_filter() -> None:
    chosen = st.session_state.get("approval_filter") or "all"
    address.change({"state": None if chosen == "all" else chosen})


def shown(takes: Sequence[Take], states: dict[int, Approval], chosen: str) -> list[Take]:
    if chosen == "all":
        return list(takes)
    if chosen == UNDECIDED:
        return [t for t in takes if t.record.id not in states]
    return [t for t in takes if (s := states.get(t.record.id)) is not None and s.state == chosen]


def approval_control(backend: Backend, board: Board, record_id: int, state: Approval | None) -> None:
    """A member's Approved / Needs changes / Rejected for one take (pressing the chosen one again clears it), and
    who set the current state."""
    key = f"approval_{board.id}_{record_id}"
    # Drawn from the database on every run, so a decision made in another browser shows here on the next run.
    st.session_state[key] = state.state if state is not None else None
    st.segmented_control("Decision", list(STATES), format_func=STATES.__getitem__, key=key,
                         label_visibility="collapsed", on_change=_decide, args=(backend.review, board.id, record_id,
                                                                               key))
    if state is not None:
        st.badge(state.label, icon=ICONS[state.state], color=COLORS[state.state])
        st.caption(f"by {who(state, for_link_holder=False)} · {ago(state.at)}")
    problem = st.session_state.pop(f"{key}_problem", None)
    if problem:
        st.warning(md_escape(problem), icon=":material/error:")


def who(state: Approval, *, for_link_holder: bool) -> str:
    """Who set a take's state, as inert Markdown (a member's address is cut to its name for a link holder)."""
    return author(state.set_by, typed=typed_by_link_holder(state.share_link_id, state.created_by),
                  for_link_holder=for_link_holder) + (" (via share link)" if state.share_link_id is not None else "")


def _decide(review: Review, board_id: int, record_id: int, key: str) -> None:
    try:
        review.set_state(board_id, record_id, st.session_state.get(key), by=member_name(),
                         created_by=current_user())
    except StarVideosError as exc:
        st.session_state[f"{key}_problem"] = f"{exc.message} {exc.hint}".strip()



def link_decision(backend: Backend, board: Board, record_id: int, state: Approval | None, link: ShareLink,
                  rights: LinkRights) -> None:
    """What a link holder sees of a take's state, and "Request changes" when the link allows it."""
    if state is not None:
        st.badge(state.label, icon=ICONS[state.state], color=COLORS[state.state])
        st.caption(f"by {who(state, for_link_holder=True)} · {ago(state.at)}")
    if rights.requests and (state is None or state.state != CHANGES):
        st.button("Request changes", key=f"request_changes_{record_id}", icon=":material/edit_note:",
                  on_click=_request, args=(backend.review, board.id, record_id, link))
    problem = st.session_state.pop(f"request_changes_{record_id}_problem", None)
    if problem:
        st.warning(md_escape(problem), icon=":material/link_off:")


def _request(review: Review, board_id: int, record_id: int, link: ShareLink) -> None:
    name = str(st.session_state.get("your_name") or "").strip() or "Link holder"
    try:
        review.set_state(board_id, record_id, CHANGES, by=name, link_id=link.id)
    except StarVideosError as exc:
        st.session_state[f"request_changes_{record_id}_problem"] = f"{exc.message} {exc.hint}".strip()


def wins_tables(backend: Backend) -> None:
    """Revealed blind votes' winners by preset and by model: the team's defaults can follow what people chose."""
    wins = backend.review.wins()
    st.subheader("Blind votes: wins by preset")
    if not wins["preset"]:
        st.caption("No revealed blind votes yet. Start one from a board: select two to four takes, “Blind vote”.")
        return
    for kind, title in (("preset", "Preset"), ("model", "Model")):
        st.dataframe([{title: w.name, "Votes entered": w.entered, "Wins": w.wins, "Win rate": f"{w.rate:.0%}"}
                      for w in wins[kind]], hide_index=True, width="stretch", key=f"usage_wins_{kind}")


def start_vote_button(backend: Backend, board: Board, selected: list[int]) -> None:
    """"Blind vote (n)" for the selected takes (two to four)."""
    if st.button(f"Blind vote ({len(selected)})", key="blind_vote_start", icon=":material/how_to_vote:",
                 disabled=not MIN_VOTE_TAKES <= len(selected) <= MAX_VOTE_TAKES,
                 help="Select two to four takes: everyone picks one without seeing prompts, settings or names."):
        try:
            backend.review.start_vote(board.id, selected, created_by=current_user())
        except StarVideosError as exc:
            st.error(f"{md_escape(exc.message)} {md_escape(exc.hint)}")


def blind_vote(backend: Backend, board: Board, takes: Sequence[Take], *, member: bool,
               link: ShareLink | None = None) -> None:
    """The board's newest blind vote: the takes as A, B, C, D in this viewer's own order, with nothing that tells
    them apart but the video; one pick per person (a browser through a link); the tally only after Reveal."""
    votes = backend.review.votes(board.id, limit=1)
    if not votes:
        return
    vote = votes[0]
    by_id = {t.record.id: t for t in takes}
    voter = viewer(link)[0]
    order = [rid for rid in vote.order_for(voter) if rid in by_id]
    with st.container(border=True, key="blind_vote"):
        st.subheader("Blind vote" + (" · revealed" if vote.revealed else ""))
        if vote.revealed:
            _tally(backend, vote.id, order, by_id)
            return
        mine = backend.review.ballot(vote.id, voter)
        _open_vote_caption(backend.review, vote.id, vote.ballots)
        columns = st.columns(len(order))
        for position, (column, rid) in enumerate(zip(columns, order, strict=True)):
            with column:
                letter = vote_letter(position)
                st.markdown(f"**Take {letter}**")
                source = video_source(backend, by_id[rid].record, by_id[rid].copy, for_link_holder=link is not None)
                if source is not None:
                    st.video(str(source), muted=True)
                if mine is None:
                    st.button(f"Pick {letter}", key=f"blind_pick_{vote.id}_{letter}", icon=":material/how_to_vote:",
                              on_click=_cast, args=(backend.review, vote.id, voter, rid, link))
                elif mine == rid:
                    st.badge("Your pick", icon=":material/check:", color="violet")
        problem = st.session_state.pop("blind_vote_problem", None)
        if problem:
            st.warning(md_escape(problem), icon=":material/error:")
        if member:
            st.button("Reveal", key=f"blind_reveal_{vote.id}", icon=":material/visibility:", type="primary",
                      on_click=backend.review.reveal, args=(vote.id,), kwargs={"by": current_user()})


VOTE_REFRESH = 3.0
"""Seconds between looks at an open vote: its count of votes, and whether it was revealed in another browser."""


def _open_vote_caption(review: Review, vote_id: int, ballots: int) -> None:
    """ "… · 2 votes so far", kept current while the vote is open: an owner waiting to press Reveal sees the
    votes arrive, and a voter's page shows the tally once the owner reveals it."""

    @st.fragment(run_every=VOTE_REFRESH)
    def live() -> None:
        vote = review.vote(vote_id)
        if vote is None or vote.revealed:
            st.rerun()  # revealed (or gone): the whole board redraws with the tally, and this timer stops
        count = vote.ballots if vote is not None else ballots
        st.caption(f"Which take works best? Prompts, settings and names are hidden until Reveal · "
                   f"{count} vote{'s' if count != 1 else ''} so far")

    live()


def _cast(review: Review, vote_id: int, voter: str, record_id: int, link: ShareLink | None) -> None:
    try:
        if not review.cast(vote_id, voter, record_id, link_id=link.id if link else None):
            st.session_state.blind_vote_problem = "You have voted in this one already: one vote each."
    except StarVideosError as exc:
        st.session_state.blind_vote_problem = f"{exc.message} {exc.hint}".strip()


def _tally(backend: Backend, vote_id: int, order: list[int], by_id: dict[int, Take]) -> None:
    tally = backend.review.tally(vote_id)
    winners = set(tally.winners)
    for position, rid in enumerate(order):
        n = tally.counts.get(rid, 0)
        with st.container(key=f"blind_result_{vote_id}_{rid}"):
            head = f"**Take {vote_letter(position)}** · {n} vote{'s' if n != 1 else ''}"
            st.markdown(head + (" · :violet-badge[:material/trophy: Winner]" if rid in winners else ""))
            plain(by_id[rid].record.prompt)
