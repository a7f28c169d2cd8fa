"""The Dask task that grades one student, on whichever worker the scheduler picks, with no file system shared.

It receives as bytes the course's nbgrader_config.py, the assignment's source folder, a SQLite gradebook holding
only that assignment (never the class's gradebook) and that student's submission; it runs ``nbgrader autograde``
in a scratch course of its own on the worker, in the same sandbox and under the same limits as a sequential run,
and sends back the executed notebooks, the record nbgrader left in its scratch gradebook and the student's logs.
"""

import io
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import distributed

from autograder.grading.in_instructor.sandbox import Limits
from autograder.instructor import gradebook
from autograder.instructor.course_layout import SCRATCH_GRADEBOOK, scratch_course
from autograder.instructor.nbgrader_process import autograde_student
from autograder.instructor.worker_vetting import OtherCourseVersion, course_version

STUDENT_LOGS = "logs"  # in a task's scratch course: where nbgrader's log and whatever grading writes beside it go


@dataclass(frozen=True)
class AssignmentFiles:
    """What every task of one assignment needs, as bytes: built on a worker once and fetched by the others."""

    assignment: str
    config: bytes  # the course's nbgrader_config.py
    source: bytes  # the assignment's source folder, a tar
    gradebook: bytes  # a SQLite gradebook holding only the assignment
    course_version: str  # of the instructor's machine
    options: tuple[str, ...]  # for nbgrader autograde
    limits: Limits
    sandboxed: bool
    hidden_seed_secret: str  # the grading run's, for the hidden checks' seeds
    threads: int | None  # for the kernel's numerical libraries; None: the worker's OMP_NUM_THREADS (Dask's nanny: 1)


@dataclass(frozen=True)
class Graded:
    """What a task sends back: whether grading finished in time, and what it left on the worker, as bytes."""

    finished: bool
    seconds: float
    executed: bytes | None  # the autograded folder, a tar; None where nbgrader left none
    record: dict | None  # the submission that nbgrader recorded in the scratch gradebook
    logs: dict[str, bytes]  # file name -> contents, from the student's log folder
    worker: str


def grade_student(files: AssignmentFiles, student: str, submission: bytes) -> Graded:
    """The task: grade one student in a scratch course of its own on this worker."""
    if (version := course_version()) != files.course_version:
        raise OtherCourseVersion(f"this worker runs {version}, the instructor {files.course_version}")
    start = time.monotonic()
    # the task writes only into its scratch course, whatever root or gradebook the course's config names
    with scratch_course(files.config, prefix="gpt-course-task-") as scratch:
        (scratch.root / SCRATCH_GRADEBOOK).write_bytes(files.gradebook)
        unpack(files.source, scratch.source(files.assignment))
        unpack(submission, scratch.submitted(student, files.assignment))
        logs = scratch.root / STUDENT_LOGS
        logs.mkdir()
        finished = autograde_student(
            scratch.root,
            files.assignment,
            student,
            *files.options,
            limits=files.limits,
            sandboxed=files.sandboxed,
            threads=files.threads,
            log=logs / f"{student}.log",
            hidden_seed_secret=files.hidden_seed_secret,
        )
        autograded = scratch.autograded(student, files.assignment)
        return Graded(
            finished=finished,
            seconds=time.monotonic() - start,
            executed=pack(autograded) if finished and autograded.is_dir() else None,
            record=gradebook.read_record(scratch.gradebook_url, files.assignment, student),
            logs={path.name: path.read_bytes() for path in sorted(logs.iterdir()) if path.is_file()},
            worker=distributed.get_worker().address,
        )


def pack(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=".")
    return buffer.getvalue()


def unpack(packed: bytes, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(packed)) as tar:
        tar.extractall(folder, filter="data")  # plain files and folders, nothing outside ``folder``
