"""Feedback for students that keeps hidden tests hidden: an nbgrader preprocessor, and the command.

nbgrader's feedback shows graded notebooks as they ran, hidden test code included, and a failing
hidden test's traceback quotes that code again. This preprocessor removes the hidden region
from each cell and cuts tracebacks down to the error's own message (which the course's checks
word for students). `course/nbgrader_config.py` puts it into `generate_feedback`;
`generate_feedback` below runs nbgrader's and checks that no page shows hidden tests.
"""

from collections.abc import Callable
from pathlib import Path

from nbgrader.preprocessors import ClearHiddenTests

from autograder.errors import CourseError
from autograder.nbgrader_process import run_nbgrader

HIDDEN_TESTS_MARKER = "BEGIN HIDDEN TESTS"


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden_tests = HIDDEN_TESTS_MARKER in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden_tests and cell.cell_type == "code":
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


def generate_feedback(course: Path, assignment: str, progress: Callable[[str], None] = lambda line: None) -> list[Path]:
    """Write every autograded student's feedback HTML; refuse (and remove) any that shows hidden tests.

    A course config without `HideHiddenTests` in ``GenerateFeedback.preprocessors`` would leak them.
    """
    if not any((course / "autograded").glob(f"*/{assignment}")):
        raise CourseError(f"no autograded submissions of {assignment} in {course / 'autograded'}: autograde first")
    run_nbgrader(course, "generate_feedback", assignment, "--force")
    pages = sorted((course / "feedback").glob(f"*/{assignment}/*.html"))
    leaking = [page for page in pages if HIDDEN_TESTS_MARKER in page.read_text()]
    for page in leaking:
        page.unlink()
    if leaking:
        raise CourseError(f"removed {len(leaking)} feedback files that showed hidden tests: add "
                          f"autograder.feedback.HideHiddenTests to GenerateFeedback.preprocessors in "
                          f"{course / 'nbgrader_config.py'}")
    for page in pages:
        progress(f"{page.parent.parent.name}: {page}")
    return pages
