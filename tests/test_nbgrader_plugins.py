"""The course's nbgrader plug-ins on small notebooks built in memory, as nbgrader tests its own preprocessors
(nbgrader/tests/preprocessors/): no kernel, no nbgrader command, milliseconds each. The grading through real
nbgrader is in test_grading.py, test_hidden_test_kinds.py and test_nbgrader_roundtrip.py."""

import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.grading.in_nbgrader.guarded_execute import _require_pass_line, setup_imports
from autograder.grading.in_nbgrader.hide_hidden_tests import HideHiddenTests
from autograder.grading.in_nbgrader.limit_output_size import BLANK_PNG, REMOVED, LimitOutputSize
from autograder.grading.protocol import (
    HIDDEN_PREFIX,
    HIDDEN_TESTS_MARKER,
    NO_PASS_LINE,
    SETUP_GRADE_ID,
    VISIBLE_PREFIX,
    check_name,
    pass_line,
)

END_HIDDEN_TESTS = "### END HIDDEN TESTS"  # nbgrader's own end marker (ClearHiddenTests.end_test_delimeter)


def graded(cell, grade_id: str, *, grade: bool = False, solution: bool = False, points: float = 0):
    """``cell`` with nbgrader's metadata: a test cell (``grade``), a solution cell or a locked one."""
    cell.metadata["nbgrader"] = {
        "grade_id": grade_id,
        "grade": grade,
        "solution": solution,
        "locked": not solution,
        "points": points,
        "schema_version": 3,
    }
    return cell


def grade_cell(grade_id: str, source: str = "", outputs=()):
    return graded(new_code_cell(source, outputs=list(outputs)), grade_id, grade=True, points=1)


def stdout(text: str):
    return new_output("stream", name="stdout", text=text)


def error(ename="CheckFailure", evalue="the rows do not sum to one", traceback=None):
    return new_output("error", ename=ename, evalue=evalue, traceback=[] if traceback is None else traceback)


def run(preprocessor, *cells):
    """The notebook of ``cells`` after ``preprocessor``, the cells in their order."""
    notebook = new_notebook(cells=list(cells))
    notebook, _ = preprocessor.preprocess(notebook, {})
    return notebook.cells


# ----------------------------------------------------------------------------- HideHiddenTests

HIDDEN_CODE = "check.softmax_hidden(softmax, seed=1234)"
HIDDEN_CELL = f"check.softmax(softmax)\n### {HIDDEN_TESTS_MARKER}\n{HIDDEN_CODE}\n{END_HIDDEN_TESTS}"
QUOTING_TRACEBACK = ["Traceback (most recent call last)", f"----> 3 {HIDDEN_CODE}", "CheckFailure: rows"]


def test_the_hidden_region_leaves_the_test_cell_and_its_traceback_keeps_only_the_error():
    cell = grade_cell(
        f"{HIDDEN_PREFIX}softmax", HIDDEN_CELL, [stdout("checking\n"), error(traceback=QUOTING_TRACEBACK)]
    )
    (shown,) = run(HideHiddenTests(), cell)
    assert shown.source == "check.softmax(softmax)"
    assert shown.outputs[0] == stdout("checking\n")
    assert shown.outputs[1].traceback == ["CheckFailure: the rows do not sum to one"]
    assert HIDDEN_CODE not in nbformat.writes(new_notebook(cells=[shown]))


def test_cells_without_hidden_tests_are_left_as_they_are():
    visible = grade_cell(f"{VISIBLE_PREFIX}softmax", "check.softmax(softmax)", [error(traceback=QUOTING_TRACEBACK)])
    solution = graded(new_code_cell("def softmax(x):\n    return x", outputs=[error()]), "softmax", solution=True)
    prose = new_markdown_cell("Softmax turns scores into weights that sum to one.")
    cells = [visible, solution, prose]
    assert run(HideHiddenTests(), *copy.deepcopy(cells)) == cells


def test_a_marker_in_a_students_cell_is_the_students_text():
    """An unmatched BEGIN marker typed into a solution or printed by it makes ClearHiddenTests raise: left alone."""
    typed = f"# ### {HIDDEN_TESTS_MARKER}\ndef softmax(x):\n    return x"
    solution = graded(new_code_cell(typed, outputs=[stdout(f"### {HIDDEN_TESTS_MARKER}\n")]), "softmax", solution=True)
    unmarked = new_code_cell(f"print('### {HIDDEN_TESTS_MARKER}')")
    cells = [solution, unmarked]
    assert run(HideHiddenTests(), *copy.deepcopy(cells)) == cells


