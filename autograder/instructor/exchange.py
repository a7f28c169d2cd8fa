"""Hand an assignment out and take submissions in through nbgrader's exchange directory, as the instructor's own.

The exchange is a directory on the local file system (nbgrader's ``Exchange.root``) that every student may add to.
``release`` puts the student version of an assignment into ``<exchange>/<course id>/outbound``; students run
``nbgrader fetch_assignment`` and ``nbgrader submit`` against it, which leaves each submission in ``inbound`` under the
student's own account; ``collect`` copies each student's newest submission into the course's ``submitted/``.

Nothing a student puts there acts as the instructor:

- The exchange root is made sticky (``1777``): anyone may add an entry, only its owner may rename or remove it, so
  no student can move the course's folder aside and put her own in its place. A root that others may write without
  the sticky bit gets it when it is the instructor's, and is refused otherwise. The course's folder (and its
  ``outbound``) must be the instructor's (or root's) and writable by nobody else; ``inbound`` is the instructor's,
  ``-wx`` for everyone as nbgrader needs, and sticky too. ``release`` and ``collect`` refuse anything else in one line.
- ``collect`` does not run nbgrader's collect, which copies with ``shutil.copytree`` as the instructor and follows
  links. It reads each submission through :mod:`autograder.instructor.inbound`: regular files only, never a link, a
  FIFO or a device, under caps; a submission is taken only when it and everything in it belongs to the account of
  the student it names (the account of that name, or the one ``accounts`` maps the id to), so a submission made in
  a classmate's name (``nbgrader submit --student <classmate>``) is not collected. The time that counts is the later
  of the student's claim and the time the exchange saw the submission change (see ``inbound``); it picks the newest
  submission and is written to ``timestamp.txt``, which nbgrader's late penalty reads.
- Student ids (from folder names) are checked by :mod:`autograder.instructor.student_ids` before anything is stored.

Every problem is a line on the terminal and a row of ``reports/<assignment>-collect.csv`` (`gpt-course report` puts
them into ``flagged.csv``). The folder names, the newest-submission rule and ``--update`` behave as nbgrader's collect.
"""

import contextlib
import csv
import os
import pwd
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from nbgrader.api import MissingEntry
from traitlets.config.loader import PyFileConfigLoader

from autograder.grading.in_instructor.notebook_repair import notebook_problem, unreadable_notebooks
from autograder.grading.untrusted_text import printable
from autograder.instructor import collect_problems, inbound
from autograder.instructor.collect_problems import COLLECTED, NOT_COLLECTED, CollectProblem
from autograder.instructor.course_layout import CourseLayout
from autograder.instructor.errors import BadArgument, CourseError
from autograder.instructor.gradebook import gradebook_exists, gradebook_url, open_gradebook, shown
from autograder.instructor.inbound import InboundLimits, account_name
from autograder.instructor.nbgrader_process import run_nbgrader
from autograder.instructor.student_ids import checked_id, id_problem, is_student_id

SUBMISSION_MESSAGES = ("Collecting submission: ", "Updating submission: ", "No newer submission to collect: ")
ROOT_MODE = 0o1777  # a new exchange: anyone may add an entry, only its owner may rename or remove it
OLDER = "older"  # the status of a submission that a newer one of the same student replaces


def course_id(course: Path, override: str | None = None) -> str:
    """The course id: ``override``, else ``c.CourseDirectory.course_id`` from the course's nbgrader_config.py."""
    configured = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    identifier = override or configured.get("CourseDirectory", {}).get("course_id", "")
    if not identifier:
        raise BadArgument(
            f"no course id: set c.CourseDirectory.course_id in {course / 'nbgrader_config.py'} or pass --course-id"
        )
    if problem := id_problem(identifier, "course id"):
        raise BadArgument(problem)
    return identifier


def read_accounts(path: Path) -> dict[str, int]:
    """The student id → account table of a CSV file of ``student,account`` rows (an account by name or uid number;
    a header row ``student,account`` and lines starting with ``#`` are skipped); BadArgument on a bad row."""
    if not path.is_file():
        raise BadArgument(f"no accounts file {path}")
    accounts = {}
    with open(path, newline="", encoding="utf-8", errors="replace") as file:
        for number, row in enumerate(csv.reader(file), 1):
            if not row or row[0].startswith("#") or (number == 1 and row[:2] == ["student", "account"]):
                continue
            if len(row) != 2:
                raise BadArgument(f"{path}, line {number}: expected student,account")
            student = checked_id(row[0].strip(), f"{path}, line {number}")
            accounts[student] = _uid(row[1].strip(), f"{path}, line {number}")
    return accounts


