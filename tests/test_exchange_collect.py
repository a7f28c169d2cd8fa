"""`gpt-course collect --exchange` reads what students left in the exchange as plain files, as the instructor, without
acting on it: links, FIFOs and devices are left out, a submission in another account's name is not collected, the
time that counts is the later of the claim and the exchange's own, ids outside the strict set are refused, and a
course folder that is not the instructor's is refused in one line. Every problem reaches flagged.csv.

The exchange here is made by hand, as nbgrader's submit leaves it; its "students" are uids without accounts
(``chown`` as root), mapped to ids as ``--accounts`` does. tests/test_exchange_accounts.py runs the same routes with
real accounts and real nbgrader."""

import csv
import json
import os
import re
import secrets
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from autograder.grading.untrusted_text import printable
from autograder.instructor import exchange, report
from autograder.instructor import inbound as inbound_module
from autograder.instructor.cli import main
from autograder.instructor.errors import BadArgument
from autograder.instructor.inbound import InboundLimits
from tests.support.cli_workflow import ASSIGNMENT, COURSE_ID, new_course
from tests.support.hostile_ids import HOSTILE_IDS

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
ANN, BOB = 4242, 4243  # the students' uids: files are chowned to them (root runs these tests)
ACCOUNTS = {"ann": ANN, "bob": BOB}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="giving files to other uids needs root (CI runs as root)")


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
def course(tmp_path):
    course = new_course(tmp_path / "course")
    (course / "gradebook.db").write_text("the gradebook")
    return course


@pytest.fixture
def inbound(tmp_path) -> Path:
    """An exchange as `gpt-course release` leaves it: root 1777, the course's folder the instructor's, inbound 3733."""
    root = tmp_path / "exchange"
    (root / COURSE_ID / "inbound").mkdir(parents=True)
    root.chmod(0o1777)
    (root / COURSE_ID / "inbound").chmod(0o3733)
    return root / COURSE_ID / "inbound"


def submission(inbound: Path, student: str, uid: int, claim: datetime | str, files=None, timestamp=None) -> Path:
    """A submission folder as nbgrader's submit leaves it, every entry owned by ``uid``."""
    claimed = claim if isinstance(claim, str) else f"{claim:%Y-%m-%d %H:%M:%S.%f} UTC"
    folder = inbound / f"{student}+{ASSIGNMENT}+{claimed}+{secrets.token_urlsafe(9)}"
    folder.mkdir()
    for name, data in {NOTEBOOK: f"{student}'s notebook", **(files or {})}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    (folder / "timestamp.txt").write_text(timestamp or claimed)
    give(folder, uid)
    return folder


def give(folder: Path, uid: int) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, uid, uid, follow_symlinks=False)


def collect(course, inbound, **options):
    printed = []
    students = exchange.collect(
        course, ASSIGNMENT, inbound.parent.parent, accounts=options.pop("accounts", ACCOUNTS), progress=printed.append
    )
    return students, "\n".join(printed)


def submitted(course, student) -> Path:
    return course / "submitted" / student / ASSIGNMENT


def collect_rows(course) -> list[dict]:
    with open(course / "reports" / f"{ASSIGNMENT}-collect.csv", newline="") as file:
        return list(csv.DictReader(file))


def test_an_honest_submission_is_collected_with_its_own_time(course, inbound):
    claim = now()
    submission(inbound, "ann", ANN, claim, {"data/words.txt": "ann's words"})
    students, printed = collect(course, inbound)
    assert students == ["ann"] and f"Collecting submission: ann {ASSIGNMENT}" in printed
    assert (submitted(course, "ann") / NOTEBOOK).read_text() == "ann's notebook"
    assert (submitted(course, "ann") / "data" / "words.txt").read_text() == "ann's words"
    assert (submitted(course, "ann") / "timestamp.txt").read_text() == f"{claim:%Y-%m-%d %H:%M:%S.%f} UTC"
    assert not (course / "reports").exists()  # nothing to flag
    assert not list(submitted(course, "ann").parent.glob(".gpt-course-collect-*"))


