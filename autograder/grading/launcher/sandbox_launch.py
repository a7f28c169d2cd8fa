"""The sandbox's launcher: the first process of every sandboxed grading kernel, run by file path.

A sandboxed kernel's kernelspec (`autograder.grading.in_instructor.sandbox.write_kernelspec`) starts
``python <this file> launch --name … -- bwrap …``: jupyter_client starts it as the kernel's process, on the host,
outside the sandbox. It moves itself into a memory and a pids cgroup of its own (cgroup v1, where this user may
make one; else rlimits), runs bwrap under those limits for at most the wall time, passes on only the environment
variables a kernel needs, and kills whatever is left when the kernel ends, nbgrader goes away or time is up.

Run by path, before anything of the course is imported: it uses the standard library only
(`tests/test_sandbox.py` runs it with ``python -I -S``).
"""

import argparse
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _own_cgroup(controller: str) -> Path | None:
    """This process's cgroup v1 directory for ``controller``, if mounted."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            directory = CGROUP_ROOT / controller / path.lstrip("/")
            return directory if directory.is_dir() else None
    return None


def cgroups(name: str) -> list[Path]:
    """Where the launcher of kernel ``name`` makes its cgroups: under this process's own (it inherits them)."""
    return [own / name for controller in ("memory", "pids") if (own := _own_cgroup(controller))]


def _enter_cgroups(name: str, memory: int, processes: int) -> list[Path]:
    """Make a memory and a pids cgroup under this process's own, with the limits, and move in; [] if not allowed."""
    made = []
    try:
        for controller, settings in (
            ("memory", {"memory.limit_in_bytes": memory, "memory.swappiness": 0}),
            ("pids", {"pids.max": processes}),
        ):
            own = _own_cgroup(controller)
            if own is None:
                raise OSError(f"no cgroup v1 {controller} controller")
            group = own / name
            _make_group(group)
            made.append(group)
            for file, value in settings.items():
                if (group / file).exists():
                    (group / file).write_text(str(value))
            if (group / "memory.memsw.limit_in_bytes").exists():  # swap counts too, where accounted
                with contextlib.suppress(OSError):
                    (group / "memory.memsw.limit_in_bytes").write_text(str(memory))
        for group in made:
            (group / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        kill_cgroups(made)
        return []
    return made


def _make_group(group: Path) -> None:
    """Make the cgroup ``group`` anew. One of the same name is left by this kernel's previous launcher when that was
    killed outright (SIGKILL: no cleanup ran) before a restart; reused or refused, the restarted kernel would run
    without the limits for all its processes together (for root, without any process limit): empty it, remove it."""
    if group.is_dir():
        kill_cgroups([group])
    group.mkdir()


def kill_cgroups(groups: list[Path]) -> None:
    """Kill every process in ``groups`` and remove them (cgroup v1 has no cgroup.kill: repeat until empty). On a
    loaded machine the killed take a while to be reaped: up to five seconds each, kill and removal, before a group is
    given up (and a restarted kernel's launcher would fall back to rlimits)."""
    for group in groups:
        for _ in range(250):
            try:
                pids = [int(pid) for pid in (group / "cgroup.procs").read_text().split()]
            except OSError:
                break
            pids = [pid for pid in pids if pid != os.getpid()]
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
    for group in groups:
        for _ in range(250):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:  # still has tasks (being reaped) or the launcher itself
                time.sleep(0.02)


def cleanup(name: str) -> None:
    """After grading: kill whatever is left of kernel ``name`` and remove its cgroups."""
    kill_cgroups([group for group in cgroups(name) if group.is_dir()])


PASSED_ENVIRONMENT = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "NBGRADER_EXECUTION",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONHASHSEED",
    "JUPYTER_RUNTIME_DIR",
)


def _passes(name: str) -> bool:
    """Whether the kernel gets this variable of nbgrader's environment (not, say, a token of the instructor's)."""
    return name in PASSED_ENVIRONMENT or name.startswith("LC_")


def launch(name: str, memory: int, processes: int, disk: int, wall: float, command: list[str]) -> int:
    """Limit this process, run ``command`` (bwrap) under the limits for at most ``wall`` seconds, kill what is left."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts go to the kernel as messages
    groups = _enter_cgroups(name, memory, processes)
    resource.setrlimit(resource.RLIMIT_FSIZE, (disk, disk))  # no single file larger than the disk limit
    if not groups:  # the portable fallback: per process, not for all together
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (min(memory, hard if hard >= 0 else memory), hard))
        # counts the processes of the kernel's uid: root's own are not limited, a kernel that root's sandbox runs
        # as a uid of its own is (`autograder.grading.in_instructor.sandbox`)
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    parent, deadline = os.getppid(), time.monotonic() + wall
    child = subprocess.Popen(command, env={name: value for name, value in os.environ.items() if _passes(name)})
    signal.signal(signal.SIGTERM, lambda *_: child.kill())
    try:
        while (status := child.poll()) is None:
            if time.monotonic() > deadline:
                print(f"sandbox: the kernel ran longer than {wall:g} s and was killed", file=sys.stderr)
                break
            if os.getppid() != parent:  # nbgrader is gone: nobody will shut this kernel down
                break
            time.sleep(0.2)
        if status is None:
            child.kill()  # bwrap's --die-with-parent child, and with it the pid namespace, goes too
            status = child.wait()
    finally:
        # leave the groups first, so that the launcher is not among the processes killed
        for group in groups:
            parent = group.parent / "cgroup.procs"
            with contextlib.suppress(OSError):
                parent.write_text(str(os.getpid()))
        kill_cgroups(groups)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox_launch")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("launch", help="run a kernel command under the limits (a kernelspec's argv)")
    run.add_argument("--name", required=True)
    run.add_argument("--memory", type=int, required=True)
    run.add_argument("--processes", type=int, required=True)
    run.add_argument("--disk", type=int, required=True)
    run.add_argument("--wall", type=float, required=True)
    run.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    return launch(args.name, args.memory, args.processes, args.disk, args.wall, command)


if __name__ == "__main__":
    sys.exit(main())
