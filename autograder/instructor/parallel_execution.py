"""Autograde a class on Dask distributed, with the grades that grading one at a time gives.

One Dask task grades one student, on whichever worker the scheduler picks: ``--workers N`` starts a
`distributed.LocalCluster` of N single-threaded worker processes on this machine (no more than there are
students; forked from a fork server, see :func:`_start_method`), ``--scheduler ADDRESS`` (or
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
version of the course (its package, sources, nbgrader or torch) are refused before any task is sent, and a task
that lands on one anyway (a worker that joined later) refuses to grade.
"""

import contextlib
import functools
import hashlib
import io
import multiprocessing
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import dask
import distributed
import sqlalchemy
from nbgrader.api import Base, Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning
from tqdm import tqdm

import autograder
from autograder.defences import sandbox
from autograder.defences.sandbox import Limits
from autograder.instructor.errors import BadArgument, CourseError
from autograder.instructor.gradebook import gradebook_url, shown
from autograder.instructor.nbgrader_process import autograde_student, nbgrader

SCHEDULER_VARIABLE = "GPT_COURSE_SCHEDULER"  # the Dask scheduler's address, when --scheduler is not given
STAGED = ".gpt-course-executed"  # nbgrader wants its submitted directory as a name under the course root
WAIT_FOR_WORKERS = 120  # seconds for a cluster's first worker to join: workers may still be starting
STUDENT_LOGS = "logs"  # in a task's scratch course: where nbgrader's log and whatever grading writes beside it go
# A LocalCluster's worker, forked from a fork server that imported the instructor's main module (FORK_SERVER_PRELOAD),
# runs that module again as its own __mp_main__, as multiprocessing does for every child: runpy's warning that the
# module was imported before is true and harmless here (its definitions are made twice, its main block never runs)
warnings.filterwarnings("ignore", r"'[\w.]+' found in sys.modules after import of package", RuntimeWarning, "runpy")


