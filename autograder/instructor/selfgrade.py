"""Grade your own notebook exactly as the instructor would, without an instructor.

A learner studying alone has the checkout, not a gradebook. ``selfgrade`` builds a private nbgrader course
in a temporary directory (the checkout's ``course/nbgrader_config.py`` and the assignment's source,
``nbgrader generate_assignment``), hands in a copy of the learner's notebook as the student ``you`` and grades
it with `autograder.instructor.autograde`, the instructor's own grading: the same sandbox, the same limits, the
same hidden tests. What comes back is read from that scratch course: the points of every graded cell from its
gradebook, and what each failing test cell said (its check's message, the error's value: never a traceback,
which would quote hidden test code). The temporary course is then removed; nothing is written into the
checkout's ``course/`` or next to the learner's notebook.
"""

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry

from autograder.grading.protocol import HIDDEN_PREFIX, VISIBLE_PREFIX
from autograder.grading.untrusted_text import printable, printable_lines
from autograder.instructor import autograde
from autograder.instructor.build import CourseTree
from autograder.instructor.course_layout import CONFIG, scratch_course
from autograder.instructor.errors import BadArgument, CourseError
from autograder.instructor.gradebook import open_gradebook
from autograder.instructor.nbgrader_process import run_nbgrader

STUDENT = "you"
LOG_PATH = re.compile(r" \(log: [^)]*\)")  # where autograde kept nbgrader's log: in the scratch course, now gone


@dataclass
class ExercisePoints:
    """The points of one exercise: its visible test cell and its hidden one (None where it has none)."""

    name: str
    visible: tuple[float, float] | None = None  # (score, max score)
    hidden: tuple[float, float] | None = None

    @property
    def total(self) -> tuple[float, float]:
        parts = [part for part in (self.visible, self.hidden) if part]
        return sum(score for score, _ in parts), sum(most for _, most in parts)


@dataclass
class SelfGrade:
    """What grading one learner's notebook found."""

    assignment: str
    exercises: list[ExercisePoints] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test cell's grade id, its check's message)
    problems: list[str] = field(default_factory=list)  # the instructor's outcome line: repairs, limits hit, ...
    score: float | None = None  # None: nbgrader could not grade it
    max_score: float | None = None


def selfgrade(
    root: Path,
    assignment: str,
    notebooks: list[Path],
    *,
    sandboxed: bool = True,
    progress: Callable[[str], None] = lambda line: None,
) -> SelfGrade:
    """Grade ``notebooks``, the learner's work on ``assignment`` (all of its notebooks or some), with the checkout
    ``root``'s course. Only the notebooks handed in count: 07b graded alone is out of 07b's points."""
    tree = CourseTree(root)
    if not (tree.course / CONFIG).is_file() or not tree.layout.source(".").is_dir():
        raise BadArgument(f"{root} is not a checkout of the course (it has no course/nbgrader_config.py and source/)")
    known = tree.assignments()
    if assignment not in known:
        raise BadArgument(f"unknown assignment {assignment!r}; known: {', '.join(known)}")
    expected = tree.notebooks(assignment)
    for notebook in notebooks:
        if not notebook.is_file():
            raise BadArgument(f"no notebook {notebook} (give the path of your {' or '.join(expected)}.ipynb)")
    if len(expected) > 1 and (strangers := [n.name for n in notebooks if n.stem not in expected]):
        raise BadArgument(f"{', '.join(strangers)}: not a notebook of {assignment} ({', '.join(expected)})")
    if not notebooks:
        raise BadArgument(f"no notebook of {assignment} to grade")
    with scratch_course((tree.course / CONFIG).read_bytes(), prefix="gpt-course-selfgrade-") as scratch:
        course = scratch.root
        shutil.copytree(
            tree.layout.source(assignment),
            scratch.source(assignment),
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        progress(f"generating {assignment} in a scratch course")
        run_nbgrader(course, "generate_assignment", assignment, "--force")
        submitted = scratch.submitted(STUDENT, assignment)
        submitted.mkdir(parents=True)
        # Handed in under the released name, as `nbgrader submit` would; a browser's "(1)" copy of an assignment's
        # only notebook is renamed anyway.
        names = [f"{expected[0]}.ipynb"] if len(expected) == 1 else [notebook.name for notebook in notebooks]
        for notebook, name in zip(notebooks, names, strict=True):
            shutil.copyfile(notebook, submitted / name)
        (outcome,) = autograde.autograde(course, assignment, sandboxed=sandboxed, progress=progress)
        problems = [LOG_PATH.sub("", problem) for problem in outcome.problems]
        result = SelfGrade(assignment, problems=problems)
        if outcome.score is not None:
            scores = _scores(course, assignment, [Path(name).stem for name in names])
            result.score = sum(score for score, _ in scores.values())
            result.max_score = sum(most for _, most in scores.values())
            result.exercises = _exercises(scratch.release(assignment), scores)
            result.failures = _failures(scratch.autograded(STUDENT, assignment), scores)
    return result


def _scores(course: Path, assignment: str, notebooks: list[str]) -> dict[str, tuple[float, float]]:
    """Grade id -> (score, max score) of every graded cell of ``notebooks``, from the scratch gradebook."""
    with open_gradebook(course) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, STUDENT)
        except MissingEntry:
            raise CourseError("nbgrader recorded no grades for your notebook") from None
        return {
            grade.name: (grade.score, grade.max_score)
            for notebook in submission.notebooks
            if notebook.name in notebooks
            for grade in notebook.grades
        }