# ----------------------------------------------------------------------------- LimitOutputSize
# Each cap at a small value, with a case just under it, one at it (both kept whole) and one just over (cut).

CAP = 40
SIZES = [CAP - 1, CAP, CAP + 1]


def limited(*cells, **caps):
    return run(LimitOutputSize(**caps), *cells)


def cut(text: str, limit: int) -> str:
    """What the grader leaves of ``text`` past ``limit`` characters."""
    return text[:limit] + f"\n… {len(text) - limit:,} more characters cut by the grader\n"


@pytest.mark.parametrize("size", SIZES)
def test_printed_text_is_capped_per_code_cell(size):
    (cell,) = limited(new_code_cell(outputs=[stdout("p" * (size - 10)), stdout("q" * 10)]), max_chars=CAP)
    if size <= CAP:
        assert [output.text for output in cell.outputs] == ["p" * (size - 10), "q" * 10]
    else:  # the second stream gets what the first left of the cell's characters
        assert [output.text for output in cell.outputs] == ["p" * (size - 10), cut("q" * 10, CAP - (size - 10))]


@pytest.mark.parametrize("size", SIZES)
def test_a_large_display_keeps_only_its_text_and_says_what_was_removed(size):
    data = {"text/plain": "<Figure>", "image/png": ""}
    data["image/png"] = "i" * (size - sum(len(kind) + len(value) for kind, value in data.items()))
    output = new_output("display_data", data=data)
    (cell,) = limited(new_code_cell(outputs=[output]), max_output_chars=CAP)
    if size <= CAP:
        assert cell.outputs == [new_output("display_data", data=data)]
    else:
        note = f"[image/png output of {size:,} characters {REMOVED}]"
        assert cell.outputs[0].data == {"text/plain": f"<Figure>\n{note}"} and cell.outputs[0].metadata == {}


@pytest.mark.parametrize("count", [2, 3, 4])
def test_outputs_past_the_cap_are_removed_but_errors_are_kept(count):
    outputs = [stdout(f"line {i}\n") for i in range(count)] + [error()]
    (cell,) = limited(new_code_cell(outputs=outputs), max_outputs=3)
    if count <= 3:
        assert cell.outputs == outputs
    else:
        assert cell.outputs == [*outputs[:3], stdout(f"… 1 more outputs {REMOVED}\n"), error()]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("field, cap", [("ename", "max_error_name"), ("evalue", "max_error_value")])
def test_an_errors_name_and_message_are_capped(field, cap, size):
    (cell,) = limited(new_code_cell(outputs=[error(**{field: "e" * size})]), **{cap: CAP})
    assert cell.outputs[0][field] == ("e" * size if size <= CAP else cut("e" * size, CAP))


@pytest.mark.parametrize("size", SIZES)
def test_a_long_traceback_keeps_its_last_lines(size):
    lines = ["t" * (size - 30), "a" * 10, "b" * 10, "KeyError 1"]  # the last three: 30 characters
    (cell,) = limited(new_code_cell(outputs=[error(traceback=lines)]), max_traceback_chars=CAP)
    if size <= CAP:
        assert cell.outputs[0].traceback == lines
    else:
        assert cell.outputs[0].traceback == [f"… 1 traceback lines {REMOVED}", *lines[1:]]


@pytest.mark.parametrize("size", SIZES)
def test_a_cells_attachments_are_capped(size):
    attachment = {"image/png": ""}
    attachment["image/png"] = "a" * (size - len("plot.png") - len("image/png"))
    cell = new_markdown_cell("![plot](attachment:plot.png)", attachments={"plot.png": attachment})
    (shown,) = limited(cell, max_attachment_chars=CAP)
    if size <= CAP:
        assert shown.attachments == {"plot.png": attachment} and shown.source == "![plot](attachment:plot.png)"
    else:
        assert shown.attachments == {"plot.png": {"image/png": BLANK_PNG}}
        removed = size - len("plot.png")  # the attachment's own size, without its name
        assert shown.source.endswith(f"[1 attachments of {removed:,} characters {REMOVED}: plot.png]")


