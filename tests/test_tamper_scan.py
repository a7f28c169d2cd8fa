"""The scan that flags code reaching for the machinery of grading: silent on the course's own notebooks."""

from pathlib import Path

import nbformat
import pytest

from autograder.grading.in_instructor.tamper_scan import reaching_code

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("course/release/*/*.ipynb"), *ROOT.glob("solutions/*/*.ipynb")])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_the_course_notebooks_are_not_flagged(path):
    assert reaching_code(nbformat.read(path, as_version=4)) == []


@pytest.mark.parametrize(
    "code, finding",
    [
        ("torch.allclose = lambda *args, **kwargs: True", "changes torch.allclose"),
        ("check.Check.tensor = print", "changes check.Check.tensor"),
        ("del torch.testing.assert_close", "changes torch.testing.assert_close"),
        ("setattr(torch, 'all' + 'close', print)", "uses setattr"),
        ("torch.__dict__['allclose'] = print", "uses .__dict__"),
        ("import sys\nsys.modules['autograder.checks'] = None", "uses sys.modules"),
        ("exec(bytes.fromhex('7072696e74').decode())", "uses exec"),
        ("import ctypes", "imports ctypes"),
        ("from autograder.reference.attention import softmax_stable", "imports autograder.reference.attention"),
        ("def softmax(x):\n    import gc\n    return x", "imports gc"),
    ],
)
def test_reaching_code_is_flagged(code, finding):
    setup = nbformat.v4.new_code_cell("import torch\nfrom autograder import checks as check")
    notebook = nbformat.v4.new_notebook(cells=[setup, nbformat.v4.new_code_cell(code)])
    setup.metadata["nbgrader"] = {"locked": True, "grade_id": "setup"}
    flags = reaching_code(notebook)
    assert len(flags) == 1 and finding in flags[0], flags


def test_a_cell_that_does_not_parse_is_left_to_fail_when_it_runs():
    assert reaching_code(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def f(:")])) == []
