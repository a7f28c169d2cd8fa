"""Nothing a student sends through nbgrader's exchange acts as the instructor (issue 23, points 3 and 5): a class of
real Unix accounts fetches nothing and submits with real nbgrader (or, as an attacker would, by hand), the instructor
runs `gpt-course` release, collect (from the exchange and from an LMS zip), autograde, feedback, export and report.

- gcx-ann, gcx-bob hand in complete work in time; gcx-cat the same, after the due date; zed (in the LMS zip) too.
- gcx-mal makes her submission folder herself, with links to a root-only file, the gradebook, the instructor's
  submitted/ folder and ann's submission, a FIFO, and a notebook that prints every file in its folder.
- gcx-eve submits a blank notebook as bob (``nbgrader submit --student gcx-bob``, 18 → 0 under nbgrader's collect)
  and submissions under ids with a formula, markup, a carriage return, escape codes and a shell expansion.
- gcx-fay hands in late with ``--Exchange.timestamp_format='2020-01-01 …'``; gcx-gus makes a late submission by hand
  whose name and ``timestamp.txt`` say it came before the due date (18/18 under nbgrader's collect).

Asserted: nothing ran (no file of the shell expansion, the FIFO did not stop collect), nothing leaked (the secret,
the gradebook and ann's work are in none of mal's files, graded notebook or feedback page), nothing of another
student changed (ann's and bob's submissions in the exchange, bob's collected work is his own), the honest students'
grades are what complete work earns (late: what late work earns), and every attempt is in flagged.csv. Then the
course's folder: in the sticky exchange no student can move it aside or touch a classmate's submission; in an old
world-writable one a student who swapped it, or made it first, gets release and collect refused in one line.
"""

import csv
import hashlib
import json
import pwd
import secrets
import shutil
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from autograder.instructor.cli import main
from autograder.instructor.gradebook import open_gradebook
from tests.support.cli_workflow import ASSIGNMENT, COURSE_ID, gpt_course, new_course
from tests.support.unix_accounts import give, make_account, packages_for, remove_accounts, require_root, run_as
from tools.checkout import TREE
from tools.nbgrader_course import completed_release

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox]

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
FULL_MARKS = 18.0
ACCOUNTS = ["gcx-ann", "gcx-bob", "gcx-cat", "gcx-mal", "gcx-eve", "gcx-fay", "gcx-gus"]
SECRET = f"ROOT-ONLY-{secrets.token_hex(8)}"
ANNS_MARK = f"ANNS-OWN-WORK-{secrets.token_hex(8)}"
PWNED = "gcx-PWNED"
HOSTILE_IDS = [
    "<img src=x onerror=alert(1)>",
    "gcx-ann\r" + " " * 30 + "gcx-mal 18 of 18",
    "\x1b[2J\x1b[1;1Hgcx-ann",
    f"$(touch {PWNED})",
    "gcx-ann\u202e",
]
FORMULA = '=HYPERLINK("http:evil","18 of 18")'
PRINT_EVERYTHING = """import pathlib
for path in sorted(pathlib.Path('.').rglob('*')):
    try:
        print(path, path.read_text(errors='replace')[:500])
    except Exception as error:
        print(path, type(error).__name__)"""
# what an attacker does without nbgrader: a submission folder made by hand (name, notebook, timestamp, links, FIFO)
BY_HAND = """import json, os, shutil, sys
for spec in json.loads(sys.argv[1]):
    folder = os.path.join(spec["inbound"], spec["name"])
    os.mkdir(folder)
    os.chmod(folder, 0o777)
    shutil.copy(spec["notebook"], os.path.join(folder, os.path.basename(spec["notebook"])))
    with open(os.path.join(folder, "timestamp.txt"), "w") as file:
        file.write(spec["stamp"])
    for link, target in spec.get("links", {}).items():
        os.symlink(target, os.path.join(folder, link))
    if spec.get("fifo"):
        os.mkfifo(os.path.join(folder, "pipe"))
print("made")"""
SWAP = """import os, sys
root, course, notebook = sys.argv[1:4]
os.rename(os.path.join(root, course), os.path.join(root, course + ".old"))
for folder in ("", "outbound", "outbound/03_attention", "inbound"):
    os.mkdir(os.path.join(root, course, folder))
    os.chmod(os.path.join(root, course, folder), 0o777)
with open(os.path.join(root, course, "outbound", "03_attention", "03_attention.ipynb"), "w") as file:
    file.write(open(notebook).read())
print("swapped")"""
RENAME = "import os, sys; os.rename(sys.argv[1], sys.argv[2])"
MKDIR = "import os, sys; os.mkdir(sys.argv[1]); os.chmod(sys.argv[1], 0o777)"


