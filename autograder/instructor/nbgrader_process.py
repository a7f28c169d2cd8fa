"""Running nbgrader's command line as a child process: with the limits that grading needs, or checked,
its own reason for failing turned into a one-line error."""

import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

from autograder.instructor.errors import CourseError

LOG_RECORD = re.compile(r"^\[\w+ \| (DEBUG|INFO|WARNING|ERROR|CRITICAL)\] ", re.M)


def tool_environment() -> dict[str, str]:
    """The environment for running nbgrader: it calls tools (alembic) of this Python's bin directory."""
    bin_directory = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([bin_directory, os.environ.get("PATH", "")])}


def nbgrader(
    course: Path,
    *args: str,
    timeout: float | None = None,
    memory_bytes: int | None = None,
    threads: int | None = None,
    temporary_directory: Path | None = None,
) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course directory ``course``, capturing its output.

    ``memory_bytes`` caps the address space of nbgrader and of every process it starts (kernels
    included). On ``timeout`` the whole process group is killed and TimeoutExpired raised.
    ``threads`` caps the threads of the numerical libraries (PyTorch's OpenMP, MKL) in its kernels.
    ``temporary_directory`` becomes their TMPDIR.
    """

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    environment = tool_environment()
    if threads:
        environment.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if temporary_directory:
        environment.update(TMPDIR=str(temporary_directory))
    process = subprocess.Popen(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=limit_memory if memory_bytes else None,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for child in psutil.Process(process.pid).children(recursive=True):  # kernels run in sessions of their own
            child.kill()
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def autograde_student(
    course: Path,
    assignment: str,
    student: str,
    *options: str,
    timeout: float,
    memory_bytes: int,
    threads: int | None = None,
) -> bool:
    """``nbgrader autograde`` of one student under the limits; False when it was stopped for taking too long.

    The student's kernel gets a temporary directory of its own: the guarded kernel may write only
    there and in the notebook's folder (`autograder.defences.kernel_guard`).
    """
    with tempfile.TemporaryDirectory(prefix="gpt-course-kernel-", ignore_cleanup_errors=True) as temporary_directory:
        try:
            nbgrader(
                course,
                "autograde",
                assignment,
                "--student",
                student,
                "--force",
                *options,
                timeout=timeout,
                memory_bytes=memory_bytes,
                threads=threads,
                temporary_directory=Path(temporary_directory),
            )
        except subprocess.TimeoutExpired:
            return False
    return True


def log_records(log: str) -> list[tuple[str, str]]:
    """(level, message) of each record in nbgrader's log; a message may span several lines."""
    parts = LOG_RECORD.split(log)  # text before the first record, then level, message, level, message...
    return [(level, message.strip()) for level, message in zip(parts[1::2], parts[2::2], strict=True)]


def error_message(records: list[tuple[str, str]]) -> str:
    """One line that says why nbgrader failed: the exception of its first traceback, else its first error."""
    errors = [message for level, message in records if level in ("ERROR", "CRITICAL")]
    for message in errors:
        if message.startswith("Traceback"):
            return message.splitlines()[-1].strip()
    return " ".join(errors[0].split()) if errors else "nbgrader gave no reason"


def run_nbgrader(course: Path, *args: str) -> list[tuple[str, str]]:
    """Run an nbgrader command in ``course`` and return its log records; raise CourseError if it fails."""
    result = nbgrader(course, *args)
    records = log_records(result.stderr)
    if result.returncode != 0:
        raise CourseError(f"nbgrader {args[0]} failed: {error_message(records)}")
    return records
