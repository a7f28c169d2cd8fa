"""The course's JupyterLab in a real browser: `./course.sh lab --headless` serves release notebooks and headless
Chromium drives it.

- The student view runs a cell and shows nbgrader's student tools (Validate, the assignment list), none of the
  instructor's (Formgrader, Create Assignment, Course List) and no prompt to fetch Jupyter's news;
  `./course.sh lab --instructor` shows them all, news prompt included.
- A notebook's Chinese text renders with real glyphs (Debian's fonts-wqy-microhei, which .ci/run installs), not
  as missing-glyph boxes: measured by drawing its characters in the page with the notebook's own font.

Screenshots are kept in test-artifacts/ (student_view.png, instructor_view.png, chinese_text.png)."""

import shutil
import time

import pytest

from tests.support.course_lab import TOKEN, course_lab
from tests.support.headless_chromium import CHROMEDRIVER, CHROMIUM, chromium, wait
from tools.checkout import TREE

ARTIFACTS = TREE.root / "test-artifacts"
ASSIGNMENT = "03_attention"
CHINESE_ASSIGNMENT, CHINESE_TEXT = "02_embeddings", "刚才"  # the dog-planet words, in a markdown cell
NEWS_PROMPT = "official Jupyter news"  # "Would you like to get notified about official Jupyter news?"
INSTRUCTOR_TOOLS = ("Formgrader", "Course List")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
    ),
]


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    root = tmp_path_factory.mktemp("notebooks")
    for name in (ASSIGNMENT, CHINESE_ASSIGNMENT):
        shutil.copytree(TREE.course / "release" / name, root / name)
    return root


@pytest.fixture(scope="module")
def student_lab(notebooks, tmp_path_factory):
    yield from course_lab(notebooks, tmp_path_factory.mktemp("student-home"))


@pytest.fixture(scope="module")
def instructor_lab(notebooks, tmp_path_factory):
    yield from course_lab(notebooks, tmp_path_factory.mktemp("instructor-home"), "--instructor")


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path / "chromium-profile") as driver:
        yield driver


def open_notebook(browser, url: str, name: str, title: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready

    browser.get(f"{url}/lab/tree/{name}/{name}.ipynb?reset&token={TOKEN}")  # reset: only this notebook open
    wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")))
    wait(browser).until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, ".jp-Notebook"), title))


