"""Running nbgrader's command line as a child process: with the limits that grading needs, or checked,
its own reason for failing turned into a one-line error."""

import contextlib
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import psutil

from autograder.defences import sandbox
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
    extra_environment: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course directory ``course``, capturing its output.

    ``memory_bytes`` caps the address space of nbgrader and of every process it starts (kernels
    included). On ``timeout`` the whole process group is killed and TimeoutExpired raised.
    ``threads`` caps the threads of the numerical libraries (PyTorch's OpenMP, MKL) in its kernels.
    ``temporary_directory`` becomes their TMPDIR; ``extra_environment`` is added to nbgrader's environment.
    """

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    environment = tool_environment()
    if threads:
        environment.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if temporary_directory:
        environment.update(TMPDIR=str(temporary_directory))
    environment.update(extra_environment or {})
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
        error = subprocess.TimeoutExpired(process.args, timeout)
        error.output, error.stderr = process.communicate()  # what it logged before it was stopped
        raise error from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def autograde_student(
    course: Path,
    assignment: str,
    student: str,
    *options: str,
    timeout: float,
    memory_bytes: int,
    threads: int | None = None,
    log: Path | None = None,
    sandbox_limits: sandbox.Limits | None = None,
) -> bool:
    """``nbgrader autograde`` of one student under the limits; False when it was stopped for taking too long.

    With ``sandbox_limits``, the student's kernel runs in an operating-system sandbox of its own
    (`autograder.defences.sandbox`) that sees only the student's notebook folder, under those limits
    for all its processes together; every process the student started is gone when grading ends.
    Either way the kernel gets a temporary directory of its own: the guarded kernel may write only
    there and in the notebook's folder (`autograder.defences.kernel_guard`). nbgrader's log of the
    run (its stderr, all of it, also when stopped) is written to ``log``: `failure_reason` reads it.
    """
    with contextlib.ExitStack() as cleanup:
        temporary_directory = Path(
            cleanup.enter_context(tempfile.TemporaryDirectory(prefix="gpt-course-kernel-", ignore_cleanup_errors=True))
        )
        extra_options, environment = [], {}
        if sandbox_limits:
            # in shared memory: what the kernel writes to its sockets' folder counts against its memory limit
            shared = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
            directory = Path(
                cleanup.enter_context(tempfile.TemporaryDirectory(prefix="gpt-course-sandbox-", dir=shared))
            )
            folder = (course / "autograded" / student / assignment).resolve()
            name = sandbox.write_kernelspec(directory, folder, sandbox_limits)
            cleanup.callback(sandbox.cleanup, name)
            extra_options, environment = sandbox.nbgrader_settings(directory, name)
        try:
            result = nbgrader(
                course,
                "autograde",
                assignment,
                "--student",
                student,
                "--force",
                *options,
                *extra_options,
                timeout=timeout,
                memory_bytes=memory_bytes,
                threads=threads,
                temporary_directory=temporary_directory,
                extra_environment=environment,
            )
        except subprocess.TimeoutExpired as error:
            _write_log(log, error.stderr)
            return False
    _write_log(log, result.stderr)
    return True


MAX_LOG_CHARS = 1_000_000


def _write_log(path: Path | None, text: str | bytes | None) -> None:
    """Keep nbgrader's log, its last ``MAX_LOG_CHARS`` where it is longer (the reason comes last)."""
    if path:
        text = text.decode(errors="replace") if isinstance(text, bytes) else text or ""
        if len(text) > MAX_LOG_CHARS:
            text = f"[log cut: its first {len(text) - MAX_LOG_CHARS:,} characters left out]\n" + text[-MAX_LOG_CHARS:]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


GENERIC_ERRORS = ("There was an error processing assignment", "Please see the")  # nbgrader's summary lines
CHAINED = ("During handling of the above exception", "The above exception was the direct cause")


def failure_reason(log: str, max_chars: int = 200) -> str:
    """One printable line of at most ``max_chars`` that says why nbgrader failed, from its log: the first
    exception of its last traceback (the cause, before what went wrong while cleaning up), else its last
    error that is not one of its summary lines."""
    errors = [message for level, message in log_records(log) if level in ("ERROR", "CRITICAL")]
    tracebacks = [message for message in errors if message.startswith("Traceback")]
    specific = [message for message in errors if not message.startswith(GENERIC_ERRORS)]
    if tracebacks:
        reason = _exceptions(tracebacks[-1])[0]
    elif specific or errors:
        reason = (specific or errors)[-1]
    else:
        return "nbgrader gave no reason"
    reason = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", reason)  # terminal colours
    reason = "".join(" " if unicodedata.category(char).startswith(("C", "Z")) else char for char in reason)
    reason = " ".join(reason.split())
    return reason if len(reason) <= max_chars else reason[: max_chars - 1] + "…"


def _exceptions(traceback: str) -> list[str]:
    """The exception line of each traceback in a chain, as Python prints it: the last line of each part."""
    found = []
    for part in traceback.split("Traceback (most recent call last):")[1:]:
        lines = [line.strip() for line in part.splitlines()]
        lines = [line for line in lines if line and set(line) - set("^~ ") and not line.startswith(CHAINED)]
        found += lines[-1:]
    return found or [traceback.splitlines()[-1]]


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
