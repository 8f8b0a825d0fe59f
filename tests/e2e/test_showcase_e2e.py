"""End to end, in Chromium: the Gallery's posters, selection to a board, Present with the arrow keys, Compare in
step, stars and comments, a share link opened in a fresh browser, and the pages on a phone."""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from starvideos.client import StarVideosClient
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from starvideos.sandbox.clips import render
from tests.conftest import DUMMY_KEY
from tests.creates import create_now
from tests.e2e.conftest import AppServer, free_port, screenshot, stage_played_past, wait_idle
from tests.e2e.seeding import LAPTOP, PROMPTS, board_of, seed, shared_board, showcase

pytestmark = pytest.mark.e2e
__all__ = ["PROMPTS", "add_to_new_board", "seed", "showcase"]  # what other e2e files take from here


def wait_every(page: Page, selector: str, condition: str) -> None:
    """Wait until the JavaScript ``condition`` holds for every element ``e`` that ``selector`` matches."""
    page.wait_for_function(f"() => [...document.querySelectorAll({json.dumps(selector)})].every((e) => {condition})")


def add_to_new_board(page: Page, name: str, count: int) -> None:
    """Press "Add to board (count)" for the selected takes, type a new board's name in its dialog (Enter takes it),
    press Add, and wait for the page to say it added them."""
    page.get_by_role("button", name=f"Add to board ({count})").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Add to board")).to_be_visible()
    dialog.get_by_role("combobox").fill(name)
    dialog.get_by_role("combobox").press("Enter")
    wait_idle(page)
    dialog.get_by_role("button", name="Add").click()
    expect(page.get_by_text(f"Added {count} takes to “{name}”.")).to_be_visible()


def test_gallery_posters_selection_and_add_to_a_new_board(make_server: type, page: Page) -> None:
    """Test that the Gallery's posters load (and no video does), and that two selected takes go to a board whose
    name is typed in the "Add to board" dialog."""
    server: AppServer = make_server()
    ids = seed(server, visit=page)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Gallery").click()
    expect(page.locator("[class*='st-key-card_gallery_']")).to_have_count(4)
    wait_idle(page)  # the Gallery's run has begun: once it is over, nothing of the page before it is left
    expect(page.locator("[data-testid=stImage] img")).to_have_count(4)
    wait_every(page, "[data-testid=stImage] img", "e.complete && e.naturalWidth > 0")
    expect(page.locator("video")).to_have_count(0)
    screenshot(page, "gallery.png")
    for record_id in ids[:2]:
        page.locator(f".st-key-select_gallery_{record_id} label").click()
        wait_idle(page)
    add_to_new_board(page, "Spring pitch", 2)
    [board] = showcase(server).boards()  # stored before the page said so
    assert board.name == "Spring pitch" and {t.record.id for t in showcase(server).items(board.id)} == set(ids[:2])


def test_present_with_the_arrow_keys(make_server: type, page: Page) -> None:
    """Test Present: a big playing video with its prompt; → and ← move between takes; the sidebar is out of the way."""
    server: AppServer = make_server()
    ids = seed(server, visit=page)
    board = board_of(server, "Show", ids)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{server.url}/present?board={board.id}")
    wait_idle(page)
    caption = page.locator(".st-key-present_caption")
    expect(caption).to_have_text(PROMPTS[0])
    expect(page.locator("[data-testid=stSidebar]")).to_be_hidden()
    box = stage_played_past(page, ids[0], 0.2).bounding_box()
    assert box["height"] >= 700  # as big as a 1080p projector allows, with room for the caption and buttons
    page.keyboard.press("ArrowRight")
    expect(caption).to_have_text(PROMPTS[1])
    stage_played_past(page, ids[1], 0.5)
    screenshot(page, "present.png")
    page.keyboard.press("ArrowRight")
    expect(caption).to_have_text(PROMPTS[2])
    page.keyboard.press("ArrowLeft")
    expect(caption).to_have_text(PROMPTS[1])
    expect(page).to_have_url(re.compile(r"[?&]i=1\b"))  # the address may follow the caption by a moment
    # A take shown again plays again (st.video autoplayed an address only the first time it was drawn).
    stage = stage_played_past(page, ids[1], 0.2)
    # Opening the notes keeps the take playing where it is: the same video element, still playing.
    stage.evaluate("(v) => { v.dataset.before = 'notes'; }")
    page.locator(".st-key-present_notes").get_by_text("Notes at a moment").click()
    wait_idle(page)
    expect(page.get_by_role("button", name=re.compile(r"^Note at "))).to_be_visible()
    wait_idle(page)  # the run that drew the notes has begun: read the stage once it is over
    assert stage.evaluate("(v) => v.dataset.before === 'notes' && !v.paused")


