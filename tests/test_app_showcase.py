"""AppTest: Gallery, boards, present, compare, ratings and comments, and share links opened without the password."""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import runtime
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from tests.apptest_support import new_app, plain, served_key, texts
from tests.creates import create_now
from tests.player_support import players


def takes(count: int, prompt: str = "take") -> list[int]:
    """``count`` finished takes with their copies saved; returns their record ids, oldest first."""
    b = runtime.backend()
    ids = [create_now(b.client, b.store, VideoRequest(f"{prompt} {n}", ratio="9:16" if n == 1 else "16:9"),
                        session_id="s").record_id for n in range(count)]
    # Fifty takes on a loaded machine take a while: what fails is a stall (none saved for 30 s), not slowness. One
    # take is read at a time (reading all fifty every look was an eighth of the test's CPU, beside the workers it
    # waits on), each look the next one not yet seen saved: the copies need not be saved in the order asked (CI once
    # saw the first take still unsaved after 30 s of a loaded machine while the others went ahead).
    waiting, stalled_at = list(ids), time.monotonic() + 30
    while waiting:
        if (m := b.media.get(waiting[0])) is not None and m.state == "saved":
            waiting.pop(0)
            stalled_at = time.monotonic() + 30
            continue
        waiting.append(waiting.pop(0))
        assert time.monotonic() < stalled_at, f"the takes stopped being saved ({len(ids) - len(waiting)} of {len(ids)})"
        time.sleep(0.05)
    return ids


def heading(at: AppTest) -> str:
    """The page's title: st.title, or a board's name (a plain <h1>, never Markdown)."""
    for element in at.get("html"):
        found = re.search(r'<h1 class="sv-heading">(.*)</h1>', element.proto.body, re.S)
        if found:
            return html.unescape(found.group(1))
    return at.title[0].value


def page(path: str, at: AppTest | None = None, **query: str) -> AppTest:
    at = at or new_app().run()
    at.query_params.clear()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def test_gallery_shows_posters_not_videos(app_env: Path) -> None:
    """Test that the Gallery shows one card per finished take, newest first, with its poster, prompt, ratio,
    duration and rating, and loads no video at all."""
    new_app().run()
    ids = takes(3)
    at = page("pages/gallery.py")
    assert len(at.get("image")) == 3 and at.get("video") == []
    captions = [c.value for c in at.caption if "·" in c.value]
    assert captions == ["16:9 · 5 s · no ratings yet", "9:16 · 5 s · no ratings yet", "16:9 · 5 s · no ratings yet"]
    assert [t.value for t in at.text if t.value.startswith("take")] == ["take 2", "take 1", "take 0"]
    assert at.button(key="gallery_compare").disabled and at.button(key="gallery_add_to_board").disabled
    for record_id in ids[:2]:
        at.checkbox(key=f"select_gallery_{record_id}").check()
    at.run()
    assert not at.button(key="gallery_compare").disabled and at.button(key="gallery_compare").label == "Compare (2)"


def test_gallery_pages_and_filters(app_env: Path) -> None:
    """Test keyset pages of 24 cards and the ratio filter."""
    new_app().run()
    b = runtime.backend()
    for n in range(26):  # finished without copies: cards show a placeholder until a copy exists
        rid = b.store.record_attempt(VideoRequest(f"card {n}", ratio="9:16" if n < 3 else "16:9"))
        from starvideos.models import TaskStatus, VideoTask
        b.store.mark_created(rid, VideoTask(f"video_page_{n}", TaskStatus.COMPLETED))
    at = page("pages/gallery.py")
    first = [t.value for t in at.text if t.value.startswith("card")]
    assert len(first) == 24 and first[0] == "card 25" and not at.button(key="gallery_next").disabled
    assert any("Saving the take" in c.value for c in at.caption)
    at.button(key="gallery_next").click().run()
    assert [t.value for t in at.text if t.value.startswith("card")] == ["card 1", "card 0"]
    at.selectbox(key="gallery_ratio").set_value("9:16").run()
    assert [t.value for t in at.text if t.value.startswith("card")] == ["card 2", "card 1", "card 0"]


