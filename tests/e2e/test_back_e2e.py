"""The browser's Back button across pages, in Chromium: leaving a task for Create and coming back to it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_idle, wait_settled

pytestmark = pytest.mark.e2e

PROMPT = "A paper boat drifts down a rainy gutter, low tracking shot"


def test_back_from_create_returns_to_the_task_it_was_opened_from(make_server: type, page: Page) -> None:
    """Test that Back, after "Continue from last frame" or "Reuse settings" on a task in History, returns to that
    task, not to History's list: opening Create must add one entry to the browser's history, not two."""
    server = make_server()
    page.goto(server.url)
    wait_idle(page)
    page.get_by_role("textbox", name="Prompt").fill(PROMPT)
    page.get_by_role("button", name="Create video").click()
    result = page.locator(".st-key-create_result")
    expect(result.get_by_role("button", name="Continue from last frame")).to_be_visible()  # made, and kept
    task_id = result.locator("code").first.inner_text().strip()
    wait_settled(page)  # the card's live part has redrawn the page once it settled
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="History", exact=True).click()
    grid = page.locator("[data-testid=stDataFrame]")
    expect(grid).to_contain_text("paper boat")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + 35 + 17)  # the one row, in its prompt
    task_url = re.compile(rf"/history\?task={task_id}$")
    expect(page).to_have_url(task_url)
    detail = page.get_by_test_id("stMain")
    continue_button = detail.get_by_role("button", name="Continue from last frame")

    continue_button.click()
    expect(page.locator(".st-key-continues_note")).to_contain_text(f"Continues: {PROMPT}")
    page.go_back()
    expect(page).to_have_url(task_url)
    expect(detail.get_by_role("button", name="Reuse settings")).to_be_visible()
    expect(detail.locator("[data-testid=stCode]").first).to_contain_text(task_id)

    detail.get_by_role("button", name="Reuse settings").click()
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value(PROMPT)
    page.go_back()
    expect(page).to_have_url(task_url)
    expect(detail.locator("[data-testid=stCode]").first).to_contain_text(task_id)
    expect(detail.get_by_role("button", name="Reuse settings")).to_be_visible()
