"""Repair a submitted notebook before nbgrader reads it, so that a broken submission costs only its own points.

Every submitted notebook is read and checked before grading (and when it is collected). What can be
repaired without changing the student's answers is repaired and reported: a copy-pasted test cell,
which would make nbgrader empty its metadata and fail the whole notebook, and an edited nbgrader
schema version, which stops nbgrader for the whole class. What cannot be read is reported, and left
for nbgrader to score zero.
"""

import copy
import json
import re
from pathlib import Path

import nbformat

NBGRADER_SCHEMA = 3  # the cell metadata version nbgrader 0.9 writes and expects


# What a notebook may be before anything of the course or of nbgrader reads it whole. 07's complete solution, the
# largest honest notebook, has 128 cells, 742 KB with its outputs and 4,313 characters in its longest cell.
MAX_BYTES = 32 * 2**20  # the file, outputs included (nbgrader clears them before grading anyway)
MAX_CELLS = 2_000
MAX_CELL_CHARACTERS = 200_000  # one cell's source
MAX_SOURCE_CHARACTERS = 2_000_000  # all cells' sources together


def notebook_problem(path: Path) -> str | None:
    """Why ``path`` is not a notebook the course grades (over a cap, not JSON, not nbformat), or None."""
    if problem := over_cap(path):
        return problem
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as error:  # not JSON, not a notebook, or an invalid one: report, never crash
        return f"{path.name} is not a valid notebook ({type(error).__name__}: {str(error).splitlines()[0][:120]})"
    return None


def over_cap(path: Path) -> str | None:
    """Which cap above the notebook at ``path`` is over, or None (also for a file that is no notebook at all).
    Such a notebook is not graded: 100,000 empty cells cost nbgrader minutes outside any time limit."""
    if (size := path.stat().st_size) > MAX_BYTES:
        return f"{path.name} is over the cap of {MAX_BYTES:,} bytes ({size:,})"
    try:
        cells = json.loads(path.read_bytes()).get("cells")
        lengths = [
            len("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]) for cell in cells
        ]
    except Exception:  # not a notebook: notebook_problem says so
        return None
    for count, cap, what in (
        (len(lengths), MAX_CELLS, "cells"),
        (max(lengths, default=0), MAX_CELL_CHARACTERS, "characters in one cell"),
        (sum(lengths), MAX_SOURCE_CHARACTERS, "characters of source"),
    ):
        if count > cap:
            return f"{path.name} is over the cap of {cap:,} {what} ({count:,})"
    return None


def unreadable_notebooks(submission: Path) -> list[str]:
    """The problems of the notebooks in a submission directory that are not valid notebooks; changes nothing."""
    return [problem for path in sorted(submission.glob("*.ipynb")) if (problem := notebook_problem(path))]


def repair_notebook(path: Path, release: nbformat.NotebookNode | None = None) -> list[str]:
    """Read one submitted notebook, repair what is safe to repair, and return the problems found.

    With ``release`` (the student version that was handed out), cells the student deleted are put back
    from it (a deleted solution cell comes back as its stub, so only its own tests fail), and grade ids
    the assignment does not have (a cell pasted from another assignment) lose their nbgrader metadata.
    Unreadable notebooks are left as they are (nbgrader then scores them zero).
    """
    problem = notebook_problem(path)
    if problem:
        return [problem]
    notebook = nbformat.read(path, as_version=4)
    known = {_grade_id(cell) for cell in release.cells} - {None} if release else None
    seen, kept, problems = set(), [], []
    for cell in notebook.cells:
        metadata = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = metadata.get("grade_id")
        if grade_id is not None and grade_id in seen:
            problems.append(f"{path.name}: removed a copy of cell {grade_id!r} (duplicate grade id)")
            continue
        if metadata and known is not None and grade_id not in known:
            problems.append(f"{path.name}: cell {grade_id!r} is not part of this assignment; graded as plain code")
            del cell.metadata["nbgrader"]
            kept.append(cell)
            continue
        if metadata and metadata.get("schema_version") != NBGRADER_SCHEMA:
            # any other version makes nbgrader stop grading the whole class
            problems.append(f"{path.name}: reset the edited nbgrader schema version of cell {grade_id!r}")
            metadata["schema_version"] = NBGRADER_SCHEMA
        seen.add(grade_id)
        kept.append(cell)
    if release:
        for grade_id in _put_back_deleted_cells(kept, release):
            problems.append(f"{path.name}: put back the deleted cell {grade_id!r} from the handed-out notebook")
    if problems:
        notebook.cells = kept
        nbformat.write(notebook, path)
    return problems


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _put_back_deleted_cells(cells: list, release: nbformat.NotebookNode) -> list[str]:
    """Insert each graded or locked cell of ``release`` missing from ``cells`` after the nearest earlier
    one that is there (nbgrader cannot place a test cell whose solution cell is gone, and fails the notebook)."""
    put_back = []
    anchor = -1  # the position in ``cells`` after which the next release cell belongs
    for cell in release.cells:
        grade_id = _grade_id(cell)
        if grade_id is None:
            continue
        present = [i for i, submitted in enumerate(cells) if _grade_id(submitted) == grade_id]
        if present:
            anchor = present[0]
        else:
            anchor += 1
            restored = copy.deepcopy(cell)
            if restored.get("id") in {submitted.get("id") for submitted in cells}:
                restored["id"] = f"put-back-{grade_id}"[:64]  # cell ids must be unique
            cells.insert(anchor, restored)
            put_back.append(grade_id)
    return put_back


BROWSER_COPY = re.compile(r"^(?P<name>.+?)(?: ?\(\d+\)| - Copy| copy)+$")  # "03_attention (1)", "… - Copy"


def rename_browser_copy(submission: Path, expected: list[str]) -> list[str]:
    """Give each missing expected name to the one notebook named the way browsers name a second download of it
    (``07b_pretraining (1).ipynb``); a notebook whose name fits none, or two that fit one, are left as they are."""
    renamed = []
    notebooks = sorted(path for path in submission.glob("*.ipynb") if path.name not in expected)
    for name in expected:
        if (submission / name).exists():
            continue
        copies = [
            path for path in notebooks if (match := BROWSER_COPY.match(path.stem)) and f"{match['name']}.ipynb" == name
        ]
        if len(expected) == 1 and len(notebooks) != 1:
            copies = []  # an assignment of one notebook: only a lone notebook is taken for it
        if len(copies) == 1:
            copies[0].rename(submission / name)
            renamed.append(f"renamed {copies[0].name!r} to {name!r} (a browser's name for a second download)")
    return renamed
