"""The scan that flags code reaching for the machinery of grading: silent on the course's own notebooks."""

from pathlib import Path

import nbformat
import pytest

from autograder.grading.in_instructor.tamper_scan import reaching_code

ROOT = Path(__file__).resolve().parents[1]
RELEASES = sorted(ROOT.glob("course/release/*/*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("release", RELEASES, ids=lambda path: path.stem)
def test_the_course_notebooks_are_not_flagged(release):
    """Neither the handed-out notebook nor the complete solution: the scan is silent on the course's own code."""
    assert reaching_code(read(release), read(release)) == []
    assert reaching_code(read(ROOT / "solutions" / release.name), read(release)) == []


def test_the_course_has_notebooks_to_scan():
    assert len(RELEASES) == 9 and all((ROOT / "solutions" / path.name).is_file() for path in RELEASES)  # 07: three


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
    flags = reaching_code(notebook, nbformat.v4.new_notebook(cells=[setup]))
    assert len(flags) == 1 and finding in flags[0], flags


def test_a_cell_marked_locked_by_the_student_is_read_all_the_same():
    fake = nbformat.v4.new_code_cell("import torch\ntorch.__dict__['allclose'] = lambda *args: True")
    fake.metadata["nbgrader"] = {"locked": True, "solution": True, "grade_id": "softmax_stable"}
    flags = reaching_code(nbformat.v4.new_notebook(cells=[fake]), nbformat.v4.new_notebook())
    assert flags == ["for review: softmax_stable uses .__dict__"], flags


@pytest.mark.parametrize("code", ["total = " + "+".join(["1"] * 5000), "x = a" + ".b" * 3000])
def test_a_cell_too_deep_to_parse_is_flagged_not_raised(code):
    """Valid Python that Python's own parser gives up on (RecursionError): flagged, and the scan goes on."""
    honest = nbformat.v4.new_code_cell("import torch\ntorch.allclose = print")
    flags = reaching_code(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code), honest]))
    assert flags == [
        "for review: cell 0 could not be read (RecursionError)",
        "for review: cell 1 changes torch.allclose",
    ]


def test_a_cell_that_does_not_parse_is_left_to_fail_when_it_runs():
    assert reaching_code(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def f(:")])) == []
