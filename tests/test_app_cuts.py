"""AppTest: cuts on a board (Make a cut, live progress, the finished cut playing with a download, versions, consent
to leave out a take whose copy is missing, the length limit), In and Out points, and the cut in Present and through a
share link."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from components import runtime
from starvideos.cuts import Cut, CutOptions, CutStore, Trim
from starvideos.errors import DatabaseError
from starvideos.models import VideoRequest
from starvideos.schema import board_trims, cuts
from tests.apptest_support import new_app, served_key, texts
from tests.creates import create_now
from tests.player_support import players, press


def wait_for(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def board_of_takes(count: int, *, name: str = "Spring pitch") -> tuple[int, list[int]]:
    """A board of ``count`` finished 3-second sandbox takes with saved copies (the second one 9:16)."""
    b = runtime.backend()
    ids = [create_now(b.client, b.store, VideoRequest(f"shot {n}", duration=3,
                                                        ratio="9:16" if n == 1 else "16:9"),
                        session_id="s").record_id for n in range(count)]
    wait_for(lambda: all((m := b.media.get(i)) is not None and m.saved for i in ids), "the takes' copies")
    board = b.showcase.board_named(name)
    b.showcase.add(board.id, ids)
    return board.id, ids


def open_page(path: str, **query: str) -> AppTest:
    at = new_app().run()
    at.query_params.clear()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def stop_builder() -> None:
    """No cut is made in the background: the test drives the builder's side itself."""
    runtime.backend().cut_builder.close()


def rows() -> list[sa.Row]:
    return runtime.backend().database.rows(sa.select(cuts).order_by(cuts.c.version))


def shown(elements: object) -> list[str]:
    """What a person reads in these elements (the app's Markdown escapes taken out)."""
    return [str(e.value).replace("\\", "").replace("\u2060", "") for e in elements]  # type: ignore[attr-defined]


def progress(at: AppTest) -> list[tuple[int, str]]:
    """The cuts' progress bars (the board's approval progress is a bar too)."""
    return [(bar.proto.value, bar.proto.text) for bar in at.get("progress") if not bar.proto.text.endswith(" approved")]


def made(cut_id: int) -> Cut:
    store = runtime.backend().cuts
    wait_for(lambda: (c := store.get(cut_id)) is not None and not c.active, "the cut to be made", 120)
    cut = store.get(cut_id)
    assert cut is not None and cut.state == "done", cut
    return cut


def test_make_a_cut_queues_it_and_shows_its_progress(app_env: Path) -> None:
    """Test that "Make a cut" queues a cut with the chosen size, crossfade and cards (nothing is drawn on the
    page's run) and that the board shows it waiting, then its progress with Cancel, which stops it."""
    new_app().run()
    stop_builder()
    board_id, ids = board_of_takes(3)
    at = open_page("pages/boards.py", board=str(board_id))
    key = f"b{board_id}"
    at.selectbox(key=f"cut_size_{key}").set_value("1280x720")
    at.slider(key=f"cut_crossfade_{key}").set_value(0.5)
    at.checkbox(key=f"cut_title_{key}").check()
    at.checkbox(key=f"cut_end_on_{key}").check().run()
    at.text_input(key=f"cut_end_{key}").input("See you soon").run()
    at.button(key=f"cut_make_{key}").click().run()
    assert not at.exception, at.exception
    # 3 takes of 3 s and two cards of 2 s, less four crossfades of 0.5 s
    assert [s for s in shown(at.success) if s.startswith("Cut")] == \
        ["Cut v1 is queued (11.0 s); it is made in the background."]
    [row] = rows()
    assert (row.state, row.version, row.board_id) == ("pending", 1, board_id)
    assert [t["record_id"] for t in row.plan["takes"]] == ids
    assert row.plan["options"] == {"size": "1280x720", "crossfade": 0.5, "title_card": True,
                                   "end_card": "See you soon"}
    assert progress(at) == [(0, "Waiting for the cut builder…")]

    store = runtime.backend().cuts
    claimed = store.claim("test-builder", lease_seconds=60)
    assert claimed is not None and claimed.id == row.id
    assert store.progress(row.id, "test-builder", 0.4, lease_seconds=60)
    at.run()
    assert progress(at) == [(40, "Making the cut… 40%")]
    at.button(key=f"cut_cancel_{row.id}").click().run()
    assert rows()[0].state == "cancelled"
    assert "Cancelled" in texts(at)
    at.button(key=f"cut_retry_{row.id}").click().run()
    assert rows()[0].state == "pending" and progress(at) == [(0, "Waiting for the cut builder…")]


