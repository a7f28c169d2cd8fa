"""Write the students' feedback pages with nbgrader, and prove that none shows hidden test code.

The hiding itself is `autograder.grading.in_nbgrader.hide_hidden_tests`, which the course's config puts
into nbgrader's ``generate_feedback``. This step reads every page as the text a student sees and withholds a page
that shows a line of the assignment's hidden tests. Feedback is per student: a page that nbgrader could not write,
or that is withheld, is reported with the student's name, and the others are released. Only when every page shows
hidden tests is the course's config to blame, and the command fails.
"""

import html
import re
from collections.abc import Callable
from pathlib import Path

import nbformat

from autograder.grading.protocol import HIDDEN_TESTS_REGION
from autograder.instructor.course_layout import CONFIG, CourseLayout
from autograder.instructor.errors import CourseError
from autograder.instructor.nbgrader_process import failure_reason, nbgrader

TAG = re.compile(r"<[^>]*>")


def hidden_test_lines(layout: CourseLayout, assignment: str) -> set[str]:
    """Every non-blank line inside the hidden-test regions of the assignment's source notebooks."""
    lines = set()
    for path in layout.source(assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for region in HIDDEN_TESTS_REGION.findall(cell.source):
                lines.update(line.strip() for line in region.splitlines() if line.strip())
    return lines


def page_text(page: Path) -> str:
    """The page as its reader sees the text: tags removed (highlighted code is split into spans), entities read."""
    return html.unescape(TAG.sub("", page.read_text(errors="replace")))


def generate_feedback(course: Path, assignment: str, progress: Callable[[str], None] = lambda line: None) -> list[Path]:
    """Write every autograded student's feedback HTML and return the pages; withhold (remove) a page that shows
    hidden test code, and report each student left without a page through ``progress``."""
    layout = CourseLayout(course)
    students = layout.students("autograded", assignment)
    if not students:
        raise CourseError(
            f"no autograded submissions of {assignment} in {layout.autograded('*', assignment)}: autograde first"
        )
    result = nbgrader(course, "generate_feedback", assignment, "--force")
    hidden, pages_written, withheld = hidden_test_lines(layout, assignment), [], {}
    for student in students:
        pages = sorted(layout.feedback(student, assignment).glob("*.html"))
        if not pages:
            withheld[student] = f"nbgrader wrote no page: {failure_reason(result.stderr)}"
        for page in pages:
            shown = page_text(page)
            if leaked := sorted(line for line in hidden if line in shown):
                page.unlink()
                withheld[student] = f"its page showed hidden test code ({leaked[0]!r}); removed"
            else:
                pages_written.append(page)
                progress(f"{student}: {page}")
    for student, why in withheld.items():
        progress(f"{student}: no feedback: {why}")
    if not pages_written and all("hidden test code" in why for why in withheld.values()):
        raise CourseError(
            f"removed the feedback of all {len(students)} students, which showed hidden tests: add "
            f"autograder.grading.in_nbgrader.hide_hidden_tests.HideHiddenTests to GenerateFeedback.preprocessors in "
            f"{layout.root / CONFIG}"
        )
    if not pages_written:
        raise CourseError(f"nbgrader generate_feedback wrote no page: {failure_reason(result.stderr)}")
    return pages_written