@pytest.mark.serial  # players in step within a quarter second: alone
def test_compare_players_stay_in_step(make_server: type, page: Page) -> None:
    """Test Compare: one bar plays, pauses and seeks every player; after a seek their currentTime agrees."""
    server: AppServer = make_server()
    ids = seed(server, visit=page)
    page.goto(f"{server.url}/compare?ids={','.join(map(str, ids[:3]))}")
    wait_idle(page)
    players = ".st-key-compare_players video"
    expect(page.locator(players)).to_have_count(3)
    wait_every(page, players, "e.readyState >= 2")
    seek = page.locator(".sv-seek")
    seek.evaluate("(el) => { el.value = 600; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    # 60% of the sandbox's 5-second takes (each clip lasts the duration it asked for).
    wait_every(page, players, "Math.abs(e.currentTime - 3.0) < 0.1")
    page.locator(".sv-play").click()
    wait_every(page, players, "!e.paused && e.currentTime > 3.2")
    page.locator(".sv-play").click()
    wait_every(page, players, "e.paused")
    times = page.evaluate("() => [...document.querySelectorAll('.st-key-compare_players video')]"
                          ".map(v => v.currentTime)")
    assert max(times) - min(times) < 0.25, times
    expect(page.get_by_text("Settings that differ are highlighted.")).to_be_visible()
    screenshot(page, "compare.png")


def test_stars_and_a_comment_round_trip(make_server: type, page: Page) -> None:
    """Test that clicking a star and posting a comment on a take are stored and shown, as plain text."""
    server: AppServer = make_server()
    [rid] = seed(server, PROMPTS[:1], visit=page)
    task_id = HistoryStore(Database(f"sqlite:///{server.history}")).get(rid).task_id
    page.goto(f"{server.url}/history?task={task_id}")
    wait_idle(page)
    page.locator("[data-testid=stFeedback] button, [data-testid=stButtonGroup] button").nth(3).click()
    wait_idle(page)
    expect(page.get_by_text("★ 4.0 · 1 rater")).to_be_visible()
    page.get_by_text(re.compile(r"^Comments \(0\)")).click()
    page.get_by_label("Your name").fill("Dana")
    page.get_by_label("Comment").fill("<img src=x onerror=alert(1)> slower push-in, please")
    page.get_by_role("button", name="Post comment").click()
    wait_idle(page)
    expect(page.get_by_text("<img src=x onerror=alert(1)> slower push-in, please")).to_be_visible()
    assert showcase(server).ratings([rid])[rid].average == 4.0
    assert [c.author for c in showcase(server).comments(rid)] == ["Dana"]


def test_a_share_link_in_a_fresh_browser(make_server: type, new_page: Callable[..., Page]) -> None:
    """Test that a share link opens its board in a fresh browser without the password, and that /history in that
    same browser still asks for it."""
    server: AppServer = make_server(STARVIDEOS_APP_PASSWORD="team secret")
    team = new_page(viewport=LAPTOP)
    ids = seed(server, PROMPTS[:2], visit=team)
    board = board_of(server, "For the client", ids)
    shows = showcase(server)
    shows.rate(ids[0], "ann", 5)
    shows.comment(ids[0], "Ann", "Love the light; can we try a slower orbit?")
    shows.set_best(board.id, ids[0])
    team.goto(f"{server.url}/boards?board={board.id}")
    wait_idle(team)
    team.locator("input[type=password]").fill("team secret")
    team.locator("input[type=password]").press("Enter")
    wait_idle(team)
    team.get_by_role("button", name="Share link").click()
    team.get_by_role("button", name="Create share link").click()
    code = team.locator("[data-testid=stCode]").filter(has_text="/shared?token=")
    expect(code).to_be_visible()
    screenshot(team, "board.png")  # with its share box open
    link = code.inner_text().strip()
    assert link.startswith(f"{server.url}/shared?token=")

    stranger = new_page()
    stranger.goto(link)
    wait_idle(stranger)
    expect(stranger.get_by_role("heading", name="For the client")).to_be_visible()
    expect(stranger.locator("input[type=password]")).to_have_count(0)
    expect(stranger.get_by_text(re.compile(r"^A shared board: you can play, present, compare, rate, comment"))
           ).to_be_visible()
    stranger.goto(f"{server.url}/history")
    wait_idle(stranger)
    expect(stranger.locator("input[type=password]")).to_be_visible()
    expect(stranger.get_by_text("For the client")).to_have_count(0)


@pytest.fixture(scope="module")
def phone_board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppServer, int, str]]:
    """One server, three takes and a board of them shared by a link, for the four pages a phone only looks at."""
    server = AppServer(history=tmp_path_factory.mktemp("phone") / "history.sqlite3", sandbox_port=free_port())
    try:
        board, token = shared_board(server.start(), "Phone", seed(server, PROMPTS[:3]))
        yield server, board.id, token
    finally:
        server.stop()


