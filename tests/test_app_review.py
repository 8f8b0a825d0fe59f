"""AppTest: deciding on a board's takes (approval states, who set them, progress, the filter by state)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import ButtonGroup

from components import runtime
from components.text import md_inert
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from starvideos.review import APPROVED, CHANGES, REJECTED, Note
from starvideos.schema import tasks
from starvideos.showcase import Board
from tests.apptest_support import new_app, plain, served_key, texts
from tests.player_support import players, press
from tests.test_app_showcase import page, takes


def group(at: AppTest, key: str) -> ButtonGroup:
    return next(g for g in at.button_group if g.key == key)


def progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def card_ids(at: AppTest, prefix: str = "card_board_") -> list[int]:
    return [int(c.key.removeprefix(prefix)) for c in at.get("flex_container")
            if (c.key or "").startswith(prefix)]


def test_members_approve_reject_and_filter_a_board(app_env: Path) -> None:
    """Test that a member sets Approved, Needs changes or Rejected per take (stored with who), the board shows
    "n of N approved" and who set each state, the filter by state shows only those takes and is kept in the
    address, and pressing the chosen state again clears it."""
    at = page("pages/boards.py")
    a, b, c = takes(3)
    backend = runtime.backend()
    board = backend.showcase.board_named("Client <review>")
    backend.showcase.add(board.id, [a, b, c])
    at.session_state["your_name"] = "Dana *the* producer"
    at = page("pages/boards.py", at, board=str(board.id))
    assert progress_text(at) == "0 of 3 approved"
    group(at, f"approval_{board.id}_{a}").set_value(APPROVED).run()
    group(at, f"approval_{board.id}_{b}").set_value(REJECTED).run()
    group(at, f"approval_{board.id}_{c}").set_value(CHANGES).run()
    states = backend.review.approvals(board.id)
    assert {r: (s.state, s.set_by) for r, s in states.items()} == {
        a: (APPROVED, "Dana *the* producer"), b: (REJECTED, "Dana *the* producer"),
        c: (CHANGES, "Dana *the* producer")}
    assert progress_text(at) == "1 of 3 approved"
    assert "1 needs changes · 1 rejected · 0 undecided" in [x.value for x in at.caption]
    assert [plain(x.value) for x in at.caption].count("by Dana *the* producer · just now") == 3
    assert group(at, f"approval_{board.id}_{a}").value == APPROVED
    group(at, "approval_filter").set_value(REJECTED).run()
    assert card_ids(at) == [b] and at.query_params["state"] == REJECTED
    group(at, "approval_filter").set_value("all").run()
    assert card_ids(at) == [a, b, c] and "state" not in at.query_params
    group(at, f"approval_{board.id}_{a}").set_value(None).run()
    assert a not in backend.review.approvals(board.id) and progress_text(at) == "0 of 3 approved"
    assert [d.state for d in backend.review.decisions(board.id, a)] == ["cleared", APPROVED]
    at = page("pages/boards.py", at, board=str(board.id), state="undecided")  # a pasted link keeps the filter
    assert card_ids(at) == [a] and group(at, "approval_filter").value == "undecided"


def test_a_decision_made_elsewhere_shows_on_the_next_run(app_env: Path) -> None:
    """Test that the control shows the stored state, not what this browser last chose."""
    at = page("pages/boards.py")
    [a] = takes(1)
    backend = runtime.backend()
    board = backend.showcase.board_named("Round 1")
    backend.showcase.add(board.id, [a])
    at = page("pages/boards.py", at, board=str(board.id))
    group(at, f"approval_{board.id}_{a}").set_value(APPROVED).run()
    backend.review.set_state(board.id, a, REJECTED, by="Eli")
    at.run()
    assert group(at, f"approval_{board.id}_{a}").value == REJECTED
    assert "by Eli · just now" in [plain(x.value) for x in at.caption]


def test_a_link_may_request_changes_only_when_it_allows_it(app_env: Path) -> None:
    """Test that a share link made with "Allow “Request changes”" shows link holders the take's state and a
    "Request changes" button that stores Needs changes through the link (shown to members as via the link), and
    that a link made without it offers no such button."""
    at = page("pages/boards.py")
    a, b = takes(2)
    backend = runtime.backend()
    board = backend.showcase.board_named("Client")
    backend.showcase.add(board.id, [a, b])
    backend.review.set_state(board.id, b, APPROVED, by="Ann")
    at = page("pages/boards.py", at, board=str(board.id))
    at.checkbox(key="share_allow_requests").check()
    at.button(key="share_create").click().run()
    asking = next(c.value for c in at.code if "token=" in c.value).split("token=", 1)[1]
    at.checkbox(key="share_allow_requests").uncheck()
    at.button(key="share_create").click().run()
    watching = next(c.value for c in at.code if "token=" in c.value).split("token=", 1)[1]
    assert [backend.review.rights(link.id).requests for link in backend.showcase.links(board.id)] == [False, True]

    stranger = page("pages/shared.py", new_app().run(), token=watching)
    assert not [x for x in stranger.button if (x.key or "").startswith("request_changes_")]
    stranger = page("pages/shared.py", stranger, token=asking)
    assert [x.key for x in stranger.button if (x.key or "").startswith("request_changes_")] == [
        f"request_changes_{a}", f"request_changes_{b}"]
    assert "by Ann · just now" in [plain(x.value) for x in stranger.caption]
    stranger.session_state["your_name"] = "Carla"
    stranger.button(key=f"request_changes_{a}").click().run()
    state = backend.review.approvals(board.id)[a]
    assert (state.state, state.set_by, state.share_link_id) == (CHANGES, "Carla",
                                                                 backend.showcase.links(board.id)[1].id)
    assert f"request_changes_{a}" not in [x.key for x in stranger.button]
    at = page("pages/boards.py", at, board=str(board.id))
    assert "by Carla (via share link) · just now" in [plain(x.value) for x in at.caption]


def test_notes_at_a_moment_on_the_task_view(app_env: Path) -> None:
    """Test the task view of a take with notes: the moment player replaces the plain video, the notes are listed
    by time with their authors, text (never markup) and frame pictures, pressing a note's time asks the player to
    seek there, and a member resolves and reopens a note."""
    at = page("pages/boards.py")
    [rid] = takes(1)
    backend = runtime.backend()
    review = backend.review
    late = review.pin(rid, 3.25, "<b>Slower</b> **here**", author="Carla")
    early = review.pin(rid, 0.5, "Too dark", author="Ann")
    backend.note_frames.wake()
    assert review.wait_frame(late.id, 20).frame_state == "saved" and review.wait_frame(early.id, 20)
    task_id = backend.store.get(rid).task_id
    at = page("pages/history.py", at, task=task_id)
    assert at.get("video") == [] and at.toggle(key=f"task_notes_on_{rid}").value is True
    assert at.toggle(key=f"task_notes_on_{rid}").label == "Notes at a moment (2 open)"
    assert [b.label for b in at.button if (b.key or "").startswith("task_seek_")] == ["0:00.5", "0:03.2"]
    assert [t.value for t in at.text if t.value in ("Too dark", "<b>Slower</b> **here**")] == [
        "Too dark", "<b>Slower</b> **here**"]
    assert [served_key(i.proto.imgs[0].url) for i in at.get("image")] == [f"notes/{early.id}/thumb.jpg",
                                                                          f"notes/{late.id}/thumb.jpg"]
    at.button(key=f"task_seek_{late.id}").click().run()
    assert players(at)[f"task_player_{rid}"]["seek"] == {"to": 3.25, "n": 1}
    at.button(key=f"task_resolve_{early.id}").click().run()
    assert review.note(early.id).resolved and review.note(early.id).resolved_by == "Team"
    at.button(key=f"task_reopen_{early.id}").click().run()
    assert not review.note(early.id).resolved
    at.toggle(key=f"task_notes_on_{rid}").set_value(False).run()
    assert len(at.get("video")) == 1


def test_link_holders_see_notes_and_add_them_only_when_allowed(app_env: Path) -> None:
    """Test the shared board: a take's notes are listed for link holders without member tools, with the note
    field when the link allows notes and without it when it does not."""
    page("pages/boards.py")  # the app is up: its workers save the take
    [rid] = takes(1)
    backend = runtime.backend()
    board = backend.showcase.board_named("Client")
    backend.showcase.add(board.id, [rid])
    backend.review.pin(rid, 1.0, "Logo too small", author="Ann", board_id=board.id)
    token, link = backend.showcase.share(board.id)
    stranger = page("pages/shared.py", new_app().run(), token=token)
    notes_on = stranger.toggle(key=f"shared_notes_on_{rid}")
    assert (notes_on.value, notes_on.label) == (False, "Notes at a moment (1 open)")  # a board: off, counted
    assert "Logo too small" not in [t.value for t in stranger.text]
    notes_on.set_value(True).run()
    assert "Logo too small" in [t.value for t in stranger.text]
    assert [x.label for x in stranger.text_input][-2:] == ["Your name", "Note"]  # after the comment form's
    assert not [b for b in stranger.button if (b.key or "").startswith(("shared_resolve_", "shared_reopen_"))]
    backend.review.set_rights(link.id, notes_allowed=False, requests_allowed=False)
    stranger = page("pages/shared.py", stranger, token=token)
    assert "Logo too small" in [t.value for t in stranger.text] and "Note" not in [
        x.label for x in stranger.text_input]


def test_retake_from_a_note_joins_its_thread_and_approving_it_resolves_the_note(app_env: Path) -> None:
    """Test "Retake from here": Create opens with the take's settings and the note's words after the prompt (to
    edit) and says which note it answers; the take it makes is linked to the note, sits on the board right after
    the original, shows under the note with what changed, and approving it on the board resolves the note."""
    at = page("pages/boards.py")
    first, original = takes(2, "A red fox runs through snow")
    backend = runtime.backend()
    board = backend.showcase.board_named("Client")
    backend.showcase.add(board.id, [first, original])
    note = backend.review.pin(original, 3.25, "The fox should turn left", author="Carla", board_id=board.id)
    at = page("pages/history.py", at, task=backend.store.get(original).task_id)
    at.button(key=f"task_retake_{note.id}").click().run()
    assert not at.exception, at.exception
    assert at.session_state["form_prompt"] == "A red fox runs through snow 1. The fox should turn left"
    assert at.session_state["form_ratio"] == "9:16"  # the original's settings
    assert "Retake of the note at 0:03.2: The fox should turn left" in [t.value for t in at.text]
    at.switch_page("pages/create.py").run()  # AppTest stays on the page it was told; the browser is on Create
    assert at.text_area(key="form_prompt").value == "A red fox runs through snow 1. The fox should turn left"
    at.button(key="create_button").click().run()
    assert not at.exception, at.exception
    retake = backend.store.list()[0]
    assert (retake.note_id, retake.prompt, retake.ratio) == (
        note.id, "A red fox runs through snow 1. The fox should turn left", "9:16")
    assert [t.record.id for t in backend.showcase.items(board.id)] == [first, original, retake.id]
    assert "form_note" not in at.session_state  # the next take is a take of its own
    at = page("pages/history.py", at, task=backend.store.get(original).task_id)
    [shown] = [x.label for x in at.get("page_link") if x.label.startswith("Retake · ")]
    assert shown in {"Retake · queued", "Retake · processing", "Retake · completed"}  # live: it moves on meanwhile
    assert r"A red fox runs through snow :red[~~1~~] :green[1\. The fox should turn left]" in [
        m.value for m in at.markdown]
    at = page("pages/boards.py", at, board=str(board.id))
    group(at, f"approval_{board.id}_{retake.id}").set_value(APPROVED).run()
    done = backend.review.note(note.id)
    assert (done.resolved, done.resolved_record_id) == (True, retake.id)


def test_retake_from_the_frame_of_a_note(app_env: Path) -> None:
    """Test "Retake from this frame": Create opens in image to video with the picture of the note's frame as the
    image (a link the API can fetch, to a JPEG), the note's words after the prompt."""
    at = page("pages/boards.py")
    [rid] = takes(1, "A lighthouse")
    backend = runtime.backend()
    note = backend.review.pin(rid, 2.5, "Brighter sky", author="Ann")
    backend.note_frames.wake()
    assert backend.review.wait_frame(note.id, 20).frame_state == "saved"
    at = page("pages/history.py", at, task=backend.store.get(rid).task_id)
    at.button(key=f"task_retake_frame_{note.id}").click().run()
    assert not at.exception, at.exception
    assert (at.session_state["form_mode"], at.session_state["form_prompt"]) == (
        "Image to video", "A lighthouse 0. Brighter sky")
    link = at.session_state["form_image_url"]
    assert requests.get(link, timeout=10).headers["Content-Type"] == "image/jpeg"