def test_add_to_board_from_the_gallery(app_env: Path) -> None:
    """Test that "Add to board" opens a dialog with "Board name" and "Add" that puts the selected takes on an
    existing board (typing a new name, which AppTest cannot do, is driven in Chromium)."""
    new_app().run()
    ids = takes(3)
    runtime.backend().showcase.board_named("Client pitch")
    at = page("pages/gallery.py")
    for record_id in ids[1:]:
        at.checkbox(key=f"select_gallery_{record_id}").check()
    at.run()
    at.button(key="gallery_add_to_board").click().run()
    at.selectbox(key="board_name_choice").set_value("Client pitch").run()
    at.button(key="add_to_board_confirm").click().run()
    [board] = runtime.backend().showcase.boards()
    assert board.name == "Client pitch"
    assert [t.record.id for t in runtime.backend().showcase.items(board.id)] == ids[:0:-1]  # as the gallery showed them
    assert plain(at.main.success[0].value) == "Added 2 takes to “Client pitch”."


def test_board_reorder_best_prune_rename_delete(app_env: Path) -> None:
    """Test a board's own controls: Up/Down, Best take, Remove from board, Rename and Delete."""
    new_app().run()
    a, b_, c = takes(3)
    showcase = runtime.backend().showcase
    board = showcase.board_named("Review")
    showcase.add(board.id, [a, b_, c])
    at = page("pages/boards.py", board=str(board.id))
    assert heading(at) == "Review"
    at.button(key=f"down_{a}").click().run()
    at.button(key=f"best_{c}").click().run()
    assert [t.record.id for t in showcase.items(board.id)] == [b_, a, c]
    assert showcase.board(board.id).best_record_id == c
    assert [badge.value for badge in at.markdown if "badge" in badge.value] == [
        ":violet-badge[:material/star: Best take]"]
    at.button(key=f"remove_{b_}").click().run()
    at.text_input(key="rename_board").set_value("Review, round 2").run()
    at.button(key="rename_board_save").click().run()
    assert showcase.board(board.id).name == "Review, round 2" and showcase.board(board.id).size == 2
    at.button(key="delete_board_confirm").click().run()
    assert showcase.boards() == [] and runtime.backend().store.get(a) is not None


def test_rating_and_commenting_on_a_take(app_env: Path) -> None:
    """Test the stars and a comment on the task view: stored, averaged, shown as plain text."""
    new_app().run()
    [rid] = takes(1)
    task_id = runtime.backend().store.get(rid).task_id
    at = page("pages/history.py", task=task_id)
    at.get("feedback")[0].set_value(3).run()  # the fourth star
    assert runtime.backend().showcase.ratings([rid])[rid].average == 4.0
    assert "★ 4.0 · 1 rater" in [c.value for c in at.caption]
    at.text_input(key=f"task_name_{rid}").set_value("Dana")  # a form: values go in together, on "Post comment"
    at.text_area(key=f"task_comment_{rid}").set_value("<script>alert(1)</script> smoother, please")
    at.button(key=f"FormSubmitter:task_comment_form_{rid}-Post comment").click().run()
    [comment] = runtime.backend().showcase.comments(rid)
    assert (comment.author, comment.body) == ("Dana", "<script>alert(1)</script> smoother, please")
    assert "<script>alert(1)</script> smoother, please" in [t.value for t in at.text]
    assert not [m for m in at.markdown if m.proto.allow_html and "<script" in m.value]


