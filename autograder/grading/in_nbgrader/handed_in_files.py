"""Beside a graded notebook lie only the assignment's own files: nothing a student handed in is served as a page.

nbgrader's autograde copies every file a student hands in beside the notebook (``notes.html``, an SVG, a folder of
them) into ``autograded/<student>/<assignment>/``, and formgrader serves that folder at
``/formgrader/submissions/<submission id>/<file>`` in the instructor's Jupyter origin, with the type its name says: a
page handed in as ``notes.html`` ran there with the instructor's cookies, the REST API and its terminals (issue 23).

``RemoveHandedInFiles`` runs in nbgrader's process: ``course/nbgrader_config.py`` puts it into
``Autograde.sanitize_preprocessors``, which run right after nbgrader copied the files and before the student's kernel
starts (so a grading that is killed leaves nothing behind either). It removes from that folder every file and link
that is not the assignment's own (a path of ``source/<assignment>/``, which nbgrader copies over the student's), a
notebook nbgrader grades (the folder's top-level ``.ipynb`` files: nbgrader copies no other notebook there) or
nbgrader's ``timestamp.txt``, and the folders left empty. ``submitted/`` keeps what the student handed in, for the
instructor to read as files. Each removal is a warning in nbgrader's log of that student.
"""

import os
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

TIMESTAMP = "timestamp.txt"  # nbgrader's record of the submission time, read by feedback and release_feedback


def remove_handed_in_files(folder: Path, source: Path) -> list[str]:
    """Remove from ``folder`` every file and link but its top-level notebooks, ``timestamp.txt`` and the paths that
    are files in ``source``; then the folders left empty. Returns the removed paths, relative to ``folder``."""
    removed = []
    for directory, subdirectories, files in os.walk(folder, topdown=True):
        here = Path(directory)
        for name in list(subdirectories):
            if (here / name).is_symlink():  # os.walk does not enter it; it is a link, not the student's folder
                subdirectories.remove(name)
                files.append(name)
        for name in files:
            path = here / name
            relative = path.relative_to(folder)
            top_level = here == folder
            own = (source / relative).is_file() and not (source / relative).is_symlink()
            if path.is_symlink() or not (own or (top_level and (name.endswith(".ipynb") or name == TIMESTAMP))):
                path.unlink()
                removed.append(relative.as_posix())
    for directory, _, _ in sorted(os.walk(folder), key=lambda entry: -len(Path(entry[0]).parts)):
        if Path(directory) != folder and not any(Path(directory).iterdir()):
            Path(directory).rmdir()
    return sorted(removed)


def _course_directory(preprocessor) -> CourseDirectory:
    """The course's folders as the running nbgrader command has them: its converter (the exporter's parent) holds
    them, with every option of its command line and config."""
    owner = preprocessor.parent
    while owner is not None:
        if isinstance(getattr(owner, "coursedir", None), CourseDirectory):
            return owner.coursedir
        owner = getattr(owner, "parent", None)
    raise RuntimeError("RemoveHandedInFiles runs in nbgrader autograde, whose converter names the course's folders")


class RemoveHandedInFiles(NbGraderPreprocessor):
    """Remove the files a student handed in beside the notebook from the folder nbgrader grades (module docstring)."""

    def preprocess(self, nb, resources):
        directories = _course_directory(self)
        student, assignment = resources["nbgrader"]["student"], resources["nbgrader"]["assignment"]
        folder = Path(directories.format_path(directories.autograded_directory, student, assignment))
        source = Path(directories.format_path(directories.source_directory, ".", assignment))
        for path in remove_handed_in_files(folder, source):
            self.log.warning("Removed %s from %s: handed in beside the notebook, not the assignment's", path, folder)
        return nb, resources
