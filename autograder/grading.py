"""Autograde a class with nbgrader, so that a broken submission costs only its own points.

Before nbgrader runs, every submitted notebook is read and checked. What can be repaired
without changing the student's answers is repaired and flagged (a copy-pasted test cell, which
would make nbgrader fail the whole notebook); what cannot be read is reported. nbgrader then
grades the class (it restores locked test cells and kernels itself), one student at a time or
several at a time (`autograder.parallel_grading`), in guarded kernels (`autograder.guarded_execute`),
and each student gets one outcome line: graded with a score, or not graded and why. Code that
reaches for the machinery of grading is flagged for review (`autograder.tamper_scan`).
"""

import csv
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograder import parallel_grading
from autograder.errors import CourseError
from autograder.nbgrader_process import autograde_student
from autograder.tamper_scan import reaching_code

NBGRADER_SCHEMA = 3  # the cell metadata version nbgrader 0.9 writes and expects


@dataclass
class Outcome:
    student: str
    score: float | None = None
    max_score: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "graded" if self.score is not None else "not graded"


def notebook_problem(path: Path) -> str | None:
    """Why ``path`` is not a valid notebook (not JSON, not nbformat), or None when it is one."""
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as error:  # not JSON, not a notebook, or an invalid one: report, never crash
        return f"{path.name} is not a valid notebook ({type(error).__name__}: {str(error).splitlines()[0][:120]})"
    return None


def unreadable_notebooks(submission: Path) -> list[str]:
    """The problems of the notebooks in a submission directory that are not valid notebooks; changes nothing."""
    return [problem for path in sorted(submission.glob("*.ipynb")) if (problem := notebook_problem(path))]


def check_submission(path: Path) -> list[str]:
    """Read one submitted notebook, repair what is safe to repair, and return the problems found.

    Unreadable notebooks are left as they are (nbgrader then scores them zero).
    """
    problem = notebook_problem(path)
    if problem:
        return [problem]
    notebook = nbformat.read(path, as_version=4)
    seen, kept, problems = set(), [], []
    for cell in notebook.cells:
        metadata = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = metadata.get("grade_id")
        if grade_id is not None and grade_id in seen:
            problems.append(f"{path.name}: removed a copy of cell {grade_id!r} (duplicate grade id)")
            continue
        if metadata and metadata.get("schema_version") != NBGRADER_SCHEMA:
            # any other version makes nbgrader stop grading the whole class
            problems.append(f"{path.name}: reset the edited nbgrader schema version of cell {grade_id!r}")
            metadata["schema_version"] = NBGRADER_SCHEMA
        seen.add(grade_id)
        kept.append(cell)
    if problems:
        notebook.cells = kept
        nbformat.write(notebook, path)
    return problems + [f"{path.name}: {finding}" for finding in reaching_code(notebook)]


def autograde(course: Path, assignment: str, *, notebook_timeout: float = 600, memory_gb: float = 4,
              cell_timeout: int | None = None, workers: int = 1,
              progress: Callable[[str], None] = lambda line: None) -> list[Outcome]:
    """Check and repair the submissions, then grade each student in an nbgrader process of its own.

    Each process, and the kernel it starts, may use at most ``memory_gb`` of address space; a
    student whose grading takes longer than ``notebook_timeout`` seconds is stopped and not
    graded. ``cell_timeout`` overrides the course's per-cell limit. With more than one of
    ``workers``, that many students are executed at a time (`autograder.parallel_grading`).
    ``progress`` gets a line per student as the work goes on.
    """
    submitted = sorted(path for path in (course / "submitted").glob(f"*/{assignment}") if path.is_dir())
    if not submitted:
        raise CourseError(f"no submissions for {assignment} in {course / 'submitted'}")
    if not (course / "gradebook.db").is_file():
        raise CourseError(f"{course} has no gradebook yet: generate {assignment} first (gpt-course release)")
    outcomes = [Outcome(path.parent.name) for path in submitted]
    for outcome, path in zip(outcomes, submitted, strict=True):
        for notebook in sorted(path.glob("*.ipynb")):
            outcome.problems += check_submission(notebook)
    options = [f"--Execute.timeout={cell_timeout}"] if cell_timeout else []
    limits = {"timeout": notebook_timeout, "memory_bytes": int(memory_gb * 1024**3)}
    students = [outcome.student for outcome in outcomes]
    if workers > 1:
        finished = parallel_grading.autograde(course, assignment, students, workers=workers, options=options,
                                              progress=progress, **limits)
    else:
        finished = _autograde_one_at_a_time(course, assignment, students, options=options, progress=progress, **limits)
    for outcome in outcomes:
        if not finished[outcome.student]:
            outcome.problems.append(f"grading took longer than {notebook_timeout:g} s and was stopped; it scores zero")
        _record_score(course, assignment, outcome, finished[outcome.student])
    return outcomes


def _autograde_one_at_a_time(course: Path, assignment: str, students: list[str], *, options: list[str],
                             timeout: float, memory_bytes: int, progress: Callable[[str], None]) -> dict[str, bool]:
    """Grade each student in the course itself; return whether each one's grading finished in time."""
    finished = {}
    for done, student in enumerate(students, 1):
        start = time.monotonic()
        finished[student] = autograde_student(course, assignment, student, *options, timeout=timeout,
                                              memory_bytes=memory_bytes)
        progress(f"[{done}/{len(students)}] {student}: graded in {time.monotonic() - start:.1f} s")
    return finished


def _record_score(course: Path, assignment: str, outcome: Outcome, finished: bool) -> None:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        try:
            submission = gradebook.find_submission(assignment, outcome.student)
        except MissingEntry:
            outcome.problems.append("nbgrader recorded no submission")
            return
        outcome.max_score = submission.max_score
        autograded = course / "autograded" / outcome.student / assignment
        if finished and autograded.is_dir():  # nbgrader removes it when grading fails
            outcome.score = submission.score
            outcome.problems += _trouble_in(autograded)
        elif finished:
            outcome.problems.append("nbgrader could not grade it (its log says why); it scores zero")


TROUBLE = {"CellTimeoutError": "a cell hit the time limit", "MemoryError": "a cell ran out of memory",
           "DeadKernelError": "the kernel died"}


def _trouble_in(autograded: Path) -> list[str]:
    """Time-outs, memory errors, kernel deaths and what the kernel's guard refused in the graded notebooks:
    worth a look even when graded."""
    found = []
    for path in sorted(autograded.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            for output in cell.get("outputs", []):
                name = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}")
                if output.get("output_type") != "error":
                    continue
                if output.get("ename") in TROUBLE:
                    found.append(f"{path.name}: {TROUBLE[output['ename']]} in {name}")
                elif str(output.get("evalue", "")).startswith("grading: "):  # refused by autograder.kernel_guard
                    found.append(f"{path.name}: {name} was refused: {output['evalue'][len('grading: '):]}")
    return found


def write_outcomes(outcomes: list[Outcome], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["student", "status", "score", "max_score", "problems"])
        for outcome in outcomes:
            writer.writerow([outcome.student, outcome.status, outcome.score, outcome.max_score,
                             json.dumps(outcome.problems)])