@pytest.mark.parametrize("size", SIZES)
def test_the_largest_outputs_go_when_the_notebook_is_over_its_cap(size):
    small, large = new_code_cell(outputs=[stdout("s" * 15)]), new_code_cell(outputs=[stdout("l" * (size - 15))])
    kept_small, shown_large = limited(small, large, max_notebook_chars=CAP)
    assert kept_small.outputs == [stdout("s" * 15)]
    if size <= CAP:
        assert shown_large.outputs == [stdout("l" * (size - 15))]
    else:
        note = f"[1 outputs of {size - 15:,} characters {REMOVED}: the notebook's outputs are too large]\n"
        assert shown_large.outputs == [stdout(note)]


def test_errors_over_the_notebooks_cap_are_cut_to_their_name_and_message_and_kept():
    traceback = ["frame " * 20, "CheckFailure: rows"]
    (cell,) = limited(new_code_cell(outputs=[error(evalue="rows", traceback=traceback)]), max_notebook_chars=CAP)
    assert cell.outputs == [error(evalue="rows", traceback=["CheckFailure: rows"])]


# ----------------------------------------------------------------------------- GuardedExecute, without a kernel


def test_setup_imports_are_the_import_statements_of_the_setup_cell():
    setup = graded(
        new_code_cell(
            "import torch\nfrom torch import nn\ntorch.manual_seed(0)\nfrom autograder.checks import qkv as check"
        ),
        SETUP_GRADE_ID,
    )
    other = graded(new_code_cell("import os"), "softmax", solution=True)
    assert setup_imports(new_notebook(cells=[other, setup])) == (
        "import torch\nfrom torch import nn\nfrom autograder.checks import qkv as check"
    )


@pytest.mark.parametrize(
    "cells",
    [
        [graded(new_code_cell("import torch"), "softmax", solution=True)],
        [graded(new_code_cell("import ("), SETUP_GRADE_ID)],
    ],
    ids=["no setup cell", "a setup cell that does not parse"],
)
def test_setup_imports_are_empty_without_a_readable_setup_cell(cells):
    assert setup_imports(new_notebook(cells=cells)) == ""


@pytest.mark.parametrize(
    "grade_id, printed",
    [
        (f"{VISIBLE_PREFIX}softmax", pass_line(check_name("softmax"))),
        (f"{HIDDEN_PREFIX}softmax", pass_line(check_name("softmax", hidden=True))),
        ("softmax", ""),  # not a test cell of the course's checks: nothing to expect
        ("cell-8f3a", ""),
        (VISIBLE_PREFIX, ""),  # no exercise in the grade id
    ],
)
def test_a_test_cell_that_printed_its_pass_line_or_needs_none_keeps_its_outputs(grade_id, printed):
    outputs = [stdout("checking\n"), stdout(printed + "\n")]
    cell = grade_cell(grade_id, outputs=outputs)
    _require_pass_line(cell)
    assert cell.outputs == outputs


@pytest.mark.parametrize(
    "grade_id, printed, expected",
    [
        (f"{VISIBLE_PREFIX}softmax", "", check_name("softmax")),
        (f"{VISIBLE_PREFIX}softmax", pass_line(check_name("softmax_stable")), check_name("softmax")),
        (f"{HIDDEN_PREFIX}softmax", pass_line(check_name("softmax")), check_name("softmax", hidden=True)),
    ],
    ids=["nothing", "another check's line", "the visible line in a hidden cell"],
)
def test_a_test_cell_without_its_own_pass_line_gets_a_grading_error(grade_id, printed, expected):
    outputs = [stdout(printed + "\n")]
    cell = grade_cell(grade_id, outputs=outputs)
    _require_pass_line(cell)
    assert cell.outputs[:-1] == outputs
    assert cell.outputs[-1].output_type == "error" and cell.outputs[-1].ename == NO_PASS_LINE
    assert pass_line(expected) in cell.outputs[-1].evalue


def test_a_test_cell_with_an_error_is_left_to_score_zero_as_it_is():
    outputs = [stdout("checking\n"), error()]
    cell = grade_cell(f"{HIDDEN_PREFIX}softmax", outputs=outputs)
    _require_pass_line(cell)
    assert cell.outputs == outputs
