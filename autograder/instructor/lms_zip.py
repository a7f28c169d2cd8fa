"""Take submissions in from a zip file downloaded from a learning management system.

The LMS names what each student handed in: Moodle puts ``<student>_<participant>_assignsubmission_file_``
in front of every file (or names a folder so, in its folder layout), e.g.
``ann_4711_assignsubmission_file_03_attention.ipynb``. So a notebook is collected when its path, after
any leading folders that wrap the download (without an underscore, like ``week3/``, or named after the
assignment), starts with
``<student>_`` and its file name is ``<NN_name>.ipynb`` or ends in ``_<NN_name>.ipynb``. The student
id is that first field: never a folder the student made inside their submission, nor a later field
of the name (ann's upload ``bob_03_attention.ipynb`` becomes ``ann_4711_..._bob_03_attention.ipynb``
and is ann's).

One student cannot spoil the collection of the others: an entry with an unsafe name (absolute, ``..``,
a drive), a symbolic link, an encrypted, damaged or unreadable entry, a nested archive (never
extracted), an entry that declares or holds more than ``ZipLimits.entry_bytes`` or compresses more
than ``ZipLimits.ratio`` times, the entries past ``ZipLimits.entries`` and whatever would take the
extracted total past ``ZipLimits.total_bytes`` are skipped, each with one line that says why. A student id
outside :mod:`autograder.instructor.student_ids`' character set (markup, a formula, a carriage return, a terminal
escape) is refused before anything is stored. Skipped and refused entries are recorded in
``reports/<assignment>-collect.csv`` for the class report (all but files that are not notebooks). Of
two entries for the same student and notebook, the newer (by the zip's date), else the later in the
zip, is collected and the other reported. The safe entries are extracted here, under the caps, into
a directory of plain files ``<student>_<NN_name>.ipynb`` that nbgrader's ``zip_collect`` then files
under ``submitted/<student>/<NN_name>/``; the downloaded zip itself never reaches nbgrader.
"""

import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.in_instructor.notebook_repair import unreadable_notebooks
from autograder.grading.untrusted_text import printable
from autograder.instructor import collect_problems
from autograder.instructor.collect_problems import NOT_COLLECTED, CollectProblem
from autograder.instructor.course_layout import CourseLayout
from autograder.instructor.errors import BadArgument, CourseError
from autograder.instructor.nbgrader_process import run_nbgrader
from autograder.instructor.student_ids import id_problem

