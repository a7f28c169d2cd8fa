"""Write the students' feedback pages with nbgrader, and prove that none shows a hidden test.

The hiding itself is `autograder.grading.in_nbgrader.hide_hidden_tests`, which the course's config puts
into nbgrader's ``generate_feedback``; this step refuses the pages of a config that lacks it.
"""

from collections.abc import Callable
from pathlib import Path

from autograder.grading.protocol import HIDDEN_TESTS_MARKER
from autograder.instructor.course_layout import CourseLayout
from autograder.instructor.errors import CourseError
from autograder.instructor.nbgrader_process import run_nbgrader


def generate_feedback(course: Path, assignment: str, progress: Callable[[str], None] = lambda line: None) -> list[Path]:
    """Write every autograded student's feedback HTML; refuse (and remove) any that shows hidden tests.

    A course config without `HideHiddenTests` in ``GenerateFeedback.preprocessors`` would leak them.
    """
    layout = CourseLayout(course)
    if not layout.students("autograded", assignment):
        raise CourseError(
            f"no autograded submissions of {assignment} in {layout.autograded('*', assignment)}: autograde first"
        )
    run_nbgrader(course, "generate_feedback", assignment, "--force")
    students = layout.students("feedback", assignment)
    pages = sorted(page for student in students for page in layout.feedback(student, assignment).glob("*.html"))
    leaking = [page for page in pages if HIDDEN_TESTS_MARKER in page.read_text()]
    for page in leaking:
        page.unlink()
    if leaking:
        raise CourseError(
            f"removed {len(leaking)} feedback files that showed hidden tests: add "
            f"autograder.grading.in_nbgrader.hide_hidden_tests.HideHiddenTests to GenerateFeedback.preprocessors in "
            f"{course / 'nbgrader_config.py'}"
        )
    for page in pages:
        progress(f"{page.parent.parent.name}: {page}")
    return pages