def test_takes_made_from_a_preset_count_its_wins_on_usage(app_env: Path) -> None:
    """Test that a take created after "Load" of a team preset records that preset, and that Usage lists revealed
    blind votes' wins by preset and by model (the preset's name as text)."""
    at = new_app().run()
    at.session_state["presets_panel"] = True
    at.run()
    at.selectbox(key="preset_choice").select("Product hero shot").run()
    at.button(key="preset_load").click().run()
    at.button(key="create_button").click().run()
    backend = runtime.backend()
    [made] = backend.store.list()
    hero = next(p for p in backend.presets.all() if p.name == "Product hero shot")
    assert made.preset_id == hero.id
    at.text_area(key="form_prompt").set_value("Something of my own").run()
    at.session_state["presets_panel"] = False
    at.button(key="create_button").click().run()
    assert backend.store.list()[0].preset_id == hero.id  # still made from the loaded preset
    plain_take = backend.store.record_attempt(VideoRequest("no preset"))
    board = backend.showcase.board_named("Vote")
    backend.showcase.add(board.id, [made.id, plain_take])
    vote = backend.review.start_vote(board.id, [made.id, plain_take])
    backend.review.cast(vote.id, "member:ann", made.id)
    at = page("pages/usage.py", at)
    assert any(c.value.startswith("No revealed blind votes yet.") for c in at.caption)
    backend.review.reveal(vote.id)
    at = page("pages/usage.py", at)
    by_preset, by_model = (d.value for d in at.dataframe[-2:])
    assert list(by_preset["Preset"]) == ["Product hero shot", "No preset"]
    assert list(by_preset["Wins"]) == [1, 0] and list(by_preset["Win rate"]) == ["100%", "0%"]
    assert (list(by_model["Model"]), list(by_model["Wins"])) == (["starvideos_v3"], [1])


