"""Each exercise is declared once (`autograder.checks.registry`), and everything that names it agrees:
the notebook's solution and test cells, the reference solution, and the mutation catalogue."""

import ast
import importlib

import pytest

from autograder.checks.registry import EXERCISES
from autograder.instructor import build
from tools.catalogue import CATALOGUES, declared_exercises
from tools.checkout import TREE

ASSIGNMENTS = TREE.assignments()


def checks_module(notebook) -> str:
    """The checks module that the notebook's setup cell imports as ``check``."""
    setup = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    for node in ast.walk(ast.parse(setup.source)):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname == "check":
                    return f"{node.module}.{alias.name}"
    raise AssertionError("the setup cell imports no checks module as `check`")


def graded_cells(notebook) -> dict[str, tuple[dict, str]]:
    return {
        cell.metadata["nbgrader"]["grade_id"]: (cell.metadata["nbgrader"], cell.source)
        for cell in notebook.cells
        if "grade_id" in cell.metadata.get("nbgrader", {})
    }


def sources(assignment: str) -> list:
    """The assignment's source notebooks, in order."""
    return [build.read(TREE.source_path(name)) for name in TREE.notebooks(assignment)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_cells_are_the_declared_exercises_in_order(assignment):
    """Across an assignment's notebooks, in order; they all import the one checks module."""
    (module,) = {checks_module(notebook) for notebook in sources(assignment)}
    importlib.import_module(module)
    solutions = [
        grade_id
        for notebook in sources(assignment)
        for grade_id, (metadata, _) in graded_cells(notebook).items()
        if metadata.get("solution") and grade_id != "setup"
    ]
    declared = [name for name, exercise in EXERCISES.items() if exercise.checks_module == module]
    assert solutions == declared, f"{assignment}: solution cells and the exercises declared in {module} differ"


@pytest.mark.parametrize("notebook", TREE.notebooks())
def test_test_cells_call_the_exercise_checks(notebook):
    cells = graded_cells(build.read(TREE.source_path(notebook)))
    importlib.import_module(checks_module(build.read(TREE.source_path(notebook))))
    names = [name for name in EXERCISES if f"test_{name}" in cells or name in cells]
    assert names, f"{notebook}: no cell of a declared exercise"
    for name in names:
        assert cells[f"test_{name}"][1].strip() == f"check.{name}({name})"
        assert f"check.{name}_hidden({name}, seed=" in cells[f"hidden_{name}"][1]


def test_every_exercise_has_a_hidden_check_and_a_reference_of_its_name():
    for notebook in TREE.notebooks():
        importlib.import_module(checks_module(build.read(TREE.source_path(notebook))))
    assert len(EXERCISES) >= 7 * 5
    for name, exercise in EXERCISES.items():
        assert exercise.hidden is not None, f"{name} has no hidden check"
        assert exercise.reference is not None and exercise.reference.__name__ == name, f"{name} has no reference"


def test_the_catalogue_covers_every_checks_module_and_only_declared_exercises():
    covered = {catalogue.checks.__name__ for catalogue in CATALOGUES.values()}
    assert covered == {exercise.checks_module for exercise in EXERCISES.values()}
    for catalogue in CATALOGUES.values():
        rows = {row[0] for row in catalogue.VALID + catalogue.BUGGY}
        assert rows <= set(declared_exercises(catalogue)), rows - set(declared_exercises(catalogue))


@pytest.mark.parametrize("assignment, catalogue", CATALOGUES.items(), ids=list(CATALOGUES))
def test_every_declared_exercise_has_a_valid_alternative_and_a_classic_bug(assignment, catalogue):
    declared = set(declared_exercises(catalogue))
    assert {row[0] for row in catalogue.VALID} == declared, "exercises without a valid alternative"
    assert {row[0] for row in catalogue.BUGGY} == declared, "exercises without a classic bug"


def test_a_second_declaration_of_an_exercise_is_refused():
    from autograder.checks.registry import exercise

    def attention_scores(check, submitted):
        pass

    with pytest.raises(ValueError, match="declared twice"):
        exercise(attention_scores)
