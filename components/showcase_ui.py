"""Showcase pieces shared by the Gallery, Boards, the task view and shared boards: take cards, star ratings and
comments, and the "Add to board" dialog. User text (prompts, names, comments) is always shown as text."""

from __future__ import annotations

import re

import streamlit as st

from starvideos.errors import StarVideosError
from starvideos.showcase import MAX_COMMENT_CHARS, MAX_NAME_CHARS, Comment, Rating, ShareLink, Showcase, Take

from . import address, registry, runtime
from .identity import visitor
from .players import media_source
from .runtime import Backend, current_user
from .text import label, md_escape, md_inert, plain
from .timing import ago

MAX_SELECTED = 200
_EMAIL = re.compile(r"([^\s@]+)@[^\s@]+")


def viewer(link: ShareLink | None = None) -> tuple[str, str]:
    """Who is rating or commenting: (a stable rater key, the name to show). Signed in: the email. Otherwise this
    browser (its signed visitor cookie), whatever name it types and however often it reloads: one browser is one
    rater of a take, through a link or not."""
    user = current_user()
    if user:
        return user, user
    name = str(st.session_state.get("your_name") or "").strip()
    return f"visitor:{visitor(runtime.backend().signer)}", name


def stars_text(rating: Rating) -> str:
    if not rating.count:
        return "no ratings yet"
    return f"★ {rating.average:.1f} · {rating.count} rater{'s' if rating.count != 1 else ''}"


def take_caption(take: Take) -> str:
    return f"{take.record.ratio} · {take.record.duration} s · {stars_text(take.rating)}"


def poster(backend: Backend, take: Take) -> None:
    """The take's poster from its stored copy; a placeholder until the copy exists (never the video itself)."""
    source = media_source(backend, take.poster_key) if take.poster_key else None
    if source is None:
        with st.container(key=f"poster_missing_{take.record.id}"):
            st.caption(":material/hourglass_top: Saving the take…" if take.copy is None or not take.copy.saved
                       else ":material/image_not_supported: No poster")
        return
    st.image(str(source) if not isinstance(source, str) else source, width="stretch")


def take_card(backend: Backend, take: Take, *, prefix: str, selected: list[int]) -> None:
    """One card: poster, prompt (two lines), ratio · duration · stars, "Select" and "Open"."""
    record = take.record
    with st.container(border=True, key=f"card_{prefix}_{record.id}"):
        poster(backend, take)
        plain(record.prompt, key=f"prompt_{prefix}_{record.id}")
        st.caption(take_caption(take))
        left, right = st.columns(2, vertical_alignment="center")
        with left:
            select_box(record.id, prefix=prefix, selected=selected)
        with right:
            st.page_link(registry.HISTORY.path, label="Open", icon=":material/open_in_new:",
                         query_params=task_query(take))


def task_query(take: Take) -> dict[str, str]:
    record = take.record
    return {"task": record.task_id} if record.task_id else {"record": str(record.id)}


def selection() -> list[int]:
    """The takes selected on this page, kept in the address (?selected=…), so Compare and Back keep them."""
    return address.query_ids("selected", limit=MAX_SELECTED)


def select_box(record_id: int, *, prefix: str, selected: list[int]) -> None:
    """"Select" for one take, drawn from the address and written back to it."""
    key = f"select_{prefix}_{record_id}"
    st.session_state[key] = record_id in selected
    st.checkbox("Select", key=key, on_change=_toggle, args=(record_id, key))


def _toggle(record_id: int, key: str) -> None:
    chosen = [i for i in selection() if i != record_id]
    if st.session_state.get(key):
        chosen.append(record_id)
    address.change({"selected": address.ids_value(chosen[-MAX_SELECTED:])})


def clear_selection() -> None:
    address.change({"selected": None})


def board_scope(link: ShareLink | None) -> int | None:
    """Whose notes and comments of a take someone sees: a share link's holder only those on the link's board (the
    take may be on another board, shared with another client; the team's own are not for them), a member (no link)
    all of them (None)."""
    return link.board_id if link is not None else None


def feedback_panel(backend: Backend, take: Take, *, prefix: str, link: ShareLink | None = None,
                   board_id: int | None = None) -> None:
    """Stars (st.feedback) and comments for one take; a comment posted here is on ``board_id`` (a board's card).
    Through a share link, only the link's board's comments are shown, every rating and comment is checked against
    the link when it is stored, comments are rate-limited per link and marked as such, and the team's e-mail
    addresses are not shown."""
    showcase: Showcase = backend.showcase
    rater, name = viewer(link)
    record_id = take.record.id
    key = f"{prefix}_stars_{record_id}"
    st.feedback("stars", key=key, default=take.rating.mine - 1 if take.rating.mine else None,
                on_change=_rate, args=(showcase, record_id, rater, key, link))
    problem = st.session_state.pop(f"{prefix}_rate_problem_{record_id}", None)
    if problem:
        st.warning(md_escape(problem), icon=":material/link_off:")
    notes = showcase.comments(record_id, board_id=board_scope(link), limit=20)
    # A key keeps the expander open when its label's count changes after a post.
    with st.expander(f"Comments ({len(notes)})", icon=":material/chat:", key=f"{prefix}_comments_{record_id}"):
        for comment in notes:
            st.caption(byline(comment, for_link_holder=link is not None))
            plain(comment.body)  # plain text: never Markdown or HTML
        # Not clear_on_submit: a refused comment (no name, too long, too fast) keeps its words; _post empties the
        # box only once the comment is stored, and the name stays for the next one.
        with st.form(key=f"{prefix}_comment_form_{record_id}", border=False):
            signed_in = current_user() is not None
            st.text_input("Your name", value=name, max_chars=MAX_NAME_CHARS, disabled=signed_in,
                          key=f"{prefix}_name_{record_id}")
            st.text_area("Comment", max_chars=MAX_COMMENT_CHARS, key=f"{prefix}_comment_{record_id}")
            # A callback: the comment is stored before the page is drawn again, so it shows at once.
            st.form_submit_button("Post comment", icon=":material/send:", on_click=_post,
                                  args=(backend, record_id, prefix, name if signed_in else None, link, board_id))
        problem = st.session_state.pop(f"{prefix}_comment_problem_{record_id}", None)
        if problem:
            st.warning(md_escape(problem), icon=":material/edit:")