def _words(node: object) -> str:
    """Every string under one element of the page (for "does not show" checks on a part of it)."""
    out: list[str] = []

    def walk(n: object) -> None:
        for attr in ("value", "label", "body"):
            value = getattr(n, attr, None)
            if isinstance(value, str):
                out.append(value)
        children = getattr(n, "children", None)
        for child in (children.values() if isinstance(children, dict) else children or []):
            walk(child)

    walk(node)
    return "\n".join(out)


def test_a_blind_vote_hides_the_prompts_counts_one_pick_each_and_reveals(app_env: Path) -> None:
    """Test "Blind vote" from a board: the selected takes as Take A, B, C with their videos and nothing else (no
    prompt); a member and a link holder each pick once; no tally before "Reveal"; after it, each take's votes,
    prompt and the winner, for the link holder too."""
    at = page("pages/boards.py")
    a, b, c = takes(3, "Secret prompt")
    backend = runtime.backend()
    board = backend.showcase.board_named("Vote")
    backend.showcase.add(board.id, [a, b, c])
    token, _link = backend.showcase.share(board.id)
    at = page("pages/boards.py", at, board=str(board.id), selected=f"{a},{b},{c}")
    at.button(key="blind_vote_start").click().run()
    [vote] = backend.review.votes(board.id)
    assert vote.record_ids == (a, b, c)
    box = next(x for x in at.get("flex_container") if x.key == "blind_vote")
    assert "Secret prompt" not in _words(box) and len(at.get("video")) == 3
    assert [x.label for x in at.button if (x.key or "").startswith("blind_pick_")] == ["Pick A", "Pick B", "Pick C"]
    at.button(key=f"blind_pick_{vote.id}_B").click().run()
    assert not [x for x in at.button if (x.key or "").startswith("blind_pick_")]  # one pick each
    member_pick = vote.order_for(f"visitor:{at.session_state['visitor_id']}")[1]
    assert backend.review.ballot(vote.id, f"visitor:{at.session_state['visitor_id']}") == member_pick

    stranger = page("pages/shared.py", new_app().run(), token=token)
    box = next(x for x in stranger.get("flex_container") if x.key == "blind_vote")
    assert "Secret prompt" not in _words(box) and "1 vote so far" in _words(box)
    assert not [x for x in stranger.button if (x.key or "").startswith("blind_reveal_")]
    order = vote.order_for(f"visitor:{stranger.session_state['visitor_id']}")  # this browser's own order
    other = next(rid for rid in order if rid != member_pick)
    stranger.button(key=f"blind_pick_{vote.id}_{'ABC'[order.index(other)]}").click().run()
    assert backend.review.vote(vote.id).ballots == 2
    stranger = page("pages/shared.py", stranger, token=token)  # the same browser again
    assert not [x for x in stranger.button if (x.key or "").startswith("blind_pick_")]
    box = next(x for x in stranger.get("flex_container") if x.key == "blind_vote")
    assert "Winner" not in _words(box) and "Secret prompt" not in _words(box)  # nothing before Reveal

    at.button(key=f"blind_reveal_{vote.id}").click().run()
    tally = backend.review.tally(vote.id)
    assert sorted(tally.counts.values()) == [0, 1, 1]
    stranger = page("pages/shared.py", stranger, token=token)
    box = next(x for x in stranger.get("flex_container") if x.key == "blind_vote")
    lines = set(_words(box).splitlines())
    assert "Blind vote · revealed" in lines
    assert len([line for line in lines if line.endswith("Winner]")]) == 2  # a tie: both picked takes win
    assert sorted(line for line in lines if line.startswith("Secret prompt")) == [
        "Secret prompt 0", "Secret prompt 1", "Secret prompt 2"]


