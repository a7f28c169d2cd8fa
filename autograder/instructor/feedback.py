"""Write the students' feedback pages with nbgrader, and prove that none shows a hidden test.

The hiding itself is `autograder.preprocessors.hide_hidden_tests`, which the course's config puts
into nbgrader's ``generate_feedback``; this step refuses the pages of a config that lacks it.
"""

from collections.abc import Callable
from pathlib import Path

from autograder.instructor.errors import CourseError
from autograder.instructor.nbgrader_process import run_nbgrader
from autograder.preprocessors.hide_hidden_tests import HIDDEN_TESTS_MARKER


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
        raise CourseError(
            f"removed {len(leaking)} feedback files that showed hidden tests: add "
            f"autograder.preprocessors.hide_hidden_tests.HideHiddenTests to GenerateFeedback.preprocessors in "
            f"{course / 'nbgrader_config.py'}"
        )
    for page in pages:
        progress(f"{page.parent.parent.name}: {page}")
    return pages