def test_links_fifos_and_devices_are_left_out_and_flagged(course, inbound, tmp_path):
    secret = tmp_path / "root-only" / "secret.txt"
    secret.parent.mkdir(mode=0o700)
    secret.write_text("ROOT-ONLY SECRET")
    bob = submission(inbound, "bob", BOB, now(), {NOTEBOOK: "BOB'S OWN WORK"})
    ann = submission(inbound, "ann", ANN, now(), {"data/words.txt": "ann's words"})
    for name, target in {
        "secret.txt": secret,
        "gradebook.db": course / "gradebook.db",
        "bob": bob,
        "data/bob.ipynb": bob / NOTEBOOK,
        "etc": Path("/etc"),
    }.items():
        (ann / name).symlink_to(target)
    os.mkfifo(ann / "pipe")  # reading it would wait for a writer forever
    os.mknod(ann / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a device, as /dev/null
    (inbound / f"bob+{ASSIGNMENT}+2026-01-01 00:00:00.000000 UTC+link").symlink_to(ann)  # a folder that is a link
    give(ann, ANN)
    bob_before = {path.name: path.read_bytes() for path in bob.iterdir()}

    students, printed = collect(course, inbound)

    assert students == ["ann", "bob"]
    copied = {path.relative_to(submitted(course, "ann")).as_posix() for path in submitted(course, "ann").rglob("*")}
    assert copied == {NOTEBOOK, "data", "data/words.txt", "timestamp.txt"}
    everything = b"".join(path.read_bytes() for path in (course / "submitted").rglob("*") if path.is_file())
    assert b"ROOT-ONLY SECRET" not in everything and b"the gradebook" not in everything
    assert (submitted(course, "bob") / NOTEBOOK).read_text() == "BOB'S OWN WORK"  # from bob's own folder only
    assert {path.name: path.read_bytes() for path in bob.iterdir()} == bob_before
    rows = {row["source"].rsplit("+", 1)[-1] + ":" + row["problem"].split(":")[0]: row for row in collect_rows(course)}
    left_out = [row for row in collect_rows(course) if row["problem"].startswith("left out")]
    assert {row["problem"] for row in left_out} == {
        "left out bob: a symbolic link, not read",
        "left out data/bob.ipynb: a symbolic link, not read",
        "left out etc: a symbolic link, not read",
        "left out gradebook.db: a symbolic link, not read",
        "left out secret.txt: a symbolic link, not read",
        "left out pipe: a FIFO, not read",
        "left out null: a character device, not read",
    }
    assert {row["student"] for row in left_out} == {"ann"} and {row["status"] for row in left_out} == {"collected"}
    [link] = [row for key, row in rows.items() if key.startswith("link:")]
    assert link["student"] == "bob" and link["problem"] == "not a folder but a symbolic link: not collected"
    assert "left out secret.txt: a symbolic link, not read" in printed


def test_a_submission_made_in_a_classmates_name_is_not_collected(course, inbound):
    submission(inbound, "bob", BOB, now() - timedelta(seconds=30), {NOTEBOOK: "BOB'S OWN WORK"})
    blank = submission(inbound, "bob", ANN, now(), {NOTEBOOK: "blank"})  # ann's account: nbgrader submit --student bob
    planted = submission(inbound, "ann", ANN, now(), {NOTEBOOK: "ann's"})
    os.chown(planted / NOTEBOOK, BOB, BOB)  # a file of bob's account in ann's submission
    students, printed = collect(course, inbound)
    assert students == ["bob"]  # bob's own, older submission; ann's has a file that is not hers
    assert (submitted(course, "bob") / NOTEBOOK).read_text() == "BOB'S OWN WORK"
    assert not submitted(course, "ann").exists()
    problems = {(row["student"], row["source"], row["problem"]) for row in collect_rows(course)}
    assert problems == {
        ("bob", blank.name, "it belongs to the account uid 4242, not to uid 4243: not collected"),
        ("ann", blank.name, "ann's account made this submission in bob's name"),
        ("ann", planted.name, f"{NOTEBOOK} belongs to the account uid 4243, not to uid 4242: not collected"),
        ("bob", planted.name, "bob's account put files into this submission in ann's name"),
    }
    assert "ann's account made this submission in bob's name" in printed


def test_the_later_of_the_claim_and_the_exchanges_time_counts(course, inbound):
    forged = submission(inbound, "ann", ANN, datetime(2020, 1, 1))  # --Exchange.timestamp_format='2020-01-01 …'
    honest = submission(inbound, "bob", BOB, now())
    edited = submission(inbound, "bob", BOB, now() + timedelta(hours=1), timestamp="2020-01-01 00:00:00.000000 UTC")
    unreadable = submission(inbound, "cem", ANN, "yesterday\x1b[2J", timestamp="yesterday\x1b[2J")
    before = now()
    students, printed = collect(course, inbound, accounts={**ACCOUNTS, "cem": ANN})
    assert students == ["ann", "bob", "cem"]
    for student in students:  # the time that counts is the exchange's, not 2020 and not "yesterday"
        time = datetime.strptime((submitted(course, student) / "timestamp.txt").read_text(), "%Y-%m-%d %H:%M:%S.%f UTC")
        assert before - timedelta(minutes=1) < time < before + timedelta(hours=2), (student, time)
    problems = {}
    for row in collect_rows(course):
        problems.setdefault((row["student"], row["source"]), []).append(row["problem"])
    [forged_time] = problems[("ann", forged.name)]
    assert forged_time.startswith("claims 2020-01-01 00:00:00 UTC, but the exchange saw it change at")
    disagreeing, later = problems[("bob", edited.name)]
    assert disagreeing.startswith("its timestamp.txt says 2020-01-01 00:00:00 UTC, its name")
    assert later.endswith("the claim counts")  # a claim later than the exchange's own time only costs its maker
    unread, exchanges = problems[("cem", printable(unreadable.name))]  # the report shows the escape as text
    assert unread == "its time (yesterday\\x1b[2J) could not be read"
    assert exchanges.startswith("the time the exchange saw it, ") and exchanges.endswith(" counts")
    assert ("bob", honest.name) not in problems  # the claim counts when the exchange agrees; it is older: not taken
    assert "\x1b" not in printed


def test_a_forged_early_time_cannot_make_an_older_submission_the_newest(course, inbound):
    submission(inbound, "ann", ANN, now() - timedelta(seconds=30), {NOTEBOOK: "first"})
    submission(inbound, "ann", ANN, datetime(2020, 1, 1), {NOTEBOOK: "second, claiming 2020"})
    collect(course, inbound)
    assert (submitted(course, "ann") / NOTEBOOK).read_text() == "second, claiming 2020"


def test_update_semantics_as_nbgraders_collect(course, inbound):
    submission(inbound, "ann", ANN, now() - timedelta(seconds=30), {NOTEBOOK: "first"})
    assert collect(course, inbound)[0] == ["ann"]
    students, printed = collect(course, inbound)
    assert students == [] and f"No newer submission to collect: ann {ASSIGNMENT}" in printed
    submission(inbound, "ann", ANN, now(), {NOTEBOOK: "second"})
    students, printed = collect(course, inbound)
    assert students == ["ann"] and f"Updating submission: ann {ASSIGNMENT}" in printed
    assert (submitted(course, "ann") / NOTEBOOK).read_text() == "second"


def test_caps_leave_out_only_what_is_past_them(course, inbound):
    submission(
        inbound,
        "ann",
        ANN,
        now(),
        {
            "big.bin": bytes(200),
            "a.txt": "a" * 90,
            "b.txt": "b" * 90,
            "c/d/e.txt": "deep",
            "y.txt": "y" * 90,
            "z.txt": "z",
        },
    )
    # in order: the notebook, a.txt, b.txt, big.bin, c, c/d, timestamp.txt, y.txt, z.txt
    limits = InboundLimits(entries=8, file_bytes=100, submission_bytes=250, depth=1)
    printed = []
    exchange.collect(
        course, ASSIGNMENT, inbound.parent.parent, accounts=ACCOUNTS, limits=limits, progress=printed.append
    )
    copied = {path.relative_to(submitted(course, "ann")).as_posix() for path in submitted(course, "ann").rglob("*")}
    assert copied == {NOTEBOOK, "a.txt", "b.txt", "c", "timestamp.txt"}
    left_out = {row["problem"] for row in collect_rows(course)}
    assert left_out == {
        "left out big.bin: 200 bytes, more than 100",
        "left out c/d: folders deeper than 1",
        "left out y.txt: past 250 bytes in all",
        "left out z.txt and what follows: more than 8 entries",
    }


def test_hostile_ids_are_refused_and_never_stored(course, inbound, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a shell expansion would leave PWNED
    honest = submission(inbound, "ann", ANN, now())
    for student in HOSTILE_IDS:
        submission(inbound, student, ANN, now())
    students, printed = collect(course, inbound)
    assert students == ["ann"] and os.listdir(course / "submitted") == ["ann"]
    assert not list(tmp_path.rglob("PWNED")) and (course / "gradebook.db").read_text() == "the gradebook"
    assert "\x1b" not in printed and "\r" not in printed and "\u202e" not in printed
    rows = collect_rows(course)
    assert len(rows) == len(HOSTILE_IDS) and {row["status"] for row in rows} == {"not collected"}
    for row in rows:
        assert row["problem"].startswith("refused: the student id"), row
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())
        assert not any(char in value for value in row.values() for char in "\r\n\x1b\u202e")
    assert honest.is_dir()


def test_the_class_report_lists_what_collect_found(course, inbound):
    submission(inbound, "bob", ANN, now())
    submission(inbound, HOSTILE_IDS[0], ANN, now())
    collect(course, inbound)
    collect(course, inbound)  # a second collection adds no duplicate
    rows = report.flagged(course)
    assert {(row["student"], row["status"]) for row in rows} == {
        ("bob", "not collected"),
        ("ann", "not collected"),
        ("'" + HOSTILE_IDS[0], "not collected"),
    }
    for row in rows:
        [problem] = json.loads(row["problems"])
        assert row["assignment"] == ASSIGNMENT and problem.startswith("collect: ")


def refuse_course_folder(root: Path):
    os.chown(root / COURSE_ID, BOB, BOB)  # a course folder of someone else's


def link_course_folder(root: Path):
    os.rename(root / COURSE_ID, root / "moved")
    (root / COURSE_ID).symlink_to(root / "moved")


def writable_course_folder(root: Path):
    (root / COURSE_ID).chmod(0o777)


@pytest.mark.parametrize(
    "change, message",
    [
        (refuse_course_folder, "belongs to uid 4243, not to you (root): someone else made or replaced the course's"),
        (link_course_folder, "is a symbolic link, not the course's folder"),
        (writable_course_folder, "is writable by others (mode 777): run chmod go-w"),
        (lambda root: (os.chown(root, BOB, BOB), root.chmod(0o777)), "writable by others without the sticky bit"),
    ],
    ids=["not the instructor's", "a link", "writable by others", "root of someone else's without sticky bit"],
)
def test_a_course_folder_that_is_not_the_instructors_is_refused_in_one_line(course, inbound, capsys, change, message):
    submission(inbound, "ann", ANN, now())
    change(inbound.parent.parent)
    with pytest.raises(SystemExit) as exit_status:
        main(["collect", ASSIGNMENT, "--course", str(course), "--exchange", str(inbound.parent.parent)])
    error = capsys.readouterr().err
    assert exit_status.value.code == 1 and message in error, error
    assert error.count("\n") == 1 and error.startswith("gpt-course: ")
    assert not (course / "submitted").exists()


def test_an_exchange_root_of_the_instructors_gets_the_sticky_bit(course, inbound):
    root = inbound.parent.parent
    root.chmod(0o777)
    inbound.chmod(0o2733)
    submission(inbound, "ann", ANN, now())
    students, printed = collect(course, inbound)
    assert students == ["ann"] and f"made the exchange {root} sticky (1777)" in printed
    assert stat.S_IMODE(root.stat().st_mode) == 0o1777 and stat.S_IMODE(inbound.stat().st_mode) == 0o3733


def test_accounts_file(tmp_path):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("student,account\n# LMS ids\nann.lee@uni.example,root\nbob_4711,4243\n")
    assert exchange.read_accounts(accounts) == {"ann.lee@uni.example": 0, "bob_4711": 4243}
    for bad, message in [
        ("=cmd,root\n", "accounts.csv, line 1: the student id '=cmd' holds more than ASCII letters"),
        ("ann,no-such-account-here\n", "accounts.csv, line 1: no account named no-such-account-here"),
        ("ann\n", "accounts.csv, line 1: expected student,account"),
    ]:
        accounts.write_text(bad)
        with pytest.raises(BadArgument, match=re.escape(message)):
            exchange.read_accounts(accounts)


def test_a_course_id_outside_the_strict_set_is_refused(course):
    with pytest.raises(BadArgument, match=re.escape("the course id '../x' holds more than")):
        exchange.course_id(course, "../x")


@pytest.mark.parametrize("swap", ["appended to", "replaced by a link", "unreadable"])
def test_a_file_changed_between_the_look_and_the_copy_is_not_collected(course, inbound, tmp_path, monkeypatch, swap):
    secret = tmp_path / "secret.txt"
    secret.write_text("ROOT-ONLY SECRET")
    folder = submission(inbound, "ann", ANN, now(), {"data/words.txt": "ann's words"})
    survey = inbound_module.survey

    def survey_then_swap(*args, **kwargs):
        found = survey(*args, **kwargs)
        words = folder / "data" / "words.txt"
        if swap == "appended to":
            with open(words, "a") as file:
                file.write(" and more")
        elif swap == "replaced by a link":
            words.unlink()
            words.symlink_to(secret)
        else:
            words.chmod(0)
        return found

    monkeypatch.setattr(inbound_module, "survey", survey_then_swap)
    if swap == "unreadable":  # root reads any file: only another instructor account is refused
        monkeypatch.setattr(inbound_module.os, "open", _refusing_mode_zero(os.open))
    students, _ = collect(course, inbound)
    assert students == [] and not submitted(course, "ann").exists()
    assert not list(submitted(course, "ann").parent.glob(".gpt-course-collect-*"))
    [row] = collect_rows(course)
    expected = {
        "appended to": "data/words.txt changed while being collected: not collected; collect again",
        "replaced by a link": "data/words.txt could not be opened (Too many levels of symbolic links): not collected",
        "unreadable": "data/words.txt could not be read (Permission denied): not collected",
    }[swap]
    assert row["problem"].startswith(expected), row["problem"]


def _refusing_mode_zero(real_open):
    """os.open as an account without root's override sees a file of mode 000."""

    def opened(path, flags, *args, dir_fd=None, **kwargs):
        status = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISREG(status.st_mode) and not stat.S_IMODE(status.st_mode):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, dir_fd=dir_fd, **kwargs)

    return opened
