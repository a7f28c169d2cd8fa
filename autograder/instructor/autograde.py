"""Autograde a class with nbgrader, so that a broken submission costs only its own points.

Before nbgrader runs, every submitted notebook is checked and repaired where that is safe
(`autograder.grading.in_instructor.notebook_repair`), and code that reaches for the machinery of grading is
flagged for review (`autograder.grading.in_instructor.tamper_scan`). nbgrader then grades the class (it restores
locked test cells and kernels itself), one student at a time in the course, or as Dask tasks on a cluster of
this machine's processes or of other machines (`autograder.instructor.parallel_execution`), in guarded kernels
(`autograder.grading.in_nbgrader.guarded_execute`), and each student gets one outcome line: graded with a
score, or not graded and why. nbgrader's log of each student's grading is kept in
``reports/logs/<assignment>/<student>.log``; a student it could not grade gets its reason from there.
"""

import csv
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from distributed.security import Security
from nbgrader.api import MissingEntry

from autograder.grading.in_instructor import sandbox
from autograder.grading.in_instructor.notebook_repair import (
    notebook_problem,
    over_cap,
    rename_browser_copy,
    repair_notebook,
)
from autograder.grading.in_instructor.sandbox import GIB, Limits
from autograder.grading.in_instructor.tamper_scan import reaching_code
from autograder.grading.protocol import HIDDEN_SEED_SECRET, PUT_BACK_MARK, REFUSAL_PREFIX, TROUBLE
from autograder.instructor import parallel_execution
from autograder.instructor.course_layout import CourseLayout
from autograder.instructor.errors import CourseError
from autograder.instructor.gradebook import gradebook_exists, open_gradebook
from autograder.instructor.nbgrader_process import autograde_student, failure_reason
from autograder.instructor.student_ids import id_problem

SECRET_FILE = "hidden-seed-secret"  # in the assignment's log folder: the last run's secret
NOTEBOOK_TIMEOUT = 600  # seconds for a student's whole notebook, by default
HARD_LIMIT_MARGIN = 120  # seconds past the notebook's time limit before its nbgrader process is killed


@dataclass
class Outcome:
    student: str
    score: float | None = None
    max_score: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "graded" if self.score is not None else "not graded"


