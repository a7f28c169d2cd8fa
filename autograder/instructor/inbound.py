"""Students' submissions read out of the exchange's inbound folder as plain files, by the instructor, safely.

nbgrader's ``submit`` leaves each submission in ``<exchange>/<course>/inbound/<student>+<assignment>+<time>[+<random>]``
under the student's own account; everyone may add a folder there (the inbound folder is ``-wx`` for all). So what is
in a folder is the work of whoever made it, and the instructor, who reads it, must not act on it: a symbolic link
would make the instructor's copy read the gradebook, a root-only file or a classmate's submission; a FIFO would hang
the collection; a folder named after a classmate would replace their work.

:func:`survey` looks at one submission folder without opening anything but folders and ``timestamp.txt``: every
entry is seen with ``lstat`` through folder descriptors opened with ``O_NOFOLLOW`` (a link is never followed, however
it is swapped in). The submission is refused when the folder or anything in it belongs to another account than the
student's; links, FIFOs, sockets and devices are left out and reported; caps on files, bytes and depth hold. It also
tells the time that counts (:attr:`Submission.counted`): the time the student's side claims (the folder's name and
``timestamp.txt``, both the student's to write) and the time the instructor's file system saw the submission last
change (the newest inode change time, ``ctime``, of the folder and everything in it, which no account but root can set
back). Within :attr:`InboundLimits.grace` of each other the claim counts; further apart the later counts, and the
disagreement is noted. :func:`copy` then copies the survey's regular files, reopening each through the same
descriptors and checking it is still the file surveyed (same inode, owner and change time), so nothing changed in
between gets in.
"""

import contextlib
import fnmatch
import os
import pwd
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nbgrader.utils import parse_utc

from autograder.grading.untrusted_text import printable

TIMESTAMP = "timestamp.txt"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's default timestamp format, in UTC, as parse_utc reads it
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO swapped in for a file cannot block the open; O_NOCTTY: a terminal cannot become ours
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
CHUNK = 1 << 20


@dataclass(frozen=True)
class InboundLimits:
    entries: int = 1_000  # files and folders looked at in one submission; the course's need a handful
    file_bytes: int = 64 << 20  # as for an LMS zip's entry
    submission_bytes: int = 256 << 20
    depth: int = 8  # folders inside folders
    timestamp_bytes: int = 1_000  # a longer timestamp.txt is not read
    grace: timedelta = timedelta(minutes=1)  # claim and file system within this of each other: the claim counts


@dataclass(frozen=True)
class Entry:
    path: tuple[str, ...]  # the names from the submission folder down
    device: int
    inode: int
    ctime_ns: int


@dataclass
class Submission:
    name: str  # the folder's name in the inbound folder
    student: str
    account: int  # the uid its files must belong to
    claimed: datetime | None = None  # naive UTC, as nbgrader keeps times
    changed: datetime | None = None  # the file system's: the newest change of the folder or anything in it
    files: list[Entry] = field(default_factory=list)
    folders: list[Entry] = field(default_factory=list)  # the submission folder first
    skipped: list[str] = field(default_factory=list)  # what was left out; the rest is collected
    notes: list[str] = field(default_factory=list)  # times that disagree
    refusal: str | None = None  # why the submission is not collected at all
    foreign_owner: int | None = None  # the account that owns it, or something in it, when that is not ``account``
    foreign_inside: bool = False  # whether that account owns something inside, not the folder itself
    bytes: int = 0
    looked_at: int = 0  # entries seen, the folders in it included
    grace: timedelta = InboundLimits.grace

    @property
    def counted(self) -> datetime:
        """The time that counts for lateness and for which submission is the newest."""
        if self.claimed is None:
            return self.changed
        return self.changed if self.changed - self.claimed > self.grace else self.claimed


class Changed(Exception):
    """The submission changed between the survey and the copy: collecting again may take it."""


class Unreadable(Changed):
    """Something of the submission cannot be read by the instructor (its owner took the permission away)."""


def account_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def submission_name(name: str) -> tuple[str, str, str] | None:
    """(student, assignment, time) of an inbound folder's name, split as nbgrader's collect splits it; None when
    it is not ``<student>+<assignment>+<time>[+<random>]``."""
    parts = name.rsplit("+", 3)
    return (parts[0], parts[1], parts[2]) if len(parts) >= 3 else None


