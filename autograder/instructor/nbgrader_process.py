"""Running nbgrader's command line as a child process: with the limits that grading needs, or checked,
its own reason for failing turned into a one-line error."""

import contextlib
import ctypes
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import datetime
from pathlib import Path

import psutil

from autograder.grading.in_instructor import sandbox
from autograder.grading.launcher import sandbox_launch
from autograder.grading.protocol import HIDDEN_SEED_SECRET, TIMES_FILE
from autograder.instructor.course_layout import CourseLayout
from autograder.instructor.errors import CourseError

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
LOG_RECORD = re.compile(r"^\[\w+ \| (DEBUG|INFO|WARNING|ERROR|CRITICAL)(?: \| ([\d-]+ [\d:.]+))?\] ", re.M)
# nbgrader's log format, with each record's time to the millisecond (for the grading times)
TIMED_LOG_FORMAT = "%(color)s[%(name)s | %(levelname)s | %(asctime)s.%(msecs)03d]%(end_color)s %(message)s"
LOG_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # nbgrader's log_datefmt, then the milliseconds


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

    def in_the_child():
        if sys.platform == "linux":  # PR_SET_PDEATHSIG: killed with its parent (a Dask worker killed mid-task, say)
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    environment = tool_environment()
    if threads:
        environment.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if temporary_directory:
        environment.update(TMPDIR=str(temporary_directory))
    environment.update(extra_environment or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder.instructor.nbgrader_main", *args],  # nbgrader's, at less cost
        cwd=course,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=in_the_child,
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
    limits: sandbox.Limits,
    sandboxed: bool,
    threads: int | None = None,
    log: Path | None = None,
    hidden_seed_secret: str = "",
) -> bool:
    """``nbgrader autograde`` of one student under ``limits``; False when it was stopped for taking too long.

    ``hidden_seed_secret`` is the grading run's secret for the hidden checks' seeds
    (`autograder.grading.in_kernel.hidden_seeds`), handed to nbgrader through its environment.

    nbgrader and its processes get ``limits.memory_bytes`` of address space each, all of it
    ``limits.wall_seconds``. ``sandboxed``, the student's kernel runs in an operating-system sandbox of its own
    (`autograder.grading.in_instructor.sandbox`) that sees only the student's notebook folder, under the limits
    for all its processes together; every process the student started is gone when grading ends.
    Either way the kernel gets a temporary directory of its own: the guarded kernel may write only
    there and in the notebook's folder (`autograder.grading.in_kernel.guard`). nbgrader's log of the
    run (its stderr, all of it, also when stopped) is written to ``log``: `failure_reason` reads it.
    Where the seconds went (:data:`PHASES`) is written beside it, to ``<student>.timings.json``.
    """
    times = {"began": time.time()}
    with contextlib.ExitStack() as cleanup:
        temporary_directory = Path(
            cleanup.enter_context(tempfile.TemporaryDirectory(prefix="gpt-course-kernel-", ignore_cleanup_errors=True))
        )
        # apart from the kernel's temporary directory: without the sandbox the kernel may write there
        kernel_times = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="gpt-course-times-"))) / "kernel"
        extra_options, environment = [f"--NbGrader.log_format={TIMED_LOG_FORMAT}"], {TIMES_FILE: str(kernel_times)}
        if hidden_seed_secret:
            environment[HIDDEN_SEED_SECRET] = hidden_seed_secret
        if sandboxed:
            # in shared memory: what the kernel writes to its sockets' folder counts against its memory limit
            shared = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
            directory = Path(
                cleanup.enter_context(tempfile.TemporaryDirectory(prefix="gpt-course-sandbox-", dir=shared))
            )
            folder = CourseLayout(course).autograded(student, assignment).resolve()
            name = sandbox.write_kernelspec(directory, folder, limits)
            cleanup.callback(sandbox_launch.cleanup, name)
            sandbox_options, sandbox_environment = sandbox.nbgrader_settings(directory, name)
            extra_options += sandbox_options
            environment.update(sandbox_environment)
        times["spawned"] = time.time()
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
                timeout=limits.wall_seconds,
                memory_bytes=limits.memory_bytes,
                threads=threads,
                temporary_directory=temporary_directory,
                extra_environment=environment,
            )
            stderr, finished = result.stderr, True
        except subprocess.TimeoutExpired as error:
            stderr, finished = error.stderr, False
        times["exited"] = time.time()
        executions = (
            [json.loads(line) for line in kernel_times.read_text().splitlines()] if kernel_times.exists() else []
        )
    times["ended"] = time.time()
    if log:
        log_text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr or ""
        _write_log(log, log_text)
        seconds = grading_phases(times, timed_log_records(log_text), executions)
        record = {"student": student, "assignment": assignment, "finished": finished, "seconds": seconds}
        record.update(began=times["began"], ended=times["ended"])  # since the epoch
        log.with_suffix(".timings.json").write_text(json.dumps(record, indent=1))
    return finished


