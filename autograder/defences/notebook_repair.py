"""Repair a submitted notebook before nbgrader reads it, so that a broken submission costs only its own points.

Every submitted notebook is read and checked before grading (and when it is collected). What can be
repaired without changing the student's answers is repaired and reported: a copy-pasted test cell,
which would make nbgrader empty its metadata and fail the whole notebook, and an edited nbgrader
schema version, which stops nbgrader for the whole class. What cannot be read is reported, and left
for nbgrader to score zero.
"""

from pathlib import Path

import nbformat

NBGRADER_SCHEMA = 3  # the cell metadata version nbgrader 0.9 writes and expects


def notebook_problem(path: Path) -> str | None:
    """Why ``path`` is not a valid notebook (not JSON, not nbformat), or None when it is one."""
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as error:  # not JSON, not a notebook, or an invalid one: report, never crash
        return f"{path.name} is not a valid notebook ({type(error).__name__}: {str(error).splitlines()[0][:120]})"
    return None


def unreadable_notebooks(submission: Path) -> list[str]:
    """The problems of the notebooks in a submission directory that are not valid notebooks; changes nothing."""
    return [problem for path in sorted(submission.glob("*.ipynb")) if (problem := notebook_problem(path))]


def repair_notebook(path: Path) -> list[str]:
    """Read one submitted notebook, repair what is safe to repair, and return the problems found.

    Unreadable notebooks are left as they are (nbgrader then scores them zero).
    """
    problem = notebook_problem(path)
    if problem:
        return [problem]
    notebook = nbformat.read(path, as_version=4)
    seen, kept, problems = set(), [], []
    for cell in notebook.cells:
        metadata = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = metadata.get("grade_id")
        if grade_id is not None and grade_id in seen:
            problems.append(f"{path.name}: removed a copy of cell {grade_id!r} (duplicate grade id)")
            continue
        if metadata and metadata.get("schema_version") != NBGRADER_SCHEMA:
            # any other version makes nbgrader stop grading the whole class
            problems.append(f"{path.name}: reset the edited nbgrader schema version of cell {grade_id!r}")
            metadata["schema_version"] = NBGRADER_SCHEMA
        seen.add(grade_id)
        kept.append(cell)
    if problems:
        notebook.cells = kept
        nbformat.write(notebook, path)
    return problems