def test_present_one_take_at_a_time(app_env: Path) -> None:
    """Test Present: one video, autoplaying and looping, its prompt as caption, Previous/Next (← →) and Exit."""
    new_app().run()
    ids = takes(3)
    showcase = runtime.backend().showcase
    board = showcase.board_named("Show")
    showcase.add(board.id, ids)
    at = page("pages/present.py", board=str(board.id))
    # The stage is the moment player alone (it plays at once, muted and looping, in the browser): no markers, no
    # buttons until the notes are opened.
    assert not at.get("video") and players(at) == {f"present_player_{ids[0]}": {
        "src": players(at)[f"present_player_{ids[0]}"]["src"], "markers": [], "actions": [], "seek": None,
        "stage": True, "bare": True, "reveal": False}}
    assert "take 0" in [t.value for t in at.text] and "1 / 3" in [c.value for c in at.caption]
    assert (at.button(key="present_next").proto.shortcut, at.button(key="present_previous").proto.shortcut) == (
        "right", "left")
    at.button(key="present_next").click().run()
    assert at.query_params["i"] == "1" and "take 1" in [t.value for t in at.text]
    assert list(players(at)) == [f"present_player_{ids[1]}"]
    at.button(key="present_exit").click().run()
    assert heading(at) == "Show"


def test_present_says_why_a_take_has_no_video_and_plays_it_once_it_can(app_env: Path) -> None:
    """Test that Present shows, for a take with no video, why in plain words (still being made, or not made at all),
    with no player and the notes switch off; and that the take plays on the stage once it has a video."""
    new_app().run()
    [done] = takes(1)
    b = runtime.backend()
    waiting = b.store.record_attempt(VideoRequest("a take on its way"))
    failed = b.store.record_attempt(VideoRequest("a take that failed"))
    b.store.mark_created(failed, VideoTask("video_failed_1", TaskStatus.FAILED, error="Content policy"))
    board = b.showcase.board_named("Mixed")
    b.showcase.add(board.id, [waiting, failed, done])
    at = page("pages/present.py", board=str(board.id))

    def stage() -> tuple[list[str], list[str], bool]:
        return ([i.value for i in at.info], [t.value for t in at.text if t.value.startswith("a take")],
                at.toggle(key="present_notes_on").disabled)

    assert stage() == (["This take is still being made (Sending). It plays here once it is ready."],
                       ["a take on its way"], True) and players(at) == {}
    at.button(key="present_next").click().run()
    assert stage() == (["This take has no video: failed."], ["a take that failed"], True) and players(at) == {}
    at.button(key="present_next").click().run()
    assert not at.info and list(players(at)) == [f"present_player_{done}"]
    assert not at.toggle(key="present_notes_on").disabled
    b.store.mark_created(waiting, VideoTask("video_late_1", TaskStatus.COMPLETED, video_url="http://127.0.0.1:9/v.mp4"))
    at.query_params["i"] = "0"
    at.run()
    assert not at.info and [p["src"] for p in players(at).values()] == ["http://127.0.0.1:9/v.mp4"]


def test_compare_highlights_what_differs(app_env: Path) -> None:
    """Test Compare: one player per take and the settings that differ highlighted under them."""
    new_app().run()
    ids = takes(3)
    at = page("pages/compare.py", ids=",".join(map(str, ids)))
    assert len(at.get("video")) == 3
    table = at.dataframe[0].value
    assert list(table.columns) == ["Take 1", "Take 2", "Take 3"]
    assert list(table.loc["Aspect ratio"]) == ["16:9", "9:16", "16:9"]
    assert "Settings that differ are highlighted." in [c.value for c in at.caption]
    [back] = at.get("page_link")  # back to the Gallery with the compared takes selected
    assert (back.proto.page, back.proto.query_string) == ("gallery", "selected=" + "%2C".join(map(str, ids)))
    # A run that arrives with the Gallery's address (its selection, no ids) compares that selection as the Gallery's
    # button would (newest first), and its back link keeps the selection as it was.
    at = page("pages/compare.py", at, selected=f"{ids[0]},{ids[1]}")
    assert len(at.get("video")) == 2
    assert list(at.dataframe[0].value.loc["Aspect ratio"]) == ["9:16", "16:9"]  # ids[1] is the 9:16 take
    [back] = at.get("page_link")
    assert (back.proto.page, back.proto.query_string) == ("gallery", f"selected={ids[0]}%2C{ids[1]}")


