"""Journeys of the people who make videos, in Chromium, reaching every page by clicking as a person does: a teammate
(create in three modes, watch each finish on Create, find one in History, reuse it, continue from its last frame, and
follow the chain of shots), a batch runner (a CSV, Queue all pressed again and again, Pause and Resume, what it cost
on Usage), the Create page on a phone, and people's words shown as plain text on Create, Batch and Usage."""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import AppServer, result_task_id, screenshot, wait_idle, wait_until
from tests.hosts import Handler, Host, misbehaving_host

pytestmark = pytest.mark.e2e

PROMPTS = {
    "Text to video": "A lighthouse in a storm, slow aerial orbit, cinematic",
    "Image to video": "The sun sets over the hills, gentle push-in, watercolor",
    "First & last frame": "Day turns to night over the same hills, locked-off camera",
}
CARDS = ".st-key-create_result, [class*='st-key-created_card_']"


@pytest.fixture
def host() -> Iterator[Host]:
    with misbehaving_host() as h:
        Handler.hits.clear()
        yield h


def prompt_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Prompt")


def go(page: Page, name: str) -> None:
    """Open a page from the sidebar, as a person does."""
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name, exact=True).click()
    wait_idle(page)


def type_prompt(page: Page, prompt: str) -> None:
    prompt_box(page).fill(prompt)
    prompt_box(page).press("Control+Enter")
    wait_idle(page)


def create(page: Page, mode: str, prompt: str) -> str:
    """Fill the form in one mode, press Create video; returns the id the newest card shows."""
    page.get_by_text(mode, exact=True).click()
    wait_idle(page)
    type_prompt(page, prompt)
    if mode != "Text to video":
        page.get_by_role("button", name="Use sample images").click()
        wait_idle(page)
    page.get_by_role("button", name="Create video").click()
    return result_task_id(page, prompt)


def card_of(page: Page, task_id: str) -> Locator:
    return page.locator(CARDS).filter(has=page.locator("code", has_text=task_id))


def playing(card: Locator, seconds: float) -> None:
    """The card's video is there, loaded, and lasts the seconds that were asked for."""
    video = card.locator("video")
    expect(video).to_be_visible(timeout=45_000)
    video.evaluate("v => new Promise(done => v.readyState >= 1 ? done() : v.addEventListener('loadedmetadata', "
                   "() => done(), {once: true}))")
    assert abs(video.evaluate("v => v.duration") - seconds) < 0.5


def posts(server: AppServer) -> list[dict]:
    return [r["body"] for r in server.sandbox_requests() if r["method"] == "POST"]


def sending(server: AppServer) -> int:
    """Tasks claimed for sending whose POST has not been answered yet."""
    with sqlite3.connect(server.history) as db:
        return db.execute("SELECT COUNT(*) FROM tasks WHERE status = 'sending'").fetchone()[0]