def test_compare_shows_a_word_diff_of_the_prompts(app_env: Path) -> None:
    """Test that Compare shows, under the settings table, each take's prompt against the first one's as a word
    diff (words as text: a prompt's Markdown is never applied)."""
    at = page("pages/boards.py")
    first = takes(1, "A red fox runs through snow")[0]
    second = takes(1, "A red **fox** walks through deep snow")[0]
    at = page("pages/compare.py", at, ids=f"{first},{second}")
    [diff] = [m.value for m in at.markdown if ":green[" in m.value]
    assert diff == r"A red :red[~~fox runs~~] :green[\*\*fox\*\* walks] through :green[deep] snow 0"


def test_present_shows_a_takes_notes_and_a_member_pins_one(app_env: Path) -> None:
    """Test Present of a board: the stage plays the take alone until "Notes at a moment" (with its count) is
    switched on; then the same player (same key: it keeps playing) shows a marker per note, the notes are listed
    by time under it (text, never markup), "Note at" pins what was typed to that moment on this board, a note's
    time moves the stage there, and the switch stays on for the next take."""
    at = page("pages/boards.py")
    a, b = takes(2)
    backend = runtime.backend()
    board = backend.showcase.board_named("Show")
    backend.showcase.add(board.id, [a, b])
    backend.review.pin(a, 1.5, "Logo *too* small", author="Ann", board_id=board.id)
    at = page("pages/present.py", at, board=str(board.id))
    switch = at.toggle(key="present_notes_on")
    bare = players(at)[f"present_player_{a}"]
    assert (switch.label, switch.value, bare["markers"], bare["actions"], bare["bare"]) == (
        "Notes at a moment (1 open)", False, [], [], True)
    assert "Logo *too* small" not in [t.value for t in at.text]
    switch.set_value(True).run()
    stage = players(at)[f"present_player_{a}"]
    assert (at.get("video"), stage["actions"], stage["markers"], stage["stage"]) == ([], [["pin", "Note at"]],
                                                                                      [1.5], True)
    assert "Logo *too* small" in [t.value for t in at.text]
    at.text_input(key=f"present_note_name_{a}").set_value("Dana")
    at.text_input(key=f"present_notetext_{a}").set_value("<i>Cut</i> here").run()
    press(at, f"present_player_{a}", "pin", 2.25)
    notes = backend.review.notes(a)
    assert [(n.at, n.body, n.author, n.board_id, n.share_link_id) for n in notes] == [
        (1.5, "Logo *too* small", "Ann", board.id, None), (2.25, "<i>Cut</i> here", "Dana", board.id, None)]
    assert [x.label for x in at.button if (x.key or "").startswith("present_seek_")] == ["0:01.5", "0:02.2"]
    assert at.text_input(key=f"present_notetext_{a}").value == ""
    assert at.toggle(key="present_notes_on").label == "Notes at a moment (2 open)"
    assert not [x for x in at.button if (x.key or "").startswith(("present_resolve_", "present_retake_"))]
    at.button(key=f"present_seek_{notes[0].id}").click().run()
    assert players(at)[f"present_player_{a}"]["seek"] == {"to": 1.5, "n": 1}
    at.button(key="present_next").click().run()
    assert at.toggle(key="present_notes_on").value is True and list(players(at)) == [f"present_player_{b}"]
    assert "No notes yet." in [c.value for c in at.caption]


