"""Through real nbgrader, bwrap and kernels: what a hostile submission can do from inside the sandbox.

Every hostile student hands in the full solution plus one plain code cell (after ``hidden_softmax_stable``)
that tries one route out and prints what it saw. Where the in-kernel guard would refuse first, the probe
goes around it (``_posixsubprocess.fork_exec`` has no audit event; a relative path or a ``file:`` URI
looks like the notebook's own folder to the guard), so the operating-system layer is what is tested.
Afterwards, on the host: nothing outside what nbgrader writes has changed, no process the students
started is alive, the listener accepted nothing, and honest work kept its points.
"""

import ast
import contextlib
import copy
import hashlib
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook

from autograder.grading.in_instructor import sandbox
from autograder.grading.in_nbgrader.guarded_execute import KERNEL_DIED
from autograder.grading.launcher import sandbox_launch
from autograder.grading.protocol import DEAD_KERNEL
from autograder.instructor import autograde
from autograder.instructor.nbgrader_process import tool_environment
from tools.nbgrader_course import completed_release, nbgrader, scratch_course, submit

ASSIGNMENT = "03_attention"
PROBE_AFTER = "hidden_softmax_stable"  # exercises after the probe show that the kernel (or its restart) still grades
HONEST = "a_honest"  # graded first: its autograded notebook exists while the others run
BYSTANDER = "b_bystander"  # a row of the gradebook only, graded earlier by hand
SECRET = f"bystander-comment-{uuid.uuid4().hex}"
MARKER = f"gpt-course-probe-{uuid.uuid4().hex}"  # in the argv of every process a probe leaves behind
# an owner-only file of the grader's in the environment the kernel sees (planted while the class is graded)
OWNER_ONLY = Path(sys.prefix) / f"owner-only-{uuid.uuid4().hex}"
OWNER_ONLY_TEXT = f"owner-only-{uuid.uuid4().hex}"
NBGRADER_WRITES = ("gradebook.db", "autograded", "feedback", "reports", ".nbgrader.log")

pytestmark = [
    pytest.mark.nbgrader,
    pytest.mark.sandbox,
    pytest.mark.skipif(bool(sandbox.available()), reason=str(sandbox.available())),
]

# Starts a program without an audit event, so past the guard's refusal of subprocess and os.posix_spawn.
SPAWN = """
import os, sys, _posixsubprocess

def spawn(argv, wait=True, setsid=False):
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    common = [argv, [os.fsencode(argv[0])], True, (), None, None, -1, -1, -1, out_w, -1, out_w, err_r, err_w,
              False, setsid, -1, None, None, None, -1, None]
    try:
        pid = _posixsubprocess.fork_exec(*common, False)  # Python 3.11, 3.12: allow_vfork last
    except TypeError:
        pid = _posixsubprocess.fork_exec(*common)
    os.close(out_w), os.close(err_w), os.close(err_r)
    if not wait:
        os.close(out_r)
        return pid, ''
    with os.fdopen(out_r) as out:
        text = out.read()
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), ' '.join(text.split())

def attempt(label, action):
    try:
        print(label, '->', action())
    except BaseException as error:  # strerror: not the path tried, which may name another student
        print(label, '->', type(error).__name__, getattr(error, 'strerror', None) or error)
"""