def test_compare_lists_each_takes_notes_and_a_notes_time_moves_every_player(app_env: Path) -> None:
    """Test that Compare lists each take's notes by time under its player (the words as plain text, who wrote them),
    and that pressing a note's time asks the bar that drives the players to move them all to that moment (again
    when pressed again)."""
    new_app().run()
    ids = takes(2)
    review = runtime.backend().review
    late = review.pin(ids[0], 3.25, "**Slower** <b>here</b>", author="Carla").id
    early = review.pin(ids[0], 0.5, "Too dark", author="Ann").id
    at = page("pages/compare.py", ids=",".join(map(str, ids)))
    assert [e.label for e in at.expander] == ["Notes at a moment (2)"]  # the second take has none
    assert [at.button(key=f"compare_seek_{n}").label for n in (early, late)] == ["0:00.5", "0:03.2"]
    assert [t.value for t in at.text if t.value in ("Too dark", "**Slower** <b>here</b>")] == [
        "Too dark", "**Slower** <b>here</b>"]
    assert any(c.value.startswith("**Carla** · ") for c in at.caption)

    def asked() -> object:
        [bar] = [json.loads(e.proto.json) for e in at.get("bidi_component")
                 if e.proto.component_name.endswith("starvideos_compare_sync")]
        return bar["seek"]

    assert asked() is None and len(at.get("video")) == 2
    at.button(key=f"compare_seek_{late}").click().run()
    assert asked() == {"to": 3.25, "n": 1}
    at.button(key=f"compare_seek_{late}").click().run()
    assert asked() == {"to": 3.25, "n": 2}  # counted: the same moment asked again seeks again
    at.button(key=f"compare_seek_{early}").click().run()
    assert asked() == {"to": 0.5, "n": 3}


