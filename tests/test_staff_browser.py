"""The staff view in a real Chromium: feedback shows what the family saw, forms say what is
wrong beside them, and adding a document then rebuilding lists "What changed".

Its own app on its own copy of the corpus: adding a document changes what the others
would see.
"""

from __future__ import annotations

import pytest

from tests import app_server
from tests.browser import (
    ask,
    click,
    click_button,
    driver_fixture,
    open_staff,
    shot,
    skip_without_chromium,
    staff_tab,
    wait,
)

skip_without_chromium()
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.browser
NEW_QUESTION = "Do warm water pool sessions help children with SMA move?"
LEAFLET = (
    "Hydrotherapy for SMA\n\n"
    "Warm water pool sessions help children with SMA move their arms and legs with less "
    "effort. A physiotherapist stays in the water with the child. Sessions last about half "
    "an hour. The water is kept at about 34 degrees. Families can ask their care team about "
    "a referral.\n"
)


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    srv = app_server.start(built, tmp_path_factory.mktemp("staff-app"))
    yield srv
    srv.stop()


@pytest.fixture
def browser(tmp_path):
    yield from driver_fixture(tmp_path)


def textbox(driver, label: str):
    field = driver.find_element(By.XPATH, f"//label[.//span[normalize-space()='{label}']]")
    return field.find_element(By.CSS_SELECTOR, "textarea, input")


def test_feedback_shows_the_earlier_messages_the_question_and_the_full_reply(server, browser):
    browser.get(server.url)
    ask(browser, "Is Zolgensma a cure for SMA?")
    ask(browser, "how is it given?")
    follow_up = browser.find_elements(By.CSS_SELECTOR, "#conversation li.message.bot")[-1]
    quote = follow_up.find_element(By.CSS_SELECTOR, "blockquote").text.strip()
    click(browser, follow_up.find_element(By.XPATH, ".//button[contains(., 'Not helpful')]"))
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".comment textarea"))
    open_staff(browser, server.url)
    staff_tab(browser, "Feedback")
    click_button(browser, "Show feedback (newest first)")
    card = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "article.staff-card"))
    text = card.text
    assert "Not helpful" in text
    assert "Earlier messages" in text and "Is Zolgensma a cure for SMA?" in text
    assert "how is it given?" in text
    assert quote[:60] in text  # the full reply, as the family saw it
    assert "Index version: v-" in text
    for figure in card.find_elements(By.CSS_SELECTOR, "figure"):
        assert figure.find_element(By.CSS_SELECTOR, ".quote-kind").text
    shot(browser, "staff-feedback.png")


def test_after_adding_a_document_what_changed_lists_the_replies_that_changed(
    server, browser, tmp_path
):
    open_staff(browser, server.url)
    # a question only the new document answers, kept to be checked after rebuilds
    textbox(browser, "Question").send_keys(NEW_QUESTION)
    click_button(browser, "Check this question after every rebuild")
    wait(browser, lambda d: d.find_elements(By.XPATH, "//p[contains(., 'Kept.')]"))

    staff_tab(browser, "Documents")
    click_button(browser, "Show documents")
    table = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "table.staff-docs"))
    headers = [th.text for th in table.find_elements(By.TAG_NAME, "th")]
    assert headers[:2] == ["Document", "Kind of source"]
    click_button(browser, "Add document")  # no file: said beside the form, the table stays
    wait(browser, lambda d: d.find_elements(By.XPATH, "//p[contains(., 'Choose a file first')]"))
    assert browser.find_elements(By.CSS_SELECTOR, "table.staff-docs")
    shot(browser, "staff-add-without-a-file.png")

    leaflet = tmp_path / "hydrotherapy-leaflet.txt"
    leaflet.write_text(LEAFLET, encoding="utf-8")
    browser.find_element(By.CSS_SELECTOR, "input[type=file][accept*='.pdf']").send_keys(
        str(leaflet)
    )
    wait(browser, lambda d: "hydrotherapy-leaflet.txt" in d.page_source)
    textbox(browser, "Title").send_keys("Hydrotherapy and SMA")
    textbox(browser, "Publisher").send_keys("Example Physio Team")
    textbox(browser, "Last reviewed (YYYY-MM-DD, optional)").send_keys("March 2025")
    click_button(browser, "Add document")
    wait(browser, lambda d: d.find_elements(By.XPATH, "//p[contains(., 'is not a date')]"))
    box = textbox(browser, "Last reviewed (YYYY-MM-DD, optional)")
    box.clear()
    box.send_keys("2025-03-01")
    click_button(browser, "Add document")
    wait(browser, lambda d: d.find_elements(By.XPATH, "//p[contains(., 'Added')]"))
    row = browser.find_element(By.XPATH, "//table[@class='staff-docs']//tr[contains(., 'Hydro')]")
    assert "Not searchable yet" in row.text

    click_button(browser, "Rebuild the index")
    changed = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".what-changed"), timeout=300)
    text = changed.text
    assert "What changed" in text and "checked question" in text
    item = changed.find_element(By.XPATH, f".//li[contains(., '{NEW_QUESTION}')]")
    before, now = (p.text for p in item.find_elements(By.XPATH, "./p[strong]"))
    assert before.startswith("Before:") and now.startswith("Now:")
    assert "Hydrotherapy and SMA" in now and "Hydrotherapy and SMA" not in before
    summary = browser.find_element(By.XPATH, "//p[contains(., 'The index was rebuilt')]").text
    assert "passages" in summary and "chunk" not in summary and "token" not in summary
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", changed)
    shot(browser, "staff-what-changed.png")
