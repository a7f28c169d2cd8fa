"""The check helpers: strict comparisons and clear failure messages."""

import re
from collections import Counter

import pytest
import torch

from autograder.checks.core import Check, CheckFailure


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


def test_a_passing_check_prints_one_line_and_returns_none(capsys):
    with Check("demo") as check:
        check.equal([1, 2], [1, 2], "list")
    assert capsys.readouterr().out == "✔ demo: passed (0 cases)\n"


def test_failure_states_expected_got_and_hint():
    with pytest.raises(CheckFailure) as failure, Check("demo") as check:
        check.equal(["a", "b"], ["a", "c"], "tokens", hint="look again")
    message = str(failure.value)
    assert message.splitlines() == [
        "demo: tokens: first difference at position 1: expected 'c', got 'b'",
        "  expected: ['a', 'c']",
        "  got:      ['a', 'b']",
        "  hint:     look again",
    ]


@pytest.mark.parametrize("impostor", [AlwaysEqual(), ("a", "c"), None])
def test_look_alike_values_do_not_pass(impostor):
    with pytest.raises(CheckFailure), Check("demo") as check:
        check.equal(impostor, ["a", "c"], "tokens")


def test_dict_subclasses_compare_by_content_but_keys_must_be_plain():
    with Check("demo") as check:
        check.equal(Counter({(1, 2): 2}), {(1, 2): 2}, "counts")
    with pytest.raises(CheckFailure, match="unexpected key type AlwaysEqual"), Check("demo") as check:
        check.equal({AlwaysEqual(): 2}, {(1, 2): 2}, "counts")


def test_close_uses_stated_tolerances():
    with Check("demo") as check:
        check.close(1.0 + 1e-9, 1.0, "ratio")
    with pytest.raises(CheckFailure, match="expected: 1"), Check("demo") as check:
        check.close(1.001, 1.0, "ratio")
    with pytest.raises(CheckFailure, match="expected a number"), Check("demo") as check:
        check.close("1.0", 1.0, "ratio")
    with pytest.raises(CheckFailure), Check("demo") as check:
        check.close(float("nan"), 1.0, "ratio")


def test_errors_in_student_code_are_reported_with_their_cause():
    def broken(x):
        return 1 / 0

    with (
        pytest.raises(CheckFailure, match=r"broken\(...\) raised ZeroDivisionError") as failure,
        Check("demo") as check,
    ):
        check.call(broken, 1)
    assert isinstance(failure.value.__cause__, ZeroDivisionError)


def test_an_untouched_exercise_says_so():
    def exercise():
        raise NotImplementedError()

    with pytest.raises(CheckFailure, match="replace `raise NotImplementedError\\(\\)`"), Check("demo") as check:
        check.call(exercise)


def test_expect_error_needs_the_right_error():
    with Check("demo") as check, check.expect_error(ValueError, "f()"):
        raise ValueError("fine")
    with (
        pytest.raises(CheckFailure, match="raised no error"),
        Check("demo") as check,
        check.expect_error(ValueError, "f()"),
    ):
        pass
    with (
        pytest.raises(CheckFailure, match="raised the wrong error"),
        Check("demo") as check,
        check.expect_error(ValueError, "f()"),
    ):
        raise ZeroDivisionError()


def test_tensor_comparison_checks_type_shape_dtype_and_values():
    import torch

    expected = torch.arange(6.0).reshape(2, 3)
    with Check("demo") as check:
        check.tensor(expected + 1e-7, expected, "x")
    cases = [
        (expected.tolist(), "expected a torch.Tensor"),
        (expected.T, "dimensions are in the wrong order"),
        (torch.zeros(2, 4), "off by one"),
        (expected[None], "number of dimensions differs"),
        (expected.double(), "wrong dtype"),
        (expected + torch.tensor([[0, 0, 0], [0, 0.1, 0]]), "1 of 6 values differ (first at index (1, 1)"),
        (expected.masked_fill(expected > 4, float("nan")), "1 of 6 values differ"),
    ]
    for got, words in cases:
        with pytest.raises(CheckFailure, match=re.escape(words)), Check("demo") as check:
            check.tensor(got, expected, "x")


def test_checks_leave_the_notebooks_random_streams_alone():
    import random

    import torch

    random.seed(1), torch.manual_seed(1)
    expected = (random.random(), torch.rand(1))
    random.seed(1), torch.manual_seed(1)
    with Check("demo"):
        random.random(), torch.rand(3), torch.nn.Linear(4, 4)
    assert (random.random(), torch.rand(1)) == expected


def test_messages_quoting_other_libraries_lose_terminal_codes():
    def fails():
        raise RuntimeError("do \x1b[1mthis\x1b[0m only\r\n\tif\x07 you must")

    with pytest.raises(CheckFailure) as failure, Check("demo") as check:
        check.call(fails)
    assert "raised RuntimeError: do this only\n\tif you must" in str(failure.value)


@pytest.mark.parametrize(
    "build, words",
    [
        (lambda: torch.nn.ModuleList([torch.nn.Linear(2, 2)] * 2), "0 and 1 are the same module object"),
        (lambda: torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2, bias=False)]), "missing 1.bias"),
        (lambda: torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)]), "unexpected 1.bias"),
        (lambda: torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.Linear(3, 2)]), "name the layers exactly"),
    ],
)
def test_a_parameter_name_mismatch_names_its_cause(build, words):
    expected = (
        ["0.weight", "0.bias", "1.weight"] if "unexpected" in words else ["0.weight", "0.bias", "1.weight", "1.bias"]
    )
    if "name the layers" in words:
        expected = ["first.weight", "first.bias", "second.weight", "second.bias"]
    with pytest.raises(CheckFailure) as failure, Check("demo") as check:
        check.module(build, described="the module", parameters=expected)
    assert words in str(failure.value)