def test_a_share_link_opens_one_board_without_the_password(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that "Share link" makes a link on STARVIDEOS_PUBLIC_URL that opens that board only, read-only, with the
    password on; that the rest of the app still asks for it; and that a revoked link says so."""
    monkeypatch.setenv("STARVIDEOS_APP_PASSWORD", "team secret")
    monkeypatch.setenv("STARVIDEOS_PUBLIC_URL", "https://studio.example.com")
    at = new_app().run()
    at.text_input(key="password_input").set_value("team secret").run()
    ids = takes(2, "shared take")
    showcase = runtime.backend().showcase
    board = showcase.board_named("For the client")
    showcase.add(board.id, ids)
    other = showcase.board_named("Internal only")
    at = page("pages/boards.py", at, board=str(board.id))
    at.button(key="share_create").click().run()
    link = next(c.value for c in at.code if c.value.startswith("https://"))
    assert link.startswith("https://studio.example.com/shared?token=")
    token = link.split("token=", 1)[1]

    stranger = new_app().run()  # a fresh browser: no password typed
    assert [t.label for t in stranger.text_input] == ["Password"]
    stranger = page("pages/shared.py", stranger, token=token)
    assert heading(stranger) == "For the client" and "Internal only" not in texts(stranger)
    assert [t.value for t in stranger.text if t.value.startswith("shared take")] == ["shared take 0",
                                                                                       "shared take 1"]
    assert not [b for b in stranger.button if b.key in ("share_create", "delete_board_confirm")]
    stranger.toggle(key=f"shared_feedback_on_{ids[0]}").set_value(True).run()
    stranger.get("feedback")[0].set_value(4).run()
    assert showcase.ratings([ids[0]])[ids[0]].count == 1
    del other
    showcase.revoke(showcase.links(board.id)[0].id)
    stranger = page("pages/shared.py", stranger, token=token)
    assert plain(stranger.warning[0].value).startswith("This link has been revoked.")
    stranger = page("pages/shared.py", stranger, token="not-a-token")
    assert plain(stranger.warning[0].value).startswith("This link does not open anything.")


def test_the_share_box_says_plainly_when_the_app_is_open(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that without a password or sign-in the share box warns that anyone who can reach the app sees
    everything, naming STARVIDEOS_APP_PASSWORD and sign-in as the fix (the link can still be made); with a
    password it says the link shows this board only."""
    new_app().run()
    board = runtime.backend().showcase.board_named("Open house")
    at = page("pages/boards.py", board=str(board.id))
    [warning] = at.warning
    assert plain(warning.value).startswith("**This app has no password or sign-in**, so anyone who can reach it "
                                           "sees everything")
    assert "STARVIDEOS_APP_PASSWORD" in warning.value and "sign-in" in warning.value
    assert not [c for c in at.caption if "sees this board only" in c.value]
    at.button(key="share_create").click().run()
    assert [c.value for c in at.code if "/shared?token=" in c.value]

    monkeypatch.setenv("STARVIDEOS_APP_PASSWORD", "team secret")
    runtime.reset()
    at = new_app().run()
    at.text_input(key="password_input").set_value("team secret").run()
    at = page("pages/boards.py", at, board=str(board.id))
    assert not at.warning
    assert [c.value for c in at.caption if c.value.startswith("Anyone with the link sees this board only")]


def test_the_boards_list_shows_poster_strips_and_counts(app_env: Path) -> None:
    """Test that each board in the list shows how many takes it holds and a strip of its first posters (at most
    four), and that its name opens it (in the address)."""
    new_app().run()
    ids = takes(5)
    showcase = runtime.backend().showcase
    five, one = showcase.board_named("Five"), showcase.board_named("One")
    showcase.board_named("Nothing yet")
    showcase.add(five.id, ids)
    showcase.add(one.id, ids[:1])
    at = page("pages/boards.py")
    counts = {c.value for c in at.caption if "take" in c.value}
    assert counts == {"5 takes", "1 take", "0 takes"}
    # One st.image per strip; the board changed last comes first.
    assert [len(strip.proto.imgs) for strip in at.get("image")] == [1, 4]
    at.button(key=f"open_board_{five.id}").click().run()
    assert at.query_params["board"] == str(five.id) and heading(at) == "Five"


def test_link_holders_see_comments_marked_and_no_team_addresses(app_env: Path) -> None:
    """Test that on a shared board a comment posted through the link is marked "via share link" (the team's are
    not), that the team's e-mail addresses (comment authors, "Created by" in Compare) are never shown to someone
    holding the link, and that the team still sees them in the app."""
    new_app().run()
    b = runtime.backend()
    ids = [create_now(b.client, b.store, VideoRequest(f"client take {n}"), created_by="ann@team.test").record_id
           for n in range(2)]
    takes(0)
    showcase = b.showcase
    board = showcase.board_named("For the client")
    showcase.add(board.id, ids)
    token, link = showcase.share(board.id)
    showcase.comment(ids[0], "ann@team.test", "Our favourite", created_by="ann@team.test",
                     board_id=board.id)  # posted on the board's card: its link's holders see it
    stranger = page("pages/shared.py", token=token)
    stranger.toggle(key=f"shared_feedback_on_{ids[0]}").set_value(True).run()
    stranger.text_input(key=f"shared_name_{ids[0]}").set_value("ceo@team.test")
    stranger.text_area(key=f"shared_comment_{ids[0]}").set_value("Approved")
    stranger.button(key=f"FormSubmitter:shared_comment_form_{ids[0]}-Post comment").click().run()
    [theirs, ours] = showcase.comments(ids[0])
    assert (theirs.author, theirs.share_link_id, ours.share_link_id) == ("ceo@team.test", link.id, None)
    bylines = [plain(c.value) for c in stranger.caption if " ago" in c.value or "just now" in c.value]
    assert bylines == ["ceo@team.test · :gray-badge[via share link] · just now", "ann · just now"]
    assert "ann@team.test" not in texts(stranger)
    stranger.checkbox(key=f"select_shared_{ids[0]}").check().run()
    stranger.checkbox(key=f"select_shared_{ids[1]}").check().run()
    stranger.button(key="shared_compare").click().run()
    table = stranger.dataframe[0].value
    assert "Created by" not in table.index and "ann@team.test" not in table.to_string()
    assert "ann@team.test" not in texts(stranger)

    team = page("pages/boards.py", board=str(board.id))
    team.toggle(key=f"board_feedback_on_{ids[0]}").set_value(True).run()
    assert "ann@team.test · just now" in [plain(c.value) for c in team.caption]
    team = page("pages/compare.py", team, ids=f"{ids[0]},{ids[1]}")
    assert list(team.dataframe[0].value.loc["Created by"]) == ["ann@team.test", "ann@team.test"]


def test_a_tab_opened_before_a_revoke_cannot_post_after_it(app_env: Path) -> None:
    """Test that a shared board left open in a tab stores nothing once its link is revoked: the comment form and
    the stars, pressed after the revoke, store nothing, Present shows nothing more, and the page then says the link
    was revoked."""
    new_app().run()
    [rid] = takes(1)
    showcase = runtime.backend().showcase
    board = showcase.board_named("Revoked soon")
    showcase.add(board.id, [rid])
    token, link = showcase.share(board.id)
    tab = page("pages/shared.py", token=token)
    tab.toggle(key=f"shared_feedback_on_{rid}").set_value(True).run()
    tab.text_input(key=f"shared_name_{rid}").set_value("Dana")
    tab.text_area(key=f"shared_comment_{rid}").set_value("posted after the revoke")
    showcase.revoke(link.id)
    tab.button(key=f"FormSubmitter:shared_comment_form_{rid}-Post comment").click().run()
    assert showcase.comments(rid) == []
    assert plain(tab.warning[0].value).startswith("This link has been revoked.")
    tab = page("pages/shared.py", token=showcase.share(board.id)[0])
    tab.toggle(key=f"shared_feedback_on_{rid}").set_value(True).run()
    other = showcase.links(board.id)[0]
    showcase.revoke(other.id)
    tab.get("feedback")[0].set_value(4).run()
    assert showcase.ratings([rid]) == {}
    token, third = showcase.share(board.id)
    tab = page("pages/shared.py", token=token, view="present")
    assert list(players(tab)) == [f"present_player_{rid}"]
    showcase.revoke(third.id)
    tab.button(key="present_exit").click().run()  # any key, any button: the link is checked again
    assert players(tab) == {} and plain(tab.warning[0].value).startswith("This link has been revoked.")


def test_the_gallery_keeps_its_selection_and_filters_in_the_address(app_env: Path) -> None:
    """Test that the Gallery's search, filters and selection are in the address, that Compare carries them and
    its "Gallery" link brings them back, and that the sidebar (no parameters) brings back the last ones."""
    new_app().run()
    ids = takes(4)
    at = page("pages/gallery.py")
    at.checkbox(key=f"select_gallery_{ids[3]}").check().run()
    at.checkbox(key=f"select_gallery_{ids[1]}").check().run()
    at.selectbox(key="gallery_ratio").set_value("16:9").run()
    assert at.query_params == {"selected": f"{ids[3]},{ids[1]}", "ratio": "16:9"}
    at.checkbox(key=f"select_gallery_{ids[0]}").check().run()
    assert at.button(key="gallery_compare").label == "Compare (3)"
    at.button(key="gallery_compare").click().run()
    assert at.query_params == {"ids": f"{ids[3]},{ids[1]},{ids[0]}", "ratio": "16:9"}
    assert len(at.get("video")) == 3
    [back] = [link for link in at.get("page_link") if link.proto.label == "Gallery"]
    assert back.proto.query_string == f"ratio=16%3A9&selected={ids[3]}%2C{ids[1]}%2C{ids[0]}"
    at = page("pages/gallery.py", at, ratio="16:9", selected=f"{ids[3]},{ids[1]},{ids[0]}")
    assert [c.key for c in at.checkbox if c.value] == [f"select_gallery_{i}" for i in (ids[3], ids[0])]
    assert at.selectbox(key="gallery_ratio").value == "16:9" and at.button(key="gallery_compare").label == \
        "Compare (3)"  # the 9:16 take is filtered out of sight, and still selected
    at = page("pages/boards.py", at)
    at = page("pages/gallery.py", at)  # from the sidebar: no parameters
    assert at.query_params == {"ratio": "16:9", "selected": f"{ids[3]},{ids[1]},{ids[0]}"}
    at.button(key="gallery_clear").click().run()
    at.selectbox(key="gallery_ratio").set_value(None).run()
    assert at.query_params == {} and not [c for c in at.checkbox if c.value]
    at = page("pages/boards.py", at)
    at = page("pages/gallery.py", at)
    assert at.query_params == {}  # cleared stays cleared


def test_shared_present_moves_between_takes_and_stays_on_the_board(app_env: Path) -> None:
    """Test that Present on a shared board is a view of the shared page in the address: Next and Previous move
    between takes with their videos, Exit comes back to the board, and the token never leaves the address."""
    new_app().run()
    ids = takes(3)
    showcase = runtime.backend().showcase
    board = showcase.board_named("For the client")
    showcase.add(board.id, ids)
    token, _ = showcase.share(board.id)
    at = page("pages/shared.py", token=token)
    at.button(key="shared_present").click().run()
    assert at.query_params == {"token": token, "view": "present"}
    videos = [src for player in players(at).values() for src in [player["src"]]]
    for button, index in (("present_next", 1), ("present_next", 2), ("present_previous", 1)):
        at.button(key=button).click().run()
        assert at.query_params == {"token": token, "view": "present", "i": str(index)}
        assert f"take {index}" in [t.value for t in at.text]
        [stage] = players(at).values()
        videos.append(stage["src"])
    assert len(set(videos[:3])) == 3 and videos[3] == videos[1]
    at.button(key="present_exit").click().run()
    assert at.query_params == {"token": token} and heading(at) == "For the client"


def test_a_link_holder_is_given_media_links_only_for_the_boards_takes(app_env: Path) -> None:
    """Test that a share link's pages (the board, Present, Compare) sign /files links only for the takes on that
    board: every picture and video they show is a signed link to one of those takes' stored files, and an id of a
    take from elsewhere put in the address gets no link at all."""
    new_app().run()
    ids = takes(3)
    b = runtime.backend()
    showcase = b.showcase
    board = showcase.board_named("For the client")
    showcase.add(board.id, ids[:2])
    token, _ = showcase.share(board.id)
    allowed = {key for i in ids[:2] for key in (b.media.get(i).video_key, b.media.get(i).poster_key)}
    elsewhere = {b.media.get(ids[2]).video_key, b.media.get(ids[2]).poster_key}
    served: set[str] = set()
    views = [{}, {"view": "present"}, {"view": "present", "i": "1"},
             {"view": "compare", "ids": f"{ids[0]},{ids[1]}"}, {"view": "compare", "ids": f"{ids[0]},{ids[2]}"},
             {"view": "compare", "ids": f"{ids[2]},{ids[1]}"}]
    for view in views:
        at = page("pages/shared.py", token=token, **view)
        urls = [v.proto.url for v in at.get("video")] + [u for i in at.get("image") for u in _image_urls(i)]
        served |= {served_key(u) for u in urls if "/files/" in u}
    assert served and served <= allowed and not served & elsewhere


def _image_urls(element: object) -> list[str]:
    proto = getattr(element, "proto", None)
    return [img.url for img in getattr(proto, "imgs", [])]


def test_a_rerun_with_a_stale_address_undoes_nothing(app_env: Path) -> None:
    """Test that a rerun carrying the address from before the last change (a live fragment's timer and a click
    sent together both do) neither drops a selected take nor loses the next one: while the person stays on the
    Gallery, the session's selection wins and is written back to the address."""
    new_app().run()
    ids = takes(3)
    at = page("pages/gallery.py")
    at.checkbox(key=f"select_gallery_{ids[0]}").check().run()
    assert at.query_params == {"selected": str(ids[0])}
    at.query_params.clear()  # what the browser sent before the change reached it
    at.run()
    assert at.query_params == {"selected": str(ids[0])} and at.checkbox(key=f"select_gallery_{ids[0]}").value
    at.query_params.clear()
    at.checkbox(key=f"select_gallery_{ids[1]}").check().run()
    assert at.query_params == {"selected": f"{ids[0]},{ids[1]}"}
    assert at.button(key="gallery_compare").label == "Compare (2)"