PHASES = (  # where one student's grading seconds go, in order
    "sandbox set-up and clean-up",  # the kernelspec, temporary folders, the cgroups removed (this process)
    "nbgrader start-up",  # Python, nbgrader's imports, the app and the course's config: until its first log record
    "pre-processing",  # gradebook records, the locked cells overwritten, checksums, the notebook copied and written
    "kernel start: sandbox",  # the launcher (cgroups, limits), bwrap, the submission copied into the sandbox
    "kernel start: ipykernel",  # the kernel's Python and ipykernel, until the guard starts installing
    "kernel imports",  # what the guard imports and protects (torch, matplotlib, the course's package)
    "kernel handshake",  # nbclient's kernel_info requests and waits on its channels
    "notebook cells",  # the submission's cells and the tests, the time nbclient spends between them included
    "guard restore",  # the grading state put back before each test cell
    "kernel shutdown",
    "scoring and writing",  # nbgrader's preprocessors after execution, the gradebook, the graded notebook, exit
    "not broken down",  # what a run that stopped early (killed, kernel not started) leaves unattributed
)


def grading_phases(times: dict[str, float], records: list, executions: list[dict]) -> dict[str, float]:
    """Seconds per phase of :data:`PHASES`, from this process's ``times``, nbgrader's timed log ``records`` and
    ``executions``, what `GuardedExecute` recorded of each notebook it executed (times since the epoch)."""
    seconds = dict.fromkeys(PHASES, 0.0)
    seconds["sandbox set-up and clean-up"] = (times["spawned"] - times["began"]) + (times["ended"] - times["exited"])
    logged = next((stamp for _level, stamp, _message in records if stamp is not None), None)
    complete = [execution for execution in executions if None not in execution.values()]
    if logged is None or not complete or len(complete) < len(executions):
        seconds["not broken down"] = times["exited"] - times["spawned"]
        return seconds
    seconds["nbgrader start-up"] = logged - times["spawned"]
    moment = logged
    for execution in complete:  # between notebooks: the next one's pre-processing
        seconds["pre-processing"] += execution["start"] - moment
        seconds["kernel start: sandbox"] += execution["process"] - execution["start"]
        seconds["kernel start: ipykernel"] += execution["install"] - execution["process"]
        seconds["kernel imports"] += execution["installed"] - execution["install"]
        seconds["kernel handshake"] += execution["first_cell"] - execution["installed"]
        seconds["notebook cells"] += execution["last_cell_end"] - execution["first_cell"] - execution["restore"]
        seconds["guard restore"] += execution["restore"]
        seconds["kernel shutdown"] += execution["end"] - execution["last_cell_end"]
        moment = execution["end"]
    seconds["scoring and writing"] = times["exited"] - moment
    return seconds


MAX_LOG_CHARS = 1_000_000


def _write_log(path: Path, text: str) -> None:
    """Keep nbgrader's log, its last ``MAX_LOG_CHARS`` where it is longer (the reason comes last)."""
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
    return [(level, message) for level, _stamp, message in timed_log_records(log)]


def timed_log_records(log: str) -> list[tuple[str, float | None, str]]:
    """(level, time since the epoch or None, message) of each record in nbgrader's log."""
    parts = LOG_RECORD.split(log)  # text before the first record, then level, time, message, level, time...
    return [
        (level, None if stamp is None else datetime.strptime(stamp, LOG_TIME_FORMAT).timestamp(), message.strip())
        for level, stamp, message in zip(parts[1::3], parts[2::3], parts[3::3], strict=True)
    ]


def run_nbgrader(course: Path, *args: str) -> list[tuple[str, str]]:
    """Run an nbgrader command in ``course`` and return its log records; raise CourseError if it fails."""
    result = nbgrader(course, *args)
    if result.returncode != 0:
        raise CourseError(f"nbgrader {args[0]} failed: {failure_reason(result.stderr)}")
    return log_records(result.stderr)
