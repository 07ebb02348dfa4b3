"""The web chat in a real browser: headless Chromium (Debian's) driven by Playwright.

The screenshots are kept in ``artifacts/`` (webchat.png, webchat-phone.png,
webchat-embedded.png) for a person to look at.
"""

from __future__ import annotations

import contextlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import ROOT, serving
from servers import free_port

from bot import Engine, Session

playwright = pytest.importorskip("playwright.sync_api")

ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: As the environment's probe starts it: no sandbox as root, no background network.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TRADE_EN = "What was the trade volume in 2016?"
TRADE_TR = "2016'da Türkiye ile Kazakistan arasındaki ticaret hacmi ne kadardı?"
HTML = "<b>bold</b><img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright.Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError("chromium is not installed: `make test` installs Debian's package")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


def bot_texts(page: playwright.Page) -> list[str]:
    return page.locator(".msg.bot").evaluate_all(
        "nodes => nodes.map(n => n.lastChild && n.childNodes[1].textContent)"
    )


def wait_for_answers(page: playwright.Page, count: int) -> None:
    # A locator, not wait_for_function: the page's policy forbids evaluating strings.
    page.locator(".msg.bot").nth(count - 1).wait_for(timeout=15000)


def ask(page: playwright.Page, text: str, answers: int) -> str:
    page.fill("#kzbot-input", text)
    page.keyboard.press("Enter")
    wait_for_answers(page, answers)
    return bot_texts(page)[answers - 1]


def test_the_web_chat_in_a_browser(browser: playwright.Browser, engine: Engine) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    mirror = Session(engine, {"lang": "en"})
    with serving("--store", "memory:") as base:
        context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/")
        wait_for_answers(page, 1)
        assert bot_texts(page)[0] == mirror.ask("/start").text
        assert page.locator("h1").inner_text() == "Turkey–Kazakhstan relations"
        # English, then Turkish: the page follows the conversation's language.
        assert ask(page, TRADE_EN, 2) == mirror.ask(TRADE_EN).text
        assert ask(page, TRADE_TR, 3) == mirror.ask(TRADE_TR).text
        assert page.locator("h1").inner_text() == "Türkiye–Kazakistan ilişkileri"
        assert page.get_attribute("#kzbot", "lang") == "tr"
        # The source, on demand.
        last = page.locator(".msg.bot").nth(2)
        quote = last.locator(".source")
        assert quote.is_hidden()
        last.locator(".show-source").click()
        assert quote.is_visible() and quote.inner_text() == " ".join(mirror.last.source)
        # A suggestion button asks its question.
        suggestion = last.locator("button.choice").first
        label = suggestion.inner_text()
        choice = next(c for c in mirror.last.suggestions if c.text == label)
        suggestion.click()
        wait_for_answers(page, 4)
        assert bot_texts(page)[3] == mirror.choose(choice.intent).text
        # Switch the language with the header's buttons: the last answer, in English.
        page.click("header button[lang=en]")
        wait_for_answers(page, 5)
        assert bot_texts(page)[4] == mirror.ask("/lang en").text
        assert page.get_attribute("header button[lang=en]", "aria-pressed") == "true"
        # HTML in a question is shown as text, never run or rendered.
        ask(page, HTML, 6)
        mine = page.locator(".msg.me").last
        assert mine.evaluate("n => n.childNodes[1].textContent") == HTML
        assert page.locator(".log b, .log img").count() == 0
        assert page.title() != "pwned"
        # The keyboard alone: Tab from the box reaches the send button.
        page.focus("#kzbot-input")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.type") == "submit"
        assert page.evaluate("document.documentElement.scrollHeight") <= 800  # one screen
        page.screenshot(path=str(ARTIFACTS / "webchat.png"))
        assert not errors, errors
        context.close()

        phone = browser.new_context(locale="tr-TR", viewport={"width": 375, "height": 740})
        page = phone.new_page()
        page.goto(base + "/")
        wait_for_answers(page, 1)
        assert bot_texts(page)[0] == Session(engine, {"lang": "tr"}).ask("/start").text
        ask(page, "ihracat ne kadar?", 2)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
        page.screenshot(path=str(ARTIFACTS / "webchat-phone.png"))
        phone.close()


class _Site(http.server.SimpleHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def another_site(script: str, port: int) -> Iterator[str]:
    """A page on another origin (127.0.0.1:``port``) that embeds the chat with one script tag."""
    page = f"""<!doctype html><html><head><title>Embassy</title></head><body>
        <h1>An embassy's page</h1><script src="{script}" defer></script></body></html>"""
    handler = type("Site", (_Site,), {"page": page.encode()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.shutdown()
        server.server_close()


def test_one_script_tag_embeds_the_chat_on_another_site(
    browser: playwright.Browser, engine: Engine
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    # The bot must know the site's origin (CORS) before the site exists: pick its port first.
    port = free_port()
    with (
        serving("--store", "memory:", "--cors-origin", f"http://127.0.0.1:{port}") as base,
        another_site(f"{base}/chat.js", port) as site,
    ):
        context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 760})
        page = context.new_page()
        page.goto(site)
        launcher = page.locator(".kzbot-launcher")
        assert launcher.get_attribute("aria-expanded") == "false"
        launcher.click()
        assert page.locator("#kzbot").is_visible()
        wait_for_answers(page, 1)
        answer = ask(page, TRADE_EN, 2)
        assert answer == Session(engine, {"lang": "en"}).ask(TRADE_EN).text
        page.screenshot(path=str(ARTIFACTS / "webchat-embedded.png"))
        context.close()