def test_a_members_address_on_a_note_never_reaches_a_link_holder(app_env: Path) -> None:
    """Test that a note a signed-in member pinned, or a decision they made (named by their e-mail address), shows
    only the part before the @ to someone holding a share link, on the shared board, its Present and its Compare,
    as comments do; that a name typed through a link is shown as typed; and that members still see the address."""
    page("pages/boards.py")
    ids = takes(2)
    backend = runtime.backend()
    board = backend.showcase.board_named("Client")
    backend.showcase.add(board.id, ids)
    backend.review.pin(ids[0], 1.0, "Logo too small", author="ann.lee@studio.example",
                       created_by="ann.lee@studio.example", board_id=board.id)
    token, link = backend.showcase.share(board.id)
    backend.review.pin(ids[0], 2.0, "Warmer", author="carla@client.example", board_id=board.id, link_id=link.id)
    backend.review.set_state(board.id, ids[1], APPROVED, by="ann.lee@studio.example",
                             created_by="ann.lee@studio.example")

    def captions(at: AppTest) -> str:
        return " ".join(c.value for c in at.caption)

    stranger = page("pages/shared.py", new_app().run(), token=token)
    stranger.toggle(key=f"shared_notes_on_{ids[0]}").set_value(True).run()
    present = page("pages/shared.py", new_app().run(), token=token, view="present")
    present.toggle(key="present_notes_on").set_value(True).run()
    compared = page("pages/shared.py", new_app().run(), token=token, view="compare",
                    ids=",".join(map(str, ids)))
    for at in (stranger, present, compared):
        assert "Logo too small" in [t.value for t in at.text]
        assert f"**{md_inert('ann.lee')}**" in captions(at) and "studio" not in captions(at)
        assert f"**{md_inert('carla@client.example')}** · via share link" in captions(at)  # typed: as typed
    assert re.search(rf"by {re.escape(md_inert('ann.lee'))} · ", captions(stranger))  # the decision
    member = page("pages/compare.py", ids=",".join(map(str, ids)))
    assert f"**{md_inert('ann.lee@studio.example')}**" in captions(member)


def test_a_signed_in_members_address_through_a_share_link_never_reaches_a_link_holder(app_env: Path) -> None:
    """Test that a member who, signed in, opened the board's share link and pinned a note or posted a comment
    through it (stored under their e-mail address, with the link) is shown to link holders by the part before
    the @ like any member, still marked "via share link", on the board and in its Compare."""
    page("pages/boards.py")
    ids = takes(2)
    backend = runtime.backend()
    board = backend.showcase.board_named("Client")
    backend.showcase.add(board.id, ids)
    token, link = backend.showcase.share(board.id)
    backend.review.pin(ids[0], 1.0, "Logo too small", author="ann.lee@studio.example",
                       created_by="ann.lee@studio.example", board_id=board.id, link_id=link.id)
    backend.showcase.comment(ids[0], "ann.lee@studio.example", "Looks good", created_by="ann.lee@studio.example",
                             share_link_id=link.id)

    def captions(at: AppTest) -> str:
        return " ".join(c.value for c in at.caption)

    stranger = page("pages/shared.py", new_app().run(), token=token)
    stranger.toggle(key=f"shared_notes_on_{ids[0]}").set_value(True)
    stranger.toggle(key=f"shared_feedback_on_{ids[0]}").set_value(True).run()
    compared = page("pages/shared.py", new_app().run(), token=token, view="compare",
                    ids=",".join(map(str, ids)))
    for at in (stranger, compared):
        assert f"**{md_inert('ann.lee')}** · via share link" in captions(at) and "studio" not in captions(at)
    assert f"{md_inert('ann.lee')} · :gray-badge[via share link]" in captions(stranger)  # the comment