def byline(comment: Comment, *, for_link_holder: bool) -> str:
    """Who wrote a comment and when, as Markdown. A comment through a share link says so."""
    name = author(comment.author, typed=typed_by_link_holder(comment.share_link_id, comment.created_by),
                  for_link_holder=for_link_holder)
    if comment.share_link_id is not None:
        return f"{name} · :gray-badge[via share link] · {ago(comment.created_at)}"
    return f"{name} · {ago(comment.created_at)}"


def author(name: str, *, typed: bool, for_link_holder: bool) -> str:
    """Who wrote a comment or a note, or made a decision, as inert Markdown. A name ``typed`` through a share link
    is shown as typed; a team member's is their e-mail address when signed in, and someone holding a link sees only
    the part before the @: the team's addresses stay with the team."""
    if for_link_holder and not typed:
        name = _EMAIL.sub(lambda m: m.group(1), name)
    return md_inert(name)


def typed_by_link_holder(share_link_id: int | None, created_by: str | None) -> bool:
    """Whether a name was typed through a share link. A signed-in member who opens one stores their e-mail address
    (``created_by``) as the name: that is still a member's name, not a link holder's."""
    return share_link_id is not None and created_by is None


def _rate(showcase: Showcase, record_id: int, rater: str, key: str, link: ShareLink | None) -> None:
    value = st.session_state.get(key)
    if value is None:
        return
    try:
        showcase.rate(record_id, rater, int(value) + 1, share_link_id=link.id if link else None,
                      limiter=showcase.rating_limiter(link.id) if link else None)
    except StarVideosError as exc:
        st.session_state[key.replace("_stars_", "_rate_problem_")] = f"{exc.message} {exc.hint}"


def _post(backend: Backend, record_id: int, prefix: str, signed_name: str | None, link: ShareLink | None,
          board_id: int | None) -> None:
    ss = st.session_state
    showcase: Showcase = backend.showcase
    name = signed_name or str(ss.get(f"{prefix}_name_{record_id}") or "")
    body = str(ss.get(f"{prefix}_comment_{record_id}") or "")
    if name.strip() and not signed_name:
        ss.your_name = name.strip()
    limiter = showcase.comment_limiter(link.id) if link else None
    try:
        showcase.comment(record_id, name, body, created_by=current_user(), board_id=board_id,
                         share_link_id=link.id if link else None, limiter=limiter)
    except StarVideosError as exc:
        ss[f"{prefix}_comment_problem_{record_id}"] = f"{exc.message} {exc.hint}"
        return
    ss[f"{prefix}_comment_{record_id}"] = ""


def open_add_to_board(record_ids: list[int]) -> None:
    """Ask for the dialog; it stays open across reruns until a board is chosen or it is dismissed."""
    st.session_state.add_to_board_ids = list(record_ids)


def add_to_board_dialog(backend: Backend) -> None:
    """Draw the dialog when it was asked for (call once on a page that offers "Add to board")."""
    ids = st.session_state.get("add_to_board_ids")
    if ids:
        add_to_board(backend, ids)


def _close_add_to_board() -> None:
    st.session_state.pop("add_to_board_ids", None)


@st.dialog("Add to board", icon=":material/dashboard:", on_dismiss=_close_add_to_board)
def add_to_board(backend: Backend, record_ids: list[int]) -> None:
    """Pick an existing board or type a new name; the takes go to its end."""
    showcase: Showcase = backend.showcase
    names = [b.name for b in showcase.boards()]
    st.caption(f"{len(record_ids)} take{'s' if len(record_ids) != 1 else ''} selected.")
    name = st.selectbox("Board name", names, index=None, accept_new_options=True, key="board_name_choice",
                        placeholder="Type a new name or pick a board")
    if st.button("Add", type="primary", key="add_to_board_confirm"):
        try:
            board = showcase.board_named(name or "", created_by=current_user())
            added = showcase.add(board.id, record_ids, added_by=current_user())
        except StarVideosError as exc:
            st.error(f"{md_inert(exc.message)} {md_escape(exc.hint)}")
            return
        st.session_state.board_notice = (board.id, board.name, added)
        _close_add_to_board()
        st.rerun()


def board_notice() -> None:
    notice = st.session_state.pop("board_notice", None)
    if notice:
        board_id, name, added = notice
        st.success(f"Added {added} take{'s' if added != 1 else ''} to “{md_inert(name)}”.",
                   icon=":material/dashboard:")
        st.page_link(registry.BOARDS.path, label=f"Open “{label(name, 60)}”", icon=":material/open_in_new:",
                     query_params={"board": str(board_id)})