def probes(root: Path, port: int) -> dict[str, str]:
    """Student id -> the probe cell it adds to the full solution."""
    other_submitted = root / "submitted" / HONEST / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    other_graded = root / "autograded" / HONEST / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    hidden = {  # paths that name another student, spelt so that the reader's feedback page does not show them
        "other_submitted": str(other_submitted).encode().hex(),
        "other_graded": str(other_graded).encode().hex(),
    }
    head = f"ROOT = {str(root)!r}\n" + SPAWN
    return {
        "p_reads": head
        + f"""
import sqlite3
other_submitted, other_graded = (bytes.fromhex(h).decode() for h in {list(hidden.values())!r})
attempt('gradebook', lambda: open(ROOT + '/gradebook.db', 'rb').read())
attempt('gradebook relative', lambda: open('../../../gradebook.db', 'rb').read())
attempt('gradebook rows', lambda: sqlite3.connect(f'file:{{ROOT}}/gradebook.db?mode=ro', uri=True)
        .execute('select * from comment').fetchall())
attempt('other submitted', lambda: open(other_submitted).read())
attempt('other autograded', lambda: open(other_graded).read())
attempt('source', lambda: open(ROOT + '/source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb').read()[:50])
attempt('course root lists', lambda: sorted(os.listdir(ROOT)))
attempt('autograded lists', lambda: sorted(os.listdir(ROOT + '/autograded')))
attempt('shell reads', lambda: spawn(['/bin/sh', '-c', f'cat {{ROOT}}/gradebook.db {{other_submitted}} >/dev/null 2>&1; echo $?']))
""",
        "p_writes": head
        + f"""
import sqlite3
def dir_fd_write(directory):
    fd = os.open('evil_dir_fd', os.O_CREAT | os.O_WRONLY, dir_fd=os.open(directory, os.O_RDONLY))
    return os.write(fd, b'pwned')
attempt('dir_fd at the course root', lambda: dir_fd_write(ROOT))
attempt('dir_fd at the gradebook', lambda: os.open('gradebook.db', os.O_WRONLY, dir_fd=os.open(ROOT, os.O_RDONLY)))
attempt('dir_fd at the venv', lambda: dir_fd_write(sys.prefix))
attempt('sqlite uri at the gradebook', lambda: sqlite3.connect(f'file:{{ROOT}}/gradebook.db?mode=rw', uri=True)
        .execute('delete from grade'))
attempt('sqlite uri new db', lambda: sqlite3.connect(f'file:{{ROOT}}/evil.db?mode=rwc', uri=True)
        .execute('create table pwned(x)'))
attempt('sqlite uri in the venv', lambda: sqlite3.connect(f'file:{{sys.prefix}}/evil.db?mode=rwc', uri=True)
        .execute('create table pwned(x)'))
attempt('mkfifo at the course root', lambda: os.mkfifo(ROOT + '/evil_fifo'))
attempt('mkfifo in the venv', lambda: os.mkfifo(sys.prefix + '/evil_fifo'))
attempt('posix_spawn', lambda: os.posix_spawn('/bin/sh', ['sh', '-c', f'touch {{ROOT}}/evil_spawn'], os.environ))
attempt('subprocess', lambda: __import__('subprocess').run(['touch', ROOT + '/evil_subprocess']))
attempt('spawned shell writes', lambda: spawn(['/bin/sh', '-c',
    f'echo pwned > {{ROOT}}/evil_shell; echo pwned > {{ROOT}}/submitted/{HONEST}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb; '
    f'echo pwned > {{sys.prefix}}/evil_shell; ls -a {{ROOT}}']))
""",
        "p_owner_only": head
        + f"""
attempt('uid', lambda: os.getuid())
attempt('etc', lambda: sorted(os.listdir('/etc')))
for path in ('/etc/shadow-', '/etc/gshadow-', '/etc/security/opasswd', {str(OWNER_ONLY)!r}):
    attempt(path, lambda: open(path).read())
attempt('shell reads owner-only', lambda: spawn(['/bin/sh', '-c', 'cat {OWNER_ONLY} >/dev/null 2>&1; echo $?']))
""",
        "p_sleepers": head
        + f"""
import subprocess, time
sleeper = [sys.executable, '-c', 'import time; time.sleep(600)']
for i in range(3):
    attempt('child', lambda: spawn([*sleeper, '{MARKER}-child'], wait=False))
attempt('setsid child', lambda: spawn([*sleeper, '{MARKER}-setsid'], wait=False, setsid=True))
if os.fork() == 0:  # a daemon: fork, setsid, fork again, and the middle process exits
    os.setsid()
    spawn([*sleeper, '{MARKER}-daemon'], wait=False)
    os._exit(0)
attempt('guarded Popen', lambda: subprocess.Popen([*sleeper, '{MARKER}-popen'], start_new_session=True))
time.sleep(1)
attempt('alive', lambda: spawn(['/bin/sh', '-c', 'ps -eo args 2>/dev/null | grep -c {MARKER} || ls /proc']))
""",
        "p_fork_storm": head
        + """
import time
children, error = [], 'no error'
try:
    for _ in range(5000):
        pid = os.fork()
        if pid == 0:
            try:
                time.sleep(2)
            finally:
                os._exit(0)
        children.append(pid)
except OSError as refused:
    error = f'{type(refused).__name__} {refused}'
print('fork storm:', len(children), 'children, then', error)
for pid in children:
    os.waitpid(pid, 0)
print('fork storm: the kernel lives on')
""",
        "p_disk": head
        + """
def fill(directory, total=3 * 1024**3, chunk=b'x' * 2**24):  # through dir_fd: the guard sees 'filler', here
    written, where = 0, os.open(directory, os.O_RDONLY)
    try:
        file = os.open('filler', os.O_CREAT | os.O_WRONLY | os.O_TRUNC, dir_fd=where)
        while written < total:
            written += os.write(file, chunk)
        return f'wrote {written >> 20} MiB, no error'
    except OSError as error:
        return f'wrote {written >> 20} MiB, then {type(error).__name__} {os.strerror(error.errno)}'
    finally:
        os.remove('filler', dir_fd=where)
print('disk folder:', fill('.'))
print('disk tmp:', fill('/tmp'))
""",
        "p_memory": head
        + """
hog = 'block = bytearray(500 * 2**20); block[::4096] = b"x" * len(block[::4096]); import time; time.sleep(3)'
children = [spawn([sys.executable, '-c', hog], wait=False)[0] for _ in range(4)]  # each under RLIMIT_AS
print('memory hog: exit codes', [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children])
""",
        "p_network": head
        + f"""
import socket
attempt('host listener', lambda: socket.create_connection(('127.0.0.1', {port}), timeout=3))
attempt('outside', lambda: socket.create_connection(('8.8.8.8', 53), timeout=3))
attempt('interfaces', lambda: [name for _, name in socket.if_nameindex()])
""",
    }


