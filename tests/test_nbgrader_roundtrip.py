"""The real nbgrader workflow on every assignment: a full solution earns full marks, the untouched
student notebook earns zero without crashing the run, and a classic bug loses exactly its tests."""

import functools

import pytest

from autograder.instructor import build
from tools.catalogue.notebook_bugs import CLASSIC_BUGS
from tools.checkout import TREE
from tools.nbgrader_course import (
    autograded_cell_text,
    cell_scores,
    completed_release,
    exported_grades,
    nbgrader,
    scratch_course,
    submit_every_notebook,
)

pytestmark = [pytest.mark.nbgrader]

ASSIGNMENTS = TREE.assignments()


def test_every_assignment_has_a_classic_bug_case():
    assert set(CLASSIC_BUGS) == set(ASSIGNMENTS)


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("course"), ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        cell, bug, _ = CLASSIC_BUGS[assignment]
        submit_every_notebook(course, "full", assignment, completed_release)
        submit_every_notebook(course, "untouched", assignment, lambda name: build.read(TREE.release_path(name)))
        submit_every_notebook(
            course, "buggy", assignment, functools.partial(completed_release, replacements={cell: bug})
        )
        nbgrader(course, "autograde", assignment, "--force")
    return course, exported_grades(course)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_full_solution_earns_full_marks(graded_course, assignment):
    course, grades = graded_course
    score, max_score = grades[(assignment, "full")]
    assert score == max_score > 0, cell_scores(course, assignment, "full")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_notebook_earns_zero_and_is_graded(graded_course, assignment):
    course, grades = graded_course
    assert grades[(assignment, "untouched")][0] == 0
    assert "not done yet" in autograded_cell_text(course, "untouched", assignment, min(CLASSIC_BUGS[assignment][2]))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_classic_bug_loses_exactly_its_tests(graded_course, assignment):
    course, grades = graded_course
    exercise, _, failing = CLASSIC_BUGS[assignment]
    scores = cell_scores(course, assignment, "buggy")
    assert {grade_id for grade_id, score in scores.items() if score == 0} == failing
    assert 0 < grades[(assignment, "buggy")][0] < grades[(assignment, "buggy")][1]
    for grade_id in failing:
        message = autograded_cell_text(course, "buggy", assignment, grade_id)
        assert exercise in message and "hint:" in message, message


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_shows_failures_but_not_hidden_tests(graded_course, assignment):
    course, _ = graded_course
    nbgrader(course, "generate_feedback", assignment, "--force")
    exercise, _, _failing = CLASSIC_BUGS[assignment]
    html = "\n".join(
        (course / "feedback" / "buggy" / assignment / f"{name}.html").read_text() for name in TREE.notebooks(assignment)
    )
    assert f"{exercise} (hidden)" in html  # the hidden check's own message is feedback
    hidden_code = [
        line.strip()
        for name in TREE.notebooks(assignment)
        for cell in build.read(TREE.source_path(name)).cells
        for line in cell.source.split("### BEGIN HIDDEN TESTS")[-1].split("### END HIDDEN TESTS")[0].splitlines()
        if "### BEGIN HIDDEN TESTS" in cell.source and line.strip()
    ]
    assert hidden_code and not [line for line in hidden_code if line in html]
