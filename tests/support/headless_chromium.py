"""The headless Chromium that the browser tests drive (Debian's chromium and chromium-driver; .ci/run installs them)."""

import contextlib
import shutil
from pathlib import Path

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
FLAGS = (  # no sandbox (tests run as root), nothing fetched, no first-run pages
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,900",
)


@contextlib.contextmanager
def chromium(profile: Path):
    """A WebDriver for a fresh headless Chromium with its profile in ``profile``; quit afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait(browser, seconds: float = 90):
    """A WebDriverWait on ``browser``: JupyterLab and formgrader take their time to draw on a busy machine."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds)
