"""The chat in a real browser: Debian's Chromium driven by Selenium, against `app.py`.

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian packages chromium and
chromium-driver; `.ci/run` installs them). Accessibility: axe-core (`make test` fetches
it from npm, `SMABOT_AXE` says where) runs on every page at desktop and phone sizes;
tests/test_accessibility.py holds those checks. Screenshots land in
eval-reports/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from tests import app_server

pytestmark = pytest.mark.browser
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = PROJECT_ROOT / "eval-reports" / "screenshots"
TIMEOUT = 40

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip(
        "needs Debian's chromium and chromium-driver (.ci/run installs them)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    srv = app_server.start(built, tmp_path_factory.mktemp("browser-app"))
    yield srv
    srv.stop()


@pytest.fixture
def browser(tmp_path):
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


AXE = Path(os.environ.get("SMABOT_AXE", PROJECT_ROOT / ".venv/axe-core-4.14.1/axe.min.js"))
DESKTOP, PHONE = (1280, 900), (390, 844)
MIN_TARGET = 44  # CSS px, WCAG 2.5.5


def wait(driver, condition, timeout=TIMEOUT):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def replies(driver) -> list:
    return driver.find_elements(By.CSS_SELECTOR, "#conversation li.message.bot")


def ask(driver, question: str) -> None:
    box = wait(driver, lambda d: d.find_element(By.ID, "question"))
    n = len(replies(driver))
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait(driver, lambda d: len(replies(d)) > n)


def last_reply(driver):
    return replies(driver)[-1]


def active(driver):
    return driver.switch_to.active_element


def shot(driver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    driver.save_screenshot(str(path))
    return path


def axe_violations(driver) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not at {AXE}: `make test` fetches it (needs npm)")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(120)
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))))"
        ".catch(e => done([{id: 'axe failed: ' + e, impact: 'critical', nodes: []}]));"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes']}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_a_parent_sees_a_quote_opens_its_source_and_comes_back(server, browser):
    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure for SMA?")
    reply = last_reply(browser)
    assert "is not a cure for SMA" in reply.text
    assert "Sources" in reply.text and "Medically reviewed drug information" in reply.text
    assert "not medical advice" in reply.text
    link = reply.find_elements(By.CSS_SELECTOR, "a.cite")[0]
    # named by its source for screen readers and voice control, not "[1]"
    name = link.get_attribute("aria-label")
    assert name.startswith("[1] ") and "opens the passage" in name and len(name) > 30
    link.click()  # opens in the same tab
    mark = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "mark#quote"))
    assert mark.text.startswith("No, Zolgensma") and "not a cure" in mark.text
    assert len(browser.window_handles) == 1
    shot(browser, "source-highlight.png")
    browser.find_element(By.CSS_SELECTOR, "a.back").click()
    back = wait(browser, lambda d: replies(d))
    assert "is not a cure for SMA" in back[-1].text  # the same conversation
    assert active(browser).get_attribute("id") == "turn-0"  # at the reply it came from


def test_feedback_is_confirmed_beside_its_reply_and_the_comment_box_closes(server, browser):
    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure for SMA?")
    reply = last_reply(browser)
    vote = reply.find_element(By.XPATH, ".//button[contains(., 'Not helpful')]")
    assert vote.get_attribute("aria-pressed") == "false"
    vote.click()
    note = reply.find_element(By.CSS_SELECTOR, ".feedback-note")
    wait(browser, lambda d: "saved" in note.text)
    assert note.get_attribute("aria-live") == "polite"
    assert vote.get_attribute("aria-pressed") == "true"
    box = wait(browser, lambda d: reply.find_element(By.CSS_SELECTOR, ".comment textarea"))
    assert active(browser) == box  # the comment box is where the person is looking
    # the thank-you sits within the reply, not a screen away
    assert abs(note.location["y"] - vote.location["y"]) < 200
    box.send_keys("Clear and short, thank you")
    reply.find_element(By.XPATH, ".//button[normalize-space()='Send comment']").click()
    wait(browser, lambda d: "comment was saved" in note.text)
    assert not reply.find_elements(By.CSS_SELECTOR, ".comment")  # closed after sending
    shot(browser, "chat-feedback.png")
    with sqlite3.connect(server.config.feedback_db) as db:
        rows = db.execute("SELECT vote, comment, question, reply_kind FROM feedback").fetchall()
    assert ("down", "Clear and short, thank you", "Is Zolgensma a cure for SMA?", "answer") in rows


def test_refusals_and_emergencies_stand_out_with_numbers_to_tap(server, browser):
    browser.get(server.url)
    ask(browser, "Should we stop Spinraza for our son?")
    refusal = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".smabot-refusal"))
    assert "neurologist or care team" in refusal.text
    ask(browser, "my baby is turning blue and not breathing")
    emergency = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".smabot-emergency"))
    first = emergency.find_element(By.CSS_SELECTOR, "p")  # the first line
    assert {a.get_attribute("href") for a in first.find_elements(By.TAG_NAME, "a")} == {
        "tel:112",
        "tel:911",
    }
    assert emergency.value_of_css_property("border-left-color") != refusal.value_of_css_property(
        "border-left-color"
    )
    shot(browser, "refusal-and-emergency.png")


def test_html_and_script_in_a_message_are_shown_as_text_and_never_run(server, browser):
    browser.get(server.url)
    attack = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">hi'
    ask(browser, attack)
    user = browser.find_elements(By.CSS_SELECTOR, "#conversation li.message.you")[-1]
    assert "<script>" in user.text and "onerror" in user.text
    assert browser.execute_script("return window.__pwned") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#conversation img")
    shot(browser, "script-escaped.png")


def test_on_a_phone_the_reply_starts_in_view_and_every_target_is_big(server, browser):
    browser.set_window_size(*PHONE)
    browser.get(server.url)
    assert browser.execute_script("return window.scrollY") == 0  # the intro is read first
    ask(browser, "Is Zolgensma a cure for SMA?")
    ask(browser, "What is SMA type 2?")
    reply = last_reply(browser)
    wait(
        browser,
        lambda d: d.execute_script("return arguments[0].getBoundingClientRect().top", reply) < 40,
    )
    top, height = browser.execute_script(
        "const r = arguments[0].querySelector('.body').getBoundingClientRect();"
        "return [r.top, window.innerHeight];",
        reply,
    )
    assert top >= 0 and top + 30 < height  # the reply's first line is on screen
    assert active(browser).get_attribute("id") == "question"
    shot(browser, "chat-phone.png")
    small = browser.execute_script(
        "return [...document.querySelectorAll('main a, main button, main textarea, header a')]"
        ".filter(e => e.offsetParent !== null)"
        ".map(e => [e.textContent.trim().slice(0, 30) || e.id, e.getBoundingClientRect()])"
        f".filter(([_, r]) => r.width < {MIN_TARGET} || r.height < {MIN_TARGET})"
        ".map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`);"
    )
    assert small == []
    for width in (390, 320):  # WCAG 1.4.10 reflow: no sideways scrolling
        browser.set_window_size(width, 844)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width


def tab_to(driver, matches, limit: int = 60, back: bool = False):
    """Press Tab (or Shift-Tab) until the focused element satisfies `matches`."""
    for _ in range(limit):
        key = Keys.SHIFT + Keys.TAB if back else Keys.TAB
        ActionChains(driver).send_keys(key).perform()
        if matches(active(driver)):
            return active(driver)
    raise AssertionError("never reached by the keyboard")


def press(driver, key) -> None:
    ActionChains(driver).send_keys(key).perform()


def test_a_keyboard_alone_asks_opens_a_source_comes_back_and_gives_feedback(server, browser):
    browser.get(server.url)
    example = tab_to(browser, lambda e: "example" in (e.get_attribute("class") or ""))
    question = example.text
    press(browser, Keys.ENTER)
    wait(browser, lambda d: len(replies(d)) == 1)
    assert active(browser).get_attribute("id") == "question"
    assert browser.find_element(By.CSS_SELECTOR, "li.message.you").text.endswith(question)
    # the staff and API links come after everything a family uses
    tab_order = browser.execute_script(
        "return [...document.querySelectorAll('a, button, textarea')].map(e => e.textContent)"
    )
    assert tab_order.index("Staff view") > tab_order.index("Clear conversation")

    press(browser, "How is Zolgensma given?" + Keys.ENTER)
    wait(browser, lambda d: len(replies(d)) == 2)
    assert active(browser).get_attribute("id") == "question"

    tab_to(browser, lambda e: "cite" in (e.get_attribute("class") or ""), back=True)
    press(browser, Keys.ENTER)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "mark#quote"))
    tab_to(browser, lambda e: "back" in (e.get_attribute("class") or ""))
    press(browser, Keys.ENTER)
    wait(browser, lambda d: len(replies(d)) == 2)  # the same conversation

    tab_to(browser, lambda e: e.text.endswith("Helpful") and e.tag_name == "button")
    press(browser, Keys.SPACE)
    box = wait(browser, lambda d: active(d) if active(d).tag_name == "textarea" else None)
    assert box.get_attribute("id").startswith("comment-")
    press(browser, "Useful" + Keys.TAB)
    press(browser, Keys.ENTER)  # Send comment
    wait(browser, lambda d: "comment was saved" in d.page_source)
    assert active(browser).get_attribute("id") == "question"
    shot(browser, "keyboard-feedback.png")


def test_clearing_the_conversation_asks_first(server, browser):
    browser.get(server.url)
    ask(browser, "What is SMA type 2?")
    browser.find_element(By.ID, "clear").click()
    browser.switch_to.alert.dismiss()
    assert len(replies(browser)) == 1
    browser.find_element(By.ID, "clear").click()
    browser.switch_to.alert.accept()
    wait(browser, lambda d: not replies(d))
    browser.refresh()  # and it stays cleared
    wait(browser, lambda d: d.find_element(By.ID, "question"))
    assert not replies(browser)


def test_related_questions_differ_from_the_question_and_follow_ups_work(server, browser):
    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure?")
    related = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#related button")]
    assert related and "Is Zolgensma a cure for SMA?" not in related
    ask(browser, "how is it given?")
    assert "intravenous" in last_reply(browser).text
    button = browser.find_elements(By.CSS_SELECTOR, "#related button")[0]
    question = button.text
    button.click()
    wait(browser, lambda d: len(replies(d)) == 3)
    user = browser.find_elements(By.CSS_SELECTOR, "#conversation li.message.you")[-1]
    assert user.text.endswith(question)
    assert active(browser).get_attribute("id") == "question"


def open_staff(driver, url: str) -> None:
    driver.get(url + "staff")
    box = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#staff-password input"))
    box.send_keys(app_server.PASSWORD)
    driver.find_element(By.XPATH, "//button[normalize-space()='Open']").click()
    wait(driver, lambda d: d.find_element(By.XPATH, "//button[@role='tab']"))


def test_staff_view_opens_with_the_password(server, browser):
    open_staff(browser, server.url)
    tab = browser.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Test a question')]")
    assert tab.is_displayed()
    shot(browser, "staff.png")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_serious_accessibility_violations_on_any_page(server, browser, size):
    browser.set_window_size(*size)
    tag = "desktop" if size == DESKTOP else "phone"
    found = {}
    browser.get(server.url)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#examples-block button"))
    found["chat, empty"] = axe_violations(browser)
    ask(browser, "Is Zolgensma a cure for SMA?")
    ask(browser, "Should we stop Spinraza for our son?")
    ask(browser, "my baby is turning blue and not breathing")
    last_reply(browser).find_element(
        By.XPATH, "preceding-sibling::li[2]//button[contains(., 'Not helpful')]"
    ).click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".comment textarea"))
    found["chat with answer, refusal, emergency, feedback"] = axe_violations(browser)
    shot(browser, f"axe-chat-{tag}.png")
    replies(browser)[0].find_element(By.CSS_SELECTOR, "a.cite").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "mark#quote"))
    found["source"] = axe_violations(browser)
    shot(browser, f"axe-source-{tag}.png")
    for name, path in (("404", "no-such-page"), ("missing source", "source/nope"), ("API", "api")):
        browser.get(server.url + path)
        wait(browser, lambda d: d.find_elements(By.TAG_NAME, "h1"))
        found[name] = axe_violations(browser)
        assert browser.title and browser.find_element(By.TAG_NAME, "html").get_attribute("lang")
    shot(browser, f"axe-404-{tag}.png")
    browser.get(server.url + "staff")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#staff-password input"))
    found["staff, locked"] = axe_violations(browser)
    open_staff(browser, server.url)
    found["staff, open"] = axe_violations(browser)
    shot(browser, f"axe-staff-{tag}.png")
    assert {page: v for page, v in found.items() if v} == {}
