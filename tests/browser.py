"""A real Chromium for the browser tests: Debian's chromium driven by Selenium.

Helpers shared by tests/test_browser*.py: a driver at an exact viewport (390×844 or
1280×900, set through the DevTools protocol, so the page gets those CSS pixels) in the
light or dark colour scheme, waiting, asking, screenshots in eval-reports/screenshots/,
and axe-core (`make test` fetches it from npm; `SMABOT_AXE` says where).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from tests import app_server

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
AVAILABLE = Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()
SHOTS = PROJECT_ROOT / "eval-reports" / "screenshots"
TIMEOUT = 40
AXE = Path(os.environ.get("SMABOT_AXE", PROJECT_ROOT / ".venv/axe-core-4.14.1/axe.min.js"))
DESKTOP, PHONE = (1280, 900), (390, 844)
MIN_TARGET = 44  # CSS px, WCAG 2.5.5

if AVAILABLE:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait


def skip_without_chromium() -> None:
    if not AVAILABLE:
        pytest.skip(
            "needs Debian's chromium and chromium-driver (.ci/run installs them)",
            allow_module_level=True,
        )


def chromium(profile: Path):
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
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def driver_fixture(tmp_path):
    driver = chromium(tmp_path / "profile")
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def viewport(driver, size: tuple[int, int]) -> None:
    """Give the page exactly `size` CSS pixels (a phone size is emulated as a phone)."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def scheme(driver, name: str) -> None:
    """'light' or 'dark', as `prefers-color-scheme` (set before loading the page)."""
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": name}]},
    )


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


def rect(driver, element) -> dict:
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,"
        " height: window.innerHeight, width: window.innerWidth};",
        element,
    )


def on_screen(driver, element) -> bool:
    r = rect(driver, element)
    return r["bottom"] > r["top"] and r["top"] >= 0 and r["bottom"] <= r["height"]


def shot(driver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    driver.save_screenshot(str(path))
    return path


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


def axe_violations(driver) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not at {AXE}: `make test` fetches it (needs npm)")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(120)
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations'], iframes: false})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))))"
        ".catch(e => done([{id: 'axe failed: ' + e, impact: 'critical', nodes: []}]));"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes']}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def open_staff(driver, url: str) -> None:
    driver.get(url + "staff")
    box = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#staff-password input"))
    box.send_keys(app_server.PASSWORD)
    driver.find_element(By.XPATH, "//button[normalize-space()='Open']").click()
    wait(driver, lambda d: d.find_element(By.XPATH, "//button[@role='tab']"))


def staff_tab(driver, name: str) -> None:
    driver.find_element(By.XPATH, f"//button[@role='tab' and contains(., '{name}')]").click()


def click_button(driver, label: str) -> None:
    driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()


def click(driver, element) -> None:
    """Click as a person would: scrolled to the middle of the screen first, clear of the
    question box at the bottom (Selenium alone scrolls it to the very bottom, under it)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()