def release(
    course: Path,
    assignment: str,
    exchange: Path,
    *,
    course_id_override: str | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Path:
    """Generate the student version unless the gradebook has it, then release it to ``exchange``.

    A missing exchange directory is created sticky and writable for everyone (1777). Returns the released directory.
    """
    identifier = course_id(course, course_id_override)
    if not _generated(course, assignment):
        for notebook in sorted(CourseLayout(course).source(assignment).glob("*.ipynb")):
            if problem := notebook_problem(notebook):
                raise CourseError(f"{problem} in {notebook.parent}")
        progress(f"generating the student version of {assignment} (nbgrader generate_assignment)")
        run_nbgrader(course, "generate_assignment", assignment, "--force")
        progress(
            f"wrote {CourseLayout(course).release(assignment)} and recorded {assignment} in {shown(gradebook_url(course))}"
        )
    if not exchange.is_dir():
        exchange.mkdir(parents=True)
        os.chmod(exchange, ROOT_MODE)  # students submit into it under their own accounts
        progress(f"created the exchange directory {exchange} (1777: anyone adds, only an entry's owner moves it)")
    groupshared = CourseLayout(course).directories.groupshared
    _secure_root(exchange, progress)
    _check_course_folder(exchange / identifier, groupshared)
    run_nbgrader(course, "release_assignment", assignment, "--force", *_options(exchange, identifier))
    _secure_root(exchange, progress)  # nbgrader sets a root it owns, not 0777, to 0777: without the sticky bit
    _check_course_folder(exchange / identifier, groupshared)
    _seal_inbound(exchange / identifier / "inbound", progress)
    released = exchange / identifier / "outbound" / assignment
    progress(
        f"released {assignment} to {released}; students run: nbgrader fetch_assignment {assignment} "
        f"--course {identifier} --Exchange.root={exchange.resolve()}"
    )
    return released


def collect(
    course: Path,
    assignment: str,
    exchange: Path,
    *,
    course_id_override: str | None = None,
    accounts: Mapping[str, int] | None = None,
    limits: InboundLimits | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> list[str]:
    """Copy each student's newest submission from ``exchange`` into ``submitted/``; return who was collected.

    ``accounts`` maps student ids to the uid their submissions must belong to; an id it does not name must be the
    name of the account. Problems are printed and recorded in ``reports/<assignment>-collect.csv``."""
    identifier = course_id(course, course_id_override)
    if not exchange.is_dir():
        raise BadArgument(f"no exchange directory {exchange}: release an assignment to it first")
    layout, limits = CourseLayout(course), limits or InboundLimits()
    accounts = dict(accounts or {})
    problems: list[CollectProblem] = []

    def note(student: str, status: str, source: str, problem: str) -> None:
        problems.append(CollectProblem(student, status, source, problem))
        progress(f"{printable(student or '-', 100)}: {printable(source, 160)}: {printable(problem, 400)}")

    _secure_root(exchange, progress)
    with contextlib.ExitStack() as stack:
        folder = _open_inbound(exchange, identifier, layout.directories.groupshared, stack, progress)
        submissions = _survey(folder, assignment, accounts, limits, layout.directories.ignore, note)
        _warn_shared_accounts(submissions, accounts, progress)
        collected = []
        for student, found in sorted(submissions.items()):
            found.sort(key=lambda submission: (submission.counted, submission.name))
            newest = found[-1]
            for submission in found:
                status = COLLECTED if submission is newest else OLDER
                for skipped in submission.skipped:
                    note(student, status, submission.name, f"left out {skipped}")
                for time_note in submission.notes:
                    note(student, status, submission.name, time_note)
            taken, problem = _take(folder, newest, layout.submitted(student, assignment), assignment, limits, progress)
            if problem:
                note(student, NOT_COLLECTED, newest.name, problem)
            if taken:
                collected.append(student)
    for student in collected:
        for problem in unreadable_notebooks(layout.submitted(student, assignment)):
            progress(f"{student}: {problem}; autograde will report it")
    if problems and (report := collect_problems.record(course, assignment, problems)):
        progress(f"{len(problems)} collection problems recorded in {report} (gpt-course report lists them)")
    return collected


def _survey(
    folder: int, assignment: str, accounts: dict[str, int], limits: InboundLimits, ignore: list[str], note
) -> dict[str, list[inbound.Submission]]:
    """Each student's acceptable submissions of ``assignment`` in the inbound folder; the others are noted."""
    submissions = {}
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries)
    for name in names:
        parsed = inbound.submission_name(name)
        if parsed is None or parsed[1] != assignment:
            continue  # another assignment's, or not nbgrader's
        student = parsed[0]
        if problem := id_problem(student):
            note(student, NOT_COLLECTED, name, f"refused: {problem}")
            continue
        account = accounts.get(student, _account_of(student))
        if account is None:
            note(student, NOT_COLLECTED, name, f"no account named {student} here (map ids to accounts with --accounts)")
            continue
        submission = inbound.survey(folder, name, student, account, limits, ignore)
        if submission.refusal:
            note(student, NOT_COLLECTED, name, f"{submission.refusal}: not collected")
            if submission.foreign_owner is not None:
                for maker in _students_of(submission.foreign_owner, accounts):
                    if maker != student:
                        what = "put files into" if submission.foreign_inside else "made"
                        note(
                            maker, NOT_COLLECTED, name, f"{maker}'s account {what} this submission in {student}'s name"
                        )
            continue
        submissions.setdefault(student, []).append(submission)
    return submissions


def _take(
    folder: int, submission: inbound.Submission, target: Path, assignment: str, limits: InboundLimits, progress
) -> tuple[bool, str | None]:
    """Copy ``submission`` to ``target`` unless what is there is as new (nbgrader's ``--update``): whether it was
    copied, and why it could not be."""
    student, counted = submission.student, submission.counted
    existing = inbound.existing_time(target)
    if target.is_dir() and existing is not None and counted <= existing:
        progress(f"No newer submission to collect: {student} {assignment}")
        return False, None
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".gpt-course-collect-", dir=target.parent))
    try:
        inbound.copy(folder, submission, staging / "copy", limits)
        (staging / "copy" / inbound.TIMESTAMP).write_text(counted.strftime(inbound.TIME_FORMAT))
        updating = target.is_dir()
        if updating:
            shutil.rmtree(target)
        os.rename(staging / "copy", target)
    except inbound.Unreadable as unreadable:
        return False, f"{unreadable}: not collected"
    except inbound.Changed as changed:
        return False, f"{changed}: not collected; collect again"
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    what = "Updating submission" if updating else "Collecting submission"
    progress(f"{what}: {student} {assignment} (time that counts: {inbound.stamp(counted)})")
    return True, None