def survey(inbound: int, name: str, student: str, account: int, limits: InboundLimits, ignore: list[str]) -> Submission:
    """Look at the submission folder ``name`` in the inbound folder (descriptor ``inbound``) of ``student``, whose
    files must belong to the uid ``account``."""
    submission = Submission(name, student, account, grace=limits.grace)
    try:
        folder = os.open(name, FOLDER_FLAGS, dir_fd=inbound)
    except OSError as error:
        what = _kind(inbound, name)
        submission.refusal = f"not a folder but {what}" if what != "a folder" else f"unreadable ({error.strerror})"
        return submission
    newest = 0
    try:
        status = os.fstat(folder)
        if status.st_uid != account:
            submission.refusal, submission.foreign_owner = _not_theirs("it", status.st_uid, account), status.st_uid
            return submission
        submission.folders.append(Entry((), status.st_dev, status.st_ino, status.st_ctime_ns))
        newest = status.st_ctime_ns
        newest = max(newest, _walk(folder, (), submission, limits, ignore))
        if submission.refusal is None:
            submission.claimed = _claimed(folder, name, submission, limits)
    finally:
        os.close(folder)
    submission.changed = _utc(newest)
    if submission.refusal is None:
        _compare_times(submission, limits)
    return submission


def copy(inbound: int, submission: Submission, target: Path, limits: InboundLimits) -> None:
    """Copy the surveyed files of ``submission`` into the new folder ``target``; Changed when any of them, or a
    folder of it, is no longer what the survey saw."""
    target.mkdir()
    for folder in submission.folders[1:]:
        (target / Path(*folder.path)).mkdir()
    written = 0
    for entry in submission.files:
        with _opened(inbound, submission, entry.path[:-1]) as parent:
            written += _copy_file(parent, entry, submission.account, target / Path(*entry.path), limits)
            if written > limits.submission_bytes:
                raise Changed(f"grew past {limits.submission_bytes:,} bytes while being collected")
    for entry in submission.folders:
        with _opened(inbound, submission, entry.path) as folder:
            if _identity(os.fstat(folder)) != _identity_of(entry):
                raise Changed(f"{_shown(entry.path) or 'the folder'} changed while being collected")


def _walk(folder: int, path: tuple[str, ...], submission: Submission, limits: InboundLimits, ignore) -> int:
    """Record what is in ``folder`` (at ``path``); the newest change time seen, in nanoseconds."""
    newest = 0
    with os.scandir(folder) as entries:
        listed = sorted(entries, key=lambda entry: entry.name)
    for entry in listed:
        if submission.refusal is not None:
            break
        where = (*path, entry.name)
        if submission.looked_at >= limits.entries:
            submission.skipped.append(f"{_shown(where)} and what follows: more than {limits.entries:,} entries")
            break
        submission.looked_at += 1
        try:
            status = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # gone since listed
        if status.st_uid != submission.account:
            submission.refusal = _not_theirs(_shown(where), status.st_uid, submission.account)
            submission.foreign_owner, submission.foreign_inside = status.st_uid, True
            break
        if any(fnmatch.fnmatch(entry.name, pattern) for pattern in ignore):
            continue  # nbgrader's CourseDirectory.ignore: checkpoints, caches
        newest = max(newest, status.st_ctime_ns)
        recorded = Entry(where, status.st_dev, status.st_ino, status.st_ctime_ns)
        if stat.S_ISDIR(status.st_mode):
            if len(where) > limits.depth:
                submission.skipped.append(f"{_shown(where)}: folders deeper than {limits.depth}")
                continue
            try:
                inner = os.open(entry.name, FOLDER_FLAGS, dir_fd=folder)
            except OSError:
                submission.skipped.append(f"{_shown(where)}: a folder that could not be opened")
                continue
            try:
                if _identity(os.fstat(inner)) != _identity_of(recorded):
                    submission.refusal = f"{_shown(where)} changed while being looked at"
                    break
                submission.folders.append(recorded)
                newest = max(newest, _walk(inner, where, submission, limits, ignore))
            finally:
                os.close(inner)
        elif stat.S_ISREG(status.st_mode):
            if path == () and entry.name == TIMESTAMP:
                continue  # the student's claim: read by _claimed, replaced by the time that counts
            if status.st_size > limits.file_bytes:
                submission.skipped.append(f"{_shown(where)}: {status.st_size:,} bytes, more than {limits.file_bytes:,}")
            elif submission.bytes + status.st_size > limits.submission_bytes:
                submission.skipped.append(f"{_shown(where)}: past {limits.submission_bytes:,} bytes in all")
            else:
                submission.bytes += status.st_size
                submission.files.append(recorded)
        else:
            submission.skipped.append(f"{_shown(where)}: {type_name(status.st_mode)}, not read")
    return newest