@functools.cache
def course_version() -> str:
    """What a worker must share with the instructor to grade alike: the course's package and a digest of its
    files (checks, reference solutions, preprocessors, sandbox), and the nbgrader and torch it runs."""
    package = Path(autograder.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(path for path in package.rglob("*") if path.is_file() and "__pycache__" not in path.parts):
        digest.update(f"{path.relative_to(package).as_posix()}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("nbgrader", "torch"))
    return (
        f"gpt-from-scratch-course {metadata.version('gpt-from-scratch-course')} ({digest.hexdigest()[:12]}), {versions}"
    )


def worker_environment(sandboxed: bool) -> tuple[str, str | None]:
    """The worker's course version, and why its grading sandbox cannot start (None when it can or is not used)."""
    return course_version(), sandbox.available() if sandboxed else None


@dataclass(frozen=True)
class AssignmentFiles:
    """What every task of one assignment needs, as bytes: built on a worker once and fetched by the others."""

    assignment: str
    config: bytes  # the course's nbgrader_config.py
    source: bytes  # the assignment's source folder, a tar
    gradebook: bytes  # a SQLite gradebook holding only the assignment
    course_version: str  # of the instructor's machine
    options: tuple[str, ...]  # for nbgrader autograde
    timeout: float
    memory_bytes: int
    threads: int | None  # for the kernel's numerical libraries; None: the worker's OMP_NUM_THREADS (Dask's nanny: 1)
    sandbox_limits: Limits | None


@dataclass(frozen=True)
class Graded:
    """What a task sends back: whether grading finished in time, and what it left on the worker, as bytes."""

    finished: bool
    seconds: float
    executed: bytes | None  # the autograded folder, a tar; None where nbgrader left none
    record: dict | None  # the submission that nbgrader recorded in the scratch gradebook
    logs: dict[str, bytes]  # file name -> contents, from the student's log folder
    worker: str


class OtherCourseVersion(RuntimeError):
    """A task reached a worker whose course is not the instructor's."""


def grade_student(files: AssignmentFiles, student: str, submission: bytes) -> Graded:
    """The task: grade one student in a scratch course of its own on this worker."""
    if (version := course_version()) != files.course_version:
        raise OtherCourseVersion(f"this worker runs {version}, the instructor {files.course_version}")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gpt-course-task-") as directory:
        scratch = Path(directory)
        (scratch / "nbgrader_config.py").write_bytes(files.config)
        (scratch / "gradebook.db").write_bytes(files.gradebook)
        _unpack(files.source, scratch / "source" / files.assignment)
        _unpack(submission, scratch / "submitted" / student / files.assignment)
        logs = scratch / STUDENT_LOGS
        logs.mkdir()
        # the task writes only into its scratch course, whatever root or gradebook the course's config names
        scratch_url = f"sqlite:///{scratch / 'gradebook.db'}"
        own_course = [f"--CourseDirectory.root={scratch}", f"--CourseDirectory.db_url={scratch_url}"]
        finished = autograde_student(
            scratch,
            files.assignment,
            student,
            *files.options,
            *own_course,
            timeout=files.timeout,
            memory_bytes=files.memory_bytes,
            threads=files.threads,
            log=logs / f"{student}.log",
            sandbox_limits=files.sandbox_limits,
        )
        autograded = scratch / "autograded" / student / files.assignment
        return Graded(
            finished=finished,
            seconds=time.monotonic() - start,
            executed=_pack(autograded) if finished and autograded.is_dir() else None,
            record=_read_record(scratch_url, files.assignment, student),
            logs={path.name: path.read_bytes() for path in sorted(logs.iterdir()) if path.is_file()},
            worker=distributed.get_worker().address,
        )


def execute_and_score(
    course: Path,
    assignment: str,
    students: list[str],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    options: list[str],
    timeout: float,
    memory_bytes: int,
    progress: Callable[[str], None],
    logs: Path,
    sandbox_limits: Limits | None = None,
) -> tuple[dict[str, bool], dict[str, str]]:
    """Grade each student in a Dask task, on the cluster at ``scheduler`` or else on a LocalCluster of
    ``workers`` processes, then score them all in ``course``.

    Returns whether each graded student's grading finished within ``timeout`` seconds, and why each other
    student was not graded (workers lost, a worker's error). nbgrader's log of each student's execution
    goes to ``logs/<student>.log``, with whatever else grading wrote beside it, and the scoring run's log
    is added to it when scoring fails that student.
    """
    url = gradebook_url(course)
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gpt-course-workers-")))
        client = stack.enter_context(_client(min(workers, len(students)), scheduler, progress))  # none idle
        _refuse_other_workers(client, sandboxed=sandbox_limits is not None)
        files = AssignmentFiles(
            assignment=assignment,
            config=(course / "nbgrader_config.py").read_bytes(),
            source=_pack(course / "source" / assignment),
            gradebook=_assignment_gradebook(url, assignment, scratch / "assignment.db"),
            course_version=course_version(),
            options=tuple(options),
            timeout=timeout,
            memory_bytes=memory_bytes,
            # on this machine, oversubscribed cores make PyTorch spin, not work
            threads=None if scheduler else max(1, len(os.sched_getaffinity(0)) // workers),
            sandbox_limits=sandbox_limits,
        )
        graded, lost = _grade_all(client, files, course, students, progress)
    logs.mkdir(parents=True, exist_ok=True)
    for result in graded.values():
        for name, contents in result.logs.items():
            (logs / name).write_bytes(contents)
    for student, reason in lost.items():
        (logs / f"{student}.log").write_text(f"not graded: {reason}\n")
        shutil.rmtree(course / "autograded" / student / assignment, ignore_errors=True)
    executed = {student for student, result in graded.items() if result.executed is not None}
    progress(f"scoring {len(executed)} executed submissions in {shown(url)}")
    scoring_log = _score(course, assignment, {student: graded[student].executed for student in sorted(executed)})
    for student in executed:
        if not (course / "autograded" / student / assignment).is_dir():  # nbgrader failed to score it
            with open(logs / f"{student}.log", "a") as log:
                log.write(scoring_log)
    for student in sorted(set(graded) - executed):
        if graded[student].record is not None:  # None: stopped before nbgrader recorded the submission
            _write_record(url, assignment, student, graded[student].record)
        shutil.rmtree(course / "autograded" / student / assignment, ignore_errors=True)
    return {student: result.finished for student, result in graded.items()}, lost


@contextlib.contextmanager
def _client(workers: int, scheduler: str | None, progress: Callable[[str], None]) -> Iterator[distributed.Client]:
    """A client of the cluster at ``scheduler``, else of a LocalCluster of ``workers`` single-threaded processes.

    The LocalCluster listens on loopback only and runs no dashboard: that needs bokeh, which the course does not
    install, and would open a port on the instructor's machine for every run. A cluster's own dashboard is
    printed when its page answers."""
    if scheduler is None:
        with (
            dask.config.set({"distributed.worker.multiprocessing-method": _start_method()}),  # also for restarts
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",  # reachable from this machine only
                dashboard_address=None,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # its health page: any free port, not 8787
                preload=[__name__],  # for dask_teardown
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = distributed.Client(scheduler)
    except (OSError, ValueError, TypeError) as error:  # unreachable, or not an address
        raise BadArgument(f"cannot reach the Dask scheduler at {scheduler!r}: {error}") from None
    with client:
        if _answers(client.dashboard_link):
            progress(f"Dask dashboard: {client.dashboard_link}")
        yield client


FORK_SERVER_PRELOAD = (  # what a LocalCluster's workers import before they are forked, in this order
    "autograder.instructor.nbgrader_main",  # first: keeps rfc3987-syntax out of nbgrader's imports (0.9 s of CPU)
    "distributed",
    __name__,  # the tasks' module, with nbgrader, SQLAlchemy and the sandbox
    "autograder.instructor.cli",  # what the gpt-course script, a worker's main module then, imports
)


def _start_method() -> str:
    """How a LocalCluster's nannies start their workers: forked from a fork server that imports what the tasks need
    once per instructor's process, for every class it grades. Dask's default, spawn, starts each worker as a new
    Python that imports it all again (two workers' start and environment check: 9 s at load 3 on the course's
    2-core machine, 1.5 s forked, 0.2 s for the next class), and that ends with Python's teardown of every module
    it loaded (2.4 s for two; under heavier load past the nanny's 4 s: "Worker process still alive after 4.0
    seconds, killing"), where a forked one ends with os._exit (0.05 s). Spawn where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        context = distributed.utils.get_mp_context()  # Dask sets its own preload list on its first call: replaced
    # ``python -m module``: the module that each worker imports again as its main module, and what it imports
    main = getattr(getattr(sys.modules["__main__"], "__spec__", None), "name", "")
    own_main = [main] if main and not main.endswith("__main__") else []  # (``pytest.__main__`` would run pytest)
    context.set_forkserver_preload([*FORK_SERVER_PRELOAD, *own_main])  # no effect once the fork server runs
    return "forkserver"


def dask_teardown(worker: distributed.Worker) -> None:
    """Called by Dask as a LocalCluster's worker closes: remove the font list that the sandbox built for its kernels
    (`autograder.defences.sandbox.matplotlib_cache`), whose exit handler a forked process, ending with os._exit,
    never runs."""
    if sandbox.matplotlib_cache.cache_info().currsize and (font_list := sandbox.matplotlib_cache()):
        shutil.rmtree(font_list.parent, ignore_errors=True)  # the folder it made: the configuration folder's parent


def _answers(link: str | None) -> bool:
    """Whether the dashboard's page answers: the scheduler's web server runs also where its dashboard does not
    (``--no-dashboard``, or no bokeh installed)."""
    if not link:
        return False
    try:
        with urllib.request.urlopen(link, timeout=3):
            return True
    except (OSError, ValueError):  # refused, timed out, 404 (HTTPError), no web server at all
        return False


def _refuse_other_workers(client: distributed.Client, sandboxed: bool) -> None:
    """CourseError unless every worker runs this machine's course version (and can start the sandbox)."""
    try:
        client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
    except TimeoutError:
        raise CourseError(f"the Dask scheduler at {client.scheduler.address} has no workers") from None
    expected, refused = course_version(), []
    environments = client.run(worker_environment, sandboxed, on_error="return")
    for worker, environment in sorted(environments.items()):
        if isinstance(environment, BaseException):  # e.g. no course installed there
            refused.append(f"{worker} cannot run the course's code ({type(environment).__name__}: {environment})")
        elif environment[0] != expected:
            refused.append(f"{worker} runs {environment[0]}")
        elif environment[1]:
            refused.append(f"{worker} cannot start the grading sandbox: {environment[1]}")
    if refused:
        raise CourseError(
            f"refused Dask workers, this machine runs {expected}: {'; '.join(refused)}; "
            "install the same course version there, or grade without them"
        )


def _grade_all(
    client: distributed.Client,
    files: AssignmentFiles,
    course: Path,
    students: list[str],
    progress: Callable[[str], None],
) -> tuple[dict[str, Graded], dict[str, str]]:
    """Submit one task per student, and collect them as they finish: who was graded, and why the others were not."""
    # a task, not scattered data: if the worker holding it dies, the scheduler builds it again elsewhere
    shared = client.submit(AssignmentFiles, **vars(files), pure=False)
    futures = {
        client.submit(
            grade_student, shared, student, _pack(course / "submitted" / student / files.assignment), pure=False
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


def _score(course: Path, assignment: str, executed: dict[str, bytes]) -> str:
    """Score the executed notebooks in the course, one nbgrader run that does not execute them again;
    return its log."""
    staged = course / STAGED
    shutil.rmtree(staged, ignore_errors=True)
    for student, folder in executed.items():
        _unpack(folder, staged / student / assignment)
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


def _pack(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=".")
    return buffer.getvalue()


def _unpack(packed: bytes, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(packed)) as tar:
        tar.extractall(folder, filter="data")  # plain files and folders, nothing outside ``folder``


def _assignment_gradebook(url: str, assignment: str, path: Path) -> bytes:
    """A SQLite gradebook, at ``path``, holding the assignment of the course's gradebook at ``url`` with its
    course, notebooks and cells (their hidden tests included, which autograde restores), and no student."""
    tables = Base.metadata.tables
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as db:
            assignments = tables["assignment"]
            chosen = sqlalchemy.select(assignments).where(assignments.c.name == assignment)
            rows = {"assignment": db.execute(chosen).mappings().all()}
            if not rows["assignment"]:
                raise CourseError(f"{assignment} is not in the gradebook {shown(url)}: generate it first")
            for name, key, parents, parent_key in (
                ("course", "id", "assignment", "course_id"),
                ("notebook", "assignment_id", "assignment", "id"),
                ("base_cell", "notebook_id", "notebook", "id"),
                ("source_cell", "notebook_id", "notebook", "id"),
                ("grade_cells", "id", "base_cell", "id"),
                ("solution_cells", "id", "base_cell", "id"),
                ("task_cells", "id", "base_cell", "id"),
            ):
                parent_ids = [row[parent_key] for row in rows[parents]]
                table = tables[name]
                rows[name] = db.execute(sqlalchemy.select(table).where(table.c[key].in_(parent_ids))).mappings().all()
            # nbgrader's schema version: a gradebook without it would be stamped by running alembic
            schema_version = db.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(engine)
        with engine.begin() as db:
            db.execute(sqlalchemy.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            db.execute(sqlalchemy.text("INSERT INTO alembic_version VALUES (:version)"), {"version": schema_version})
            for table in Base.metadata.sorted_tables:  # a row's foreign keys before it
                if rows.get(table.name):
                    db.execute(table.insert(), [dict(row) for row in rows[table.name]])
    finally:
        engine.dispose()
    return path.read_bytes()


def _read_record(url: str, assignment: str, student: str) -> dict | None:
    """The student's submission as nbgrader recorded it: timestamp, late penalties, grades and comments."""
    with Gradebook(url) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return None
        return {
            "timestamp": submission.timestamp,
            "penalties": {notebook.name: notebook.late_submission_penalty for notebook in submission.notebooks},
            "grades": [
                (grade.name, notebook.name, grade.auto_score, grade.needs_manual_grade)
                for notebook in submission.notebooks
                for grade in notebook.grades
            ],
            "comments": [
                (comment.name, notebook.name, comment.auto_comment)
                for notebook in submission.notebooks
                for comment in notebook.comments
            ],
        }


def _write_record(url: str, assignment: str, student: str, record: dict) -> None:
    """Give the student's submission in the course's gradebook what nbgrader recorded on the worker."""
    with Gradebook(url) as gradebook, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission trips SQLAlchemy's autoflush warnings
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(assignment, student, timestamp=record["timestamp"])
        for notebook, penalty in record["penalties"].items():
            gradebook.find_submission_notebook(notebook, assignment, student).late_submission_penalty = penalty
        for name, notebook, auto_score, needs_manual_grade in record["grades"]:
            grade = gradebook.find_grade(name, notebook, assignment, student)
            grade.auto_score, grade.needs_manual_grade = auto_score, needs_manual_grade
        for name, notebook, auto_comment in record["comments"]:
            gradebook.find_comment(name, notebook, assignment, student).auto_comment = auto_comment
        gradebook.db.commit()
