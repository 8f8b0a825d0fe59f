"""End to end, in Chromium: what a person expects to keep lives in the address. History's search, filters and page
survive opening a task and coming back (by "All tasks", by Back, by the sidebar, by a reload), and its Time column
shows the whole time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from starvideos.client import StarVideosClient
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import VideoRequest
from tests.conftest import DUMMY_KEY
from tests.creates import create_now
from tests.e2e.conftest import AppServer, wait_idle

pytestmark = pytest.mark.e2e

# Records every fillText with where it lands and the clip it is drawn in, so a test can tell whether the data grid
# (a canvas) shows a cell's text whole or cut off at the column's edge.
CANVAS_TEXT = (Path(__file__).parent / "canvas_text.js").read_text()


def tasks(server: AppServer, prompts: list[str]) -> None:
    store = HistoryStore(Database(f"sqlite:///{server.history}"))
    client = StarVideosClient(server.sandbox_url, DUMMY_KEY)
    for prompt in prompts:
        create_now(client, store, VideoRequest(prompt), session_id="e2e")
    store.close()


def expect_prompts(page: Page, prompts: list[str]) -> None:
    """Wait until the grid lists exactly these prompts, in this order."""
    page.wait_for_function(
        "want => JSON.stringify([...document.querySelectorAll('[data-testid=stDataFrame] table tbody tr')]"
        ".map(tr => tr.querySelectorAll('td')[2]?.innerText)) === JSON.stringify(want)", arg=prompts)


def click_row(page: Page, row: int) -> None:
    """Click a row's prompt cell, as a person does (the grid is a canvas)."""
    box = page.locator("[data-testid=stDataFrame] canvas").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + 36 + 35 * row + 17)
    wait_idle(page)


def pick(page: Page, label: str, option: str) -> None:
    page.get_by_test_id("stMain").locator("[data-testid=stMultiSelect]").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_idle(page)


def test_history_search_filters_and_page_survive_a_task_and_back(make_server: type, page: Page) -> None:
    """Test that History's search, mode filter and page 2 stay as they were after opening a task and coming back
    by "All tasks", by the browser's Back, by the sidebar and by a reload, and that they are in the address."""
    # The thirty tasks stay queued and are looked up once: where they are in the list is what this is about, and
    # thirty takes finishing (clips drawn, copied, posters made) cost the server more than the rest of the test.
    server: AppServer = make_server(STARVIDEOS_SANDBOX_SPEED="0.01", STARVIDEOS_POLL_INTERVAL="600")
    page.goto(server.url)
    wait_idle(page)
    tasks(server, [f"fox {n}" for n in range(25)] + [f"owl {n}" for n in range(5)])
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="History").click()
    wait_idle(page)
    page.get_by_role("textbox", name="Search").fill("fox")
    page.get_by_role("textbox", name="Search").press("Enter")
    expect(page.get_by_text("Page 1 · 25 tasks")).to_be_visible()  # the search has been run
    pick(page, "Mode", "Text")
    expect(page).to_have_url(re.compile(r"[?&]mode=text\b"))  # the filter has been run
    page.get_by_role("button", name="Next").click()
    wait_idle(page)
    pager = page.get_by_text("Page 2 · 25 tasks")
    expect(pager).to_be_visible()
    # The address is set by the same run that draws the page, not necessarily before it draws the pager.
    expect(page).to_have_url(re.compile(r"^(?=.*[?&]q=fox\b)(?=.*[?&]mode=text\b)(?=.*[?&]page=2\b)"))
    list_address = page.url
    expected = [f"fox {n}" for n in range(4, -1, -1)]
    expect_prompts(page, expected)

    def back_on_the_list() -> None:
        expect(pager).to_be_visible()
        expect(page.get_by_role("textbox", name="Search")).to_have_value("fox")
        expect(page.get_by_test_id("stMain").locator("[data-testid=stMultiSelect]").filter(
            has_text="Mode")).to_contain_text("Text")
        expect_prompts(page, expected)
        expect(page).to_have_url(list_address)

    click_row(page, 1)
    expect(page.get_by_test_id("stText").get_by_text("fox 3", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]task="))
    page.get_by_role("button", name="All tasks").click()
    wait_idle(page)
    back_on_the_list()

    click_row(page, 0)
    expect(page.get_by_test_id("stText").get_by_text("fox 4", exact=True)).to_be_visible()
    page.go_back()
    wait_idle(page)
    back_on_the_list()

    click_row(page, 2)
    expect(page.get_by_test_id("stText").get_by_text("fox 2", exact=True)).to_be_visible()
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Gallery").click()
    wait_idle(page)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="History").click()
    wait_idle(page)
    back_on_the_list()

    page.reload()
    wait_idle(page)
    back_on_the_list()
    page.get_by_role("button", name="Previous").click()
    wait_idle(page)
    expect(page.get_by_text("Page 1 · 25 tasks")).to_be_visible()
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]page=)(?=.*[?&]q=fox\b)"))


def test_history_shows_the_whole_time(make_server: type, page: Page) -> None:
    """Test that History's Time column is wide enough for the date and time it shows, seconds included, on a
    desktop and on a phone (the grid is a canvas: each drawn text is measured against its cell's clip)."""
    server: AppServer = make_server()
    page.add_init_script(CANVAS_TEXT)
    page.goto(server.url)
    wait_idle(page)
    tasks(server, ["A lighthouse in a storm"])
    for width in (1400, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{server.url}/history")
        wait_idle(page)
        shown = r"^[A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2}:\d{2}$"  # "Nov 30, 14:59:09"
        page.wait_for_function("re => (window.__drawn || []).some(d => new RegExp(re).test(d.text))", arg=shown)
        drawn = [d for d in page.evaluate("() => window.__drawn") if re.match(shown, d["text"])]
        for cell in drawn:
            assert cell["clip"] is not None
            assert cell["x"] + cell["w"] <= cell["clip"]["x"] + cell["clip"]["w"], (width, cell)
        page.evaluate("() => { window.__drawn = []; }")
