"""Every check accepts valid alternatives and rejects the classic bugs (visible and hidden checks),
and refuses the course's own reference. Rows come from tools/catalogue/."""

import contextlib
import io

import pytest

from autograder.checks import CheckFailure
from autograder.checks.registry import EXERCISES as DECLARED
from tools.catalogue import CATALOGUES, declared_exercises, multihead, tokenization
from tools.exercise_runner import run_visible_and_hidden, student_namespace

VALID = [(a, c, exercise, source) for a, c in CATALOGUES.items() for exercise, source in c.VALID]
BUGGY = [(a, c, exercise, source, words) for a, c in CATALOGUES.items() for exercise, source, words in c.BUGGY]
EXERCISES = [(a, c, exercise) for a, c in CATALOGUES.items() for exercise in declared_exercises(c)]


def variant(catalogue, exercise, source):
    return student_namespace(catalogue.COMMON + source)[exercise]


@pytest.mark.parametrize("assignment, catalogue, exercise, source", VALID, ids=[f"{r[0]}-{r[2]}" for r in VALID])
def test_valid_alternatives_pass(assignment, catalogue, exercise, source):
    assert run_visible_and_hidden(catalogue.checks, exercise, variant(catalogue, exercise, source)) == []


@pytest.mark.parametrize("assignment, catalogue, exercise, source, words", BUGGY, ids=[f"{r[0]}-{r[2]}" for r in BUGGY])
def test_classic_bugs_fail_with_a_helpful_message(assignment, catalogue, exercise, source, words):
    failures = run_visible_and_hidden(catalogue.checks, exercise, variant(catalogue, exercise, source))
    assert failures, "the bug went unnoticed"
    assert any(words in failure for failure in failures), failures
    assert all("hint:" in failure for failure in failures), failures


@pytest.mark.parametrize("assignment, catalogue, exercise", EXERCISES, ids=[f"{r[0]}-{r[2]}" for r in EXERCISES])
def test_handing_in_the_reference_fails(assignment, catalogue, exercise):
    failures = run_visible_and_hidden(catalogue.checks, exercise, DECLARED[exercise].reference)
    assert len(failures) == 2 and all("reference" in failure for failure in failures)


def test_wrapping_the_reference_fails():
    wrapped = student_namespace(
        "from autograder.reference.tokenization import train_bpe as solution\n"
        "def train_bpe(text, vocab_size): return solution(text, vocab_size)"
    )["train_bpe"]
    failures = run_visible_and_hidden(tokenization.checks, "train_bpe", wrapped)
    assert len(failures) == 2 and all("reference `train_bpe` was called" in failure for failure in failures)


def test_untouched_exercises_fail_as_not_done():
    stub = student_namespace("def split_text(text):\n    raise NotImplementedError()")["split_text"]
    assert all("not done yet" in failure for failure in run_visible_and_hidden(tokenization.checks, "split_text", stub))


def test_fused_attention_imported_by_name_counts_as_used():
    source = (
        multihead.MHA.format(split=multihead.SPLIT, attend=multihead.ATTEND, merge=multihead.MERGE)
        + "from torch.nn.functional import scaled_dot_product_attention as sdpa\n"
        + multihead.SDPA.replace("nn.functional.scaled_dot_product_attention", "sdpa")
    )
    assert (
        run_visible_and_hidden(
            multihead.checks, "MultiHeadAttentionSDPA", variant(multihead, "MultiHeadAttentionSDPA", source)
        )
        == []
    )


# What a learner meets first is the visible check. Issue 27 asks that at most 5 classic bugs pass it (46 of 198
# did); this bound only goes down as visible checks learn the regimes the hidden ones hold.
VISIBLE_MISSES_AT_MOST = 18


def passes_the_visible_check(catalogue, exercise, source) -> bool:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            getattr(catalogue.checks, exercise)(variant(catalogue, exercise, source))
    except CheckFailure:
        return False
    return True


def test_the_visible_checks_catch_the_classic_bugs(capsys):
    missed = {
        assignment: [exercise for exercise, source, _ in c.BUGGY if passes_the_visible_check(c, exercise, source)]
        for assignment, c in CATALOGUES.items()
    }
    with capsys.disabled():
        print(
            "\nclassic bugs that pass the visible check: "
            + ", ".join(
                f"{assignment[:2]} {len(names)}/{len(CATALOGUES[assignment].BUGGY)}"
                for assignment, names in missed.items()
            )
        )
    assert sum(map(len, missed.values())) <= VISIBLE_MISSES_AT_MOST, missed
