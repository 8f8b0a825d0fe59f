"""End to end, in Chromium: people's text full of Markdown (a picture aimed at a loopback listener, links, bare web
and e-mail addresses, an icon, headings) is shown as text on every showcase page, reached by clicking; the
listener is never fetched, and no link, picture or heading is made of it."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import VideoRequest
from tests.e2e.conftest import AppServer, wait_idle
from tests.e2e.test_showcase_e2e import seed, showcase

pytestmark = pytest.mark.e2e


class Listener:
    """A loopback HTTP server that counts what is asked of it (a picture in a prompt would be fetched from here)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(f"{self.path} (Referer: {self.headers.get('Referer')})")
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def listener() -> Iterator[Listener]:
    served = Listener()
    yield served
    served.server.shutdown()


def strings(port: int) -> dict[str, str]:
    picture = f"![b](http://127.0.0.1:{port}/pixel.png)"
    return {
        "prompt": f"{picture} see [here](http://127.0.0.1:{port}/link) www.example.org ceo@example.com "
                  ":material/home: -> done\n===\n# big",
        "board": f"{picture} board http://127.0.0.1:{port}/board",
        "comment": f"{picture} comment http://127.0.0.1:{port}/comment **bold**",
        "name": f"{picture} ceo@example.com",
    }


def watch(page: Page, listener: Listener) -> None:
    """From the page's first script on, keep every address aimed at the listener that any element ever held (a
    picture drawn for a moment and removed is caught too, with no wait for it to start loading)."""
    page.add_init_script(f"""(() => {{
      window.__aimed = [];
      const check = (e) => {{
        for (const name of ['src', 'href', 'srcset', 'poster']) {{
          const v = e.getAttribute && e.getAttribute(name);
          if (v && v.includes('127.0.0.1:{listener.port}')) window.__aimed.push(e.tagName + ' ' + name + '=' + v);
        }}
      }};
      new MutationObserver((records) => {{
        for (const r of records) {{
          const nodes = r.type === 'attributes' ? [r.target] : [...r.addedNodes];
          for (const n of nodes) if (n.nodeType === 1) [n, ...n.querySelectorAll('*')].forEach(check);
        }}
      }}).observe(document, {{ subtree: true, childList: true, attributes: true,
                               attributeFilter: ['src', 'href', 'srcset', 'poster'] }});
    }})()""")


def inert(page: Page, listener: Listener, where: str) -> None:
    """Nothing fetched from the listener, and no link, picture or heading made of people's text. Called once the
    view checked has been drawn (a sign of it was waited for), so it reads that view, not the one before."""
    wait_idle(page)
    found = page.evaluate(f"""() => ({{
        links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
            .filter(h => /127\\.0\\.0\\.1:{listener.port}|example|mailto:/.test(h)),
        pictures: [...document.querySelectorAll('img')].map(i => i.getAttribute('src') || '')
            .filter(s => s.includes('{listener.port}')),
        headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => h.innerText)
            .filter(t => /big|done|===/.test(t)),
        icons: [...document.querySelectorAll('[data-testid=stMain] [role=img][aria-label="home icon"]')].length,
        aimed: window.__aimed,
    }})""")
    assert found == {"links": [], "pictures": [], "headings": [], "icons": 0, "aimed": []}, (where, found)
    assert listener.hits == [], (where, listener.hits)


def sidebar(page: Page, name: str) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()
    wait_idle(page)


