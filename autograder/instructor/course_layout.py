"""Where an nbgrader course keeps each step's folders, as nbgrader itself computes them.

nbgrader makes every folder configurable (``CourseDirectory.source_directory``, ``release_directory``,
``submitted_directory``, ``autograded_directory``, ``feedback_directory``, ``directory_structure``, ``root``), and
a course's ``nbgrader_config.py`` may change any of them. The course's commands ask a :class:`CourseLayout`, made
from nbgrader's own ``CourseDirectory`` with the course's config, and never build these paths themselves: a course
that renames a folder is graded where nbgrader puts it. :func:`scratch_course` makes the private courses that the
build, self-grading and each Dask task run nbgrader in.
"""

import contextlib
import glob
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from sqlalchemy.engine import make_url
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG = "nbgrader_config.py"
SCRATCH_GRADEBOOK = "gradebook.db"  # a scratch course's own SQLite gradebook, in its root
REPORTS = "reports"  # the course's own: outcomes, logs, figures and flagged.csv, beside nbgrader's folders


def read_config(course: Path) -> Config:
    return PyFileConfigLoader(CONFIG, path=str(course)).load_config()


class CourseLayout:
    """The folders and the gradebook of the nbgrader course in ``course``, from its ``nbgrader_config.py``."""

    def __init__(self, course: Path):
        config = read_config(course)
        self.directories = CourseDirectory(config=config)
        if "root" not in config.get("CourseDirectory", {}):  # nbgrader's default root: where it runs, the course
            self.directories.root = str(course.resolve())
        self.root = Path(self.directories.root)

    def path(self, step: str, student: str, assignment: str) -> Path:
        """The folder of ``student``'s ``assignment`` (student "." for source and release) in the folder ``step``."""
        return Path(os.path.normpath(self.directories.format_path(step, student, assignment)))

    def source(self, assignment: str) -> Path:
        return self.path(self.directories.source_directory, ".", assignment)

    def release(self, assignment: str) -> Path:
        return self.path(self.directories.release_directory, ".", assignment)

    def submitted(self, student: str, assignment: str) -> Path:
        return self.path(self.directories.submitted_directory, student, assignment)

    def autograded(self, student: str, assignment: str) -> Path:
        return self.path(self.directories.autograded_directory, student, assignment)

    def feedback(self, student: str, assignment: str) -> Path:
        return self.path(self.directories.feedback_directory, student, assignment)

    def assignments(self) -> list[str]:
        """The assignments that have a source folder."""
        return self._names(self.directories.source_directory, ".", "*", "assignment")

    def students(self, step: str, assignment: str) -> list[str]:
        """The students with a folder of ``assignment`` in ``step`` (``"submitted"``, ``"autograded"``, …)."""
        directory = getattr(self.directories, f"{step}_directory")
        return self._names(directory, "*", assignment, "student")

    def _names(self, step: str, student: str, assignment: str, which: str) -> list[str]:
        """The names that stand for ``*`` (the ``which`` part) in the existing folders of ``step``."""
        named = {"student": student, "assignment": assignment, which: f"(?P<{which}>[^/]+)"}
        literal = {key: value if value == named[which] else re.escape(value) for key, value in named.items()}
        pattern = re.compile(self.directories.format_path(step, literal["student"], literal["assignment"], escape=True))
        names = set()
        for path in glob.glob(self.directories.format_path(step, student, assignment)):
            found = pattern.fullmatch(path)
            if found and os.path.isdir(path):
                names.add(found[which])
        return sorted(names)

    @property
    def reports(self) -> Path:
        return self.root / REPORTS

    @property
    def gradebook_url(self) -> str:
        """The gradebook's URL as nbgrader run in the course would use it: a relative SQLite path is the course's."""
        url = make_url(self.directories.db_url)
        if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_absolute():
            url = url.set(database=str(self.root / url.database))
        return url.render_as_string(hide_password=False)


@contextlib.contextmanager
def scratch_course(config: bytes, prefix: str = "gpt-course-scratch-") -> Iterator[CourseLayout]:
    """A private nbgrader course in a new temporary folder, removed afterwards: the course's config (``config``, the
    bytes of its nbgrader_config.py) with its root and a SQLite gradebook of its own inside that folder, whatever
    root or gradebook the course's config names."""
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        root = Path(directory) / "course"
        root.mkdir()
        gradebook = f"sqlite:///{root / SCRATCH_GRADEBOOK}"
        own = (
            f"\n# a scratch course\nc.CourseDirectory.root = {str(root)!r}\nc.CourseDirectory.db_url = {gradebook!r}\n"
        )
        (root / CONFIG).write_bytes(config + own.encode())
        yield CourseLayout(root)
