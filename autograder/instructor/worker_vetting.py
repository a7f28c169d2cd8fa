"""Which Dask workers may grade: only those that run the instructor's course version and can start the sandbox.

A worker of another version would grade with other checks, reference solutions or nbgrader and give other grades;
the instructor's process asks every worker before any task is sent (:func:`refuse_other_workers`), and a task that
lands on a worker that joined later refuses to grade there (`grading_task`).
"""

import functools
import hashlib
from importlib import metadata
from pathlib import Path

import distributed

import autograder
from autograder.grading.in_instructor import sandbox
from autograder.instructor.errors import CourseError

WAIT_FOR_WORKERS = 120  # seconds for a cluster's first worker to join: workers may still be starting


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


class OtherCourseVersion(RuntimeError):
    """A task reached a worker whose course is not the instructor's."""


def refuse_other_workers(client: distributed.Client, sandboxed: bool) -> None:
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
