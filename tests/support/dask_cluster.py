"""A Dask cluster of real processes on loopback: a `dask scheduler` and `dask worker`s started as the
README tells an instructor to, each in a working directory of its own; every process they started is
killed when the cluster stops."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import distributed
import psutil

from tests.support.loopback import free_port

DASK = str(Path(sys.executable).parent / "dask")
STARTUP_SECONDS = 120  # for the scheduler to listen and the workers to join, on a loaded 2-core machine


class LoopbackCluster:
    def __init__(self, root: Path, scheduler_environment: dict[str, str] | None = None):
        self.root = root
        self.processes: list[psutil.Process] = []
        self.address = f"tcp://127.0.0.1:{free_port()}"
        port = self.address.rsplit(":", 1)[1]
        scheduler = [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"]
        self._start(self._directory("scheduler"), scheduler, scheduler_environment)
        self.workers: list[psutil.Process] = []

    def _directory(self, name: str) -> Path:
        """A working directory of the process's own."""
        directory = self.root / f"{name}-{len(self.processes)}"
        directory.mkdir(parents=True)
        return directory

    def _start(self, directory: Path, argv: list[str], environment: dict[str, str] | None = None) -> psutil.Process:
        with open(directory / "output.log", "w") as log:
            process = subprocess.Popen(
                argv, cwd=directory, env={**os.environ, **(environment or {})}, stdout=log, stderr=subprocess.STDOUT
            )
        self.processes.append(psutil.Process(process.pid))
        return self.processes[-1]

    def add_worker(self, environment: dict[str, str] | None = None) -> psutil.Process:
        """Start a `dask worker` (a nanny process that starts, and restarts, one worker process); wait until it joins."""
        directory = self._directory("worker")
        worker = [DASK, "worker", self.address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"]
        # its spill and lock files here, not in the system's /tmp/dask-scratch-space
        worker += ["--local-directory", str(directory / "dask-scratch-space")]
        nanny = self._start(directory, worker, environment)
        self.workers.append(nanny)
        with distributed.Client(self.address, timeout=STARTUP_SECONDS) as client:
            client.wait_for_workers(len(self.workers), timeout=STARTUP_SECONDS)
        return nanny

    def kill_a_worker_while_it_grades(self, grading: subprocess.Popen, timeout: float) -> list[psutil.Process] | None:
        """SIGKILL a worker process as soon as one runs nbgrader for ``grading``; return what it had started
        (still running: the nanny restarts the worker, not its children), or None if grading ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and grading.poll() is None:
            for nanny in self.workers:
                for worker in nanny.children():
                    with contextlib.suppress(psutil.NoSuchProcess):
                        started = worker.children(recursive=True)
                        if any("nbgrader" in " ".join(child.cmdline()) for child in started):
                            worker.send_signal(signal.SIGKILL)
                            return started
            time.sleep(0.2)
        if grading.poll() is None:
            raise TimeoutError(f"no worker ran nbgrader within {timeout:g} s")
        return None

    def stop(self) -> None:
        for process in reversed(self.processes):
            kill_tree(process)


def kill_tree(process: psutil.Process) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in [*process.children(recursive=True), process]:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        process.wait(timeout=30)