def test_teammate_creates_watches_finds_reuses_and_continues(make_server: type, page: Page) -> None:
    """Test the teammate's journey: a task in each mode watched to its video on Create (the page then stops
    refreshing), found with History's search, reused, continued from its last frame with the parent's prompt and a
    "Continues" note, and the child linking to its parent and back."""
    server: AppServer = make_server()
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(len(payload))))
    page.goto(server.url)
    wait_idle(page)
    ids = {mode: create(page, mode, prompt) for mode, prompt in PROMPTS.items()}
    # Watched to the end in place: each card ends with its own video (the sandbox's clip of the asked 5 s).
    for task_id in ids.values():
        playing(card_of(page, task_id), 5)
    wait_idle(page)
    page.locator(".st-key-create_result").scroll_into_view_if_needed()
    screenshot(page, "create-finished.png")
    quiet = len(sent)
    # An observation window of two refreshes: a strip still refreshing would ask for a rerun every second.
    page.wait_for_timeout(2_000)
    assert len(sent) == quiet, "the page kept refreshing after everything on it had settled"
    newest = page.locator(".st-key-create_result")
    expect(newest.get_by_role("link", name="Open")).to_be_visible()
    expect(newest.get_by_role("button", name="Add to board")).to_be_visible()
    expect(newest.get_by_role("button", name="Continue from last frame")).to_be_visible()
    expect(prompt_box(page)).to_be_editable()  # the form stays ready for the next prompt

    go(page, "History")
    page.get_by_role("textbox", name="Search").fill("watercolor")
    page.get_by_role("textbox", name="Search").press("Enter")
    wait_idle(page)
    grid = page.locator("[data-testid=stDataFrame]")
    expect(grid).to_contain_text("gentle push-in")
    expect(grid).not_to_contain_text("lighthouse")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + 35 + 17)  # the one row, in its prompt
    page.wait_for_url(re.compile(r"/history\?(.+&)?task="))  # the search stays in the address
    wait_idle(page)
    expect(page.locator("[data-testid=stMain] [data-testid=stCode]").first).to_contain_text(ids["Image to video"])
    page.get_by_role("button", name="Reuse settings").click()
    wait_idle(page)
    expect(prompt_box(page)).to_have_value(PROMPTS["Image to video"])
    expect(page.get_by_role("radio", name="Image to video")).to_be_checked()
    page.get_by_role("button", name="Create video").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^You created this "))).to_be_visible()  # the same request: asked first
    page.get_by_role("button", name="Create again").click()
    wait_idle(page)
    # The click's run may not have begun: wait for a result that is none of the tasks made before, then read it.
    made_before = re.compile("|".join(re.escape(task_id) for task_id in ids.values()))
    expect(page.locator(".st-key-create_result code")).not_to_have_text(made_before)
    again = page.locator(".st-key-create_result").locator("code").inner_text().strip()
    assert again not in ids.values()
    playing(card_of(page, again), 5)

    card_of(page, again).get_by_role("button", name="Continue from last frame").click()
    wait_idle(page)
    expect(prompt_box(page)).to_have_value(PROMPTS["Image to video"])  # the parent's prompt, to edit
    note = page.locator(".st-key-continues_note")
    expect(note).to_contain_text(re.compile(
        rf"^Continues: {re.escape(PROMPTS['Image to video'])} · \d\d:\d\d"))
    image_url = page.get_by_role("textbox", name="Image URL")
    # the last frame, stored, as the image
    expect(image_url).to_have_value(re.compile(rf"^{re.escape(server.sandbox_url)}/files/uploads/"))
    frame = image_url.input_value()
    child_prompt = "The hills at night under stars, same framing, slow push-in"
    type_prompt(page, child_prompt)
    page.get_by_role("button", name="Create video").click()
    child = result_task_id(page, child_prompt)
    body = posts(server)[-1]
    assert body == {"prompt": child_prompt, "model": "starvideos_v3", "duration": 5, "ratio": "16:9",
                    "images": [frame]}
    playing(card_of(page, child), 5)

    card_of(page, child).get_by_role("link", name="Open").click()
    page.wait_for_url(re.compile(rf"/history\?task={child}"))
    wait_idle(page)
    expect(page.get_by_text("Continues", exact=True)).to_be_visible()
    expect(page.locator("[data-testid=stMain] [data-testid=stCode]").first).to_contain_text(child)
    page.get_by_role("button", name=PROMPTS["Image to video"][:59]).click()  # the parent, by its prompt
    wait_idle(page)
    expect(page.locator("[data-testid=stMain] [data-testid=stCode]").first).to_contain_text(again)
    expect(page.get_by_text("Continued by", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=child_prompt[:59])).to_be_visible()
    with sqlite3.connect(server.history) as db:
        parents = dict(db.execute("SELECT task_id, parent_id FROM tasks WHERE task_id IS NOT NULL").fetchall())
        ids_by_task = dict(db.execute("SELECT task_id, id FROM tasks WHERE task_id IS NOT NULL").fetchall())
    assert parents[child] == ids_by_task[again] and len(posts(server)) == 5


def batch_csv(prompts: list[str]) -> bytes:
    rows = ["prompt;duration;ratio"] + [f"{p};{3 + n % 3};{'9:16' if n % 2 else '16:9'}" for n, p in enumerate(prompts)]
    return ("\ufeff" + "\n".join(rows) + "\n").encode()


BATCH = [f"Batch take {n}: a paper boat drifts down a rain gutter, macro lens" for n in range(6)]


def pick_csv(page: Page, name: str, data: bytes) -> None:
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    wait_idle(page)


