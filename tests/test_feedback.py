"""`gpt-course feedback` is per student: one student's text cannot stop the class's feedback or blame the config,
and no page shows a line of the hidden tests."""

import nbformat
import pytest
from nbconvert import HTMLExporter

from autograder.instructor import feedback
from autograder.instructor.course_layout import CourseLayout
from tests.support.cli_workflow import gpt_course_process as gpt_course
from tools.checkout import TREE
from tools.nbgrader_course import completed_release, scratch_course, submit

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox]

ASSIGNMENT = "03_attention"  # the quickest notebook to grade
MARKER = "### BEGIN HIDDEN TESTS"


@pytest.fixture(scope="module")
def fed_back(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("course"), [ASSIGNMENT])
    submit(course, "honest", ASSIGNMENT, completed_release(ASSIGNMENT))
    marked = completed_release(
        ASSIGNMENT,
        {
            "softmax_naive": f"# {MARKER}\ndef softmax_naive(x):\n    print('{MARKER}')\n    return x.exp() / x.exp().sum()\n"
        },
    )
    marked.cells.append(nbformat.v4.new_code_cell(f"print('{MARKER}')"))
    submit(course, "marker", ASSIGNMENT, marked)
    graded = gpt_course("autograde", ASSIGNMENT, "--course", course)
    assert graded.returncode == 0, graded.stderr
    return course, gpt_course("feedback", ASSIGNMENT, "--course", course)


def test_a_students_marker_neither_stops_the_class_nor_blames_the_config(fed_back):
    course, result = fed_back
    assert result.returncode == 0, result.stderr
    assert "2 feedback files written" in result.stdout, result.stdout
    layout = CourseLayout(course)
    for student in ("honest", "marker"):
        assert (layout.feedback(student, ASSIGNMENT) / f"{ASSIGNMENT}.html").is_file(), student


def test_no_page_shows_a_line_of_the_hidden_tests_and_the_students_own_text_stays(fed_back):
    course, _ = fed_back
    layout = CourseLayout(course)
    hidden = feedback.hidden_test_lines(layout, ASSIGNMENT)
    assert len(hidden) >= 6, hidden  # one hidden check per exercise of 03
    for student in ("honest", "marker"):
        shown = feedback.page_text(layout.feedback(student, ASSIGNMENT) / f"{ASSIGNMENT}.html")
        assert not [line for line in hidden if line in shown], student
    assert MARKER in feedback.page_text(layout.feedback("marker", ASSIGNMENT) / f"{ASSIGNMENT}.html")


def test_the_leak_check_sees_hidden_code_in_a_rendered_page(tmp_path):
    """The check reads highlighted code, which HTML splits into spans: the source notebook rendered shows them."""
    page = tmp_path / "source.html"
    page.write_text(HTMLExporter().from_filename(str(TREE.source_path(ASSIGNMENT)))[0])
    shown = feedback.page_text(page)
    hidden = feedback.hidden_test_lines(TREE.layout, ASSIGNMENT)
    assert hidden and all(line in shown for line in hidden)
