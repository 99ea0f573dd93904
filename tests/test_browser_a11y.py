"""axe-core on every page state families and staff see, at 390×844 and 1280×900, in the
light and the dark colour scheme: 0 serious or critical violations (colour contrast
included, so dark mode is checked too). Screenshots of each state are kept."""

from __future__ import annotations

import pytest

from tests import app_server
from tests.browser import (
    DESKTOP,
    PHONE,
    ask,
    axe_violations,
    click,
    click_button,
    driver_fixture,
    last_reply,
    open_staff,
    scheme,
    shot,
    skip_without_chromium,
    staff_tab,
    viewport,
    wait,
)

skip_without_chromium()
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    srv = app_server.start(built, tmp_path_factory.mktemp("a11y-app"))
    yield srv
    srv.stop()


@pytest.fixture
def browser(tmp_path):
    yield from driver_fixture(tmp_path)


SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
SCHEMES = pytest.mark.parametrize("colours", ["light", "dark"])


def fail_next_request(driver) -> None:
    driver.execute_script("window.fetch = () => Promise.reject(new TypeError('offline'))")


@SIZES
@SCHEMES
def test_no_serious_accessibility_violations_on_any_families_page(server, browser, size, colours):
    viewport(browser, size)
    scheme(browser, colours)
    tag = f"{'phone' if size == PHONE else 'desktop'}-{colours}"
    found = {}
    browser.get(server.url)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#examples-block button"))
    found["chat, empty"] = axe_violations(browser)
    shot(browser, f"axe-chat-empty-{tag}.png")
    ask(browser, "Is Zolgensma a cure for SMA?")
    ask(browser, "What does the EmCell clinic claim about stem cell treatment?")
    ask(browser, "Should we stop Spinraza for our son?")
    ask(browser, "my baby is turning blue and not breathing")
    click(browser, last_reply(browser).find_element(By.CSS_SELECTOR, "button.copy"))
    vote = last_reply(browser).find_element(
        By.XPATH, "preceding-sibling::li[2]//button[contains(., 'Not helpful')]"
    )
    click(browser, vote)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".comment textarea"))
    found["chat: answers, clinic quotes, refusal, emergency, copy, feedback"] = axe_violations(
        browser
    )
    shot(browser, f"axe-chat-{tag}.png")
    fail_next_request(browser)
    browser.find_element(By.ID, "question").send_keys("What is SMA type 2?\n")
    wait(browser, lambda d: "No connection" in d.find_element(By.ID, "status").text)
    found["chat, a failed request"] = axe_violations(browser)
    shot(browser, f"axe-chat-failed-{tag}.png")
    click(browser, browser.find_elements(By.CSS_SELECTOR, "a.cite")[0])
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "mark#quote"))
    found["source"] = axe_violations(browser)
    shot(browser, f"axe-source-{tag}.png")
    for name, path in (("404", "no-such-page"), ("missing source", "source/nope"), ("API", "api")):
        browser.get(server.url + path)
        wait(browser, lambda d: d.find_elements(By.TAG_NAME, "h1"))
        found[name] = axe_violations(browser)
        assert browser.title and browser.find_element(By.TAG_NAME, "html").get_attribute("lang")
    shot(browser, f"axe-api-{tag}.png")
    assert {page: v for page, v in found.items() if v} == {}


# (tab, button to press, question to type, what shows the result)
STAFF_TABS = (
    ("Test a question", "Ask", "What is SMA type 2?", "//p[contains(., 'ms, index')]"),
    ("Feedback", "Show feedback (newest first)", None, "//article[@class='staff-card']"),
    ("Documents", "Show documents", None, "//table[@class='staff-docs']"),
    ("Evaluation", None, None, None),
)


@SIZES
@SCHEMES
def test_no_serious_accessibility_violations_on_any_staff_tab(server, browser, size, colours):
    viewport(browser, size)
    scheme(browser, colours)
    tag = f"{'phone' if size == PHONE else 'desktop'}-{colours}"
    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure for SMA?")
    click(browser, browser.find_element(By.XPATH, "//button[contains(., 'Not helpful')]"))
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".comment textarea"))
    found = {}
    browser.get(server.url + "staff")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#staff-password input"))
    found["staff, locked"] = axe_violations(browser)
    open_staff(browser, server.url)
    for tab, button, question, result in STAFF_TABS:
        staff_tab(browser, tab)
        if question:
            box = browser.find_element(By.XPATH, "//label[.//span[normalize-space()='Question']]")
            box.find_element(By.TAG_NAME, "textarea").send_keys(question)
        if button:
            click_button(browser, button)
            wait(browser, lambda d, shown=result: d.find_elements(By.XPATH, shown))
        found[f"staff, {tab}"] = axe_violations(browser)
        shot(browser, f"axe-staff-{tab.split()[0].lower()}-{tag}.png")
    assert {page: v for page, v in found.items() if v} == {}
