"""The student view in a real browser: JupyterLab serves a release notebook, Chromium runs a cell, and
nbgrader's Validate button is there. A screenshot is kept in test-artifacts/student_view.png."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from autograder.instructor.nbgrader_process import tool_environment
from tests.checkout import TREE

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ARTIFACTS = TREE.root / "test-artifacts"
ASSIGNMENT = "03_attention"
TOKEN = "course-browser-test"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def jupyter_lab(tmp_path):
    shutil.copytree(TREE.course / "release" / ASSIGNMENT, tmp_path / ASSIGNMENT)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={TOKEN}",
            "--allow-root",
            f"--notebook-dir={tmp_path}",
        ],
        env=tool_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within a minute")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_student_runs_a_cell_and_sees_validate(jupyter_lab, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 90)
    browser.get(f"{jupyter_lab}/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb?token={TOKEN}")
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")))
    wait.until(
        ready.text_to_be_present_in_element((By.CSS_SELECTOR, ".jp-Notebook"), "Attention without trainable weights")
    )
    validate = wait.until(
        ready.presence_of_element_located(
            (By.XPATH, "//*[contains(@class, 'jp-Toolbar')]//*[normalize-space(text())='Validate']")
        )
    )
    assert validate.is_displayed()

    first_code_cell = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")[0]
    first_code_cell.find_element(By.CSS_SELECTOR, ".cm-content").click()
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    wait.until(lambda _: first_code_cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").text.strip() == "[1]:")

    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "student_view.png"))
    assert (ARTIFACTS / "student_view.png").stat().st_size > 10_000
