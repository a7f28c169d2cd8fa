"""The committed student and solution notebooks are what the sources generate, and leak nothing."""

import re

import nbformat
import pytest

from autograder.instructor import build
from tools.checkout import TREE

ASSIGNMENTS = TREE.assignments()
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def test_there_are_assignments():
    assert ASSIGNMENTS and all(re.fullmatch(r"\d\d_[a-z_]+", name) for name in ASSIGNMENTS)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_is_committed_normalized(assignment):
    text = TREE.source_path(assignment).read_text()
    assert text == nbformat.writes(build.normalized(build.read(TREE.source_path(assignment)))) + "\n", (
        "run ./course.sh build: it strips outputs and normalizes metadata"
    )


@pytest.mark.nbgrader  # generates each release with nbgrader
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_current(assignment):
    committed = TREE.release_path(assignment).read_text()
    assert committed == nbformat.writes(build.release_notebook(TREE, assignment)) + "\n", (
        "course/release is stale: run ./course.sh build"
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_is_current_and_executed(assignment):
    committed = build.read(TREE.solution_path(assignment))
    expected = build.solution_notebook(build.read(TREE.source_path(assignment)))
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in expected.cells], (
        "solutions/ is stale: run ./course.sh build"
    )
    assert all(c.execution_count for c in committed.cells if c.cell_type == "code"), "solutions must be executed"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_leaks_no_solution_and_no_hidden_test(assignment):
    """No marker, no line of solution code and no line of a hidden test (with its seeds) reaches students."""
    release = "\n".join(cell.source for cell in build.read(TREE.release_path(assignment)).cells)
    assert "BEGIN SOLUTION" not in release and "HIDDEN TESTS" not in release
    secret_lines = [
        line.strip()
        for cell in build.read(TREE.source_path(assignment)).cells
        for _, region in REGION.findall(cell.source)
        for line in region.splitlines()
    ]
    secret_lines = [line for line in secret_lines if len(line) >= 12 and not line.startswith("#")]
    assert secret_lines
    leaked = [line for line in secret_lines if line in release]
    assert not leaked


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_a_visible_and_a_hidden_test(assignment):
    cells = [c.metadata["nbgrader"] for c in build.read(TREE.source_path(assignment)).cells if "nbgrader" in c.metadata]
    exercises = [c["grade_id"] for c in cells if c["solution"]]
    graded = {c["grade_id"]: c["points"] for c in cells if c["grade"]}
    assert len(exercises) >= 5
    for exercise in exercises:
        assert graded.get(f"test_{exercise}", 0) > 0 and graded.get(f"hidden_{exercise}", 0) > 0, exercise
    sources = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in build.read(TREE.source_path(assignment)).cells
        if "nbgrader" in c.metadata
    }
    for exercise in exercises:
        assert "BEGIN HIDDEN TESTS" in sources[f"hidden_{exercise}"]