def test_a_finished_cut_plays_from_the_apps_own_link_with_a_download(app_env: Path) -> None:
    """Test that a cut made by the background builder plays on the board from the app's signed /files/ link, with
    a download of the MP4 named after the board and version, and a link to Present."""
    new_app().run()
    board_id, _ids = board_of_takes(3)
    at = open_page("pages/boards.py", board=str(board_id))
    at.button(key=f"cut_make_b{board_id}").click().run()
    [row] = rows()
    cut = made(row.id)
    at.run()
    assert not at.exception, at.exception
    [video] = at.get("video")
    assert served_key(video.proto.url) == cut.video_key
    assert f"**v1** · Ready · {cut.info['duration']:.1f} s · 320×180" in shown(at.markdown)
    [download] = [b for b in at.get("link_button") if b.proto.label == "Download"]
    assert served_key(download.proto.url) == cut.video_key and "d=spring-pitch-v1.mp4" in download.proto.url
    assert [p.proto.query_string for p in at.get("page_link") if p.proto.label == "Present"] == \
        [f"board={board_id}", f"cut={cut.id}"]


def test_a_changed_board_makes_a_new_version_that_says_what_changed(app_env: Path) -> None:
    """Test that pressing "Make a cut" again with nothing changed queues nothing, and that after a change the
    board shows v2 with what changed, v1 kept under "Earlier versions"."""
    new_app().run()
    stop_builder()
    board_id, _ids = board_of_takes(2)
    at = open_page("pages/boards.py", board=str(board_id))
    key = f"b{board_id}"
    at.button(key=f"cut_make_{key}").click().run()
    at.button(key=f"cut_make_{key}").click().run()
    assert [i for i in shown(at.info) if "Nothing changed" in i] == \
        ["Nothing changed since v1: that cut is already being made."]
    assert len(rows()) == 1
    at.slider(key=f"cut_crossfade_{key}").set_value(0.3)
    at.checkbox(key=f"cut_title_{key}").check()
    at.button(key=f"cut_make_{key}").click().run()
    assert [(r.version, r.changes) for r in rows()] == [(1, []), (2, ["Crossfades of 0.3 s", "Title card"])]
    assert "Changed: Crossfades of 0.3 s; Title card" in shown(at.caption)
    assert [e.label for e in at.expander if e.label.startswith("Earlier")] == ["Earlier versions (1)"]


def test_a_take_whose_copy_is_missing_is_named_and_left_out_only_with_consent(app_env: Path) -> None:
    """Test that a take whose stored copy is gone is named with why in a dialog; Cancel queues nothing, and "Make
    the cut without them" queues the cut without it, which the board then says it left out."""
    new_app().run()
    stop_builder()
    board_id, ids = board_of_takes(3)
    b = runtime.backend()
    missing = b.media.get(ids[1])
    assert missing is not None and missing.video_key is not None
    b.storage.delete(missing.video_key)
    at = open_page("pages/boards.py", board=str(board_id))
    at.button(key=f"cut_make_b{board_id}").click().run()
    assert rows() == []
    assert "Take 2 “shot 1”: its stored copy is missing from storage" in [t.value for t in at.text]
    at.button(key="cut_consent_no").click().run()
    assert rows() == [] and "Take 2 “shot 1”: its stored copy is missing from storage" not in texts(at)

    at.button(key=f"cut_make_b{board_id}").click().run()
    at.button(key="cut_consent_yes").click().run()
    assert not at.exception, at.exception
    [row] = rows()
    assert [t["record_id"] for t in row.plan["takes"]] == [ids[0], ids[2]]
    assert row.plan["skipped"] == [[ids[1], "Take 2 “shot 1”", "its stored copy is missing from storage"]]
    assert "Left out: Take 2 “shot 1” (its stored copy is missing from storage)" in shown(at.caption)


