"""`gpt-course autograde --workers 2` gives the grades, cell scores and outcomes of grading one at a time."""

import csv
import shutil

import pytest

from autograder.instructor import build
from autograder.instructor.cli import main
from autograder.instructor.parallel_execution import STAGED
from tests.catalogue.notebook_bugs import CLASSIC_BUGS
from tests.checkout import TREE
from tests.nbgrader_course import cell_scores, completed_release, exported_grades, scratch_course, submit

ASSIGNMENT = "03_attention"  # the quickest notebook to grade
STUDENTS = ("full", "blank", "buggy", "not_json")


def outcomes(course) -> dict[str, dict]:
    with open(course / "reports" / f"{ASSIGNMENT}-outcomes.csv", newline="") as file:
        return {row["student"]: row for row in csv.DictReader(file)}


@pytest.fixture(scope="module")
def graded_twice(tmp_path_factory):
    """The same class graded one at a time and with two workers, in two copies of one course."""
    sequential = scratch_course(tmp_path_factory.mktemp("sequential"), [ASSIGNMENT])
    cell, bug, _ = CLASSIC_BUGS[ASSIGNMENT]
    submit(sequential, "full", ASSIGNMENT, completed_release(ASSIGNMENT))
    submit(sequential, "blank", ASSIGNMENT, build.read(TREE.release_path(ASSIGNMENT)))
    submit(sequential, "buggy", ASSIGNMENT, completed_release(ASSIGNMENT, {cell: bug}))
    broken = sequential / "submitted" / "not_json" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')
    parallel = shutil.copytree(sequential, tmp_path_factory.mktemp("parallel") / "course")
    main(["autograde", ASSIGNMENT, "--course", str(sequential)])
    main(["autograde", ASSIGNMENT, "--course", str(parallel), "--workers", "2"])
    return sequential, parallel


def test_the_class_gets_its_expected_grades(graded_twice):
    sequential, _ = graded_twice
    grades = exported_grades(sequential)
    max_score = grades[(ASSIGNMENT, "full")][1]
    assert grades[(ASSIGNMENT, "full")][0] == max_score > 0
    assert grades[(ASSIGNMENT, "blank")][0] == grades[(ASSIGNMENT, "not_json")][0] == 0
    assert 0 < grades[(ASSIGNMENT, "buggy")][0] < max_score
    assert outcomes(sequential)["not_json"]["status"] == "not graded"


def test_exported_grades_are_equal(graded_twice):
    sequential, parallel = graded_twice
    assert exported_grades(parallel) == exported_grades(sequential)


@pytest.mark.parametrize("student", STUDENTS)
def test_cell_scores_are_equal(graded_twice, student):
    sequential, parallel = graded_twice
    assert cell_scores(parallel, ASSIGNMENT, student) == cell_scores(sequential, ASSIGNMENT, student)


def test_outcomes_are_equal(graded_twice):
    sequential, parallel = graded_twice
    assert outcomes(parallel) == outcomes(sequential)
    assert set(outcomes(parallel)) == set(STUDENTS)


def test_autograded_notebooks_are_where_nbgrader_puts_them(graded_twice):
    sequential, parallel = graded_twice
    for course in (sequential, parallel):
        assert sorted(path.parent.name for path in (course / "autograded").glob(f"*/{ASSIGNMENT}")) == [
            "blank",
            "buggy",
            "full",
        ]
    assert not (parallel / STAGED).exists()
