"""The hidden checks' inputs cannot be known in advance: each grading run mixes a secret into the seeds that the
hidden test cells name, so a table of answers recorded at home with the course's public seeds earns nothing."""

import os
import re
import stat

import pytest
import torch

from autograder.checks import CheckFailure
from autograder.checks import attention as check
from autograder.grading.in_kernel import hidden_seeds
from autograder.instructor import autograde
from autograder.instructor.autograde import SECRET_FILE, log_directory
from tools.checkout import TREE
from tools.nbgrader_course import cell_scores, completed_release, scratch_course, submit

ASSIGNMENT = "03_attention"
SEED = int(re.search(r"softmax_naive_hidden\(softmax_naive, seed=(\d+)\)", TREE.source_path(ASSIGNMENT).read_text())[1])


@pytest.fixture(autouse=True)
def no_secret_afterwards():
    yield
    hidden_seeds.use_secret("")


def recorded_answers(seed: int) -> dict[str, list]:
    """What someone records at home: every input the checks give softmax_naive (visible, and hidden at ``seed``),
    with the right answer."""
    table = {}

    def recorder(x):
        answer = torch.softmax(x, dim=-1)
        table[repr(x.tolist())] = answer.tolist()
        return answer

    check.softmax_naive(recorder)
    check.softmax_naive_hidden(recorder, seed)
    return table


def table_answer(table):
    """A softmax_naive that knows only the table: right on the recorded inputs, wrong on every other."""

    def softmax_naive(x):
        key = repr(x.tolist())
        return torch.tensor(table[key], dtype=x.dtype) if key in table else x

    return softmax_naive


def test_without_a_secret_the_named_seed_is_used():
    assert hidden_seeds.seed_for(SEED) == SEED


def test_a_secret_gives_other_seeds_the_same_each_time():
    hidden_seeds.use_secret("one run")
    first = hidden_seeds.seed_for(SEED)
    assert first != SEED and hidden_seeds.seed_for(SEED) == first and 0 <= first < 2**63
    hidden_seeds.use_secret("another run")
    assert hidden_seeds.seed_for(SEED) not in (SEED, first)


def test_a_recorded_table_passes_without_a_secret_and_fails_with_one():
    """The control and the point: the table beats the hidden check at the public seed, and not in a graded run."""
    table = table_answer(recorded_answers(SEED))
    check.softmax_naive_hidden(table, SEED)  # at home: passes
    hidden_seeds.use_secret("this run's secret")
    check.softmax_naive(table)  # the visible check's inputs are fixed and public: still passes
    with pytest.raises(CheckFailure):
        check.softmax_naive_hidden(table, SEED)


@pytest.mark.nbgrader
@pytest.mark.sandbox
def test_graded_by_nbgrader_the_table_loses_the_hidden_points_and_the_secret_is_kept_private(tmp_path):
    course = scratch_course(tmp_path, [ASSIGNMENT])
    table = recorded_answers(SEED)
    cheat = (
        "TABLE = "
        + repr(table)
        + "\n\n"
        + (
            "def softmax_naive(x):\n"
            "    key = repr(x.tolist())\n"
            "    return torch.tensor(TABLE[key], dtype=x.dtype) if key in TABLE else x\n"
        )
    )
    submit(course, "honest", ASSIGNMENT, completed_release(ASSIGNMENT))
    submit(course, "table", ASSIGNMENT, completed_release(ASSIGNMENT, {"softmax_naive": cheat}))
    outcomes = {outcome.student: outcome for outcome in autograde.autograde(course, ASSIGNMENT)}
    assert outcomes["honest"].score == outcomes["honest"].max_score > 0
    scores = cell_scores(course, ASSIGNMENT, "table")
    assert scores["test_softmax_naive"] == 1 and scores["hidden_softmax_naive"] == 0, scores
    secret = log_directory(course, ASSIGNMENT) / SECRET_FILE
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert re.fullmatch(r"GPT_COURSE_HIDDEN_SEED_SECRET=[0-9a-f]{32}\n", secret.read_text())
