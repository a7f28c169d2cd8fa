"""The caps on what a notebook may be before nbgrader reads it: every honest notebook far below, each cap enforced."""

import nbformat
import pytest

from autograder.grading.in_instructor import notebook_repair
from autograder.grading.in_instructor.notebook_repair import notebook_problem, over_cap
from tools.checkout import TREE


@pytest.mark.parametrize("notebook", TREE.notebooks())
def test_the_courses_complete_notebooks_are_far_below_every_cap(notebook):
    assert over_cap(TREE.solution_path(notebook)) is None
    assert notebook_problem(TREE.solution_path(notebook)) is None


def write(tmp_path, cells) -> object:
    path = tmp_path / "03_attention.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


@pytest.mark.parametrize(
    "cells, cap",
    [
        ([nbformat.v4.new_markdown_cell("") for _ in range(2_001)], "2,000 cells (2,001)"),
        ([nbformat.v4.new_code_cell("x" * 200_001)], "200,000 characters in one cell (200,001)"),
        ([nbformat.v4.new_code_cell("x" * 150_000) for _ in range(14)], "2,000,000 characters of source (2,100,000)"),
    ],
)
def test_each_cap_is_enforced_just_over_it(tmp_path, cells, cap):
    path = write(tmp_path, cells)
    assert over_cap(path) == f"03_attention.ipynb is over the cap of {cap}"
    assert notebook_problem(path) == over_cap(path)


def test_the_byte_cap_is_read_before_the_file(tmp_path, monkeypatch):
    path = write(tmp_path, [nbformat.v4.new_code_cell("print(1)")])
    monkeypatch.setattr(notebook_repair, "MAX_BYTES", path.stat().st_size - 1)
    assert over_cap(path).startswith("03_attention.ipynb is over the cap of ")
    monkeypatch.setattr(notebook_repair, "MAX_BYTES", path.stat().st_size)
    assert over_cap(path) is None


def test_a_file_that_is_no_notebook_is_left_to_notebook_problem(tmp_path):
    path = tmp_path / "03_attention.ipynb"
    path.write_text('{"cells": [')
    assert over_cap(path) is None and "is not a valid notebook" in notebook_problem(path)


def test_browser_copies_of_an_assignments_several_notebooks_get_their_names(tmp_path):
    for name in ("07a_gpt_model (1)", "07b_pretraining", "07c_fine_tuning - Copy", "notes (1)"):
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / f"{name}.ipynb")
    expected = ["07a_gpt_model.ipynb", "07b_pretraining.ipynb", "07c_fine_tuning.ipynb"]
    renamed = notebook_repair.rename_browser_copy(tmp_path, expected)
    assert len(renamed) == 2
    assert sorted(path.name for path in tmp_path.glob("*.ipynb")) == [*expected, "notes (1).ipynb"]
    assert notebook_repair.rename_browser_copy(tmp_path, expected) == []  # nothing left to rename