@pytest.mark.parametrize("where", ["gallery", "board", "shared", "history"])
def test_comfortable_on_a_phone(phone_board: tuple[AppServer, int, str], new_page: Callable[..., Page],
                                where: str) -> None:
    """Test that at 390 px the page never scrolls sideways, cards stand in one column with their prompt visible,
    and History shows time, status and prompt."""
    server, board_id, token = phone_board
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    path = {"gallery": "/gallery", "board": f"/boards?board={board_id}", "shared": f"/shared?token={token}",
            "history": "/history"}[where]
    phone.goto(server.url + path)

    def never_sideways() -> None:
        wait_idle(phone)  # the page's run has drawn what is awaited above; once it is over, measure the whole page
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390

    if where == "history":
        grid = phone.locator("[data-testid=stDataFrame]")
        expect(grid).to_contain_text(PROMPTS[2][:20])
        never_sideways()
        box = grid.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        headers = phone.locator("[data-testid=stDataFrame] table th")
        for n, name in enumerate(["Time", "Status", "Prompt"]):
            expect(headers.nth(n)).to_have_text(name)
        return
    cards = phone.locator("[class*='st-key-card_']")
    expect(cards).to_have_count(3)
    prompt = phone.get_by_text(PROMPTS[2]).first
    expect(prompt).to_be_visible()
    never_sideways()
    boxes = [card.bounding_box() for card in cards.all()]
    assert all(b["width"] >= 300 and b["x"] + b["width"] <= 390 for b in boxes)  # one column, within the screen
    assert [round(b["y"]) for b in boxes] == sorted(round(b["y"]) for b in boxes)  # stacked, in order
    box = prompt.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_a_board_stays_open_through_every_action(make_server: type, new_page: Callable[..., Page],
                                                 page: Page) -> None:
    """Test that a board opened by clicking its name in Boards is in the address (?board=N) and stays open through
    Up, Down, Remove, Rename, Share link, Revoke, Compare and back, Present and Esc, a reload and Back; and that
    the address pasted in another browser opens the same board."""
    server: AppServer = make_server()
    ids = seed(server, PROMPTS, visit=page)
    shows = showcase(server)
    shows.board_named("Another board")
    board = board_of(server, "Review", ids)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Boards").click()
    wait_idle(page)
    page.get_by_test_id("stMain").get_by_text("Review", exact=True).click()
    address = f"{server.url}/boards?board={board.id}"
    cards = page.locator("[class*='st-key-card_board_']")

    def still_open(name: str = "Review", order: list[int] | None = None) -> None:
        """The board is drawn (``name`` as its heading, its takes in ``order``): once the run that drew it is
        over, the address is still the board's."""
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        if order is not None:
            expect(cards).to_have_class([re.compile(rf"\bst-key-card_board_{i}\b") for i in order])
        wait_idle(page)
        expect(page).to_have_url(address)

    still_open(order=ids)
    page.locator(f".st-key-up_{ids[1]} button").click()
    still_open(order=[ids[1], ids[0], ids[2], ids[3]])
    page.locator(f".st-key-down_{ids[2]} button").click()
    still_open(order=[ids[1], ids[0], ids[3], ids[2]])
    page.locator(f".st-key-remove_{ids[3]} button").click()
    still_open(order=[ids[1], ids[0], ids[2]])
    assert [t.record.id for t in shows.items(board.id)] == [ids[1], ids[0], ids[2]]
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("Board name").fill("Review, round 2")
    page.get_by_role("button", name="Save name").click()
    still_open("Review, round 2")
    page.get_by_role("button", name="Share link").click()
    page.get_by_role("button", name="Create share link").click()
    expect(page.locator("[data-testid=stCode]").filter(has_text="/shared?token=")).to_be_visible()
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text(re.compile(r"^Link \d+ · made .* · revoked$"))).to_be_visible()
    assert [link.state() for link in shows.links(board.id)] == ["revoked"]
    page.keyboard.press("Escape")
    still_open("Review, round 2")
    page.get_by_role("button", name="Compare (3)").click()
    expect(page.locator(".st-key-compare_players video")).to_have_count(3)
    page.get_by_role("link", name="Back to “Review, round 2”").click()
    still_open("Review, round 2")
    page.get_by_role("link", name="Present").click()
    expect(page.locator(".st-key-present_caption")).to_have_text(PROMPTS[1])
    wait_idle(page)  # Present hears its keys once the run that draws it is over
    page.keyboard.press("Escape")
    expect(page.locator(".st-key-present_caption")).to_have_count(0)
    still_open("Review, round 2")
    page.reload()
    still_open("Review, round 2")
    page.get_by_role("link", name="Present").click()
    expect(page.locator(".st-key-present_caption")).to_have_text(PROMPTS[1])
    page.go_back()
    expect(page.locator(".st-key-present_caption")).to_have_count(0)
    still_open("Review, round 2")

    pasted = new_page()
    pasted.goto(address)
    expect(pasted.get_by_role("heading", name="Review, round 2")).to_be_visible()


