"""Take submissions in from a zip file downloaded from a learning management system.

Every notebook in the zip, in any folder of it, must be named ``<student>_<NN_name>.ipynb`` or
``<student>_<anything>_<NN_name>.ipynb``: the student id first (without an underscore), the name
of the assignment's notebook last, e.g. ``ann_4711_assignsubmission_file_03_attention.ipynb``.
Other files are skipped and listed. nbgrader's ``zip_collect`` extracts the zip and files each
notebook under ``submitted/<student>/<NN_name>/``.
"""

import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from autograder.defences.notebook_repair import unreadable_notebooks
from autograder.instructor.errors import BadArgument, CourseError
from autograder.instructor.nbgrader_process import run_nbgrader


def file_name_pattern(notebooks: list[str]) -> str:
    """The regular expression for nbgrader's FileNameCollectorPlugin: it matches a file's whole path."""
    names = "|".join(re.escape(name) for name in notebooks)
    return rf"^.*/(?P<student_id>[^/_]+)_(?:[^/]*_)?(?P<file_id>{names})$"


def collect_zip(
    course: Path, assignment: str, zip_path: Path, progress: Callable[[str], None] = lambda line: None
) -> list[str]:
    """Copy the notebooks in ``zip_path`` into ``submitted/``; return the students collected."""
    names = _file_names(zip_path)
    notebooks = sorted(path.name for path in (course / "release" / assignment).glob("*.ipynb"))
    if not notebooks:
        raise CourseError(f"{assignment} has no student version in {course / 'release'}: run gpt-course release first")
    pattern = file_name_pattern(notebooks)
    students = set()
    for name in names:
        if match := re.match(pattern, "/" + name):
            students.add(match["student_id"])
        else:
            progress(f"skipped {name}: not named <student>_<anything>_{' or '.join(notebooks)}")
    if not students:
        raise CourseError(f"no file in {zip_path} is named <student>_<anything>_{' or '.join(notebooks)}")
    # nbgrader reads the zip from <downloaded>/<assignment>/archive, <downloaded> being a name under the course root
    with tempfile.TemporaryDirectory(prefix=".gpt-course-zip-", dir=course) as downloaded:
        archive = Path(downloaded) / assignment / "archive"
        archive.mkdir(parents=True)
        shutil.copy(zip_path, archive / "submissions.zip")  # nbgrader extracts what ends in .zip
        run_nbgrader(
            course,
            "zip_collect",
            assignment,
            "--force",
            f"--ZipCollectApp.downloaded_directory={Path(downloaded).name}",
            f"--FileNameCollectorPlugin.named_regexp={pattern}",
        )
    for student in sorted(students):
        submitted = course / "submitted" / student / assignment
        if not submitted.is_dir():
            raise CourseError(f"nbgrader zip_collect did not collect {student}'s submission from {zip_path}")
        progress(f"collected {student}: {submitted}")
        for problem in unreadable_notebooks(submitted):
            progress(f"{student}: {problem}; autograde will report it")
    return sorted(students)


def _file_names(zip_path: Path) -> list[str]:
    """The files in the zip; BadArgument when it is missing, not a zip or damaged."""
    if not zip_path.is_file():
        raise BadArgument(f"no zip file {zip_path}")
    try:
        with zipfile.ZipFile(zip_path) as archive:
            damaged = archive.testzip()
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise BadArgument(f"{zip_path} is not a readable zip file ({error})") from None
    if damaged:
        raise BadArgument(f"{zip_path} is damaged: {damaged} cannot be read")
    return names