def _secure_root(exchange: Path, progress: Callable[[str], None]) -> None:
    """The exchange root has the sticky bit when anyone but its owner may write to it: given when it is ours."""
    status = exchange.stat()
    mode = stat.S_IMODE(status.st_mode)
    if not mode & 0o022 or mode & stat.S_ISVTX:
        return
    if status.st_uid != os.geteuid():
        raise CourseError(
            f"the exchange {exchange} is writable by others without the sticky bit and belongs to "
            f"{account_name(status.st_uid)}, not to you: a student could replace the course's folder in it "
            f"(its owner must run chmod +t {exchange})"
        )
    os.chmod(exchange, mode | stat.S_ISVTX)
    progress(f"made the exchange {exchange} sticky ({mode | stat.S_ISVTX:o}): only an entry's owner may move it")


def _folder_problem(status: os.stat_result, path: Path, not_writable: int) -> str | None:
    """Why a folder of the exchange's course cannot be trusted as the instructor's (of ``not_writable``, the mode bits
    of writing by others that it must not have); None when it can."""
    me = os.geteuid()
    if not stat.S_ISDIR(status.st_mode):
        return (
            f"{path} is {inbound.type_name(status.st_mode)}, not the course's folder: move it aside and release again"
        )
    if status.st_uid not in (me, 0):
        return (
            f"{path} belongs to {account_name(status.st_uid)}, not to you ({account_name(me)}): someone else made or "
            f"replaced the course's folder; move it aside and release again"
        )
    if status.st_mode & not_writable:
        return f"{path} is writable by others (mode {stat.S_IMODE(status.st_mode):o}): run chmod go-w {path}"
    return None


