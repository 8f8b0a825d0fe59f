"""Notes at a moment, for one take: the moment player with a marker per note, "Note at 0:03.2" (pins what is
typed in "Note" to the moment on screen), and the notes by time, each with the picture of its frame; pressing a
note's time seeks the player there. Members resolve and reopen notes; link holders add them when the link allows.
Note text and names are shown as text, never as Markdown."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from starvideos.errors import StarVideosError
from starvideos.history import HistoryRecord
from starvideos.review import FRAME_PENDING, MAX_NOTE_CHARS, Note, NoteCount, Review
from starvideos.showcase import MAX_NAME_CHARS, ShareLink

from . import address, registry
from .changes_ui import what_changed
from .create_form import reuse_settings
from .moment_player import NOTE_AT, MomentAction, moment_player, pressed, seek_to
from .players import media_source, use_picture, video_source
from .runtime import Backend, current_user
from .showcase_ui import author, board_scope, typed_by_link_holder
from .text import md_escape
from .timing import ago


def notes_panel(backend: Backend, record: HistoryRecord, *, prefix: str, board_id: int | None = None,
                link: ShareLink | None = None, can_add: bool = True, tools: Mapping[str, str] | None = None,
                on_tool: Callable[[MomentAction], None] | None = None, beside: bool = False) -> None:
    """The player and the take's notes. Through a share link only the link's board's notes and what the link
    allows; members see every note of the take and resolve.
    ``tools``: more buttons on the same player (a board's "Set in" / "Set out"), handled by ``on_tool``.
    ``beside``: the notes to the right of the player, not under it (a board's card: a player the card's whole width
    would push its own buttons below a laptop's screen)."""
    notes = backend.review.notes(record.id, board_id=board_scope(link))
    source = video_source(backend, record, backend.media.get(record.id), for_link_holder=link is not None)
    player_area, notes_area = st.columns([3, 2]) if beside else (st.container(), st.container())
    if source is None:
        with player_area:
            st.caption(":material/hourglass_top: The player opens once the app has its copy of the take.")
    else:
        with notes_area if beside else player_area:
            if can_add:
                note_inputs(prefix, record.id)
        with player_area:
            note_player(backend, record, notes, str(source), prefix=prefix, board_id=board_id, link=link,
                        can_add=can_add, tools=tools, on_tool=on_tool,
                        reveal=bool(st.session_state.pop(_opened_key(prefix, record.id), False)))
    with player_area:
        note_problem(prefix, record.id)
    with notes_area:
        notes_list(backend, notes, prefix=prefix, member=link is None, link=link)


def note_player(backend: Backend, record: HistoryRecord, notes: list[Note], source: str, *, prefix: str,
                board_id: int | None, link: ShareLink | None, can_add: bool,
                tools: Mapping[str, str] | None = None, on_tool: Callable[[MomentAction], None] | None = None,
                stage: bool = False, reveal: bool = False) -> None:
    """The moment player of one take: a marker per note, "Note at …" when notes may be added, and ``tools``."""
    actions = {**(NOTE_AT if can_add else {}), **(tools or {})}
    moment_player(source, key=player_key(prefix, record.id), take=record.id, markers=[n.at for n in notes],
                  actions=actions, on_action=_on_press, args=(backend, record.id, prefix, board_id, link, on_tool),
                  stage=stage, reveal=reveal)


def player_key(prefix: str, record_id: int) -> str:
    return f"{prefix}_player_{record_id}"


def note_inputs(prefix: str, record_id: int) -> None:
    if current_user() is None:
        key = f"{prefix}_note_name_{record_id}"
        st.session_state.setdefault(key, str(st.session_state.get("your_name") or ""))
        st.text_input("Your name", max_chars=MAX_NAME_CHARS, key=key)
    st.text_input("Note", max_chars=MAX_NOTE_CHARS, key=f"{prefix}_notetext_{record_id}",
                  placeholder="Pause where you mean, write what should change, press “Note at …”")


def note_problem(prefix: str, record_id: int) -> None:
    """Why the last note was not pinned (shown once)."""
    problem = st.session_state.pop(f"{prefix}_note_problem_{record_id}", None)
    if problem:
        st.warning(md_escape(problem), icon=":material/edit:")


def _on_press(backend: Backend, record_id: int, prefix: str, board_id: int | None, link: ShareLink | None,
              on_tool: Callable[[MomentAction], None] | None) -> None:
    press = pressed(player_key(prefix, record_id))
    if press is None:
        return
    if press.action == "pin":
        _pin(backend, record_id, press.at, prefix, board_id, link)
    elif on_tool is not None:
        on_tool(press)


def _pin(backend: Backend, record_id: int, at: float, prefix: str, board_id: int | None,
         link: ShareLink | None) -> None:
    ss = st.session_state
    name = current_user() or str(ss.get(f"{prefix}_note_name_{record_id}") or "")
    if name.strip() and not current_user():
        ss.your_name = name.strip()
    review: Review = backend.review
    try:
        note = review.pin(record_id, at, str(ss.get(f"{prefix}_notetext_{record_id}") or ""), author=name,
                          created_by=current_user(), board_id=board_id, link_id=link.id if link else None,
                          limiter=review.note_limiter(link.id) if link else None)
    except StarVideosError as exc:
        ss[f"{prefix}_note_problem_{record_id}"] = f"{exc.message} {exc.hint}".strip()
        return
    ss[f"{prefix}_notetext_{record_id}"] = ""
    backend.note_frames.wake()  # it makes the picture while this run draws the page above the note
    ss[_pinned_key(prefix, record_id)] = note.id


def _pinned_key(prefix: str, record_id: int) -> str:
    return f"{prefix}_pinned_{record_id}"


def _made_meanwhile(backend: Backend, note: Note, prefix: str) -> Note:
    """The note pinned in this run, once its picture is made (``NoteFrames.picture`` waits a moment for it), so it
    is drawn with its picture rather than as "Picture…" until its cell asks again; any other note as it is."""
    key = _pinned_key(prefix, note.record_id)
    if st.session_state.get(key) != note.id:
        return note
    del st.session_state[key]
    return (backend.note_frames.picture(note.id) or note) if note.frame_state == FRAME_PENDING else note


def notes_list(backend: Backend, notes: list[Note], *, prefix: str, member: bool,
               link: ShareLink | None = None) -> None:
    """The notes by time, each with the picture of its frame; a note's time moves every player of its take.
    ``member``: with the tools to resolve and retake; ``link``: seen through that share link."""
    if not notes:
        st.caption("No notes yet.")
        return
    threads = backend.review.threads([n.id for n in notes])
    with st.container(key=f"{prefix}_notes_{notes[0].record_id}"):
        for note in notes:
            _note_row(backend, note, prefix=prefix, member=member, for_link_holder=link is not None)
            if threads.get(note.id):
                _thread(backend, note, threads[note.id], prefix=prefix, member=member, link=link)


def _thread(backend: Backend, note: Note, retake_ids: list[int], *, prefix: str, member: bool,
            link: ShareLink | None) -> None:
    """The retakes made from a note, under it: each one's status, and what changed from the take it answers (with
    what each cost, for members). Through a share link, only the retakes on its board (a link opens that board's
    takes, no other), and no link to the task's page (members only: it leads off the board)."""
    original = backend.store.get(note.record_id)
    retakes = [r for r in filter(None, (backend.store.get(rid) for rid in retake_ids))
               if link is None or link.board_id in {b.id for b in backend.showcase.boards_of(r.id)}]
    if not retakes:
        return
    with st.container(key=f"{prefix}_thread_{note.id}"):
        for retake in retakes:
            label = f"Retake · {retake.status.replace('_', ' ')}"
            if link is None:
                query = {"task": retake.task_id} if retake.task_id else {"record": str(retake.id)}
                st.page_link(registry.HISTORY.path, label=label, icon=":material/subdirectory_arrow_right:",
                             query_params=query)
            else:
                st.markdown(f":material/subdirectory_arrow_right: {label}")
            if original is not None:
                what_changed(backend, original, retake, spend=member)


def _note_row(backend: Backend, note: Note, *, prefix: str, member: bool, for_link_holder: bool) -> None:
    note = _made_meanwhile(backend, note, prefix)
    with st.container(border=True, key=f"{prefix}_noterow_{note.id}"):
        picture, words = st.columns([1, 3], vertical_alignment="top")
        with picture:
            if note.frame_state == FRAME_PENDING:
                _picture_when_made(backend, note.id)
            else:
                _picture(backend, note)
        with words:
            st.button(note.timecode, key=f"{prefix}_seek_{note.id}", icon=":material/play_arrow:", type="tertiary",
                      help="Show this moment in the player", on_click=seek_to, args=(note.record_id, note.at))
            st.caption(note_byline(note, for_link_holder=for_link_holder))
            st.text(note.body)  # plain text: never Markdown or HTML
            if member:
                _member_tools(backend, note, prefix)


@st.fragment(run_every=1.0)
def _picture_when_made(backend: Backend, note_id: int) -> None:
    """Only this cell asks again, once a second, until the picture is made (the rest of the page stays put)."""
    note = backend.review.note(note_id)
    if note is not None:
        _picture(backend, note)


def _picture(backend: Backend, note: Note) -> None:
    source = media_source(backend, note.thumb_key) if note.thumb_key else None
    if source is not None:
        st.image(source, width="stretch")
    else:
        st.caption(":material/hourglass_top: Picture…" if note.frame_state == FRAME_PENDING
                   else ":material/image_not_supported: No picture")


def note_byline(note: Note, *, for_link_holder: bool) -> str:
    """Who wrote a note (as a link holder may see it), whether through a link, when, and whether it is resolved."""
    name = author(note.author, typed=typed_by_link_holder(note.share_link_id, note.created_by),
                  for_link_holder=for_link_holder)
    return (f"**{name}**" + (" · via share link" if note.share_link_id else "") + f" · {ago(note.created_at)}"
            + (" · resolved" if note.resolved else ""))


def _member_tools(backend: Backend, note: Note, prefix: str) -> None:
    review: Review = backend.review
    retake, frame = st.columns(2)
    with retake:
        if st.button("Retake from here", key=f"{prefix}_retake_{note.id}", icon=":material/replay:",
                     help="Open Create with this take's settings and the note added to the prompt."):
            _open_retake(backend, note, with_frame=False)
    with frame:
        if note.frame_key and backend.uploads_possible and st.button(
                "Retake from this frame", key=f"{prefix}_retake_frame_{note.id}", icon=":material/image:",
                help="The same, starting from the frame at the note's moment (image to video)."):
            _open_retake(backend, note, with_frame=True)
    if note.resolved:
        st.button("Reopen", key=f"{prefix}_reopen_{note.id}", icon=":material/undo:", on_click=review.reopen,
                  args=(note.id,))
    else:
        st.button("Resolve", key=f"{prefix}_resolve_{note.id}", icon=":material/check:", on_click=review.resolve,
                  args=(note.id, current_user() or "Team"))


def notes_toggle(record_id: int, count: NoteCount | None, *, prefix: str, open_notes_open: bool = True,
                 label: str = "Notes at a moment") -> bool:
    """"Notes at a moment": on, the take plays in the moment player with its notes. With ``open_notes_open`` it
    starts on when the take has open notes (a board keeps it off: fifty players at once would crawl; the label says
    how many notes wait). Returns whether it is on."""
    count = count or NoteCount()
    key = _notes_key(prefix, record_id)
    st.session_state.setdefault(key, open_notes_open and count.open > 0)
    return st.toggle(counted(label, count), key=key, on_change=_opened, args=(prefix, record_id))


def _opened(prefix: str, record_id: int) -> None:
    """Switched on by a person: the player it opens comes into view (once: not on every later run)."""
    if st.session_state.get(_notes_key(prefix, record_id)):
        st.session_state[_opened_key(prefix, record_id)] = True


def _opened_key(prefix: str, record_id: int) -> str:
    return f"{_notes_key(prefix, record_id)}_opened"


def notes_open(record_id: int, *, prefix: str) -> bool:
    """Whether the take's "Notes at a moment" switch is on in this run (asked before the switch is drawn)."""
    return bool(st.session_state.get(_notes_key(prefix, record_id)))


def _notes_key(prefix: str, record_id: int) -> str:
    return f"{prefix}_notes_on_{record_id}"


def counted(label: str, count: NoteCount | None) -> str:
    """``label`` with how many notes are open and resolved, when there are any."""
    count = count or NoteCount()
    if count.open or count.resolved:
        label += f" ({count.open} open" + (f", {count.resolved} resolved)" if count.resolved else ")")
    return label


def _open_retake(backend: Backend, note: Note, *, with_frame: bool) -> None:
    """Fill Create the way "Reuse settings" and "Continue from last frame" do, plus the note: its words after the
    prompt (to edit) and the link the new take is recorded with."""
    record = backend.store.get(note.record_id)
    if record is None:
        st.error("The take of this note was removed from history.")
        return
    reuse_settings(record, backend.upload_link)
    if with_frame and note.frame_key:
        link = use_picture(backend, note.frame_key, f"frame at {note.timecode} of {record.task_id or record.id}.jpg",
                           "Retake from this frame")
        if not link.startswith(("http://", "https://")):
            st.error(md_escape(link))
            return
    st.session_state.form_prompt = retake_prompt(record.prompt, note.body)
    st.session_state.form_note = (note.id, note.timecode, note.body)
    st.session_state.pop("variants_on", None)  # one note, one retake
    address.switch_page_keeping_back(registry.CREATE.path)


def retake_prompt(prompt: str, note: str) -> str:
    """The take's prompt with the note's words after it, as a sentence of their own."""
    prompt, note = prompt.rstrip(), " ".join(note.split())
    if not prompt:
        return note
    return f"{prompt}{'' if prompt.endswith(('.', '!', '?')) else '.'} {note}"
