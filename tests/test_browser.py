"""The chat in a real browser: Debian's Chromium driven by Selenium, against `app.py`.

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian packages chromium and
chromium-driver; `.ci/run` installs them). Screenshots land in eval-reports/screenshots/.
"""

from __future__ import annotations

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
        "--window-size=1200,1400",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def wait(driver, condition, timeout=TIMEOUT):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def ask(driver, question: str) -> None:
    box = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#question textarea"))
    n = len(driver.find_elements(By.CSS_SELECTOR, "#chat .message-row.bot-row"))
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat .message-row.bot-row")) > n)


def last_bot_message(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#chat .message-row.bot-row")[-1]


def shot(driver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    driver.save_screenshot(str(path))
    return path


def test_a_parent_sees_a_quote_opens_its_source_and_rates_it(server, browser):
    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure for SMA?")
    reply = last_bot_message(browser)
    assert "is not a cure for SMA" in reply.text
    assert "Sources" in reply.text and "Medically reviewed drug information" in reply.text
    assert "not medical advice" in reply.text

    link = reply.find_elements(By.CSS_SELECTOR, "a[href*='/source/']")[0]
    chat_tab = browser.current_window_handle
    link.click()
    wait(browser, lambda d: len(d.window_handles) == 2)
    browser.switch_to.window(next(h for h in browser.window_handles if h != chat_tab))
    mark = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "mark#quote"))
    assert mark.text.startswith("No, Zolgensma") and "not a cure" in mark.text
    shot(browser, "source-highlight.png")
    browser.close()
    browser.switch_to.window(chat_tab)

    # the rating buttons sit beside the last bot message, not inside it
    likes = wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat button[aria-label='Like']")
    )
    likes[-1].click()
    note = wait(browser, lambda d: d.find_element(By.ID, "feedback-note"))
    wait(browser, lambda d: "saved" in note.text)
    # the comment box appears with the note, but not necessarily in the same frame
    comment = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#comment textarea"))
    comment.send_keys("Clear and short, thank you")
    wait(browser, lambda d: d.find_element(By.ID, "comment-send")).click()
    wait(browser, lambda d: "comment was saved" in d.find_element(By.ID, "feedback-note").text)
    path = shot(browser, "chat-answer.png")
    assert path.stat().st_size > 10_000

    with sqlite3.connect(server.config.feedback_db) as db:
        rows = db.execute("SELECT vote, comment, question, reply_kind FROM feedback").fetchall()
    assert ("up", "Clear and short, thank you", "Is Zolgensma a cure for SMA?", "answer") in rows


def test_refusals_and_emergencies_stand_out(server, browser):
    browser.get(server.url)
    ask(browser, "Should we stop Spinraza for our son?")
    refusal = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#chat .smabot-refusal"))
    assert "neurologist or care team" in refusal.text
    ask(browser, "my baby is turning blue and not breathing")
    emergency = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#chat .smabot-emergency"))
    assert "112" in emergency.text and "911" in emergency.text
    assert emergency.value_of_css_property("border-left-color") != refusal.value_of_css_property(
        "border-left-color"
    )
    shot(browser, "refusal-and-emergency.png")


def test_html_and_script_in_a_message_are_shown_as_text_and_never_run(server, browser):
    browser.get(server.url)
    attack = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">hi'
    ask(browser, attack)
    user = browser.find_elements(By.CSS_SELECTOR, "#chat .message-row.user-row")[-1]
    assert "<script>" in user.text and "onerror" in user.text
    assert browser.execute_script("return window.__pwned") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#chat img[src='x']")
    shot(browser, "script-escaped.png")


def test_the_chat_works_on_a_phone_sized_screen(server, browser):
    browser.set_window_size(390, 844)
    browser.get(server.url)
    ask(browser, "What is SMA type 2?")
    reply = last_bot_message(browser)
    assert "sit but do not walk" in reply.text
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400  # nothing forces sideways scrolling
    shot(browser, "chat-phone.png")


def test_staff_view_opens_with_the_password(server, browser):
    browser.get(server.url + "staff")
    box = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#staff-password input"))
    box.send_keys(app_server.PASSWORD)
    browser.find_element(By.XPATH, "//button[normalize-space()='Open']").click()
    tab = wait(
        browser,
        lambda d: d.find_element(
            By.XPATH, "//button[@role='tab' and contains(., 'Test a question')]"
        ),
    )
    assert tab.is_displayed()
    shot(browser, "staff.png")


def test_follow_ups_and_related_questions_in_the_chat(server, browser):
    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure for SMA?")
    ask(browser, "how is it given?")
    assert "intravenous" in last_bot_message(browser).text
    related = wait(
        browser,
        lambda d: [
            b for b in d.find_elements(By.CSS_SELECTOR, "#related button") if b.is_displayed()
        ],
    )
    n = len(browser.find_elements(By.CSS_SELECTOR, "#chat .message-row.bot-row"))
    question = related[0].text
    related[0].click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat .message-row.bot-row")) > n)
    user = browser.find_elements(By.CSS_SELECTOR, "#chat .message-row.user-row")[-1]
    assert user.text.strip() == question