def autograde(
    course: Path,
    assignment: str,
    *,
    notebook_timeout: float = NOTEBOOK_TIMEOUT,
    memory_gb: float = Limits.memory_bytes / GIB,
    cell_timeout: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    scheduler_security: Security | None = None,
    sandboxed: bool = True,
    max_processes: int = Limits.max_processes,
    disk_gb: float = Limits.disk_bytes / GIB,
    progress: Callable[[str], None] = lambda line: None,
) -> list[Outcome]:
    """Check and repair the submissions, then grade each student in an nbgrader process of its own.

    Each student's kernel runs in an operating-system sandbox (`autograder.grading.in_instructor.sandbox`): all its
    processes together may use ``memory_gb`` of memory, ``max_processes`` processes and threads, and
    ``disk_gb`` in each of its notebook folder and /tmp; every process it started is gone afterwards.
    Without ``sandboxed`` (where no sandbox can start) the kernel runs with the in-kernel guard only, and
    every outcome says so. Each process may use at most ``memory_gb`` of address space too. No cell runs
    past ``notebook_timeout`` seconds, and what ran is graded; a student's grading still running
    ``HARD_LIMIT_MARGIN`` seconds later is stopped and not graded. ``cell_timeout`` overrides the course's
    per-cell limit. One student at a time is graded in the course itself, as nbgrader does; with more than one of
    ``workers``, or a Dask ``scheduler``'s address, each student is a Dask task on a LocalCluster of that many
    processes or on that cluster (`autograder.instructor.parallel_execution`). ``progress`` gets a line per student as the work goes on.
    """
    if sandboxed and (reason := sandbox.available()):
        raise CourseError(f"{reason}; grade with --no-sandbox to rely on the in-kernel guard alone")
    layout = CourseLayout(course)
    students = layout.students("submitted", assignment)
    if not students:
        raise CourseError(f"no submissions for {assignment} in {layout.submitted('*', assignment)}")
    if not gradebook_exists(course):
        raise CourseError(f"{course} has no gradebook yet: generate {assignment} first (gpt-course release)")
    outcomes = [Outcome(student) for student in students]
    # a folder that nbgrader's own collect or a hand put under submitted/: an id collect would refuse is not graded
    refused = {student: problem for student in students if (problem := id_problem(student))}
    for student in set(students) - set(refused):  # a notebook over a cap would cost nbgrader minutes: not graded
        caps = [
            problem
            for path in sorted(layout.submitted(student, assignment).glob("*.ipynb"))
            if (problem := over_cap(path))
        ]
        if caps:
            refused[student] = "; ".join(caps)
    released = {path.name: nbformat.read(path, as_version=4) for path in layout.release(assignment).glob("*.ipynb")}
    for outcome in outcomes:
        if outcome.student in refused:
            outcome.problems.append(f"not graded: {refused[outcome.student]}")
            continue
        try:
            outcome.problems += _repair_and_scan(layout.submitted(outcome.student, assignment), released)
        except Exception as error:  # whatever one notebook does to the reading of it costs that student only
            reason = " ".join(f"{type(error).__name__}: {error}".split())[:300]
            outcome.problems.append(f"for review: could not be repaired and scanned before grading ({reason})")
    # The kernel's own deadline lets nbgrader score what ran; the process is killed only if that fails.
    options = [f"--GuardedExecute.notebook_timeout={notebook_timeout}"]
    options += [f"--Execute.timeout={cell_timeout}"] if cell_timeout else []
    limits = Limits(
        wall_seconds=notebook_timeout + HARD_LIMIT_MARGIN,
        memory_bytes=int(memory_gb * GIB),
        max_processes=max_processes,
        disk_bytes=int(disk_gb * GIB),
    )
    students = [outcome.student for outcome in outcomes if outcome.student not in refused]
    logs = log_directory(course, assignment)
    secret = _record_hidden_seed_secret(logs, os.environ.get(HIDDEN_SEED_SECRET) or secrets.token_hex(16))
    how = {  # what both ways of grading are told
        "options": options,
        "progress": progress,
        "logs": logs,
        "limits": limits,
        "sandboxed": sandboxed,
        "hidden_seed_secret": secret,
    }
    if not students:  # every folder had a refused id
        finished, lost = {}, {}
    elif workers > 1 or scheduler:
        finished, lost = parallel_execution.execute_and_score(
            course,
            assignment,
            students,
            workers=workers,
            scheduler=scheduler,
            scheduler_security=scheduler_security,
            **how,
        )
    else:
        finished, lost = _autograde_one_at_a_time(course, assignment, students, **how), {}
    for outcome in outcomes:
        if outcome.student in refused:
            continue
        if not sandboxed:
            outcome.problems.append(
                "graded without a sandbox (--no-sandbox): only the in-kernel guard stood in the way"
            )
        if outcome.student in lost:
            outcome.problems.append(f"not graded: {lost[outcome.student]}")
            continue
        if not finished[outcome.student]:
            outcome.problems.append(
                f"grading took longer than {limits.wall_seconds:g} s and was stopped; it scores zero"
            )
        _record_score(course, assignment, outcome, finished[outcome.student], logs / f"{outcome.student}.log")
    return outcomes


def _autograde_one_at_a_time(
    course: Path,
    assignment: str,
    students: list[str],
    *,
    options: list[str],
    limits: Limits,
    sandboxed: bool,
    hidden_seed_secret: str,
    progress: Callable[[str], None],
    logs: Path,
) -> dict[str, bool]:
    """Grade each student in the course itself; return whether each one's grading finished in time."""
    finished = {}
    for done, student in enumerate(students, 1):
        start = time.monotonic()
        finished[student] = autograde_student(
            course,
            assignment,
            student,
            *options,
            limits=limits,
            sandboxed=sandboxed,
            log=logs / f"{student}.log",
            hidden_seed_secret=hidden_seed_secret,
        )
        progress(f"[{done}/{len(students)}] {student}: graded in {time.monotonic() - start:.1f} s")
    return finished


