"""`./course.sh book` writes the executed solutions as a static website, offline and without executing them:
a table of contents in the course's order, the glossary, and pages whose figures and formulas render in
Chromium (screenshot: test-artifacts/book_page.png)."""

import re
import subprocess
import sys

import nbformat
import pytest

from autograder.instructor.nbgrader_process import tool_environment
from tests.support.headless_chromium import CHROMEDRIVER, CHROMIUM, chromium
from tools.checkout import TREE

SOLUTIONS = [TREE.solution_path(name) for name in TREE.notebooks()]
PAGE = "07a_gpt_model"  # figures and formulas (a fraction)
ARTIFACTS = TREE.root / "test-artifacts"


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    environment = {**tool_environment(), "VENV": sys.prefix, "COURSE_SETUP_DONE": "1"}
    built = subprocess.run(
        [TREE.root / "course.sh", "book", "--out", out], env=environment, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def test_the_contents_follow_the_course(book):
    index = (book / "index.html").read_text()
    links = re.findall(r'<li><a href="([0-9]{2}[a-z]?_[a-z_]+)\.html">', index)
    assert links == [path.stem for path in SOLUTIONS] and len(links) == 9  # 07 is three notebooks
    assert "Build a GPT from scratch" in index and "<table>" in index  # the README's introduction
    for path in SOLUTIONS:
        assert (book / f"{path.stem}.html").stat().st_size > 10_000


def test_the_glossary_is_a_page(book):
    if not (TREE.course / "GLOSSARY.md").exists():
        pytest.skip("no course/GLOSSARY.md")
    assert 'href="glossary.html"' in (book / "index.html").read_text()
    assert "术语表" in (book / "glossary.html").read_text()


def test_pages_show_the_committed_outputs_and_load_nothing_from_the_web(book):
    notebook = nbformat.read(TREE.root / "solutions" / f"{PAGE}.ipynb", as_version=4)
    printed = next(
        output["text"].strip().splitlines()[0]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("name") == "stdout" and output["text"].strip() and "<" not in output["text"]
    )
    for page in book.glob("*.html"):
        text = page.read_text()
        assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", text), page.name
    assert printed in (book / f"{PAGE}.html").read_text()


# A figure: an embedded image that decoded. A formula: MathML laid out by the browser, a fraction's numerator
# above its denominator (text would put them side by side).
MEASURE = """
const image = document.querySelector('img[src^="data:image/png"]');
const fraction = document.querySelector('math mfrac');
fraction.closest('p').scrollIntoView({block: 'start'});  // the screenshot shows the formula, then the figure
const [numerator, denominator] = [...fraction.children].map(child => child.getBoundingClientRect());
return {
    images: document.querySelectorAll('img[src^="data:image/png"]').length,
    imageWidth: image.naturalWidth, imageComplete: image.complete,
    formulas: document.querySelectorAll('math').length,
    stacked: numerator.bottom <= denominator.top + 1 && numerator.height > 0 && denominator.height > 0,
};
"""


@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver")
def test_a_page_shows_its_figures_and_formulas_in_chromium(book, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium(tmp_path / "chromium-profile") as browser:
        browser.get((book / f"{PAGE}.html").as_uri())
        WebDriverWait(browser, 30).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )
        measured = browser.execute_script(MEASURE)
        assert measured["images"] >= 1 and measured["imageComplete"] and measured["imageWidth"] > 100, measured
        assert measured["formulas"] >= 1 and measured["stacked"], measured
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "book_page.png"))
        assert (ARTIFACTS / "book_page.png").stat().st_size > 10_000