def test_people_text_is_never_markdown_in_chromium(make_server: type, page: Page, browser: Browser,
                                                   listener: Listener) -> None:
    """Test the Gallery, the "Add to board" dialog, Boards, a board, Present, Compare, History, a task and its
    lineage, and a shared board with its Present, Compare and a visitor's comment, each reached by clicking, with a
    prompt, a board name, a comment and a name full of Markdown aimed at a loopback listener."""
    server: AppServer = make_server()
    text = strings(listener.port)
    watch(page, listener)
    first, second = seed(server, [text["prompt"], text["prompt"] + " (take 2)"], visit=page)
    store = HistoryStore(Database(f"sqlite:///{server.history}"))
    store.record_attempt(VideoRequest("The next shot"), parent_id=first)
    shows = showcase(server)
    board = shows.board_named(text["board"])
    shows.add(board.id, [first])
    shows.comment(first, text["name"], text["comment"], board_id=board.id)  # on the board's card: its link shows it
    token, _ = shows.share(board.id)

    sidebar(page, "Gallery")
    expect(page.locator(f".st-key-prompt_gallery_{first}")).to_contain_text(text["prompt"].split("\n")[0])
    inert(page, listener, "gallery")
    page.locator(f".st-key-select_gallery_{second} label").click()
    wait_idle(page)
    page.get_by_role("button", name="Add to board (1)").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").click()
    page.get_by_role("option").first.click()
    expect(dialog.get_by_role("combobox")).to_have_value(text["board"])  # the board picked, as its name
    wait_idle(page)
    inert(page, listener, "add to board dialog")
    dialog.get_by_role("button", name="Add").click()
    expect(page.get_by_text(re.compile(r"^Added 1 take to “"))).to_be_visible()
    inert(page, listener, "board notice")

    sidebar(page, "Boards")
    expect(page.get_by_role("heading", name="Boards")).to_be_visible()
    inert(page, listener, "boards")
    page.get_by_test_id("stMain").get_by_text(re.compile(r"^!\[b\]")).first.click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=text["board"])).to_be_visible()
    page.get_by_text("Rate & comment (1 comment)", exact=True).click()
    wait_idle(page)
    page.get_by_text(re.compile(r"^Comments \(1\)")).first.click()
    expect(page.get_by_text(text["comment"])).to_be_visible()
    inert(page, listener, "board")
    page.get_by_role("link", name="Present").click()
    expect(page.locator(".st-key-present_caption")).to_contain_text("# big")
    inert(page, listener, "present")
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_role("button", name="Compare (2)").click()
    expect(page.get_by_role("heading", name="Compare")).to_be_visible()
    expect(page.locator(".st-key-compare_players")).to_be_visible()
    inert(page, listener, "compare")
    page.get_by_role("link", name=re.compile("^Back to")).click()
    wait_idle(page)

    sidebar(page, "History")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.locator("[data-testid=stDataFrame] canvas").first).to_be_visible()
    inert(page, listener, "history")
    box = page.locator("[data-testid=stDataFrame] canvas").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + 36 + 35 * 2 + 17)  # the oldest: the first take
    wait_idle(page)
    expect(page.get_by_test_id("stText").get_by_text("# big")).to_be_visible()
    inert(page, listener, "task")
    page.get_by_role("button", name="The next shot").click()
    wait_idle(page)
    expect(page.get_by_text("Continues")).to_be_visible()
    inert(page, listener, "a task that continues it")

    stranger = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    watch(stranger, listener)
    stranger.goto(f"{server.url}/shared?token={token}")
    card = stranger.locator(f".st-key-card_shared_{first}")
    expect(card).to_be_visible()
    inert(stranger, listener, "shared board")
    card.get_by_text("Rate & comment (1 comment)", exact=True).click()
    wait_idle(stranger)
    card.get_by_text(re.compile(r"^Comments \(1\)")).click()
    card.get_by_label("Your name").fill(text["name"])
    card.get_by_label("Comment", exact=True).fill(text["comment"])
    card.get_by_role("button", name="Post comment").click()
    expect(card.get_by_text("via share link")).to_be_visible()
    inert(stranger, listener, "a visitor's comment")
    stranger.get_by_test_id("stMain").get_by_text("Present", exact=True).click()
    expect(stranger.locator(".st-key-present_caption")).to_contain_text("# big")
    inert(stranger, listener, "shared present")
    stranger.keyboard.press("Escape")
    expect(stranger).to_have_url(re.compile(rf"/shared\?token={re.escape(token)}$"))  # back on the board
    shows.add(board.id, [second])
    stranger.reload()
    for record_id in (first, second):  # each pick is drawn before the next (a click sent mid-run can be replayed)
        stranger.locator(f".st-key-select_shared_{record_id} label").click()
        expect(stranger.locator(f".st-key-select_shared_{record_id} input")).to_be_checked()
        wait_idle(stranger)
    stranger.get_by_role("button", name="Compare (2)").click()
    expect(stranger.locator(".st-key-compare_players")).to_be_visible()
    inert(stranger, listener, "shared compare")
    store.close()