def test_a_cut_over_the_limit_is_refused_before_any_work(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a cut longer than STARVIDEOS_MAX_CUT_SECONDS is refused with a plain message naming the setting
    and the fix, and nothing is queued."""
    monkeypatch.setenv("STARVIDEOS_MAX_CUT_SECONDS", "8")
    new_app().run()
    board_id, _ids = board_of_takes(3)
    at = open_page("pages/boards.py", board=str(board_id))
    at.button(key=f"cut_make_b{board_id}").click().run()
    assert rows() == []
    assert shown(at.error) == [(
        "The cut was not started: Length: the cut would be 9 s long; the limit is 8 s "
        "(STARVIDEOS_MAX_CUT_SECONDS). Trim takes or take some off.")]


def test_in_and_out_points_are_kept_per_board_and_used_by_the_cut(app_env: Path) -> None:
    """Test that a take's In and Out are saved for this board as they are typed, refused with the point and the
    fix when they leave too little, and that the cut plays that range."""
    new_app().run()
    stop_builder()
    board_id, ids = board_of_takes(2)
    at = open_page("pages/boards.py", board=str(board_id))
    key = f"{board_id}_{ids[0]}"
    at.toggle(key=f"board_notes_on_{ids[0]}").set_value(True).run()  # the inputs come with the take's player
    at.number_input(key=f"trim_in_{key}").set_value(1.0).run()
    at.number_input(key=f"trim_out_{key}").set_value(2.5).run()
    assert runtime.backend().cuts.trims(board_id) == {ids[0]: Trim(1.0, 2.5)}
    assert "Plays 1.0–2.5 s (1.5 s) in the cut" in shown(at.caption)
    at.number_input(key=f"trim_in_{key}").set_value(2.3).run()
    assert shown(at.error) == [
        "Out: the take would play 0.2 s; set Out at least 0.5 s after In (2.3 s). (not saved)"]
    assert runtime.backend().cuts.trims(board_id) == {ids[0]: Trim(1.0, 2.5)}
    at.number_input(key=f"trim_in_{key}").set_value(1.0).run()
    at.button(key=f"cut_make_b{board_id}").click().run()
    [row] = rows()
    assert [(t["start"], t["end"]) for t in row.plan["takes"]] == [(1.0, 2.5), (0.0, 3.0)]
    fresh = open_page("pages/boards.py", board=str(board_id))  # a new session reads the points back
    assert "Plays 1.0–2.5 s (1.5 s) in the cut" in shown(fresh.caption)  # said with the player closed
    fresh.toggle(key=f"board_notes_on_{ids[0]}").set_value(True).run()
    assert fresh.number_input(key=f"trim_in_{key}").value == 1.0
    with runtime.backend().database.write() as conn:  # a point past the end of a take's (new, shorter) copy
        conn.execute(board_trims.update().values(out_seconds=99.0))
    clamped = open_page("pages/boards.py", board=str(board_id))
    clamped.toggle(key=f"board_notes_on_{ids[0]}").set_value(True).run()
    assert clamped.number_input(key=f"trim_out_{key}").value == 3.0


def test_set_in_and_set_out_on_the_boards_player_save_the_trim(app_env: Path) -> None:
    """Test that a member opens a take's player on the board without any note ("Player: trim & notes"), and that
    "Set in" / "Set out" pressed at a moment save that point (the moment as the button names it), fill the In and
    Out inputs and the "Plays" line, and are refused with the same words as a typed point (out before in, or too
    short); the player is the same one that pins notes, and a link holder's player has no such buttons."""
    new_app().run()
    stop_builder()
    board_id, ids = board_of_takes(2)
    b = runtime.backend()
    at = open_page("pages/boards.py", board=str(board_id))
    key, player = f"{board_id}_{ids[0]}", f"board_player_{ids[0]}"
    opener = at.toggle(key=f"board_notes_on_{ids[0]}")
    assert (opener.label, opener.value, players(at)) == ("Player: trim & notes", False, {})
    opener.set_value(True).run()
    assert players(at)[player]["actions"] == [["pin", "Note at"], ["in", "Set in"], ["out", "Set out"]]
    press(at, player, "in", 1.25)
    assert b.cuts.trims(board_id) == {ids[0]: Trim(1.2, None)}
    assert (at.number_input(key=f"trim_in_{key}").value, at.number_input(key=f"trim_out_{key}").value) == (1.2, None)
    assert "Plays 1.2–3.0 s (1.8 s) in the cut" in shown(at.caption)
    press(at, player, "out", 2.48)
    assert b.cuts.trims(board_id) == {ids[0]: Trim(1.2, 2.4)}
    assert (at.number_input(key=f"trim_in_{key}").value, at.number_input(key=f"trim_out_{key}").value) == (1.2, 2.4)
    assert "Plays 1.2–2.4 s (1.2 s) in the cut" in shown(at.caption)
    row = b.database.rows(sa.select(board_trims).where(board_trims.c.record_id == ids[0]))[0]
    assert (row.board_id, row.in_seconds, row.out_seconds) == (board_id, 1.2, 2.4)
    press(at, player, "out", 0.9)  # before In
    assert shown(at.error) == [
        "Out: the take would play 0.0 s; set Out at least 0.5 s after In (1.2 s). (not saved)"]
    assert b.cuts.trims(board_id) == {ids[0]: Trim(1.2, 2.4)}
    assert at.number_input(key=f"trim_out_{key}").value == 2.4
    press(at, player, "in", 2.1)  # too close to Out
    assert shown(at.error) == [
        "Out: the take would play 0.3 s; set Out at least 0.5 s after In (2.1 s). (not saved)"]
    assert b.cuts.trims(board_id) == {ids[0]: Trim(1.2, 2.4)}
    press(at, player, "in", 0.5)
    assert shown(at.error) == [] and b.cuts.trims(board_id) == {ids[0]: Trim(0.5, 2.4)}
    at.number_input(key=f"trim_in_{key}").set_value(0.7).run()  # typing an exact value still works
    assert b.cuts.trims(board_id) == {ids[0]: Trim(0.7, 2.4)}

    token, _link = b.showcase.share(board_id)
    stranger = open_page("pages/shared.py", token=token)
    stranger.toggle(key=f"shared_notes_on_{ids[0]}").set_value(True).run()
    assert players(stranger)[f"shared_player_{ids[0]}"]["actions"] == [["pin", "Note at"]]


def test_the_cut_plays_in_present_as_one_item_and_exit_returns_to_the_board(app_env: Path) -> None:
    """Test that Present with ?cut= plays the finished cut alone, with its title as the caption, and Exit returns
    to its board."""
    new_app().run()
    board_id, _ids = board_of_takes(2)
    b = runtime.backend()
    cut, _ = b.cuts.request(b.cuts.plan_board(board_id))
    b.cut_builder.wake()
    cut = made(cut.id)
    at = open_page("pages/present.py", cut=str(cut.id))
    [video] = at.get("video")
    assert served_key(video.proto.url) == cut.video_key and video.proto.autoplay
    assert [t.value for t in at.text] == [f"Spring pitch · {cut.describe()}"]
    assert not any(getattr(el, "key", None) in ("present_next", "present_previous") for el in at.button)
    at.button(key="present_exit").click().run()
    assert at.query_params.get("board") in ([str(board_id)], str(board_id))


def test_a_share_link_plays_the_boards_cut_and_only_its_own(app_env: Path) -> None:
    """Test that the shared board shows its newest finished cut playing, presents it as one item, and that a
    link holder cannot present a cut of another board by changing ?cut=."""
    new_app().run()
    board_id, _ids = board_of_takes(2)
    b = runtime.backend()
    other = b.showcase.board_named("Other board")
    b.showcase.add(other.id, _ids[:1])
    mine, _ = b.cuts.request(b.cuts.plan_board(board_id))
    theirs, _ = b.cuts.request(b.cuts.plan_board(other.id))
    b.cut_builder.wake()
    mine, theirs = made(mine.id), made(theirs.id)
    token, _link = b.showcase.share(board_id)
    at = open_page("pages/shared.py", token=token)
    [video] = at.get("video")
    assert served_key(video.proto.url) == mine.video_key
    at.button(key="cut_latest_present").click().run()
    [video] = at.get("video")
    assert served_key(video.proto.url) == mine.video_key and video.proto.autoplay
    assert (at.query_params["view"], at.query_params["cut"]) in ((["present"], [str(mine.id)]),
                                                                  ("present", str(mine.id)))
    at.button(key="present_exit").click().run()
    assert "cut" not in at.query_params and at.button(key="cut_latest_present") is not None
    at = open_page("pages/shared.py", token=token, view="present", cut=str(theirs.id))
    assert at.get("video") == [] and "This cut is not ready (or no longer exists)." in texts(at)


def test_a_chain_of_continued_takes_is_cut_from_the_task_view(app_env: Path) -> None:
    """Test that a take's page that shows its chain offers "Make a cut of this chain", which queues the chain's
    shots first to last, and that a take with no chain offers no cut."""
    new_app().run()
    stop_builder()
    b = runtime.backend()
    first = create_now(b.client, b.store, VideoRequest("shot one", duration=3), session_id="s").record_id
    second = create_now(b.client, b.store, VideoRequest("shot two", duration=3), session_id="s",
                          parent_id=first).record_id
    alone = create_now(b.client, b.store, VideoRequest("alone", duration=3), session_id="s").record_id
    wait_for(lambda: all((m := b.media.get(i)) is not None and m.saved for i in (first, second, alone)),
             "the takes' copies")
    at = open_page("pages/history.py", record=str(alone))
    assert not any(
        getattr(button, "key", None) == f"cut_make_c{alone}" for button in at.button)
    at = open_page("pages/history.py", record=str(second))
    assert [e.label for e in at.expander if "cut" in e.label] == ["Make a cut of this chain"]
    at.button(key=f"cut_make_c{second}").click().run()
    assert not at.exception, at.exception
    [row] = rows()
    assert (row.chain_id, row.board_id, row.title) == (first, None, "shot one")
    assert [(t["record_id"], t["name"]) for t in row.plan["takes"]] == [(first, "Shot 1 “shot one”"),
                                                                       (second, "Shot 2 “shot two”")]
    assert progress(at) == [(0, "Waiting for the cut builder…")]


def test_a_cut_is_compared_with_an_earlier_version(app_env: Path) -> None:
    """Test that the newest finished cut offers Compare with an earlier finished version, both playing side by side
    from the app's own links."""
    new_app().run()
    board_id, _ids = board_of_takes(2)
    b = runtime.backend()
    first, _ = b.cuts.request(b.cuts.plan_board(board_id))
    b.cut_builder.wake()
    first = made(first.id)
    second, _ = b.cuts.request(b.cuts.plan_board(board_id, CutOptions(crossfade=0.5)))
    b.cut_builder.wake()
    second = made(second.id)
    at = open_page("pages/boards.py", board=str(board_id))
    choice = at.selectbox(key=f"cut_compare_{second.id}")
    assert choice.options == [first.describe()]
    keys = [served_key(v.proto.url) for v in at.get("video")]
    assert keys == [second.video_key, second.video_key, first.video_key]  # the newest, then the pair


def test_present_of_a_cut_not_ready_says_so_and_exit_returns_to_its_chain(app_env: Path) -> None:
    """Test that Present with a cut still waiting says it is not ready (no player), that one which never existed
    says the same, and that Exit from a chain's cut returns to the chain's first take."""
    new_app().run()
    stop_builder()
    b = runtime.backend()
    first = create_now(b.client, b.store, VideoRequest("shot one", duration=3), session_id="s").record_id
    second = create_now(b.client, b.store, VideoRequest("shot two", duration=3), session_id="s",
                          parent_id=first).record_id
    wait_for(lambda: all((m := b.media.get(i)) is not None and m.saved for i in (first, second)), "the copies")
    cut, _ = b.cuts.request(b.cuts.plan_chain(second))
    at = open_page("pages/present.py", cut=str(cut.id))
    assert at.get("video") == [] and "This cut is not ready (or no longer exists)." in texts(at)
    at.button(key="present_exit").click().run()
    assert at.query_params.get("record") in ([str(first)], str(first))
    gone = open_page("pages/present.py", cut="999")
    assert gone.get("video") == [] and "This cut is not ready (or no longer exists)." in texts(gone)


def test_prompts_in_what_a_cut_says_are_plain_text(app_env: Path) -> None:
    """Test that a prompt full of Markdown, HTML and an address, named in the consent dialog and in "Left out", is
    shown exactly as typed: no link, picture, emphasis or HTML."""
    new_app().run()
    stop_builder()
    b = runtime.backend()
    hostile = "**B** [x](http://e.t) <b>h</b> :smile:"  # within the 40 characters a take's name keeps
    ids = [create_now(b.client, b.store, VideoRequest(p, duration=3), session_id="s").record_id
           for p in ("calm shot", hostile)]
    wait_for(lambda: all((m := b.media.get(i)) is not None and m.saved for i in ids), "the copies")
    board = b.showcase.board_named("Board")
    b.showcase.add(board.id, ids)
    missing = b.media.get(ids[1])
    assert missing is not None and missing.video_key is not None
    b.storage.delete(missing.video_key)
    at = open_page("pages/boards.py", board=str(board.id))
    at.button(key=f"cut_make_b{board.id}").click().run()
    name = f"Take 2 “{hostile}”"
    assert f"{name}: its stored copy is missing from storage" in [t.value for t in at.text]
    at.button(key="cut_consent_yes").click().run()
    [left_out] = [c.value for c in at.caption if c.value.startswith("Left out")]
    assert shown([type("E", (), {"value": left_out})()]) == [f"Left out: {name} (its stored copy is missing from "
                                                            "storage)"]
    for raw in ("**", "[x]", "<b>", ":smile:", "http://e"):
        assert raw not in left_out


def test_the_database_away_for_a_moment_is_said_plainly(app_env: Path) -> None:
    """Test that when the cuts cannot be read for a moment the board says so in words (no traceback), and shows
    them again once they can be read."""
    new_app().run()
    stop_builder()
    board_id, _ids = board_of_takes(2)
    at = open_page("pages/boards.py", board=str(board_id))
    at.button(key=f"cut_make_b{board_id}").click().run()
    assert progress(at) == [(0, "Waiting for the cut builder…")]

    def away(*_args: object, **_kwargs: object) -> list[Cut]:
        raise DatabaseError("The database did not answer.")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CutStore, "versions", away)
        at.run()
    assert not at.exception, at.exception
    assert "Could not read the cuts just now; trying again…" in shown(at.caption) and progress(at) == []
    at.run()
    assert progress(at) == [(0, "Waiting for the cut builder…")]
