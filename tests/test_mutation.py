"""The mutator makes the mutants it promises, the runner kills bad ones, the allow-list is not stale,
and assignment 03's checks kill every mutant of its solutions. The full run is benchmarks/mutation_score.py."""

import pytest

from tools import mutation

EXAMPLE = """
def attend(x, y):
    z = torch.softmax(x @ y.T / 2.0, dim=-1)
    return self.dropout(z).sum(-1, keepdim=True) - 1
"""

MASKING = """
def masked(x, mask):
    if x.shape[0] < 3:
        raise ValueError(f"too short: {x.shape[0] - 1}")
    variance = x.var(dim=-1, unbiased=False)
    return x.masked_fill(mask, float('-inf')), variance, not mask.any()
"""


def mutated_lines(source, lines=None) -> dict[str, set[str]]:
    found = {}
    for mutant in mutation.mutants("example", source, lines):
        found.setdefault(mutant.operator, set()).add(mutant.mutated_line)
    return found


@pytest.mark.parametrize(
    "operator, line",
    [
        ("swapped_operands", "z = torch.softmax(y.T @ x / 2.0, dim=-1)"),
        ("swapped_operands", "z = torch.softmax(2.0 / (x @ y.T), dim=-1)"),
        ("swapped_operands", "return 1 - self.dropout(z).sum(-1, keepdim=True)"),
        ("arithmetic_swap", "z = torch.softmax(x @ y.T * 2.0, dim=-1)"),
        ("arithmetic_swap", "return self.dropout(z).sum(-1, keepdim=True) + 1"),
        ("dim_change", "z = torch.softmax(x @ y.T / 2.0, dim=0)"),
        ("dim_change", "z = torch.softmax(x @ y.T / 2.0, dim=-2)"),
        ("dim_change", "return self.dropout(z).sum(0, keepdim=True) - 1"),
        ("dropped_scaling", "z = torch.softmax(x @ y.T, dim=-1)"),
        ("transpose", "z = torch.softmax(x @ y / 2.0, dim=-1)"),
        ("transpose", "z = torch.softmax(x.mT @ y.T / 2.0, dim=-1)"),
        ("transpose", "z = torch.softmax(x @ y.T.mT / 2.0, dim=-1)"),
        ("removed_call", "return z.sum(-1, keepdim=True) - 1"),
        ("changed_float", "z = torch.softmax(x @ y.T / 4.0, dim=-1)"),
        ("changed_float", "z = torch.softmax(x @ y.T / 1.0, dim=-1)"),
        ("keepdim", "return self.dropout(z).sum(-1, keepdim=False) - 1"),
        ("off_by_one", "return self.dropout(z).sum(-1, keepdim=True) - 2"),
        ("off_by_one", "return self.dropout(z).sum(-1, keepdim=True) - 0"),
    ],
)
def test_operators_on_an_attention_line(operator, line):
    assert line in mutated_lines(EXAMPLE).get(operator, set())


@pytest.mark.parametrize(
    "operator, line",
    [
        ("comparison_swap", "if x.shape[0] <= 3:"),
        ("off_by_one", "if x.shape[0] < 4:"),
        ("unbiased", "variance = x.var(dim=-1, unbiased=True)"),
        ("masked_fill_zero", "return (x.masked_fill(mask, 0.0), variance, not mask.any())"),
        ("dropped_unary", "return (x.masked_fill(mask, float('-inf')), variance, mask.any())"),
    ],
)
def test_operators_on_conditions_and_masks(operator, line):
    assert line in mutated_lines(MASKING).get(operator, set())


SIDE_EFFECTS = """
import copy
class Block:
    def __init__(self, size):
        \"\"\"A block.\"\"\"
        self.register_buffer('mask', torch.ones(size, size))
    def forward(self, x, ids, model, generator=None):
        shifted = x - 1
        scaled = self.scale * x
        order = sorted(ids, reverse=True)
        kept, frozen, listed, every = (x.clone(), copy.deepcopy(model), list(ids), ids[:])
        with torch.no_grad():
            out = model(x).detach()
        with torch.no_grad(), open('log') as log:
            pass
        drawn = torch.multinomial(out, 1, generator=generator)
        return torch.arange(x.shape[1], device=x.device) + drawn
"""


@pytest.mark.parametrize(
    "operator, line",
    [
        ("in_place_arithmetic", "shifted = x.sub_(1)"),
        ("in_place_arithmetic", "scaled = self.scale.mul_(x)"),
        ("sort_in_place", "order = (ids.sort(reverse=True), ids)[1]"),
        ("removed_copy", "kept, frozen, listed, every = (x, copy.deepcopy(model), list(ids), ids[:])"),
        ("removed_copy", "kept, frozen, listed, every = (x.clone(), model, list(ids), ids[:])"),
        ("removed_copy", "kept, frozen, listed, every = (x.clone(), copy.deepcopy(model), ids, ids[:])"),
        ("removed_copy", "kept, frozen, listed, every = (x.clone(), copy.deepcopy(model), list(ids), ids)"),
        ("graph_kept", "if True:"),
        ("graph_kept", "with open('log') as log:"),
        ("graph_kept", "out = model(x)"),
        ("dropped_generator", "drawn = torch.multinomial(out, 1)"),
        ("dropped_device", "return torch.arange(x.shape[1]) + drawn"),
        ("buffer_not_persistent", "self.register_buffer('mask', torch.ones(size, size), persistent=False)"),
        ("reseeded", "torch.manual_seed(0)  # before self.register_buffer('mask', torch.ones(size, size))"),
        ("reseeded", "torch.manual_seed(0)  # before shifted = x - 1"),
    ],
)
def test_operators_for_side_effects(operator, line):
    assert line in mutated_lines(SIDE_EFFECTS).get(operator, set())


