"""End to end, in Chromium: what the server layer serves a person: the finished take playing from the app's own
/files route (with Range), and History's export arriving as a real download."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import AppServer, wait_idle
from tests.e2e.test_app_e2e import create_task

pytestmark = pytest.mark.e2e


def open_history(page: Page) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="History").click()
    wait_idle(page)


def test_a_finished_take_plays_from_the_files_route(make_server: type, page: Page) -> None:
    """Test that the task view's player gets the stored copy from /files (a signed link, answered with Range),
    never from Streamlit's in-memory /media/, and that it plays."""
    server: AppServer = make_server()
    ranged: list[int] = []
    page.on("response", lambda r: ranged.append(r.status) if "/files/" in r.url else None)
    page.goto(server.url)
    wait_idle(page)
    task_id = create_task(page, "Text to video", "A kettle boils on a stove, macro, steam curling")
    open_history(page)
    grid = page.locator("[data-testid=stDataFrame]")
    expect(grid).to_contain_text("A kettle boils on a stove")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + 35 + 17)  # the first row, in the prompt column
    page.wait_for_url(re.compile(r"/history\?task="))
    expect(page.get_by_text(task_id).first).to_be_visible()
    video = page.locator("[data-testid=stMain] video").first
    expect(video).to_be_attached(timeout=60_000)
    expect(page.get_by_text(re.compile(r"Saved · \d+×\d+"))).to_be_visible(timeout=60_000)
    source = video.get_attribute("src") or ""
    assert source.startswith(f"{server.url}/files/videos/") and "&s=" in source and "/media/" not in source
    page.wait_for_function("v => v.readyState >= 2", arg=video.element_handle(), timeout=30_000)
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.2", arg=video.element_handle(), timeout=30_000)
    assert 206 in ranged or 200 in ranged


def test_history_export_arrives_as_a_download(make_server: type, page: Page) -> None:
    """Test that History → Export → Download CSV (then JSON) saves a real file in Chromium, holding the tasks the
    filters show (the report: nothing downloaded, MediaFileStorageError in the log)."""
    server: AppServer = make_server()
    page.goto(server.url)
    wait_idle(page)
    create_task(page, "Text to video", "Export me: a paper boat on a puddle")
    create_task(page, "Text to video", "Not me: a crow on a wire")
    open_history(page)
    page.get_by_role("textbox", name="Search").fill("paper boat")
    page.get_by_role("textbox", name="Search").press("Enter")
    grid = page.locator("[data-testid=stDataFrame]")
    expect(grid).not_to_contain_text("a crow on a wire")  # the search has been run: the export is drawn from it
    expect(grid).to_contain_text("a paper boat")
    wait_idle(page)
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download CSV").click()
    download = caught.value
    assert re.fullmatch(r"starvideos-history-\d{8}-\d{6}\.csv", download.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [r["prompt"] for r in rows] == ["Export me: a paper boat on a puddle"]
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download JSON").click()
    assert '"Export me: a paper boat on a puddle"' in Path(caught.value.path()).read_text(encoding="utf-8")
    log = (server.history.parent / f"streamlit-{server.port}.log").read_text()
    assert "MediaFileStorageError" not in log and "Traceback" not in log