def _claimed(folder: int, name: str, submission: Submission, limits: InboundLimits) -> datetime | None:
    """The time the student's side claims: the later of the folder's name and its timestamp.txt."""
    in_name = _time(submission_name(name)[2])
    written, text = None, None
    try:
        handle = os.open(TIMESTAMP, FILE_FLAGS, dir_fd=folder)
    except OSError:
        handle = None
    if handle is not None:
        try:
            status = os.fstat(handle)
            if stat.S_ISREG(status.st_mode) and status.st_uid == submission.account:
                text = os.read(handle, limits.timestamp_bytes + 1).decode("utf-8", "replace").strip()
                written = _time(text) if len(text) <= limits.timestamp_bytes else None
        finally:
            os.close(handle)
    if in_name and written and abs(in_name - written) > limits.grace:
        submission.notes.append(
            f"its {TIMESTAMP} says {stamp(written)}, its name {stamp(in_name)}: the later is its claim"
        )
    if in_name is None and written is None:
        submission.notes.append(f"its time ({printable(text or submission_name(name)[2], 80)}) could not be read")
    claims = [time for time in (in_name, written) if time is not None]
    return max(claims) if claims else None


def _compare_times(submission: Submission, limits: InboundLimits) -> None:
    claimed, changed = submission.claimed, submission.changed
    if claimed is None:
        submission.notes.append(f"the time the exchange saw it, {stamp(changed)}, counts")
    elif changed - claimed > limits.grace:
        submission.notes.append(
            f"claims {stamp(claimed)}, but the exchange saw it change at {stamp(changed)}: {stamp(changed)} counts"
        )
    elif claimed - changed > limits.grace:
        submission.notes.append(
            f"claims {stamp(claimed)}, later than the exchange saw it change ({stamp(changed)}): the claim counts"
        )


def _copy_file(parent: int, entry: Entry, account: int, target: Path, limits: InboundLimits) -> int:
    try:
        handle = os.open(entry.path[-1], FILE_FLAGS, dir_fd=parent)
    except PermissionError as error:
        raise Unreadable(f"{_shown(entry.path)} could not be read ({error.strerror})") from None
    except OSError as error:
        raise Changed(f"{_shown(entry.path)} could not be opened ({error.strerror})") from None
    try:
        before = os.fstat(handle)
        if not stat.S_ISREG(before.st_mode) or before.st_uid != account or _identity(before) != _identity_of(entry):
            raise Changed(f"{_shown(entry.path)} changed while being collected")
        size = 0
        with open(target, "xb") as copy:
            while chunk := os.read(handle, CHUNK):
                size += len(chunk)
                if size > limits.file_bytes:
                    raise Changed(f"{_shown(entry.path)} grew past {limits.file_bytes:,} bytes while being collected")
                copy.write(chunk)
        if _identity(os.fstat(handle)) != _identity_of(entry):
            raise Changed(f"{_shown(entry.path)} changed while being collected")
        return size
    finally:
        os.close(handle)


@contextlib.contextmanager
def _opened(inbound: int, submission: Submission, path: tuple[str, ...]) -> Iterator[int]:
    """A descriptor of the folder ``path`` of the submission, reached one name at a time without following links."""
    handles = []
    try:
        handles.append(os.open(submission.name, FOLDER_FLAGS, dir_fd=inbound))
        for name in path:
            handles.append(os.open(name, FOLDER_FLAGS, dir_fd=handles[-1]))
        yield handles[-1]
    except PermissionError as error:
        raise Unreadable(f"{_shown(path) or 'the folder'} could not be read ({error.strerror})") from None
    except OSError as error:
        raise Changed(f"{_shown(path) or 'the folder'} could not be opened ({error.strerror})") from None
    finally:
        for handle in handles:
            os.close(handle)


def _identity(status: os.stat_result) -> tuple[int, int, int]:
    return status.st_dev, status.st_ino, status.st_ctime_ns


def _identity_of(entry: Entry) -> tuple[int, int, int]:
    return entry.device, entry.inode, entry.ctime_ns


def _not_theirs(what: str, owner: int, account: int) -> str:
    return f"{what} belongs to the account {account_name(owner)}, not to {account_name(account)}"


def _kind(folder: int, name: str) -> str:
    try:
        return type_name(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return "gone"


def type_name(mode: int) -> str:
    for test, what in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISREG, "a file"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return what
    return "not a file"


def _shown(path: tuple[str, ...]) -> str:
    return printable("/".join(path), 200)


def existing_time(submitted: Path) -> datetime | None:
    """The time of a submission already in the course's ``submitted/`` folder (its timestamp.txt), if readable."""
    try:
        return _time((submitted / TIMESTAMP).read_text(errors="replace").strip())
    except OSError:
        return None


def _time(text: str) -> datetime | None:
    """A time the student's side wrote, as nbgrader reads it (naive UTC); None when it cannot be read."""
    if not text or len(text) > 100:
        return None
    try:
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None


def _utc(nanoseconds: int) -> datetime:
    return datetime.fromtimestamp(nanoseconds / 1e9, UTC).replace(tzinfo=None)


def stamp(time: datetime) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC")