class HeldVideo:
    """A loopback "CDN" that answers with a real clip only once released: a take whose copy is still being made."""

    def __init__(self, clip: bytes) -> None:
        self.release = threading.Event()
        held = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                held.release.wait(60)
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(len(clip)))
                self.end_headers()
                self.wfile.write(clip)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


def test_a_poster_appears_in_the_open_gallery(make_server: type, page: Page) -> None:
    """Test that a take whose copy is still being made shows a placeholder in the Gallery, and that its poster, and
    then a newer take, appear in the open page on their own, without a reload."""
    held = HeldVideo(render("video_held_1", "A heron lifts off the river at dawn", "16:9"))
    try:
        server: AppServer = make_server(STARVIDEOS_ALLOW_PRIVATE_HOSTS=f"127.0.0.1:{held.port}")
        [rid] = seed(server, PROMPTS[:1], visit=page)
        store = HistoryStore(Database(f"sqlite:///{server.history}"))
        waiting = store.record_attempt(VideoRequest("A heron lifts off the river at dawn"))
        store.mark_created(waiting, VideoTask("video_held_1", TaskStatus.COMPLETED,
                                              video_url=f"http://127.0.0.1:{held.port}/held.mp4"))
        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Gallery").click()
        wait_idle(page)
        page.evaluate("() => { window.__same_page = true; }")
        expect(page.locator(f".st-key-card_gallery_{waiting}").get_by_text("Saving the take…")).to_be_visible()
        expect(page.locator(f".st-key-card_gallery_{rid} [data-testid=stImage] img")).to_be_visible()
        held.release.set()
        expect(page.locator(f".st-key-card_gallery_{waiting} [data-testid=stImage] img")).to_be_visible(
            timeout=30_000)
        page.wait_for_function(f"() => {{ const i = document.querySelector("
                               f"'.st-key-card_gallery_{waiting} [data-testid=stImage] img'); "
                               "return i && i.complete && i.naturalWidth > 0; }")
        newer = create_now(StarVideosClient(server.sandbox_url, DUMMY_KEY), store,
                             VideoRequest("A paper boat drifts down a gutter in the rain"), session_id="e2e")
        expect(page.locator(f".st-key-card_gallery_{newer.record_id}")).to_be_visible(timeout=30_000)
        assert page.evaluate("() => window.__same_page === true")  # never reloaded
        store.close()
    finally:
        held.close()
