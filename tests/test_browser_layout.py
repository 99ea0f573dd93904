"""The chat as a messaging app, in a real Chromium at 390×844 and 1280×900: the box stays
on screen with the status beside it, each reply's start is shown, each quote says what
kind of source it is from, dark mode, Copy and Print or save (rendered to PDF), links.

Assertions are about properties of replies (a quote has a kind label; a starter
question's first quote is not from a clinic), never about which passages retrieval picks.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import unicodedata
import urllib.error
import urllib.request

import pytest

from tests import app_server
from tests.browser import (
    DESKTOP,
    PHONE,
    SHOTS,
    active,
    ask,
    click,
    driver_fixture,
    last_reply,
    on_screen,
    rect,
    replies,
    scheme,
    shot,
    skip_without_chromium,
    viewport,
    wait,
)

skip_without_chromium()
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.browser
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
# a long answer, a refusal, a follow-up: three different shapes of reply
THREE = ("Is Zolgensma a cure for SMA?", "Should we stop Spinraza for our son?", "how is it given?")


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    srv = app_server.start(built, tmp_path_factory.mktemp("layout-app"))
    yield srv
    srv.stop()


@pytest.fixture
def browser(tmp_path):
    yield from driver_fixture(tmp_path)


def composer(driver):
    return driver.find_element(By.ID, "ask")


def status(driver):
    return driver.find_element(By.ID, "status")


@SIZES
def test_after_each_reply_its_start_and_the_question_box_are_on_screen(server, browser, size):
    viewport(browser, size)
    browser.get(server.url)
    tag = "phone" if size == PHONE else "desktop"
    assert on_screen(browser, browser.find_element(By.ID, "question"))  # the first visit too
    shot(browser, f"chat-first-visit-{tag}.png")
    for n, question in enumerate(THREE, start=1):
        ask(browser, question)
        reply = last_reply(browser)
        box = browser.find_element(By.ID, "question")
        assert on_screen(browser, box), f"reply {n}: the question box is off screen"
        first_line = reply.find_element(By.CSS_SELECTOR, ".body > :not(.sr-only)")
        line, bar = rect(browser, first_line), rect(browser, composer(browser))
        assert line["top"] >= 0 and line["top"] + 20 <= bar["top"], f"reply {n}: start hidden"
        asked = browser.find_elements(By.CSS_SELECTOR, "li.message.you")[-1]
        assert on_screen(browser, asked), f"reply {n}: 'You asked' scrolled away"
        assert active(browser) == box
        shot(browser, f"chat-reply-{n}-{tag}.png")
    assert len(replies(browser)) == 3


HOLD_FETCH = """
window.__release = null;
const realFetch = window.fetch;
window.fetch = (...args) => new Promise((resolve, reject) => {
  window.__release = () => {
    window.fetch = realFetch;
    realFetch(...args).then(resolve, reject);
  };
});
"""


@SIZES
def test_a_slow_or_failed_request_shows_a_status_beside_the_box(server, browser, size):
    viewport(browser, size)
    browser.get(server.url)
    tag = "phone" if size == PHONE else "desktop"
    ask(browser, "What is SMA type 2?")  # a long page, so that the status could be far away
    browser.execute_script(HOLD_FETCH)  # the next request waits until released: slow
    box = browser.find_element(By.ID, "question")
    box.send_keys("How is Zolgensma given?\n")
    wait(browser, lambda d: "Still looking" in status(d).text)  # after a few seconds
    assert on_screen(browser, status(browser)) and on_screen(browser, box)
    shot(browser, f"chat-slow-{tag}.png")
    browser.execute_script("window.__release()")
    wait(browser, lambda d: len(replies(d)) == 2)

    browser.execute_cdp_cmd("Network.enable", {})
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    box.send_keys("Who is Zolgensma approved for?\n")
    wait(browser, lambda d: "No connection" in status(d).text)
    said = status(browser).text
    assert said == "No connection: your question is kept, press Send to try again."
    assert on_screen(browser, status(browser))
    assert box.get_attribute("value") == "Who is Zolgensma approved for?"  # kept
    shot(browser, f"chat-failed-{tag}.png")
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {**offline, "offline": False})
    click(browser, browser.find_element(By.ID, "send"))
    wait(browser, lambda d: len(replies(d)) == 3)
    assert box.get_attribute("value") == ""


def test_every_quote_names_its_kind_of_source_in_its_own_element(server, browser):
    from bot.app.render import QUOTE_FROM

    browser.get(server.url)
    starters = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#examples-block button")]
    assert len(starters) >= 2
    headings = browser.execute_script(
        "return [...document.querySelectorAll('h1, h2, h3, title')].map(h => h.textContent)"
    )
    assert not [h for h in headings if "trusted" in h.lower()]
    click(browser, browser.find_element(By.CSS_SELECTOR, "#examples-block button"))
    wait(browser, lambda d: replies(d))
    ask(browser, "What does the EmCell clinic claim about stem cell treatment?")
    ask(browser, "What is SMA type 2?")
    quotes = browser.find_elements(By.CSS_SELECTOR, "#conversation figure.quote")
    assert len(quotes) >= 3
    for figure in quotes:
        labels = figure.find_elements(By.CSS_SELECTOR, "figcaption .quote-kind")
        assert len(labels) == 1 and labels[0].text.removeprefix("⚠ ") in QUOTE_FROM.values()
        assert labels[0].is_displayed()
    # the first reply came from a starter: its first quote is not from a clinic's page
    first = replies(browser)[0].find_element(By.CSS_SELECTOR, ".quote-kind")
    assert "clinic" not in first.text and "promotional" not in first.get_attribute("class")
    shot(browser, "chat-kind-labels.png")


def colours(driver) -> tuple[str, str]:
    return tuple(
        driver.execute_script(
            "const s = getComputedStyle(document.body); return [s.color, s.backgroundColor];"
        )
    )


def test_dark_mode_changes_the_colours(server, browser):
    browser.get(server.url)
    light = colours(browser)
    scheme(browser, "dark")
    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure for SMA?")
    dark = colours(browser)
    assert light != dark and dark[1] != "rgb(255, 255, 255)"
    shot(browser, "chat-dark.png")


COUNT_REQUESTS = """
window.__sent = 0;
const realFetch = window.fetch;
window.fetch = (...a) => { window.__sent += 1; return realFetch(...a); };
const realSend = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (...a) {
  window.__sent += 1; return realSend.apply(this, a);
};
navigator.sendBeacon = () => { window.__sent += 1; return true; };
window.print = () => { window.__printed = true; };
"""


def test_copy_and_print_send_nothing_and_the_printout_keeps_quotes_and_sources(server, browser):
    from pypdf import PdfReader

    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure for SMA?")
    ask(browser, "What is SMA type 2?")
    origin = server.url.rstrip("/")
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    browser.execute_script(COUNT_REQUESTS)
    reply = replies(browser)[0]
    click(browser, reply.find_element(By.CSS_SELECTOR, "button.copy"))
    note = reply.find_element(By.CSS_SELECTOR, ".copy-note")
    wait(browser, lambda d: note.text.startswith("Copied"))
    copied = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done(''));"
    )
    quote = reply.find_element(By.CSS_SELECTOR, "blockquote").text.strip()
    assert copied.startswith("You asked (") and "Is Zolgensma a cure for SMA?" in copied
    assert quote[:60] in copied and "Sources:" in copied and "from " in copied
    click(browser, browser.find_element(By.ID, "print"))
    assert browser.execute_script("return window.__printed") is True
    assert browser.execute_script("return window.__sent") == 0  # nothing left the browser

    pdf = base64.b64decode(browser.print_page())  # Chromium's print-to-PDF, print stylesheet
    SHOTS.mkdir(parents=True, exist_ok=True)
    saved = SHOTS / "conversation-print.pdf"
    saved.write_bytes(pdf)
    if shutil.which("pdftoppm"):  # pictures of its pages to look at (poppler-utils)
        subprocess.run(["pdftoppm", "-png", "-r", "70", saved, SHOTS / "conversation-print"])
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))  # ligatures: "ﬁ" → "fi"
    for question in ("Is Zolgensma a cure for SMA?", "What is SMA type 2?"):
        assert question in flat
    for figure in browser.find_elements(By.CSS_SELECTOR, "figure.quote"):
        words = re.sub(r"\s+", " ", figure.find_element(By.TAG_NAME, "blockquote").text)
        assert words[:50] in flat  # every quote
        kind = figure.find_element(By.CSS_SELECTOR, ".quote-kind").text.removeprefix("⚠ ")
        assert kind in flat
    for title in browser.find_elements(By.CSS_SELECTOR, ".sources cite"):
        assert re.sub(r"\s+", " ", title.text) in flat  # every source
    assert "Printed" in flat and "not medical advice" in flat
    for control in (
        "Send",
        "Your question about SMA",
        "Clear conversation",
        "Was this helpful",
        "Copy",
        "Staff view",
        "You could also ask",
        "Print or save",
    ):
        assert control not in flat, f"{control!r} is printed"


def test_no_link_on_any_page_answers_404(server, browser):
    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure for SMA?")
    pages = [server.url]
    pages += [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a.cite")]
    pages += [server.url + "api", server.url + "no-such-page", server.url + "staff"]
    links = set()
    for page in pages:
        if page != browser.current_url:
            browser.get(page)
            wait(browser, lambda d: d.find_elements(By.TAG_NAME, "h1"))
        for a in browser.find_elements(By.CSS_SELECTOR, "a[href]"):
            href = a.get_attribute("href")
            if href.startswith(server.url):
                links.add(href.split("#")[0])
    assert server.url + "api" in links and server.url + "staff" in links
    broken = []
    for link in sorted(links):
        try:
            urllib.request.urlopen(urllib.request.Request(link, headers={"Accept": "text/html"}))
        except urllib.error.HTTPError as err:
            broken.append(f"{link}: {err.code}")
    assert broken == []