ARCHIVES = (".zip", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar", ".jar", ".whl", ".egg")
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")
CHUNK = 1 << 20


@dataclass(frozen=True)
class ZipLimits:
    entries: int = 20_000  # entries of the zip looked at: a class of 1,000 with 20 files each
    entry_bytes: int = 64 << 20  # a notebook, outputs and all; the course's are under 200 kB
    total_bytes: int = 2 << 30
    ratio: int = 200  # uncompressed / compressed, for entries over ratio_above
    ratio_above: int = 16 << 20


@dataclass
class _Candidate:
    index: int
    info: zipfile.ZipInfo
    student: str
    notebook: str


def file_name_pattern(notebooks: list[str]) -> str:
    """The regular expression for nbgrader's FileNameCollectorPlugin: it matches a file's whole path."""
    names = "|".join(re.escape(name) for name in notebooks)
    return rf"^.*/(?P<student_id>[^/_]+)_(?:[^/]*_)?(?P<file_id>{names})$"


def collect_zip(
    course: Path,
    assignment: str,
    zip_path: Path,
    progress: Callable[[str], None] = lambda line: None,
    limits: ZipLimits = ZipLimits(),
) -> list[str]:
    """Copy the notebooks in ``zip_path`` into ``submitted/``; return the students collected."""
    _open(zip_path).close()  # a bad argument first
    layout = CourseLayout(course)
    notebooks = sorted(path.name for path in layout.release(assignment).glob("*.ipynb"))
    if not notebooks:
        raise CourseError(
            f"{assignment} has no student version in {layout.release(assignment)}: run gpt-course release first"
        )
    expected = f"<student>_<anything>_{' or '.join(notebooks)}"
    # nbgrader reads the files from <downloaded>/<assignment>/archive, <downloaded> being a name under the course root
    with _open(zip_path) as archive, tempfile.TemporaryDirectory(prefix=".gpt-course-zip-", dir=course) as downloaded:
        wrappers = {assignment, *(Path(notebook).stem for notebook in notebooks)}
        entries = archive.infolist()
        if len(entries) > limits.entries:
            progress(f"skipped {len(entries) - limits.entries:,} entries after the first {limits.entries:,}: too many")
        candidates, problems = {}, []

        def refuse(info: zipfile.ZipInfo, problem: str, student: str = "") -> None:
            """Skip the entry, and keep the problem for the class report."""
            progress(f"skipped {printable(info.filename, 200)}: {problem}")
            problems.append(CollectProblem(student, NOT_COLLECTED, info.filename, problem))

        for index, info in enumerate(entries[: limits.entries]):
            if info.is_dir():
                continue
            owner = _owner(info.filename, notebooks, wrappers)
            if problem := _entry_problem(info, limits):
                refuse(info, problem, owner[0] if owner else "")
            elif owner and (problem := id_problem(owner[0])):
                refuse(info, f"refused: {problem}", owner[0])  # never a folder, an argument or a gradebook key
            elif owner:
                candidates.setdefault(owner, []).append(_Candidate(index, info, *owner))
            else:
                progress(f"skipped {printable(info.filename, 200)}: not named {expected}")
        archive_directory = Path(downloaded) / assignment / "archive"
        archive_directory.mkdir(parents=True)
        students, total = set(), 0
        for (student, notebook), found in sorted(candidates.items()):
            found.sort(key=lambda candidate: (candidate.info.date_time, candidate.index), reverse=True)  # newest first
            for rank, candidate in enumerate(found):
                if total + candidate.info.file_size > limits.total_bytes:
                    problem = f"the extracted files would pass the cap of {limits.total_bytes:,} bytes in all"
                else:
                    target = archive_directory / f"{student}_{notebook}"
                    problem, size = _extract(archive, candidate.info, target, limits)
                if problem:
                    refuse(candidate.info, problem, student)
                    continue
                total += size
                students.add(student)
                for older in found[rank + 1 :]:
                    why = "newer" if candidate.info.date_time > older.info.date_time else "as old, later in the zip"
                    progress(
                        f"skipped {printable(older.info.filename, 200)}: {printable(student)}'s {notebook} is taken "
                        f"from {printable(candidate.info.filename, 200)} ({why})"
                    )
                break
        if problems:
            report = collect_problems.record(course, assignment, problems)
            progress(f"{len(problems)} collection problems recorded in {report} (gpt-course report lists them)")
        if not students:
            raise CourseError(f"no file in {zip_path} could be collected: each must be named {expected}")
        run_nbgrader(
            course,
            "zip_collect",
            assignment,
            "--force",
            f"--ZipCollectApp.downloaded_directory={Path(downloaded).name}",
            f"--FileNameCollectorPlugin.named_regexp={file_name_pattern(notebooks)}",
        )
    collected = []
    for student in sorted(students):
        submitted = layout.submitted(student, assignment)
        if not submitted.is_dir():
            progress(f"{printable(student)}: nbgrader zip_collect did not collect the submission")
            continue
        collected.append(student)
        progress(f"collected {printable(student)}: {submitted}")
        for problem in unreadable_notebooks(submitted):
            progress(f"{printable(student)}: {problem}; autograde will report it")
    if not collected:
        raise CourseError(f"nbgrader zip_collect collected no submission from {zip_path}")
    return collected


def _open(zip_path: Path) -> zipfile.ZipFile:
    """The zip; BadArgument when it is missing or not a zip at all (a damaged entry costs only that entry)."""
    if not zip_path.is_file():
        raise BadArgument(f"no zip file {zip_path}")
    try:
        return zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise BadArgument(f"{zip_path} is not a readable zip file ({error})") from None


def _entry_problem(info: zipfile.ZipInfo, limits: ZipLimits) -> str | None:
    """Why the entry must not be extracted, from its directory record alone; None if it may be."""
    name = info.filename
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts or "\0" in name:
        return "unsafe name (absolute, a drive or ..)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link"
    if info.flag_bits & 0x1:
        return "encrypted"
    if name.lower().endswith(ARCHIVES):
        return "a nested archive: not extracted"
    if info.file_size > limits.entry_bytes:
        return f"declares {info.file_size:,} bytes, more than the cap of {limits.entry_bytes:,}"
    if info.file_size > limits.ratio_above and info.file_size > limits.ratio * max(1, info.compress_size):
        return f"compressed {info.file_size // max(1, info.compress_size):,} to 1, more than {limits.ratio} to 1"
    return None


def _owner(name: str, notebooks: list[str], wrappers: set[str]) -> tuple[str, str] | None:
    """(student, notebook) as the LMS named the entry, or None when it is not a notebook of the assignment."""
    parts = re.split(r"[/\\]", name)
    while len(parts) > 1 and ("_" not in parts[0] or parts[0] in wrappers):  # folders that wrap the download
        parts = parts[1:]
    student = parts[0].split("_", 1)[0]
    notebook = next((n for n in notebooks if parts[-1] == n or parts[-1].endswith("_" + n)), None)
    if notebook is None or "_" not in parts[0] or not student:
        return None
    if len(parts) == 1 and parts[0] == notebook:  # the notebook's own name: no student in front
        return None
    return student, notebook


def _extract(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limits: ZipLimits
) -> tuple[str | None, int]:
    """Copy the entry to ``target``, at most ``limits.entry_bytes``; (why it failed or None, bytes written)."""
    size = 0
    try:
        with archive.open(info) as source, open(target, "wb") as copy:
            while chunk := source.read(CHUNK):
                if size == 0 and chunk.startswith(ARCHIVE_MAGIC):
                    raise _Skip("an archive, not a notebook: not extracted")
                size += len(chunk)
                if size > limits.entry_bytes:
                    raise _Skip(f"holds more than the cap of {limits.entry_bytes:,} bytes")
                copy.write(chunk)
    except _Skip as skip:
        target.unlink(missing_ok=True)
        return str(skip), 0
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError, RuntimeError) as error:
        target.unlink(missing_ok=True)
        return f"damaged or unreadable ({printable(str(error), 200)})", 0
    return None, size


class _Skip(Exception):
    pass