def _noted_take() -> tuple[runtime.Backend, Board, int, Note]:
    """A finished take on the board "Client" with a note pinned there ("Brighter" at 1 s)."""
    [original] = takes(1, "A lighthouse")
    backend = runtime.backend()
    board = backend.showcase.board_named("Client")
    backend.showcase.add(board.id, [original])
    return backend, board, original, backend.review.pin(original, 1.0, "Brighter", author="Ann", board_id=board.id)


def test_a_link_holder_sees_only_the_retakes_on_the_board_and_no_way_off_it(app_env: Path) -> None:
    """Test that under a note, someone holding the board's share link sees the retakes made from it that are on the
    board (their status and what changed) but not one kept off the board (not its prompt, not its status), and no
    link to a task's page (members only); the board's members see both retakes, each linked to its task."""
    page("pages/boards.py")
    backend, board, original, note = _noted_take()
    kept_off = backend.store.record_attempt(VideoRequest("A lighthouse, team draft", duration=8), note_id=note.id)
    shown_retake = backend.store.record_attempt(VideoRequest("A lighthouse, brighter"), note_id=note.id)
    backend.showcase.add(board.id, [shown_retake])
    token, _link = backend.showcase.share(board.id)

    stranger = page("pages/shared.py", new_app().run(), token=token)
    stranger.toggle(key=f"shared_notes_on_{original}").set_value(True).run()
    thread = next(x for x in stranger.get("flex_container") if x.key == f"shared_thread_{note.id}")
    assert [plain(m.value) for m in thread.markdown] == [
        ":material/subdirectory_arrow_right: Retake · sending", "A :red[~~lighthouse 0~~] :green[lighthouse, brighter]"]
    assert thread.caption == [] and thread.get("page_link") == []  # kept_off's "Duration: 5 s → 8 s" is not here
    assert "team draft" not in texts(stranger)
    member = page("pages/boards.py", new_app().run(), board=str(board.id))
    member.toggle(key=f"board_notes_on_{original}").set_value(True).run()
    thread = next(x for x in member.get("flex_container") if x.key == f"board_thread_{note.id}")
    assert [link.proto.query_string for link in thread.get("page_link")] == [
        f"record={kept_off}", f"record={shown_retake}"]


def _sent(at: AppTest) -> str:
    """Everything the app sent for the page (every element's message, attributes and data included)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if getattr(node, "proto", None) is not None:
            out.append(str(node.proto))
        children = getattr(node, "children", None) or {}
        for child in children.values() if isinstance(children, dict) else children:
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def test_a_link_holder_never_gets_the_providers_address_of_a_take(app_env: Path) -> None:
    """Test that a take the app has no copy of yet (its provider's address may carry the provider's credentials)
    does not play from that address for someone holding a share link: not on the board's player or its notes'
    player, not in Present, Compare or a blind vote, where members' pages play it from there meanwhile."""
    page("pages/boards.py")
    [saved] = takes(1)
    backend = runtime.backend()
    secret = "https://cdn.provider.example/v.mp4?X-Amz-Credential=AKIDSECRET"
    unsaved = backend.store.record_attempt(VideoRequest("Provider only"))
    backend.store.mark_created(unsaved, VideoTask("video_provider_only", TaskStatus.COMPLETED, video_url=secret))
    board = backend.showcase.board_named("Client")
    backend.showcase.add(board.id, [unsaved, saved])
    backend.review.start_vote(board.id, [unsaved, saved])
    token, _link = backend.showcase.share(board.id)

    stranger = page("pages/shared.py", new_app().run(), token=token)
    stranger.toggle(key=f"play_shared_{unsaved}").set_value(True)
    stranger.toggle(key=f"shared_notes_on_{unsaved}").set_value(True).run()
    present = page("pages/shared.py", new_app().run(), token=token, view="present")
    compared = page("pages/shared.py", new_app().run(), token=token, view="compare", ids=f"{unsaved},{saved}")
    for at in (stranger, present, compared):
        assert "cdn.provider.example" not in _sent(at) and "AKIDSECRET" not in _sent(at)
    assert [i.icon for i in present.info] == [":material/videocam_off:"]  # says why the stage is empty
    assert "Take A" in texts(stranger)  # the blind vote is on the board
    member = page("pages/compare.py", new_app().run(), ids=f"{unsaved},{saved}")
    assert "AKIDSECRET" in _sent(member)  # the team's page plays it from there meanwhile


