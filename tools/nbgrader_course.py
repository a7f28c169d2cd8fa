"""Run real nbgrader on a scratch copy of the course: generate, submit, autograde, export."""

import csv
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import nbformat

from autograder.instructor import build, nbgrader_process
from autograder.instructor.course_layout import CONFIG, CourseLayout
from autograder.instructor.gradebook import open_gradebook
from tools.checkout import TREE


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run an nbgrader command in ``course``; fail with its output if it fails."""
    result = nbgrader_process.nbgrader(course, *args)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def scratch_course(root: Path, assignments: list[str]) -> Path:
    """A course directory in ``root`` (kept for a test module's fixtures) with the real config and sources, and the
    assignments generated; its folders are where nbgrader puts them (`autograder.instructor.course_layout`)."""
    shutil.copy(TREE.course / CONFIG, root)
    layout = CourseLayout(root)
    for assignment in assignments:
        shutil.copytree(TREE.layout.source(assignment), layout.source(assignment))
        nbgrader(root, "generate_assignment", assignment, "--force")
    return root


def completed_release(notebook_name: str, replacements: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The student notebook ``notebook_name`` (an assignment's name, for an assignment of one notebook) with every
    exercise answered by the source's solution, except the cells named in ``replacements`` (grade id -> source), as
    a student would hand it in."""
    source = {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in build.read(TREE.source_path(notebook_name)).cells
        if "nbgrader" in cell.metadata
    }
    notebook = build.read(TREE.release_path(notebook_name))
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = build.SOLUTION_MARKER.sub("", source[grade_id].source)
        if grade_id in (replacements or {}):
            cell.source = replacements[grade_id]
    return notebook


def submit(
    course: Path, student: str, assignment: str, notebook: nbformat.NotebookNode, name: str | None = None
) -> None:
    """Hand ``notebook`` in as ``name`` (default: the assignment's one notebook)."""
    build.write(notebook, CourseLayout(course).submitted(student, assignment) / f"{name or assignment}.ipynb")


def submit_every_notebook(
    course: Path, student: str, assignment: str, version: Callable[[str], nbformat.NotebookNode]
) -> None:
    """Hand in every notebook of ``assignment``, each as ``version(its name)``."""
    for name in TREE.notebooks(assignment):
        submit(course, student, assignment, version(name), name)


def cell_scores(course: Path, assignment: str, student: str) -> dict[str, float]:
    """Points per graded cell (grade id -> score) from the gradebook."""
    with open_gradebook(course) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return {grade.name: grade.score for notebook in submission.notebooks for grade in notebook.grades}


def exported_grades(course: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(assignment, student) -> (score, max score) from ``nbgrader export``'s CSV."""
    nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv", newline="") as file:
        return {
            (row["assignment"], row["student_id"]): (float(row["score"]), float(row["max_score"]))
            for row in csv.DictReader(file)
        }


def autograded_cell_text(course: Path, student: str, assignment: str, grade_id: str) -> str:
    """Everything the autograded notebooks show for one cell: its outputs as text."""
    folder = CourseLayout(course).autograded(student, assignment)
    cells = [cell for path in sorted(folder.glob("*.ipynb")) for cell in build.read(path).cells]
    cell = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(output.get("text", "") + "\n".join(output.get("traceback", [])) for output in cell.outputs)