def test_batch_runner_queues_once_pauses_resumes_and_sees_the_spend(make_server: type, page: Page) -> None:
    """Test the batch runner's journey: the picker states the real 5 MB limit, the estimate shows against what is
    left, Queue all double-clicked and pressed again after a reload queues the file once (the sandbox's request log
    has each prompt once), Pause holds what waits, Resume sends it, "just queued" turns to "finished", and Usage
    shows the spend against the budget."""
    server: AppServer = make_server(STARVIDEOS_PRICE_PER_SECOND="0.05", STARVIDEOS_CURRENCY="EUR",
                                    STARVIDEOS_MONTHLY_BUDGET="25", STARVIDEOS_MAX_CREATES_PER_MINUTE="12")
    page.goto(server.url)
    wait_idle(page)
    go(page, "Batch")
    expect(page.get_by_test_id("stFileUploaderDropzoneInstructions")).to_contain_text("5MB per file")
    pick_csv(page, "launch.csv", batch_csv(BATCH))
    expect(page.get_by_text("6 rows: 6 ready, 0 with problems")).to_be_visible()
    # (3+4+5) × 2 × 0.05 = 1.20 before anything is pressed, against the whole month's budget.
    expect(page.get_by_text("6 tasks · Estimated cost: 1.20 EUR · 25.00 EUR left of this month's 25.00 EUR "
                            "budget")).to_be_visible()
    name_box = page.get_by_role("textbox", name="Batch name")
    expect(name_box).to_have_value(re.compile(r"^launch · \d\d:\d\d$"))
    name = name_box.input_value()
    assert posts(server) == []
    page.get_by_role("button", name="Queue all (6)").dblclick()
    wait_idle(page)
    # The second click may land before or after the first run answered: "Queued" or "Already queued", never twice.
    expect(page.get_by_text(re.compile(rf"^(Queued 6 tasks as “{re.escape(name)}”|Already queued as "
                                       rf"“{re.escape(name)}” at )")).first).to_be_visible()
    # Three go out at once and the rest one every 5 s: the pause has 15 s to land before the sixth, ample beside
    # another test.
    page.get_by_role("button", name="Pause").click()
    wait_idle(page)
    expect(page.get_by_role("button", name="Queue all (6)")).to_have_count(0)  # not offered again as if new
    expect(page.locator(".st-key-queue_switch").get_by_role("button", name="Resume")).to_be_enabled()
    paused_at = time.monotonic()
    wait_until(lambda: sending(server) == 0)  # a claim made just before the pause has gone out
    held = len(posts(server))
    assert held < 6
    card = page.locator("[class*='st-key-batch_']").filter(has_text=name)
    expect(card).to_contain_text("just queued")

    tab = page.context.new_page()  # another tab, like a reload: a new session, only the database remembers
    tab.goto(server.url)
    wait_idle(tab)
    go(tab, "Batch")
    pick_csv(tab, "launch (1).csv", batch_csv(BATCH))
    expect(tab.get_by_text(re.compile(rf"^Already queued as “{re.escape(name)}” at \d\d:\d\d · "))).to_be_visible()
    expect(tab.get_by_role("button", name="Queue all (6)")).to_have_count(0)
    tab.get_by_role("button", name="Queue again…").click()
    dialog = tab.get_by_role("dialog")
    expect(dialog).to_contain_text("Queue the same 6 tasks once more? They are new tasks, created and billed again.")
    dialog.get_by_role("button", name="Cancel").click()
    wait_idle(tab)
    expect(tab.get_by_text(re.compile(r"The queue is paused; \d tasks? waiting\."))).to_be_visible()
    tab.close()
    # An observation window longer than the pace (one every 5 s), counted from the pause (the other tab's visit
    # is inside it): nothing more goes out.
    page.wait_for_timeout(max(0.0, paused_at + 6 - time.monotonic()) * 1000)
    assert len(posts(server)) == held

    page.get_by_role("button", name="Resume").click()
    wait_idle(page)
    wait_until(lambda: len(posts(server)) == 6)
    assert Counter(b["prompt"] for b in posts(server)) == Counter(BATCH)  # each row once: nothing doubled
    card = page.locator("[class*='st-key-batch_']").filter(has_text=name)
    expect(card).to_contain_text("finished", timeout=45_000)
    expect(card).not_to_contain_text("just queued")
    with sqlite3.connect(server.history) as db:
        assert db.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 1
        seconds = db.execute("SELECT SUM(duration) FROM tasks").fetchone()[0]
    assert seconds == 24

    go(page, "Usage")
    expect(page.locator("[data-testid=stProgress]").first).to_contain_text("This month: 1.20 EUR of 25.00 EUR")