def test_present_through_a_share_link_pins_notes_only_when_the_link_allows(app_env: Path) -> None:
    """Test a link holder's Present: the take's notes are listed, "Note at" pins one through the link (counted
    against it), and when the link does not allow notes the notes are still listed but nothing can be added."""
    page("pages/boards.py")
    [rid] = takes(1)
    backend = runtime.backend()
    board = backend.showcase.board_named("Client")
    backend.showcase.add(board.id, [rid])
    token, link = backend.showcase.share(board.id)
    stranger = page("pages/shared.py", new_app().run(), token=token, view="present")
    stranger.toggle(key="present_notes_on").set_value(True).run()
    assert players(stranger)[f"present_player_{rid}"]["actions"] == [["pin", "Note at"]]
    stranger.text_input(key=f"present_note_name_{rid}").set_value("Carla")
    stranger.text_input(key=f"present_notetext_{rid}").set_value("Brighter sky").run()
    press(stranger, f"present_player_{rid}", "pin", 0.75)
    [note] = backend.review.notes(rid)
    assert (note.at, note.body, note.author, note.board_id, note.share_link_id) == (
        0.75, "Brighter sky", "Carla", board.id, link.id)
    backend.review.set_rights(link.id, notes_allowed=False, requests_allowed=False)
    stranger.run()
    assert players(stranger)[f"present_player_{rid}"]["actions"] == []
    assert "Brighter sky" in [t.value for t in stranger.text]
    assert not [x for x in stranger.text_input if x.label in ("Note", "Your name")]


def _two_views_of_one_take() -> None:
    """A page showing one take in two places (as the task view and a board would) and another take."""
    from components import runtime as app_runtime
    from components.notes_ui import notes_panel

    backend = app_runtime.backend()
    first, second = backend.store.list()[::-1][:2]
    notes_panel(backend, first, prefix="board")
    notes_panel(backend, first, prefix="task")
    notes_panel(backend, second, prefix="other")


def test_a_notes_time_seeks_every_player_showing_that_take(app_env: Path) -> None:
    """Test that pressing a note's time asks every moment player showing that take to go there (both views of
    it, whichever list was pressed, each press a new request) and no player of another take."""
    page("pages/boards.py")
    a, b = takes(2)
    note = runtime.backend().review.pin(a, 2.5, "Here", author="Ann")
    at = AppTest.from_function(_two_views_of_one_take, default_timeout=30).run()
    assert not at.exception, at.exception
    assert {key: data["seek"] for key, data in players(at).items()} == {
        f"board_player_{a}": None, f"task_player_{a}": None, f"other_player_{b}": None}
    at.button(key=f"task_seek_{note.id}").click().run()
    assert {key: data["seek"] for key, data in players(at).items()} == {
        f"board_player_{a}": {"to": 2.5, "n": 1}, f"task_player_{a}": {"to": 2.5, "n": 1},
        f"other_player_{b}": None}
    at.button(key=f"board_seek_{note.id}").click().run()
    assert [data["seek"] for data in players(at).values()] == [{"to": 2.5, "n": 2}, {"to": 2.5, "n": 2}, None]


def _made(record_id: int, status: str, attempted: float, finished: float | None) -> None:
    """The take's status and times as if it had been made then (what the cost and time lines read)."""
    with runtime.backend().database.write() as conn:
        conn.execute(tasks.update().where(tasks.c.id == record_id).values(
            status=status, attempted_at=attempted, finished_at=finished))


