"""Autograde a class on Dask distributed, with the grades that grading one at a time gives.

One Dask task grades one student, on whichever worker the scheduler picks: ``--workers N`` starts a
`distributed.LocalCluster` of N single-threaded worker processes on this machine (no more than there are
students; forked from a fork server, see `dask_cluster`), ``--scheduler ADDRESS`` (or
``$GPT_COURSE_SCHEDULER``) uses an existing cluster (`dask scheduler` and `dask worker` on other machines,
dask-jobqueue on Slurm, dask-kubernetes). No file system is shared: a task receives as bytes the course's
nbgrader_config.py, the assignment's source folder, a SQLite gradebook holding only that assignment (never the
class's gradebook) and that student's submission; it runs ``nbgrader autograde`` in a scratch course of its own
on the worker, in the same sandbox and under the same limits as a sequential run, and sends back the executed
notebooks, the record nbgrader left in its scratch gradebook and the student's log files. Only this process
writes the course's gradebook: one ``nbgrader autograde --no-execute`` in the course takes the executed
notebooks as its submissions, checks their test cells against the gradebook again and scores the outputs as
the workers left them; a student whose grading was stopped gets the record of its scratch gradebook (no scores).

A worker that dies mid-task has its task rerun elsewhere by Dask; a student whose workers died Dask's
``distributed.scheduler.allowed-failures`` times is reported not graded, worker lost. Workers that run another
version of the course (its package, sources, nbgrader or torch) are refused before any task is sent
(`worker_vetting`). The task itself is `grading_task`, the cluster `dask_cluster`.
"""

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import distributed
from distributed.security import Security
from tqdm import tqdm

from autograder.grading.in_instructor.sandbox import Limits
from autograder.instructor import gradebook
from autograder.instructor.course_layout import CONFIG, CourseLayout
from autograder.instructor.dask_cluster import cluster_client
from autograder.instructor.gradebook import gradebook_url, shown
from autograder.instructor.grading_task import AssignmentFiles, Graded, grade_student, pack, unpack
from autograder.instructor.nbgrader_process import nbgrader
from autograder.instructor.worker_vetting import course_version, refuse_other_workers

STAGED = ".gpt-course-executed"  # nbgrader wants its submitted directory as a name under the course root


def execute_and_score(
    course: Path,
    assignment: str,
    students: list[str],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    scheduler_security: Security | None = None,
    options: list[str],
    limits: Limits,
    sandboxed: bool,
    hidden_seed_secret: str,
    progress: Callable[[str], None],
    logs: Path,
) -> tuple[dict[str, bool], dict[str, str]]:
    """Grade each student in a Dask task, on the cluster at ``scheduler`` or else on a LocalCluster of
    ``workers`` processes, then score them all in ``course``.

    Returns whether each graded student's grading finished within ``limits.wall_seconds``, and why each other
    student was not graded (workers lost, a worker's error). nbgrader's log of each student's execution
    goes to ``logs/<student>.log``, with whatever else grading wrote beside it, and the scoring run's log
    is added to it when scoring fails that student.
    """
    url, layout = gradebook_url(course), CourseLayout(course)
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gpt-course-workers-")))
        client = stack.enter_context(
            cluster_client(min(workers, len(students)), scheduler, progress, scheduler_security)
        )  # none idle
        refuse_other_workers(client, sandboxed=sandboxed)
        files = AssignmentFiles(
            assignment=assignment,
            config=(layout.root / CONFIG).read_bytes(),
            source=pack(layout.source(assignment)),
            gradebook=gradebook.assignment_gradebook(url, assignment, scratch / "assignment.db"),
            course_version=course_version(),
            options=tuple(options),
            limits=limits,
            sandboxed=sandboxed,
            hidden_seed_secret=hidden_seed_secret,
            # on this machine, oversubscribed cores make PyTorch spin, not work
            threads=None if scheduler else max(1, len(os.sched_getaffinity(0)) // workers),
        )
        graded, lost = _grade_all(client, files, layout, students, progress)
    logs.mkdir(parents=True, exist_ok=True)
    for result in graded.values():
        for name, contents in result.logs.items():
            (logs / name).write_bytes(contents)
    for student, reason in lost.items():
        (logs / f"{student}.log").write_text(f"not graded: {reason}\n")
        shutil.rmtree(layout.autograded(student, assignment), ignore_errors=True)
    executed = {student for student, result in graded.items() if result.executed is not None}
    progress(f"scoring {len(executed)} executed submissions in {shown(url)}")
    scoring_log = _score(layout, assignment, {student: graded[student].executed for student in sorted(executed)})
    for student in executed:
        if not layout.autograded(student, assignment).is_dir():  # nbgrader failed to score it
            with open(logs / f"{student}.log", "a") as log:
                log.write(scoring_log)
    for student in sorted(set(graded) - executed):
        if graded[student].record is not None:  # None: stopped before nbgrader recorded the submission
            gradebook.write_record(url, assignment, student, graded[student].record)
        shutil.rmtree(layout.autograded(student, assignment), ignore_errors=True)
    return {student: result.finished for student, result in graded.items()}, lost


def _grade_all(
    client: distributed.Client,
    files: AssignmentFiles,
    layout: CourseLayout,
    students: list[str],
    progress: Callable[[str], None],
) -> tuple[dict[str, Graded], dict[str, str]]:
    """Submit one task per student, and collect them as they finish: who was graded, and why the others were not."""
    # a task, not scattered data: if the worker holding it dies, the scheduler builds it again elsewhere
    shared = client.submit(AssignmentFiles, **vars(files), pure=False)
    futures = {
        client.submit(
            grade_student, shared, student, pack(layout.submitted(student, files.assignment)), pure=False
        ): student
        for student in students
    }
    graded, lost = {}, {}
    # on stderr, and only where it is a terminal (disable=None): logs and pipes get the lines alone
    bar = tqdm(total=len(students), desc=f"grading {files.assignment}", unit="student", file=sys.stderr, disable=None)
    with bar:
        for done, future in enumerate(distributed.as_completed(futures), 1):
            student = futures[future]
            try:
                graded[student] = result = future.result()
                line = f"executed in {result.seconds:.1f} s on {result.worker}"
            except Exception as error:  # its workers died, or the task failed
                lost[student] = _why_not_graded(error)
                line = f"not graded: {lost[student]}"
            with bar.external_write_mode():
                progress(f"[{done}/{len(students)}] {student}: {line}")
            bar.update()
    return graded, lost


def _why_not_graded(error: BaseException) -> str:
    if isinstance(error, distributed.KilledWorker):
        return (
            f"worker lost: {error.allowed_failures + 1} Dask workers died while grading it "
            f"(the last {error.last_worker.address}); grade it again"
        )
    return f"its worker failed: {type(error).__name__}: {error}"


def _score(layout: CourseLayout, assignment: str, executed: dict[str, bytes]) -> str:
    """Score the executed notebooks in the course, one nbgrader run that does not execute them again, with them
    as its submitted folder; return its log."""
    staged = layout.root / STAGED
    shutil.rmtree(staged, ignore_errors=True)
    for student, folder in executed.items():
        unpack(folder, layout.path(STAGED, student, assignment))
    try:
        if executed:  # a student that nbgrader fails to score is logged, left without grades, and the run goes on
            return nbgrader(
                layout.root,
                "autograde",
                assignment,
                "--force",
                "--no-execute",
                f"--CourseDirectory.submitted_directory={STAGED}",
            ).stderr
        return ""
    finally:
        shutil.rmtree(staged, ignore_errors=True)