def _exercises(released: Path, scores: dict[str, tuple[float, float]]) -> list[ExercisePoints]:
    """One row per exercise, in the order of the handed-out notebooks' graded cells."""
    rows: dict[str, ExercisePoints] = {}
    for path in sorted(released.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id not in scores:
                continue
            kind = "hidden" if grade_id.startswith(HIDDEN_PREFIX) else "visible"
            name = grade_id.removeprefix(HIDDEN_PREFIX if kind == "hidden" else VISIBLE_PREFIX)
            setattr(rows.setdefault(name, ExercisePoints(name)), kind, scores[grade_id])
    return list(rows.values())


def _failures(autograded: Path, scores: dict[str, tuple[float, float]]) -> list[tuple[str, str]]:
    """What each graded cell that lost points said: its errors' messages (the checks word them for learners).

    Only an error's value is taken, never its traceback or the cell's source, which hold hidden test code."""
    found = []
    for path in sorted(autograded.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id not in scores or scores[grade_id][0] >= scores[grade_id][1]:
                continue
            errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
            messages = [str(error.get("evalue", "")).strip() or str(error.get("ename", "an error")) for error in errors]
            found.append((grade_id, "\n".join(messages) or "no points, and no message (was it run?)"))
    return found


def format_report(result: SelfGrade) -> str:
    """The table of points per exercise, what failed, and the total, of a graded notebook."""

    def points(part: tuple[float, float] | None) -> str:
        return f"{part[0]:g} / {part[1]:g}" if part else "-"

    width = max([len("exercise"), *(len(exercise.name) for exercise in result.exercises)])
    lines = [f"{'exercise':{width}}  {'visible':>9}  {'hidden':>9}  {'total':>9}"]
    for exercise in result.exercises:
        lines.append(
            f"{exercise.name:{width}}  {points(exercise.visible):>9}  {points(exercise.hidden):>9}"
            f"  {points(exercise.total):>9}"
        )
    if result.failures:
        lines += ["", "What failed:"]
        for grade_id, message in result.failures:
            first, *rest = printable_lines(message).splitlines() or [""]
            lines.append(f"- {grade_id}: {first}")
            lines += [f"    {line}" for line in rest]
    if result.problems:
        lines += ["", "Notes:", *_bullets([printable(problem) for problem in result.problems])]
    lines += ["", f"Total: {result.score:g} / {result.max_score:g}"]
    return "\n".join(lines)


def _bullets(lines: list[str]) -> list[str]:
    return [f"- {line}" for line in lines]