def test_what_changed_says_what_each_take_cost_and_how_long_it_took(app_env: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a retake's thread says, after the settings that differ, what each take cost (its seconds × the
    price, in the app's currency) and how long each took to make; that Compare's table has a Cost and a Took row;
    and that a link holder sees neither (what the team pays is the team's)."""
    monkeypatch.setenv("STARVIDEOS_PRICE_PER_SECOND", "0.1")
    monkeypatch.setenv("STARVIDEOS_CURRENCY", "EUR")
    at = page("pages/boards.py")
    backend, board, original, note = _noted_take()
    retake = backend.store.record_attempt(VideoRequest("A lighthouse, brighter", duration=8), note_id=note.id)
    _made(original, "completed", 1000.0, 1042.0)
    _made(retake, "processing", 2000.0, None)
    at = page("pages/history.py", at, record=str(original))
    thread = next(x for x in at.get("flex_container") if x.key == f"task_thread_{note.id}")
    assert [plain(c.value) for c in thread.caption] == [
        "Duration: 5 s → 8 s · Cost: 0.50 EUR → 0.80 EUR · Took: 42 s → still being made"]
    _made(retake, "completed", 2000.0, 2125.0)
    backend.showcase.add(board.id, [retake])
    at = page("pages/compare.py", at, ids=f"{original},{retake}")
    table = at.dataframe[0].value
    assert (list(table.loc["Cost"]), list(table.loc["Took"])) == (["0.50 EUR", "0.80 EUR"], ["42 s", "2 min 5 s"])

    token, _link = backend.showcase.share(board.id)
    stranger = page("pages/shared.py", new_app().run(), token=token)
    stranger.toggle(key=f"shared_notes_on_{original}").set_value(True).run()
    thread = next(x for x in stranger.get("flex_container") if x.key == f"shared_thread_{note.id}")
    assert [plain(c.value) for c in thread.caption] == ["Duration: 5 s → 8 s"]
    stranger = page("pages/shared.py", stranger, token=token, view="compare", ids=f"{original},{retake}")
    assert "Cost" not in stranger.dataframe[0].value.index and "Took" not in stranger.dataframe[0].value.index


def test_a_link_holder_sees_only_the_notes_and_comments_of_their_board(app_env: Path) -> None:
    """Test that a take on two boards, each shared with its own client, shows board B's link holder only what was
    said on B (a note pinned on B, a comment a member posted on B's card, their own comment): not client A's note
    and comment through A's link, nor the team's note from History; on the shared board, its Present and its
    Compare, with the counts to match; and that members see everything said about the take."""
    at = page("pages/boards.py")
    ids = takes(2)
    rid = ids[0]
    backend = runtime.backend()
    review, showcase = backend.review, backend.showcase
    board_a, board_b = showcase.board_named("Client A"), showcase.board_named("Client B")
    showcase.add(board_a.id, ids)
    showcase.add(board_b.id, ids)
    _, link_a = showcase.share(board_a.id)
    token_b, link_b = showcase.share(board_b.id)
    review.pin(rid, 1.0, "A wants it warmer", author="Carla", link_id=link_a.id)
    showcase.comment(rid, "Carla", "A says: too slow", share_link_id=link_a.id)
    review.pin(rid, 2.0, "Client X hates this", author="Ann")  # the team's, from History: on no board
    review.pin(rid, 3.0, "Logo too small", author="Bo", board_id=board_b.id)
    elsewhere = {"A wants it warmer", "A says: too slow", "Client X hates this"}

    at = page("pages/boards.py", at, board=str(board_b.id))  # a member comments on B's card
    at.toggle(key=f"board_feedback_on_{rid}").set_value(True).run()
    at.text_input(key=f"board_name_{rid}").set_value("Bo")
    at.text_area(key=f"board_comment_{rid}").set_value("B gets the short cut")
    at.button(key=f"FormSubmitter:board_comment_form_{rid}-Post comment").click().run()
    assert [(c.body, c.board_id) for c in showcase.comments(rid)] == [("B gets the short cut", board_b.id),
                                                                       ("A says: too slow", board_a.id)]

    stranger = page("pages/shared.py", new_app().run(), token=token_b)
    assert stranger.toggle(key=f"shared_notes_on_{rid}").label == "Notes at a moment (1 open)"
    assert stranger.toggle(key=f"shared_feedback_on_{rid}").label == "Rate & comment (1 comment)"
    stranger.toggle(key=f"shared_notes_on_{rid}").set_value(True)
    stranger.toggle(key=f"shared_feedback_on_{rid}").set_value(True).run()
    stranger.text_input(key=f"shared_name_{rid}").set_value("Dana")
    stranger.text_area(key=f"shared_comment_{rid}").set_value("B likes it")
    stranger.button(key=f"FormSubmitter:shared_comment_form_{rid}-Post comment").click().run()
    newest = showcase.comments(rid)[0]
    assert (newest.body, newest.board_id, newest.share_link_id) == ("B likes it", board_b.id, link_b.id)
    said = [t.value for t in stranger.text]
    assert {"Logo too small", "B gets the short cut", "B likes it"} <= set(said) and not elsewhere & set(said)
    assert players(stranger)[f"shared_player_{rid}"]["markers"] == [3.0]
    assert stranger.toggle(key=f"shared_feedback_on_{rid}").label == "Rate & comment (2 comments)"
    assert [e.label for e in stranger.expander if e.label.startswith("Comments")] == ["Comments (2)"]

    present = page("pages/shared.py", new_app().run(), token=token_b, view="present")
    assert present.toggle(key="present_notes_on").label == "Notes at a moment (1 open)"
    present.toggle(key="present_notes_on").set_value(True).run()
    said = [t.value for t in present.text]
    assert "Logo too small" in said and not elsewhere & set(said)
    assert players(present)[f"present_player_{rid}"]["markers"] == [3.0]

    compared = page("pages/shared.py", new_app().run(), token=token_b, view="compare", ids=",".join(map(str, ids)))
    assert [e.label for e in compared.expander] == ["Notes at a moment (1)"]
    said = [t.value for t in compared.text]
    assert "Logo too small" in said and not elsewhere & set(said)

    member = page("pages/boards.py", at, board=str(board_b.id))
    assert member.toggle(key=f"board_notes_on_{rid}").label == "Player: trim & notes (3 open)"
    assert member.toggle(key=f"board_feedback_on_{rid}").label == "Rate & comment (3 comments)"
    member.toggle(key=f"board_notes_on_{rid}").set_value(True).run()
    said = [t.value for t in member.text]
    assert elsewhere | {"Logo too small", "B gets the short cut", "B likes it"} <= set(said)
    member = page("pages/compare.py", member, ids=",".join(map(str, ids)))
    assert [e.label for e in member.expander] == ["Notes at a moment (3)"]
