"""Hand an assignment out and take submissions in through nbgrader's exchange directory.

The exchange is a directory that the instructor and every student can write to (nbgrader's
``Exchange.root``, here on the local file system). ``release`` puts the student version of an
assignment into it; students run ``nbgrader fetch_assignment`` and ``nbgrader submit`` against
it; ``collect`` copies each student's newest submission into the course's ``submitted/``.
"""

import os
from collections.abc import Callable
from pathlib import Path

from nbgrader.api import MissingEntry
from traitlets.config.loader import PyFileConfigLoader

from autograder.grading.in_instructor.notebook_repair import notebook_problem, unreadable_notebooks
from autograder.instructor.course_layout import CourseLayout
from autograder.instructor.errors import BadArgument, CourseError
from autograder.instructor.gradebook import gradebook_exists, gradebook_url, open_gradebook, shown
from autograder.instructor.nbgrader_process import run_nbgrader

SUBMISSION_MESSAGES = ("Collecting submission: ", "Updating submission: ", "No newer submission to collect: ")


def course_id(course: Path, override: str | None = None) -> str:
    """The course id: ``override``, else ``c.CourseDirectory.course_id`` from the course's nbgrader_config.py."""
    configured = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    identifier = override or configured.get("CourseDirectory", {}).get("course_id", "")
    if not identifier:
        raise BadArgument(
            f"no course id: set c.CourseDirectory.course_id in {course / 'nbgrader_config.py'} or pass --course-id"
        )
    return identifier


def release(
    course: Path,
    assignment: str,
    exchange: Path,
    *,
    course_id_override: str | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Path:
    """Generate the student version unless the gradebook has it, then release it to ``exchange``.

    A missing exchange directory is created, writable for everyone. Returns the released directory.
    """
    identifier = course_id(course, course_id_override)
    if not _generated(course, assignment):
        for notebook in sorted(CourseLayout(course).source(assignment).glob("*.ipynb")):
            if problem := notebook_problem(notebook):
                raise CourseError(f"{problem} in {notebook.parent}")
        progress(f"generating the student version of {assignment} (nbgrader generate_assignment)")
        run_nbgrader(course, "generate_assignment", assignment, "--force")
        progress(
            f"wrote {CourseLayout(course).release(assignment)} and recorded {assignment} in {shown(gradebook_url(course))}"
        )
    if not exchange.is_dir():
        exchange.mkdir(parents=True)
        os.chmod(exchange, 0o777)  # students submit into it under their own accounts
        progress(f"created the exchange directory {exchange} (writable for everyone)")
    run_nbgrader(course, "release_assignment", assignment, "--force", *_options(exchange, identifier))
    released = exchange / identifier / "outbound" / assignment
    progress(
        f"released {assignment} to {released}; students run: nbgrader fetch_assignment {assignment} "
        f"--course {identifier} --Exchange.root={exchange.resolve()}"
    )
    return released


def collect(
    course: Path,
    assignment: str,
    exchange: Path,
    *,
    course_id_override: str | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> list[str]:
    """Copy each student's newest submission from ``exchange`` into ``submitted/``; return who was collected."""
    if not exchange.is_dir():
        raise BadArgument(f"no exchange directory {exchange}: release an assignment to it first")
    options = _options(exchange, course_id(course, course_id_override))
    records = run_nbgrader(course, "collect", assignment, "--update", *options)
    collected = []
    for level, message in records:
        if message.startswith(SUBMISSION_MESSAGES) or level == "WARNING":
            progress(" ".join(message.split()))
        if message.startswith(SUBMISSION_MESSAGES[:2]):
            collected.append(message.split(": ", 1)[1].rsplit(" ", 1)[0])
    for student in collected:
        for problem in unreadable_notebooks(CourseLayout(course).submitted(student, assignment)):
            progress(f"{student}: {problem}; autograde will report it")
    return collected


def _generated(course: Path, assignment: str) -> bool:
    """Whether the assignment has a student version and is known to the gradebook."""
    if not CourseLayout(course).release(assignment).is_dir() or not gradebook_exists(course):
        return False
    with open_gradebook(course) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            return False
    return True


def _options(exchange: Path, identifier: str) -> list[str]:
    return [f"--Exchange.root={exchange.resolve()}", f"--CourseDirectory.course_id={identifier}"]