def _not_writable(name: str, groupshared: bool) -> int:
    """Who must not write to the course's folder or ``outbound``: the group may where nbgrader shares it; ``inbound``
    is written by everyone (``-wx``), by nbgrader's design."""
    return 0 if name == "inbound" else 0o002 if groupshared else 0o022


def _check_course_folder(course_folder: Path, groupshared: bool) -> None:
    """The course's folder in the exchange, and its outbound and inbound, are the instructor's, when they exist."""
    for path in (course_folder, course_folder / "outbound", course_folder / "inbound"):
        try:
            status = path.lstat()
        except FileNotFoundError:
            continue
        if problem := _folder_problem(status, path, _not_writable(path.name, groupshared)):
            raise CourseError(problem)


def _seal_inbound(path: Path, progress: Callable[[str], None]) -> None:
    """The sticky bit on the inbound folder, which everyone may write: no student removes or renames another's."""
    mode = stat.S_IMODE(path.lstat().st_mode)
    if mode & 0o002 and not mode & stat.S_ISVTX:
        try:
            os.chmod(path, mode | stat.S_ISVTX, follow_symlinks=False)
        except PermissionError:
            progress(f"could not make {path} sticky: classmates may rename each other's submissions there")


def _open_inbound(exchange: Path, identifier: str, groupshared: bool, stack, progress) -> int:
    """A descriptor of the course's inbound folder, reached without following links, each folder checked."""
    root = os.open(exchange, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    stack.callback(os.close, root)
    course_folder = exchange / identifier
    handle = root
    for name, path in ((identifier, course_folder), ("inbound", course_folder / "inbound")):
        try:
            handle = os.open(name, inbound.FOLDER_FLAGS, dir_fd=handle)
        except FileNotFoundError:
            raise BadArgument(f"no {path} in the exchange: release an assignment to it first") from None
        except OSError as error:
            try:
                problem = _folder_problem(os.stat(name, dir_fd=handle, follow_symlinks=False), path, 0)
            except OSError:
                problem = None
            raise CourseError(problem or f"{path} cannot be read ({error.strerror})") from None
        stack.callback(os.close, handle)
        status = os.fstat(handle)
        if problem := _folder_problem(status, path, _not_writable(name, groupshared)):
            raise CourseError(problem)
    mode = stat.S_IMODE(status.st_mode)
    if mode & 0o002 and not mode & stat.S_ISVTX:
        try:
            os.fchmod(handle, mode | stat.S_ISVTX)
        except PermissionError:
            progress(f"could not make {course_folder / 'inbound'} sticky: classmates may rename each other's work")
    return handle


def _warn_shared_accounts(submissions: dict, accounts: dict[str, int], progress) -> None:
    sharing = {}
    for student in submissions:
        sharing.setdefault(accounts.get(student, _account_of(student)), []).append(student)
    for account, students in sorted(sharing.items()):
        if len(students) > 1:
            progress(
                f"{', '.join(students)} submit under one account, {account_name(account)}: "
                "the exchange cannot tell which of them made a submission"
            )


def _account_of(student: str) -> int | None:
    try:
        return pwd.getpwnam(student).pw_uid
    except KeyError:
        return None


def _students_of(uid: int, accounts: dict[str, int]) -> list[str]:
    """The student ids whose submissions belong to the account ``uid``."""
    mapped = sorted(student for student, account in accounts.items() if account == uid)
    name = account_name(uid)
    return mapped or ([name] if is_student_id(name) and name not in accounts else [])


def _uid(account: str, where: str) -> int:
    if account.isdigit():
        return int(account)
    try:
        return pwd.getpwnam(account).pw_uid
    except KeyError:
        raise BadArgument(f"{where}: no account named {printable(account, 60)} on this machine") from None


def _generated(course: Path, assignment: str) -> bool:
    """Whether the assignment has a student version and is known to the gradebook."""
    if not CourseLayout(course).release(assignment).is_dir() or not gradebook_exists(course):
        return False
    with open_gradebook(course) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            return False
    return True


def _options(exchange: Path, identifier: str) -> list[str]:
    return [f"--Exchange.root={exchange.resolve()}", f"--CourseDirectory.course_id={identifier}"]