def test_create_on_a_phone_shows_the_whole_id_and_the_mode(make_server: type, browser: Browser) -> None:
    """Test that on a 390 px phone (sidebar folded away) Create still says Sandbox, and a created task's id is shown
    whole, wrapped inside its card, not cut off."""
    server: AppServer = make_server()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(30_000)
    phone.goto(server.url)
    wait_idle(phone)
    expect(phone.get_by_test_id("stSidebar")).not_to_be_in_viewport()
    expect(phone.get_by_text("Sandbox · no credits used")).to_be_in_viewport()
    task_id = create(phone, "Text to video", "A kite over the dunes, seen from a phone")
    code = phone.locator(".st-key-create_result [data-testid=stCode] pre")
    code.scroll_into_view_if_needed()
    assert code.inner_text().strip() == task_id
    fits = code.evaluate("e => [e.scrollWidth <= e.clientWidth, e.getBoundingClientRect().right <= 390]")
    assert fits == [True, True], "the task id is cut off"
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    context.close()


def test_peoples_words_are_plain_text_on_create_batch_and_usage(make_server: type, page: Page, host: Host) -> None:
    """Test that a Markdown picture and link typed as a prompt (and so the "Continues" note), a preset name, a CSV's
    file name, its prompts and a batch name are shown as the characters typed on Create, Batch and Usage: the
    browser fetches nothing they point at, and no link or picture is made of them."""
    picture = f"![px]({host.base}/pixel.png)"
    link = f"[win]({host.base}/link)"
    words = f"A kite {picture} {link}\n===\nover the dunes"
    server: AppServer = make_server()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server.url)
    wait_idle(page)
    task_id = create(page, "Text to video", words)
    expect(page.locator(".st-key-create_result").get_by_text(f"A kite {picture} {link} === over the dunes",
                                                              exact=True)).to_be_visible()
    playing(card_of(page, task_id), 5)
    card_of(page, task_id).get_by_role("button", name="Continue from last frame").click()
    wait_idle(page)
    expect(page.locator(".st-key-continues_note")).to_contain_text(f"Continues: A kite {picture} {link} ===")

    page.get_by_text("Presets", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Save as preset").click()
    page.get_by_role("textbox", name="Preset name").fill(f"Preset {picture}")
    page.get_by_role("button", name="Save", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text(f"Saved “Preset {picture}” for the whole team.")).to_be_visible()

    go(page, "Batch")
    pick_csv(page, "![px](pixel-from-file.png).csv", batch_csv([f"Row {n} {picture}" for n in range(2)]))
    batch_name = page.get_by_role("textbox", name="Batch name")
    expect(batch_name).to_have_value(re.compile(r"^!\[px\]\(pixel-from-file\.png\) · "))
    batch_name.fill(f"Launch {link}")
    batch_name.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Queue all (2)").click()
    wait_idle(page)
    expect(page.get_by_text(f"Queued 2 tasks as “Launch {link}”")).to_be_visible()
    expect(page.locator("[class*='st-key-batch_']").get_by_text(f"Launch {link}")).to_be_visible()
    page.reload()
    wait_idle(page)
    pick_csv(page, "again.csv", batch_csv([f"Row {n} {picture}" for n in range(2)]))
    expect(page.get_by_text(f"Already queued as “Launch {link}”")).to_be_visible()
    go(page, "Usage")
    expect(page.get_by_role("heading", name="Usage")).to_be_visible()

    pages_seen = " ".join(requested)
    assert sum(Handler.hits.values()) == 0, Handler.hits  # nothing fetched from the address in the words
    assert host.base not in pages_seen and "pixel-from-file" not in pages_seen
    for pointer in (host.base, "pixel-from-file"):
        expect(page.locator(f"a[href*='{pointer}'], img[src*='{pointer}']")).to_have_count(0)