def with_probe(notebook, source):
    notebook = copy.deepcopy(notebook)
    index = next(
        i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == PROBE_AFTER
    )
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    return notebook


def snapshot(course: Path) -> dict[str, str]:
    """Relative path -> a hash of the content (or the kind of file) of everything nbgrader does not write."""
    found = {}
    for directory, subdirectories, files in os.walk(course):
        relative = Path(directory).relative_to(course)
        if relative == Path("."):
            subdirectories[:] = [name for name in subdirectories if name not in NBGRADER_WRITES]
            files = [name for name in files if not name.startswith(NBGRADER_WRITES)]
        for name in [*subdirectories, *files]:
            path = Path(directory) / name
            mode = path.lstat().st_mode
            found[str(relative / name)] = (
                hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(mode) else stat.filemode(mode)
            )
    return found


def gradebook_rows(course: Path) -> set[tuple]:
    """Every row of every table of the gradebook, with its table's name."""
    with sqlite3.connect(course / "gradebook.db") as db:
        tables = [name for (name,) in db.execute("select name from sqlite_master where type = 'table'")]
        return {(table, *row) for table in tables for row in db.execute(f'select * from "{table}"')}


def add_bystander(course: Path) -> None:
    """A student graded earlier by hand: a submission in the gradebook with a score and a comment."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        gradebook.add_student(BYSTANDER, first_name="Bea", last_name="Stander")
        submission = gradebook.add_submission(ASSIGNMENT, BYSTANDER)
        notebook = submission.notebooks[0]
        notebook.grades[0].manual_score = 0.5
        notebook.comments[0].manual_comment = SECRET
        gradebook.db.commit()


def marked_processes() -> list[str]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if MARKER in cmdline:
            found.append(f"{process.pid}: {cmdline}")
    return found


def commands_under(pid: int) -> list[str]:
    """The command lines of the processes below ``pid`` (those that end while they are read are left out)."""
    commands = []
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in psutil.Process(pid).children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                commands.append(" ".join(child.cmdline()))
    return commands


class Watcher(threading.Thread):
    """Records the most processes with the marker alive at once while the class is graded."""

    def __init__(self):
        super().__init__(daemon=True)
        self.most, self.done = 0, threading.Event()

    def run(self):
        while not self.done.wait(0.3):
            self.most = max(self.most, len(marked_processes()))


def probe_output(course: Path, student: str) -> str:
    notebook = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    index = next(
        i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == PROBE_AFTER
    )
    outputs = notebook.cells[index + 1].outputs
    return "".join(output.get("text", "") + " ".join(output.get("traceback", [])) for output in outputs)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("course"), [ASSIGNMENT])
    add_bystander(course)
    full = completed_release(ASSIGNMENT)
    submit(course, HONEST, ASSIGNMENT, full)
    unsandboxed = shutil.copytree(course, tmp_path_factory.mktemp("unsandboxed") / "course")
    unavailable = shutil.copytree(course, tmp_path_factory.mktemp("unavailable") / "course")
    listener = socket.create_server(("127.0.0.1", 0))
    for student, source in probes(course, listener.getsockname()[1]).items():
        submit(course, student, ASSIGNMENT, with_probe(full, source))
    before, rows_before = snapshot(course), gradebook_rows(course)
    watcher = Watcher()
    watcher.start()
    OWNER_ONLY.touch(mode=0o600)
    OWNER_ONLY.write_text(OWNER_ONLY_TEXT)
    try:
        outcomes = autograde.autograde(course, ASSIGNMENT, memory_gb=1.5, disk_gb=0.25, max_processes=256)
    finally:
        OWNER_ONLY.unlink()
        watcher.done.set()
        watcher.join()
    listener.setblocking(False)
    try:
        accepted = listener.accept()
    except BlockingIOError:
        accepted = None
    listener.close()
    return {
        "course": course,
        "outcomes": {outcome.student: outcome for outcome in outcomes},
        "before": before,
        "rows_before": rows_before,
        "left": marked_processes(),
        "most_marked": watcher.most,
        "accepted": accepted,
        "unsandboxed": unsandboxed,
        "unavailable": unavailable,
    }


def test_every_student_is_graded_and_keeps_the_points_of_honest_work(graded):
    outcomes = graded["outcomes"]
    assert set(outcomes) == {HONEST, *probes(graded["course"], 0)}
    for student, outcome in outcomes.items():
        assert outcome.score is not None and outcome.score == outcome.max_score > 0, (student, outcome)


def test_nothing_outside_what_nbgrader_writes_changed(graded):
    course = graded["course"]
    assert snapshot(course) == graded["before"]
    for folder in (course / "autograded").glob(f"*/{ASSIGNMENT}"):  # the kernels' writes stayed in their tmpfs
        assert sorted(path.name for path in folder.iterdir()) == [f"{ASSIGNMENT}.ipynb"], folder


def test_the_gradebook_keeps_every_row_it_had(graded):
    course = graded["course"]
    assert graded["rows_before"] <= gradebook_rows(course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert {student.id for student in gradebook.students} == set(graded["outcomes"]) | {BYSTANDER}
        comments = gradebook.find_submission(ASSIGNMENT, BYSTANDER).notebooks[0].comments
        assert comments[0].manual_comment == SECRET


def test_the_gradebook_and_other_students_work_cannot_be_read(graded):
    output = probe_output(graded["course"], "p_reads")
    for route in ("gradebook", "gradebook relative", "other submitted", "other autograded", "source"):
        assert f"\n{route} -> FileNotFoundError" in f"\n{output}", (route, output)
    assert "gradebook rows -> OperationalError unable to open database file" in output
    assert "course root lists -> ['autograded']" in output
    assert "autograded lists -> ['p_reads']" in output
    assert "shell reads -> (0, '1')" in output  # cat failed
    assert SECRET not in output


@pytest.mark.skipif(os.geteuid() != 0, reason="an unprivileged grader's kernel runs as the grader, by design")
def test_grading_as_root_the_kernel_owns_nothing_and_sees_no_accounts(graded):
    output = probe_output(graded["course"], "p_owner_only")
    uid = int(output.split("uid -> ", 1)[1].split()[0])
    assert uid in sandbox.KERNEL_UIDS, output
    etc = ast.literal_eval(output.split("etc -> ", 1)[1].splitlines()[0])
    assert set(etc) <= set(sandbox.ETC_NEEDED), output
    for path in ("/etc/shadow-", "/etc/gshadow-", "/etc/security/opasswd"):
        assert f"{path} -> FileNotFoundError" in output, output
    assert f"{OWNER_ONLY} -> PermissionError" in output, output
    assert "shell reads owner-only -> (0, '1')" in output, output
    assert OWNER_ONLY_TEXT not in output


def test_writes_by_every_file_descriptor_route_stay_in_the_sandbox(graded):
    output = probe_output(graded["course"], "p_writes")
    assert "dir_fd at the gradebook -> FileNotFoundError" in output
    assert "dir_fd at the venv -> OSError Read-only file system" in output
    assert "sqlite uri at the gradebook -> OperationalError" in output
    assert "sqlite uri in the venv -> OperationalError unable to open database file" in output
    assert "mkfifo in the venv -> OSError Read-only file system" in output
    assert "posix_spawn -> PermissionError grading:" in output  # the guard's refusal, before the sandbox's
    assert "subprocess -> PermissionError grading:" in output
    shell = output.split("spawned shell writes ->")[1]
    assert "Read-only file system" in shell and "Directory nonexistent" in shell, shell  # no other student here
    # what did "succeed" (the course root's path exists only in the sandbox's own /tmp) is not on the host:
    assert not list(graded["course"].glob("evil*"))
    assert not list(Path(sys.prefix).glob("evil*"))


def test_no_process_a_student_started_outlives_grading(graded):
    assert graded["most_marked"] >= 5, "the sleepers never started: the probe tests nothing"
    assert graded["left"] == []
    assert "guarded Popen -> PermissionError grading:" in probe_output(graded["course"], "p_sleepers")


def test_a_fork_storm_hits_the_process_limit_and_the_kernel_lives_on(graded):
    output = probe_output(graded["course"], "p_fork_storm")
    assert "BlockingIOError" in output and "fork storm: the kernel lives on" in output, output


def test_a_disk_filler_gets_the_sandboxs_size_not_the_hosts_disk(graded):
    output = probe_output(graded["course"], "p_disk")
    for place in ("folder", "tmp"):
        line = next(line for line in output.splitlines() if line.startswith(f"disk {place}:"))
        written = int(line.split("wrote ")[1].split(" MiB")[0])
        assert written <= 256 and ("No space left on device" in line or "File too large" in line), line


def test_a_memory_hog_over_four_processes_is_held_to_the_limit_of_all_together(graded):
    output = probe_output(graded["course"], "p_memory")
    if "memory hog: exit codes" in output:
        codes = ast.literal_eval(output.split("exit codes")[1].strip().splitlines()[0])
        assert -9 in codes and codes.count(0) < 4, codes
    else:  # the kernel itself was chosen, in both tries of the cell: a fresh kernel graded the rest in full
        assert f"{DEAD_KERNEL}: {KERNEL_DIED}" in output, output
        outcome = graded["outcomes"]["p_memory"]
        assert outcome.score == outcome.max_score > 0, outcome


def test_the_network_is_out_of_reach(graded):
    output = probe_output(graded["course"], "p_network")
    assert "host listener -> ConnectionRefusedError" in output, output
    assert "outside -> OSError Network is unreachable" in output, output
    assert "interfaces -> ['lo']" in output
    assert graded["accepted"] is None


def test_the_readers_feedback_shows_no_other_student(graded):
    course = graded["course"]
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", "p_reads", "--force")
    page = (course / "feedback" / "p_reads" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    for other in (set(graded["outcomes"]) | {BYSTANDER}) - {"p_reads"}:
        assert other not in page, other
    assert SECRET not in page and "Stander" not in page


def gpt_course(*args, wrapper=()):
    return subprocess.run(
        [*wrapper, sys.executable, "-m", "autograder.instructor.cli", *args],
        capture_output=True,
        text=True,
        env=tool_environment(),
    )


def test_no_sandbox_grades_and_says_so(graded):
    course = graded["unsandboxed"]
    result = gpt_course("autograde", ASSIGNMENT, "--course", str(course), "--no-sandbox")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith(HONEST))
    assert "graded" in line and "18 / 18" in line and "graded without a sandbox" in line, line


def test_where_bwrap_cannot_start_autograde_stops_and_names_no_sandbox(graded):
    """The command run where user namespaces are forbidden (in a bwrap with --disable-userns): no sandbox can start."""
    course = graded["unavailable"]
    forbid = [sandbox.bwrap(), "--bind", "/", "/", "--dev", "/dev", "--unshare-user", "--disable-userns", "--"]
    result = gpt_course("autograde", ASSIGNMENT, "--course", str(course), wrapper=forbid)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "no sandbox: bwrap cannot start here" in result.stderr and "--no-sandbox" in result.stderr
    assert not (course / "autograded").exists()


def test_a_launcher_killed_outright_does_not_cost_the_restarted_kernel_its_limits(tmp_path):
    """jupyter_client ends a kernel that ignores shutdown and SIGTERM with SIGKILL, and GuardedExecute then starts
    the same kernelspec again: its launcher must get the limits for all processes together, not the rlimit fallback."""
    name, marker = f"gpt-course-sandbox-test-{uuid.uuid4().hex[:8]}", f"{MARKER}-relaunch"
    (tmp_path / "folder").mkdir(), (tmp_path / "runtime").mkdir()
    limits = sandbox.Limits(memory_bytes=2**30, max_processes=64, disk_bytes=2**26, wall_seconds=60)
    bwrap = sandbox.bwrap_argv(tmp_path / "folder", tmp_path / "runtime", limits, ["/bin/sh", "-c", "sleep 60", marker])
    argv = [
        sys.executable,
        "-I",
        "-S",
        sandbox_launch.__file__,
        "launch",
        "--name",
        name,
        "--memory",
        str(2**30),
        "--processes",
        "64",
    ]
    argv += ["--disk", str(2**26), "--wall", "60", "--", *bwrap]

    def groups_of(process) -> list[str]:
        # wait until this launcher's own sandboxed command runs: the killed launcher's may outlive it for a while,
        # and a relaunch may first spend up to 10 s emptying the old groups
        for _ in range(300):
            if f"/bin/sh -c sleep 60 {marker}" in commands_under(process.pid):
                break
            time.sleep(0.1)
        return [
            line.split(":")[1] for line in Path(f"/proc/{process.pid}/cgroup").read_text().splitlines() if name in line
        ]

    first = subprocess.Popen(argv)
    try:
        if sorted(groups_of(first)) != ["memory", "pids"]:
            pytest.skip("this user may not make cgroups: the launcher falls back to rlimits")
        first.kill()  # no cleanup runs: its cgroups stay behind
        first.wait()
        assert all(group.is_dir() for group in sandbox_launch.cgroups(name))
        with (tmp_path / "second.err").open("w") as errors:
            second = subprocess.Popen(argv, stderr=errors)
        try:
            groups = sorted(groups_of(second))
            assert groups == ["memory", "pids"], (
                f"the relaunched launcher is in the groups {groups}, expected memory and pids; its exit status: "
                f"{second.poll()}; below it: {commands_under(second.pid)}; it printed: "
                f"{(tmp_path / 'second.err').read_text()[-2000:]!r}"
            )
        finally:
            second.terminate()
            second.wait()
    finally:
        first.kill()
        sandbox_launch.cleanup(name)
    assert not any(group.is_dir() for group in sandbox_launch.cgroups(name))
    assert not any(marker in line for line in marked_processes())
