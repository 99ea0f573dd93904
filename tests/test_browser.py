"""The chat in a real browser: Debian's Chromium driven by Selenium, against `app.py`.

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian packages chromium and
chromium-driver; `.ci/run` installs them); tests/browser.py drives them. The layout at
two sizes, dark mode, Copy and print are in tests/test_browser_layout.py; axe-core on
every page in tests/test_browser_a11y.py; the staff view in tests/test_staff_browser.py.
Screenshots land in eval-reports/screenshots/.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests import app_server
from tests.browser import (
    MIN_TARGET,
    PHONE,
    active,
    ask,
    click,
    driver_fixture,
    last_reply,
    open_staff,
    press,
    rect,
    replies,
    shot,
    skip_without_chromium,
    tab_to,
    viewport,
    wait,
)

skip_without_chromium()
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    srv = app_server.start(built, tmp_path_factory.mktemp("browser-app"))
    yield srv
    srv.stop()


@pytest.fixture
def browser(tmp_path):
    yield from driver_fixture(tmp_path)


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
    click(browser, link)  # opens in the same tab
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
    click(browser, vote)
    note = reply.find_element(By.CSS_SELECTOR, ".feedback-note")
    wait(browser, lambda d: "saved" in note.text)
    assert note.get_attribute("aria-live") == "polite"
    assert vote.get_attribute("aria-pressed") == "true"
    box = wait(browser, lambda d: reply.find_element(By.CSS_SELECTOR, ".comment textarea"))
    assert active(browser) == box  # the comment box is where the person is looking
    # the thank-you sits within the reply, not a screen away
    assert abs(note.location["y"] - vote.location["y"]) < 200
    box.send_keys("Clear and short, thank you")
    click(browser, reply.find_element(By.XPATH, ".//button[normalize-space()='Send comment']"))
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


def test_on_a_phone_every_target_is_big_and_the_page_reflows(server, browser):
    viewport(browser, PHONE)
    browser.get(server.url)
    assert browser.execute_script("return window.scrollY") == 0  # the intro is read first
    ask(browser, "Is Zolgensma a cure for SMA?")
    ask(browser, "What is SMA type 2?")
    assert active(browser).get_attribute("id") == "question"
    shot(browser, "chat-phone.png")
    small = browser.execute_script(
        "return [...document.querySelectorAll('main a, main button, main textarea, header a,"
        " form.ask button, form.ask textarea, footer a')]"
        ".filter(e => e.offsetParent !== null)"
        ".map(e => [e.textContent.trim().slice(0, 30) || e.id, e.getBoundingClientRect()])"
        f".filter(([_, r]) => r.width < {MIN_TARGET} || r.height < {MIN_TARGET})"
        ".map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`);"
    )
    assert small == []
    for width in (390, 320):  # WCAG 1.4.10 reflow: no sideways scrolling
        viewport(browser, (width, 844))
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    viewport(browser, (320, 256))  # 1280x1024 at 400% zoom: the box goes back into the page
    assert (
        browser.execute_script(
            "return getComputedStyle(arguments[0]).position", browser.find_element(By.ID, "ask")
        )
        == "static"
    )


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

    helpful = tab_to(browser, lambda e: e.text.endswith("Helpful") and e.tag_name == "button")
    # what has focus is never hidden under the question box (WCAG 2.4.11)
    bar = browser.find_element(By.ID, "ask")
    assert rect(browser, helpful)["bottom"] <= rect(browser, bar)["top"]
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
    click(browser, browser.find_element(By.ID, "clear"))
    browser.switch_to.alert.dismiss()
    assert len(replies(browser)) == 1
    click(browser, browser.find_element(By.ID, "clear"))
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
    click(browser, button)
    wait(browser, lambda d: len(replies(d)) == 3)
    user = browser.find_elements(By.CSS_SELECTOR, "#conversation li.message.you")[-1]
    assert user.text.endswith(question)
    assert active(browser).get_attribute("id") == "question"


def test_staff_view_opens_with_the_password(server, browser):
    open_staff(browser, server.url)
    tab = browser.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Test a question')]")
    assert tab.is_displayed()
    shot(browser, "staff.png")
