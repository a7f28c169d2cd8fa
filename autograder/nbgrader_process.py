"""Running nbgrader's command line as a child process, with the limits that grading needs."""

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import psutil


def tool_environment() -> dict[str, str]:
    """The environment for running nbgrader: it calls tools (alembic) of this Python's bin directory."""
    bin_directory = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([bin_directory, os.environ.get("PATH", "")])}


def nbgrader(course: Path, *args: str, timeout: float | None = None,
             memory_bytes: int | None = None) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course directory ``course``, capturing its output.

    ``memory_bytes`` caps the address space of nbgrader and of every process it starts (kernels
    included). On ``timeout`` the whole process group is killed and TimeoutExpired raised.
    """
    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    process = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=course, env=tool_environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=limit_memory if memory_bytes else None)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for child in psutil.Process(process.pid).children(recursive=True):  # kernels run in sessions of their own
            child.kill()
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
