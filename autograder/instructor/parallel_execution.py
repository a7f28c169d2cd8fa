"""Autograde several students at a time, with the grades that grading one at a time gives.

nbgrader's SQLite gradebook is not safe for concurrent writers, so the workers never share it.
Each student's notebooks are executed by ``nbgrader autograde`` in a scratch course of their
own (the course's config, the assignment's source, a copy of the gradebook and only that
student's submission), under the same time and memory limits as in a sequential run, its kernel's
numerical libraries sharing the cores with the other workers. Then one
``nbgrader autograde --no-execute`` in the course itself takes the executed notebooks as its
submissions: it checks the test cells against the gradebook again and scores the outputs as
the workers left them. A student whose grading failed or was stopped gets the gradebook record
that nbgrader left in the scratch course (no scores), as a sequential run would have left it.
"""

import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from autograder.defences.sandbox import Limits
from autograder.instructor.nbgrader_process import autograde_student, nbgrader

STAGED = ".gpt-course-executed"  # nbgrader wants its submitted directory as a name under the course root


def execute_and_score(
    course: Path,
    assignment: str,
    students: list[str],
    *,
    workers: int,
    options: list[str],
    timeout: float,
    memory_bytes: int,
    progress: Callable[[str], None],
    logs: Path,
    sandbox_limits: Limits | None = None,
) -> dict[str, bool]:
    """Execute ``workers`` students at a time, then score them all in ``course``.

    Returns whether each student's grading finished within ``timeout`` seconds. nbgrader's log of
    each student's execution goes to ``logs/<student>.log``, and the scoring run's log is added to it
    when scoring fails that student.
    """
    finished = {}
    threads = max(1, len(os.sched_getaffinity(0)) // workers)  # oversubscribed cores make PyTorch spin, not work
    with tempfile.TemporaryDirectory(prefix="gpt-course-workers-") as scratch_root:
        scratch = {student: Path(scratch_root) / student for student in students}
        with ThreadPoolExecutor(workers) as pool:
            jobs = {
                pool.submit(
                    _execute,
                    course,
                    assignment,
                    student,
                    scratch[student],
                    options,
                    timeout,
                    memory_bytes,
                    threads,
                    logs / f"{student}.log",
                    sandbox_limits,
                ): student
                for student in students
            }
            for done, job in enumerate(as_completed(jobs), 1):
                student = jobs[job]
                finished[student], seconds = job.result()
                progress(f"[{done}/{len(students)}] {student}: executed in {seconds:.1f} s")
        executed = {student: scratch[student] / "autograded" / student / assignment for student in students}
        executed = {student: path for student, path in executed.items() if finished[student] and path.is_dir()}
        progress(f"scoring {len(executed)} executed submissions in {course / 'gradebook.db'}")
        scoring_log = _score(course, assignment, executed)
        for student in executed:
            if not (course / "autograded" / student / assignment).is_dir():  # nbgrader failed to score it
                with open(logs / f"{student}.log", "a") as log:
                    log.write(scoring_log)
        for student in sorted(set(students) - set(executed)):
            _copy_record(scratch[student] / "gradebook.db", course / "gradebook.db", assignment, student)
            shutil.rmtree(course / "autograded" / student / assignment, ignore_errors=True)
    return finished


def _execute(
    course: Path,
    assignment: str,
    student: str,
    scratch: Path,
    options: list[str],
    timeout: float,
    memory_bytes: int,
    threads: int,
    log: Path,
    sandbox_limits: Limits | None,
) -> tuple[bool, float]:
    """Autograde one student in a scratch course of its own; return whether it finished in time, and the seconds."""
    start = time.monotonic()
    scratch.mkdir()
    shutil.copy(course / "nbgrader_config.py", scratch)
    shutil.copy(course / "gradebook.db", scratch)
    shutil.copytree(course / "source" / assignment, scratch / "source" / assignment)
    shutil.copytree(course / "submitted" / student / assignment, scratch / "submitted" / student / assignment)
    # the worker writes only into its scratch course, whatever root or gradebook the course's config names
    own_course = [f"--CourseDirectory.root={scratch}", f"--CourseDirectory.db_url=sqlite:///{scratch / 'gradebook.db'}"]
    finished = autograde_student(
        scratch,
        assignment,
        student,
        *options,
        *own_course,
        timeout=timeout,
        memory_bytes=memory_bytes,
        threads=threads,
        log=log,
        sandbox_limits=sandbox_limits,
    )
    return finished, time.monotonic() - start


def _score(course: Path, assignment: str, executed: dict[str, Path]) -> str:
    """Score the executed notebooks in the course, one nbgrader run that does not execute them again;
    return its log."""
    staged = course / STAGED
    shutil.rmtree(staged, ignore_errors=True)
    for student, path in executed.items():
        shutil.copytree(path, staged / student / assignment)
    try:
        if executed:  # a student that nbgrader fails to score is logged, left without grades, and the run goes on
            return nbgrader(
                course,
                "autograde",
                assignment,
                "--force",
                "--no-execute",
                f"--CourseDirectory.submitted_directory={STAGED}",
            ).stderr
        return ""
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _copy_record(worker_db: Path, course_db: Path, assignment: str, student: str) -> None:
    """Give the student's submission in the course's gradebook what nbgrader recorded in the worker's."""
    with Gradebook(f"sqlite:///{worker_db}") as worker:
        try:
            submission = worker.find_submission(assignment, student)
        except MissingEntry:
            return  # stopped before nbgrader recorded the submission
        timestamp = submission.timestamp
        penalties = {notebook.name: notebook.late_submission_penalty for notebook in submission.notebooks}
        grades = [
            (grade.name, notebook.name, grade.auto_score, grade.needs_manual_grade)
            for notebook in submission.notebooks
            for grade in notebook.grades
        ]
        comments = [
            (comment.name, notebook.name, comment.auto_comment)
            for notebook in submission.notebooks
            for comment in notebook.comments
        ]
    with Gradebook(f"sqlite:///{course_db}") as gradebook, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission trips SQLAlchemy's autoflush warnings
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(assignment, student, timestamp=timestamp)
        for notebook, penalty in penalties.items():
            gradebook.find_submission_notebook(notebook, assignment, student).late_submission_penalty = penalty
        for name, notebook, auto_score, needs_manual_grade in grades:
            grade = gradebook.find_grade(name, notebook, assignment, student)
            grade.auto_score, grade.needs_manual_grade = auto_score, needs_manual_grade
        for name, notebook, auto_comment in comments:
            gradebook.find_comment(name, notebook, assignment, student).auto_comment = auto_comment
        gradebook.db.commit()