def nbgrader_menu(browser) -> list[str]:
    """The visible entries of the Nbgrader menu in JupyterLab's menu bar."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    xpath = "//*[contains(@class, 'lm-MenuBar-itemLabel')][normalize-space(text())='Nbgrader']"
    wait(browser).until(lambda driver: driver.find_elements(By.XPATH, xpath))
    browser.find_element(By.XPATH, xpath).click()
    menu = wait(browser, 10).until(lambda driver: driver.find_element(By.ID, "jp-mainmenu-nbgrader"))
    entries = [
        label.text.strip()
        for label in menu.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel")
        if label.is_displayed()
    ]
    menu.send_keys(Keys.ESCAPE)
    return entries


def shows(browser, text: str) -> bool:
    from selenium.webdriver.common.by import By

    return any(
        element.is_displayed() for element in browser.find_elements(By.XPATH, f"//*[contains(text(), '{text}')]")
    )


def create_assignment_tab(browser) -> list:
    from selenium.webdriver.common.by import By

    return browser.find_elements(
        By.XPATH,
        "//*[contains(@class, 'lm-TabBar-tab')][contains(., 'Create Assignment') or @title='Create Assignment']",
    )


def screenshot(browser, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / name))
    assert (ARTIFACTS / name).stat().st_size > 10_000


def test_student_runs_a_cell_with_student_tools_only(student_lab, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready

    open_notebook(browser, student_lab, ASSIGNMENT, "Attention without trainable weights")
    validate = wait(browser).until(
        ready.presence_of_element_located(
            (By.XPATH, "//*[contains(@class, 'jp-Toolbar')]//*[normalize-space(text())='Validate']")
        )
    )
    assert validate.is_displayed()

    # JupyterLab may replace the notebook's cells while it restores its layout: find the cell anew at each look.
    first_code_cell = (
        "(//*[contains(@class, 'jp-Notebook')]//*[contains(concat(' ', @class, ' '), ' jp-CodeCell ')])[1]"
    )
    editor = (By.XPATH, f"{first_code_cell}//*[contains(@class, 'cm-content')]")
    wait(browser).until(ready.element_to_be_clickable(editor)).click()
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    prompt = (By.XPATH, f"{first_code_cell}//*[contains(@class, 'jp-InputPrompt')]")
    wait(browser).until(ready.text_to_be_present_in_element(prompt, "[1]:"))

    # By now JupyterLab has restored its shell and every extension has started: what is missing stays missing.
    entries = nbgrader_menu(browser)
    assert "Assignment List" in entries
    assert not [tool for tool in INSTRUCTOR_TOOLS if tool in entries], entries
    assert create_assignment_tab(browser) == []
    assert not browser.find_elements(By.ID, "nbgrader-create_assignemnt")  # sic: nbgrader's panel id
    assert not shows(browser, NEWS_PROMPT)
    screenshot(browser, "student_view.png")


def test_instructor_sees_nbgrader_instructor_tools_and_the_news_prompt(instructor_lab, browser):
    open_notebook(browser, instructor_lab, ASSIGNMENT, "Attention without trainable weights")
    wait(browser).until(lambda driver: create_assignment_tab(driver))
    wait(browser).until(lambda driver: shows(driver, NEWS_PROMPT))  # what the student's settings turn off
    entries = nbgrader_menu(browser)
    assert all(tool in entries for tool in ("Assignment List", *INSTRUCTOR_TOOLS)), entries
    screenshot(browser, "instructor_view.png")


# Draws each character alone with the rendered markdown's own font and compares the pixels: characters without
# a glyph all come out as the same missing-glyph box, the one an unassigned code point (U+0378) gets.
MEASURE_GLYPHS = """
const [text, characters] = arguments;
const element = [...document.querySelectorAll('.jp-RenderedMarkdown')].find(e => e.textContent.includes(text));
element.scrollIntoView();
const style = getComputedStyle(element);
const canvas = document.createElement('canvas');
canvas.width = canvas.height = 64;
const context = canvas.getContext('2d', {willReadFrequently: true});
context.font = `40px ${style.fontFamily}`;
const draw = character => {
    context.clearRect(0, 0, 64, 64);
    context.fillText(character, 4, 48);
    return context.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3).join(',');
};
const missing = draw('\\u0378');
const drawn = [...characters].map(draw);
return {
    font: style.fontFamily,
    distinct: new Set(drawn).size,
    likeMissing: drawn.filter(pixels => pixels === missing).length,
    width: context.measureText(characters).width,
    missingWidth: context.measureText('\\u0378'.repeat([...characters].length)).width,
};
"""


def test_chinese_text_renders_with_real_glyphs(student_lab, browser):
    open_notebook(browser, student_lab, CHINESE_ASSIGNMENT, "From token ids to input vectors")
    # Cells below the fold are in the page but not "displayed" for Selenium: look in the markdown's text.
    rendered = (
        "return [...document.querySelectorAll('.jp-RenderedMarkdown')].some(e => e.textContent.includes(arguments[0]))"
    )
    wait(browser).until(lambda driver: driver.execute_script(rendered, CHINESE_TEXT))
    characters = "我刚才现在吃饭睡觉跑步"
    measured = browser.execute_script(MEASURE_GLYPHS, CHINESE_TEXT, characters)
    assert measured["likeMissing"] == 0, measured
    assert measured["distinct"] == len(set(characters)), measured
    assert measured["width"] != measured["missingWidth"], measured
    time.sleep(0.5)  # the scroll settles before the picture
    screenshot(browser, "chinese_text.png")
