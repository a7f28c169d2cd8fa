"""The committed student and solution notebooks are what the sources generate, and leak nothing."""

import re

import nbformat
import pytest

from autograder.instructor import build
from tools.checkout import TREE

ASSIGNMENTS = TREE.assignments()
NOTEBOOKS = TREE.notebooks()
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def test_there_are_assignments():
    assert ASSIGNMENTS and all(re.fullmatch(r"\d\d_[a-z_]+", name) for name in ASSIGNMENTS)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_an_assignments_notebooks_are_named_by_it(assignment):
    """One notebook named like its assignment, or several that share its number, each with a letter: 07a, 07b, …"""
    notebooks = TREE.notebooks(assignment)
    number = assignment[:2]
    assert notebooks == [assignment] or [name[:3] for name in notebooks] == [
        f"{number}{letter}" for letter in "abcdefgh"[: len(notebooks)]
    ], notebooks
    assert all(re.fullmatch(r"\d\d[a-h]?_[a-z0-9_]+", name) for name in notebooks)


def test_release_and_solutions_hold_the_sources_notebooks_and_no_others():
    released = sorted(
        path.stem for assignment in ASSIGNMENTS for path in TREE.layout.release(assignment).glob("*.ipynb")
    )
    solutions = sorted(path.stem for path in (TREE.root / "solutions").glob("*.ipynb"))
    assert released == solutions == sorted(NOTEBOOKS), "run ./course.sh build, and remove what no source makes"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_source_is_committed_normalized(notebook):
    text = TREE.source_path(notebook).read_text()
    assert text == nbformat.writes(build.normalized(build.read(TREE.source_path(notebook)))) + "\n", (
        "run ./course.sh build: it strips outputs and normalizes metadata"
    )


@pytest.mark.nbgrader  # generates each release with nbgrader
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_current(assignment):
    for name, notebook in build.release_notebooks(TREE, assignment).items():
        assert TREE.release_path(name).read_text() == nbformat.writes(notebook) + "\n", (
            f"course/release is stale ({name}): run ./course.sh build"
        )


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_solution_is_current_and_executed(notebook):
    committed = build.read(TREE.solution_path(notebook))
    expected = build.solution_notebook(build.read(TREE.source_path(notebook)))
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in expected.cells], (
        "solutions/ is stale: run ./course.sh build"
    )
    assert all(c.execution_count for c in committed.cells if c.cell_type == "code"), "solutions must be executed"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_release_leaks_no_solution_and_no_hidden_test(notebook):
    """No marker, no line of solution code and no line of a hidden test (with its seeds) reaches students."""
    release = "\n".join(cell.source for cell in build.read(TREE.release_path(notebook)).cells)
    assert "BEGIN SOLUTION" not in release and "HIDDEN TESTS" not in release
    secret_lines = [
        line.strip()
        for cell in build.read(TREE.source_path(notebook)).cells
        for _, region in REGION.findall(cell.source)
        for line in region.splitlines()
    ]
    secret_lines = [line for line in secret_lines if len(line) >= 12 and not line.startswith("#")]
    assert secret_lines
    leaked = [line for line in secret_lines if line in release]
    assert not leaked


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_exercise_has_a_visible_and_a_hidden_test(notebook):
    cells = [c.metadata["nbgrader"] for c in build.read(TREE.source_path(notebook)).cells if "nbgrader" in c.metadata]
    exercises = [c["grade_id"] for c in cells if c["solution"]]
    graded = {c["grade_id"]: c["points"] for c in cells if c["grade"]}
    assert len(exercises) >= 3
    for exercise in exercises:
        assert graded.get(f"test_{exercise}", 0) > 0 and graded.get(f"hidden_{exercise}", 0) > 0, exercise
    sources = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in build.read(TREE.source_path(notebook)).cells
        if "nbgrader" in c.metadata
    }
    for exercise in exercises:
        assert "BEGIN HIDDEN TESTS" in sources[f"hidden_{exercise}"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_title_says_how_to_grade_this_notebook_before_handing_it_in(notebook):
    """The command in a JupyterLab terminal, which opens in my_notebooks/; a notebook of several names itself."""
    title = build.read(TREE.source_path(notebook)).cells[0].source
    assignment = TREE.assignment_of(notebook)
    command = f"../course.sh selfgrade {assignment}"
    if TREE.notebooks(assignment) != [notebook]:
        command += f" {assignment}/{notebook}.ipynb"
    assert f"`{command}`" in title, title
