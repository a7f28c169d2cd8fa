"""`gpt-course autograde`: broken or tampered submissions get a clear outcome and never stop the class."""

import copy
import csv
import subprocess
import sys

import nbformat
import pytest

from autograder import build
from tests.nbgrader_course import completed_release, scratch_course, submit

ASSIGNMENT = "03_attention"  # the quickest notebook to grade


def gpt_course(*args):
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], capture_output=True, text=True,
                          env=build.tool_environment())


def with_cell_changed(notebook, grade_id, change):
    notebook = copy.deepcopy(notebook)
    index = next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    change(notebook.cells, index)
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("course"), [ASSIGNMENT])
    full = completed_release(ASSIGNMENT)
    submit(course, "full", ASSIGNMENT, full)
    broken = course / "submitted" / "not_json" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')

    def paste_copy(cells, index):
        cells.insert(index + 1, copy.deepcopy(cells[index]))
        cells[index + 1]["id"] = "pasted-copy"

    def edit_schema(cells, index):
        cells[index].metadata["nbgrader"]["schema_version"] = 1

    submit(course, "pasted_test_cell", ASSIGNMENT, with_cell_changed(full, "test_softmax_naive", paste_copy))
    submit(course, "edited_schema", ASSIGNMENT, with_cell_changed(full, "test_softmax_naive", edit_schema))
    other_kernel = copy.deepcopy(full)
    other_kernel.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "?", "language": "python"}
    submit(course, "other_kernel", ASSIGNMENT, other_kernel)
    result = gpt_course("autograde", ASSIGNMENT, "--course", str(course))
    with open(course / "reports" / f"{ASSIGNMENT}-outcomes.csv", newline="") as file:
        return result, {row["student"]: row for row in csv.DictReader(file)}


def test_the_class_is_graded_despite_broken_submissions(graded):
    result, outcomes = graded
    assert result.returncode == 0, result.stderr
    assert set(outcomes) == {"full", "not_json", "pasted_test_cell", "edited_schema", "other_kernel"}
    assert "4 of 5 submissions graded" in result.stdout
    for student in ("full", "pasted_test_cell", "edited_schema", "other_kernel"):
        assert outcomes[student]["status"] == "graded"
        assert float(outcomes[student]["score"]) == float(outcomes[student]["max_score"]) > 0, student


def test_an_unreadable_notebook_is_reported_not_graded(graded):
    _, outcomes = graded
    assert outcomes["not_json"]["status"] == "not graded"
    assert "is not a valid notebook" in outcomes["not_json"]["problems"]


def test_repairs_are_flagged(graded):
    _, outcomes = graded
    assert "removed a copy of cell 'test_softmax_naive'" in outcomes["pasted_test_cell"]["problems"]
    assert "reset the edited nbgrader schema version" in outcomes["edited_schema"]["problems"]
    assert outcomes["full"]["problems"] == outcomes["other_kernel"]["problems"] == "[]"


@pytest.mark.parametrize("args, message", [
    (["autograde", ASSIGNMENT, "--course", "/nonexistent"], "is not a course directory"),
    (["autograde", "99_nothing"], "unknown assignment '99_nothing'"),
])
def test_bad_arguments_get_a_clear_error(args, message):
    result = gpt_course(*args)
    assert result.returncode == 2 and message in result.stderr


def test_no_submissions_is_a_clear_error(tmp_path):
    course = scratch_course(tmp_path, [])
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    result = gpt_course("autograde", ASSIGNMENT, "--course", str(course))
    assert result.returncode == 1 and f"no submissions for {ASSIGNMENT}" in result.stderr