def test_in_place_arithmetic_only_on_a_name_or_attribute():
    # torch.arange(...) + drawn: the left operand is a fresh tensor, so .add_ there would change nothing of the caller's
    assert mutated_lines(SIDE_EFFECTS)["in_place_arithmetic"] == {"shifted = x.sub_(1)", "scaled = self.scale.mul_(x)"}


def test_forgetting_no_grad_keeps_the_body():
    (forgotten,) = [
        mutant for mutant in mutation.mutants("example", SIDE_EFFECTS) if mutant.description.startswith("with torch")
    ]
    assert "if True:\n            out = model(x).detach()\n" in forgotten.source


def test_the_seed_goes_after_the_handed_out_lines_and_only_where_torch_is_used():
    lines = {8, 9}  # forward's first two statements: __init__ has no line to mutate
    assert mutated_lines(SIDE_EFFECTS, lines)["reseeded"] == {"torch.manual_seed(0)  # before shifted = x - 1"}
    assert "reseeded" not in mutated_lines("def count(ids):\n    return len(ids) - 1\n")


def test_a_dropped_call_statement_names_what_it_dropped():
    step = "def step(optimizer, loss):\n    optimizer.zero_grad()\n    loss.backward()\n"
    assert mutated_lines(step)["removed_statement"] == {
        "pass  # instead of optimizer.zero_grad()",
        "pass  # instead of loss.backward()",
    }


def test_messages_in_f_strings_are_left_alone():
    message_lines = [line for lines in mutated_lines(MASKING).values() for line in lines if "too short" in line]
    assert message_lines and all("{x.shape[0] - 1}" in line for line in message_lines)


def test_only_the_given_lines_are_mutated():
    mutants = mutation.mutants("example", EXAMPLE, lines={4})
    assert mutants and {mutant.line for mutant in mutants} == {4}


def test_every_mutant_is_distinct_and_differs_from_the_source():
    sources = [mutant.source for mutant in mutation.mutants("example", EXAMPLE + MASKING)]
    assert len(sources) == len(set(sources))
    assert mutation.ast.unparse(mutation.ast.parse(EXAMPLE + MASKING)) not in sources


def test_exercises_are_the_solution_cells_without_markers():
    (exercise,) = mutation.exercises(["03_attention"], ["softmax_naive"])
    assert exercise.checks_module == "autograder.checks.attention"
    assert "### BEGIN SOLUTION" not in exercise.source and "def softmax_naive(x):" in exercise.source
    assert "def attention_scores" in exercise.prelude  # the notebook's earlier solution cells come first


def test_the_runner_kills_a_bad_mutant_and_passes_the_solution():
    (exercise,) = mutation.exercises(["03_attention"], ["softmax_naive"])
    assert mutation.run_source(exercise, exercise.source) == []
    (summing_columns,) = [
        mutant for mutant in exercise.mutants() if mutant.mutated_line.endswith("sum(dim=0, keepdim=True)")
    ]
    assert mutation.run_source(exercise, summing_columns.source)


def test_a_mutant_that_never_returns_is_killed_by_the_time_limit():
    (exercise,) = mutation.exercises(["03_attention"], ["softmax_naive"])
    failures = mutation.run_source(exercise, "def softmax_naive(x):\n    while True:\n        pass\n", time_limit_s=1)
    assert failures == ["timed out after 1 s"]


def test_every_allow_listed_mutant_is_still_made():
    made = {mutant.key for exercise in mutation.exercises() for mutant in exercise.mutants()}
    stale = [key for key in mutation.load_equivalents() if key not in made]
    assert not stale, f"allow-list entries that the mutator no longer makes (remove them): {stale}"


# Bugs of 03 that its checks miss, found by the side-effect operators: real bugs, not equivalent mutants, waiting for
# the checks to catch them (reported with the mutation run of 2026-12-07). Keyed like the allow-list.


@pytest.mark.parametrize("exercise", mutation.exercises(["03_attention"]), ids=lambda exercise: exercise.name)
def test_assignment_03_checks_kill_every_mutant(exercise):
    result = mutation.run_exercise(exercise, mutation.load_equivalents())
    assert result.solution_failures == []
    escaped = [
        (mutant.mutated_line, status)
        for mutant, status in result.outcomes
        if status in ("survived", "allowed but killed")
    ]
    assert not escaped