def stamp(time: datetime) -> str:
    return f"{time:%Y-%m-%d %H:%M:%S.%f} UTC"


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Class:
    """The shared folder (exchange and homes, where every account may go), the instructor's course, the accounts."""

    def __init__(self, shared: Path, course: Path, accounts: dict, packages: str):
        self.shared, self.course, self.accounts, self.packages = shared, course, accounts, packages
        self.exchange = shared / "exchange"

    @property
    def inbound(self) -> Path:
        return self.exchange / COURSE_ID / "inbound"

    def home(self, student: str) -> Path:
        home = self.shared / "home" / student
        if not home.is_dir():
            home.mkdir(parents=True, mode=0o700)
            give(home, self.accounts[student])
        return home

    def notebook(self, student: str, notebook: nbformat.NotebookNode) -> Path:
        """``notebook`` in the student's work folder, as theirs."""
        path = self.home(student) / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(exist_ok=True)
        nbformat.write(notebook, path)
        give(path.parent, self.accounts[student])
        return path

    def run(self, student: str, *argv: str):
        result = run_as(self.accounts[student], list(argv), home=self.home(student), packages=self.packages)
        assert result.returncode == 0, (student, result.stdout[-1000:], result.stderr[-2000:])
        return result

    def nbgrader_submit(self, student: str, notebook: nbformat.NotebookNode, *options: str) -> None:
        self.notebook(student, notebook)
        root = f"--Exchange.root={self.exchange}"
        self.run(student, "-m", "nbgrader", "submit", ASSIGNMENT, "--course", COURSE_ID, root, *options)

    def by_hand(self, student: str, notebook: nbformat.NotebookNode, specs: list[dict]) -> None:
        path = self.notebook(student, notebook)
        for spec in specs:
            spec.update(inbound=str(self.inbound), notebook=str(path))
        self.run(student, "-c", BY_HAND, json.dumps(specs))

    def submissions_of(self, student: str) -> list[Path]:
        return sorted(self.inbound.glob(f"{student}+{ASSIGNMENT}+*"))


def digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def annotated(notebook: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    notebook.cells.append(nbformat.v4.new_markdown_cell(text))
    return notebook


@pytest.fixture(scope="module")
def accounts():
    require_root()
    made = [name for name in ACCOUNTS if name not in {account.pw_name for account in pwd.getpwall()}]
    yield {name: make_account(name) for name in ACCOUNTS}
    remove_accounts(made)


@pytest.fixture(scope="module")
def klass(accounts, tmp_path_factory):
    shared = Path(tempfile.mkdtemp(prefix="gpt-course-exchange-test-"))
    shared.chmod(0o755)  # every account reaches the exchange and its home; pytest's own tmp folder is root's alone
    instructor = tmp_path_factory.mktemp("instructor")  # 0700: no student reaches the course
    course = new_course(instructor / "course")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"  # late work scores zero\n')
    secret = instructor / "root-only" / "secret.txt"
    secret.parent.mkdir(mode=0o700)
    secret.write_text(SECRET)
    try:
        with packages_for("nbgrader") as packages:
            yield Class(shared, course, accounts, packages), secret
    finally:
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture(scope="module")
def graded(klass):
    klass, secret = klass
    course, printed = klass.course, {}
    printed["release"] = gpt_course("release", ASSIGNMENT, "--course", course, "--exchange", klass.exchange)
    full, blank = completed_release(ASSIGNMENT), nbformat.read(TREE.release_path(ASSIGNMENT), as_version=4)

    klass.nbgrader_submit("gcx-ann", annotated(full, ANNS_MARK))
    klass.nbgrader_submit("gcx-bob", full)
    [anns] = klass.submissions_of("gcx-ann")
    nosy = annotated(full, "mal's")
    nosy.cells.append(nbformat.v4.new_code_cell(PRINT_EVERYTHING))
    links = {
        "secret.txt": str(secret),
        "gradebook.db": str(course / "gradebook.db"),
        "submitted": str(course / "submitted"),
        "ann": str(anns),
        "anns.ipynb": str(anns / NOTEBOOK),
    }
    mal = {"name": f"gcx-mal+{ASSIGNMENT}+{stamp(now())}+x", "stamp": stamp(now()), "links": links, "fifo": True}
    klass.by_hand("gcx-mal", nosy, [mal])
    klass.nbgrader_submit("gcx-eve", blank, "--student", "gcx-bob")  # replaced bob's work under nbgrader's collect
    klass.nbgrader_submit("gcx-eve", blank, "--student", FORMULA)
    hostile = [{"name": f"{student}+{ASSIGNMENT}+{stamp(now())}+x", "stamp": stamp(now())} for student in HOSTILE_IDS]
    klass.by_hand("gcx-eve", blank, hostile)

    due = now() + timedelta(seconds=1)
    with open_gradebook(course) as gradebook:
        gradebook.update_or_create_assignment(ASSIGNMENT, duedate=due)
    time.sleep(2)
    klass.nbgrader_submit("gcx-cat", full)  # late, honestly
    klass.nbgrader_submit("gcx-fay", full, f"--Exchange.timestamp_format={stamp(datetime(2020, 1, 1))}")
    early = stamp(due - timedelta(minutes=10))
    klass.by_hand("gcx-gus", full, [{"name": f"gcx-gus+{ASSIGNMENT}+{early}+x", "stamp": early}])
    before = {student: digest(klass.submissions_of(student)[0]) for student in ("gcx-ann", "gcx-bob")}

    started = time.monotonic()
    printed["collect"] = gpt_course("collect", ASSIGNMENT, "--course", course, "--exchange", klass.exchange)
    collect_seconds = time.monotonic() - started
    after = {student: digest(klass.submissions_of(student)[0]) for student in ("gcx-ann", "gcx-bob")}
    zip_path = klass.shared / "download.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr(f"zed_4711_assignsubmission_file_{NOTEBOOK}", nbformat.writes(full))
        for student in [FORMULA, *HOSTILE_IDS]:
            archive.writestr(f"{student}_4712_assignsubmission_file_{NOTEBOOK}", nbformat.writes(blank))
    printed["zip"] = gpt_course("collect", ASSIGNMENT, "--course", course, "--zip", zip_path)
    for step in ("autograde", "feedback"):
        printed[step] = gpt_course(step, ASSIGNMENT, "--course", course)
    printed["export"] = gpt_course("export", "--course", course, "--to", klass.shared / "grades.csv")
    printed["report"] = gpt_course("report", "--course", course)
    with open(klass.shared / "grades.csv", newline="") as file:
        grades = {row["student_id"]: row for row in csv.DictReader(file)}
    with open(course / "reports" / "flagged.csv", newline="") as file:
        flagged = list(csv.DictReader(file))
    return klass, printed, grades, flagged, (before, after), collect_seconds


def test_collect_takes_each_students_own_newest_work(graded):
    klass, printed, *_ = graded
    submitted = sorted(path.name for path in (klass.course / "submitted").iterdir())
    assert submitted == ["gcx-ann", "gcx-bob", "gcx-cat", "gcx-fay", "gcx-gus", "gcx-mal", "zed"]
    for student in ("gcx-ann", "gcx-bob", "gcx-cat"):
        assert f"Collecting submission: {student} {ASSIGNMENT}" in printed["collect"]


def test_the_honest_students_grades_are_what_their_work_earns(graded):
    _, _, grades, _, _, _ = graded
    for student in ("gcx-ann", "gcx-bob", "zed"):  # bob's: his own work, not eve's blank one in his name
        assert float(grades[student]["score"]) == FULL_MARKS, grades[student]
    late = grades["gcx-cat"]
    assert float(late["raw_score"]) == FULL_MARKS and float(late["score"]) == 0.0  # the late penalty: zero


def test_a_forged_time_is_as_late_as_the_exchange_saw_it(graded):
    _, _, grades, flagged, _, _ = graded
    for student in ("gcx-fay", "gcx-gus"):  # 18/18 under nbgrader's collect: they claimed 2020 or before the due date
        assert float(grades[student]["raw_score"]) == FULL_MARKS and float(grades[student]["score"]) == 0.0
    problems = {
        row["student"]: " ".join(json.loads(row["problems"])) for row in flagged if row["status"] == "collected"
    }
    assert "claims 2020-01-01 00:00:00 UTC, but the exchange saw it change at" in problems["gcx-fay"]
    assert "but the exchange saw it change at" in problems["gcx-gus"]


def test_a_submission_in_a_classmates_name_is_not_collected_and_is_flagged(graded):
    klass, printed, _, flagged, (before, after), _ = graded
    bob = klass.course / "submitted" / "gcx-bob" / ASSIGNMENT / NOTEBOOK
    assert nbformat.read(bob, as_version=4).cells == completed_release(ASSIGNMENT).cells
    problems = [(row["student"], row["status"], json.loads(row["problems"])[0]) for row in flagged]
    assert ("gcx-bob", "not collected") in {(student, status) for student, status, _ in problems}
    [made] = [problem for student, _, problem in problems if student == "gcx-eve"]
    assert made.endswith("gcx-eve's account made this submission in gcx-bob's name")
    [refused] = [problem for student, _, problem in problems if student == "gcx-bob"]
    assert refused.endswith("it belongs to the account gcx-eve, not to gcx-bob: not collected")
    assert "cheating attempt" not in printed["collect"]
    assert before == after  # ann's and bob's submissions in the exchange are as they handed them in


def test_links_and_fifos_are_left_out_and_nothing_leaks(graded):
    klass, _, _, flagged, _, collect_seconds = graded
    course = klass.course
    mals = [path for step in ("submitted", "autograded", "feedback") for path in (course / step / "gcx-mal").rglob("*")]
    assert (course / "autograded" / "gcx-mal" / ASSIGNMENT / NOTEBOOK).is_file()  # her notebook ran, and printed:
    assert any(path.suffix == ".html" for path in mals)
    graded = nbformat.read(course / "autograded" / "gcx-mal" / ASSIGNMENT / NOTEBOOK, as_version=4)
    listed = "".join(output.get("text", "") for output in graded.cells[-1].outputs)  # her cell: every file it sees
    assert [line.split(" ", 1)[0] for line in listed.splitlines() if line.startswith((NOTEBOOK, "timestamp.txt"))] == [
        NOTEBOOK,
        "timestamp.txt",
    ]
    for name in ("secret.txt", "gradebook.db", "submitted", "ann", "anns.ipynb", "pipe"):
        assert f"\n{name}" not in listed and not listed.startswith(name)
    seen = b"".join(path.read_bytes() for path in mals if path.is_file())
    for leak in (SECRET.encode(), ANNS_MARK.encode(), b"SQLite format 3"):
        assert leak not in seen
    copied = {path.name for path in (course / "submitted" / "gcx-mal" / ASSIGNMENT).iterdir()}
    assert copied == {NOTEBOOK, "timestamp.txt"}
    left_out = {json.loads(row["problems"])[0].rsplit(": ", 2)[-2] for row in flagged if row["student"] == "gcx-mal"}
    assert left_out == {
        f"left out {name}" for name in ("secret.txt", "gradebook.db", "submitted", "ann", "anns.ipynb", "pipe")
    }
    assert collect_seconds < 60  # the FIFO was not opened for reading


def test_hostile_ids_are_refused_never_stored_and_nothing_ran(graded):
    klass, printed, grades, flagged, _, _ = graded
    assert set(grades) == {"gcx-ann", "gcx-bob", "gcx-cat", "gcx-fay", "gcx-gus", "gcx-mal", "zed"}  # the gradebook
    for where in (Path.cwd(), Path("/tmp"), klass.course.parent):  # where a shell would have run touch
        assert not (where / PWNED).exists()
    assert not list(klass.shared.rglob(PWNED)) and not list(klass.course.rglob(PWNED))
    refused = [row for row in flagged if ": refused: the student id" in json.loads(row["problems"])[0]]
    assert len(refused) == 2 * (1 + len(HOSTILE_IDS))  # through the exchange and through the zip
    for row in flagged:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")) and not any(char in value for char in "\r\x1b\u202e")
    for output in printed.values():
        assert not any(char in output for char in "\r\x1b\u202e")


def test_no_student_moves_the_course_folder_or_a_classmates_submission(graded):
    klass, *_ = graded
    root = klass.exchange
    moved = run_as(
        klass.accounts["gcx-mal"],
        ["-c", RENAME, str(root / COURSE_ID), str(root / "elsewhere")],
        home=klass.home("gcx-mal"),
        packages=klass.packages,
    )
    assert moved.returncode != 0 and "PermissionError" in moved.stderr and (root / COURSE_ID / "inbound").is_dir()
    [anns] = klass.submissions_of("gcx-ann")
    moved = run_as(
        klass.accounts["gcx-mal"],
        ["-c", RENAME, str(anns), str(klass.inbound / "gcx-mal+03_attention+2030-01-01 00:00:00 UTC+x")],
        home=klass.home("gcx-mal"),
        packages=klass.packages,
    )
    assert moved.returncode != 0 and "PermissionError" in moved.stderr and anns.is_dir()


@pytest.mark.parametrize("how", ["swapped in an old world-writable exchange", "made before the first release"])
def test_a_course_folder_a_student_put_there_is_refused_in_one_line(graded, capsys, how):
    klass, *_ = graded
    root = klass.shared / f"exchange-{how.split()[0]}"
    if how.startswith("swapped"):
        gpt_course("release", ASSIGNMENT, "--course", klass.course, "--exchange", root)
        root.chmod(0o777)  # as nbgrader's release and gpt-course's before it left the exchange
        klass.run("gcx-mal", "-c", SWAP, str(root), COURSE_ID, str(TREE.release_path(ASSIGNMENT)))
    else:
        root.mkdir(mode=0o1777)
        root.chmod(0o1777)
        klass.run("gcx-mal", "-c", MKDIR, str(root / COURSE_ID))
    for command in ("release", "collect"):
        with pytest.raises(SystemExit) as exit_status:
            main([command, ASSIGNMENT, "--course", str(klass.course), "--exchange", str(root)])
        error = capsys.readouterr().err
        assert exit_status.value.code == 1 and error.count("\n") == 1, error
        assert f"{root / COURSE_ID} belongs to gcx-mal, not to you (root): someone else made or replaced" in error