def _repair_and_scan(path: Path, released: dict[str, nbformat.NotebookNode]) -> list[str]:
    """Repair a student's notebooks where they are broken, and flag the code that reaches for grading's machinery."""
    problems = rename_browser_copy(path, sorted(released))
    for notebook in sorted(path.glob("*.ipynb")):
        problems += repair_notebook(notebook, released.get(notebook.name))
        if not notebook_problem(notebook):
            read = nbformat.read(notebook, as_version=4)
            problems += [f"{notebook.name}: {finding}" for finding in reaching_code(read, released.get(notebook.name))]
    return problems


def _record_hidden_seed_secret(logs: Path, secret: str) -> str:
    """Keep the run's secret for the hidden checks' seeds in the instructor's log folder, readable by the instructor
    alone: with ``GPT_COURSE_HIDDEN_SEED_SECRET`` set to it, a later run draws the same hidden inputs (to reproduce
    a grade). A run without it draws a new one, so hidden inputs recorded before earn nothing."""
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / SECRET_FILE
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{HIDDEN_SEED_SECRET}={secret}\n")
    return secret


def log_directory(course: Path, assignment: str) -> Path:
    """Where nbgrader's log of each student's grading is kept: ``<student>.log``, replaced at each run."""
    return CourseLayout(course).reports / "logs" / assignment


def _record_score(course: Path, assignment: str, outcome: Outcome, finished: bool, log: Path) -> None:
    with open_gradebook(course) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, outcome.student)
        except MissingEntry:
            outcome.problems.append(f"nbgrader recorded no submission: {_reason(course, log)}")
            return
        outcome.max_score = submission.max_score
        autograded = CourseLayout(course).autograded(outcome.student, assignment)
        if finished and autograded.is_dir():  # nbgrader removes it when grading fails
            outcome.score = submission.score
            outcome.problems += _trouble_in(autograded)
        elif finished:
            outcome.problems.append(f"nbgrader could not grade it: {_reason(course, log)}; it scores zero")


def _reason(course: Path, log: Path) -> str:
    """Why nbgrader failed, from the student's log, and where that log is."""
    reason = failure_reason(log.read_text(errors="replace")) if log.is_file() else "its log is missing"
    return f"{reason} (log: {log.relative_to(course) if log.is_relative_to(course) else log})"


def _trouble_in(autograded: Path) -> list[str]:
    """Time-outs, memory errors, kernel deaths, cells not run, what the kernel's guard refused and what it put
    back before a test cell, in the graded notebooks: worth a look even when graded."""
    found = []
    for path in sorted(autograded.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            name = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}")
            for output in cell.get("outputs", []):
                text, evalue = str(output.get("text", "")), str(output.get("evalue", ""))
                if output.get("output_type") == "stream" and text.startswith(PUT_BACK_MARK):
                    found.append(f"{path.name}: for review: before {name}, {text[len(PUT_BACK_MARK) :].strip()}")
                elif output.get("output_type") != "error":
                    continue
                elif output.get("ename") in TROUBLE:
                    found.append(f"{path.name}: {TROUBLE[output['ename']]} in {name}")
                elif evalue.startswith(REFUSAL_PREFIX):  # refused by autograder.grading.in_kernel.guard
                    found.append(f"{path.name}: {name} was refused: {evalue.removeprefix(REFUSAL_PREFIX)}")
    return list(dict.fromkeys(found))  # a kernel death or time limit is named once per cell


def write_outcomes(outcomes: list[Outcome], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["student", "status", "score", "max_score", "problems"])
        for outcome in outcomes:
            writer.writerow(
                [outcome.student, outcome.status, outcome.score, outcome.max_score, json.dumps(outcome.problems)]
            )
