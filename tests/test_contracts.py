"""The contracts every exercise is held to (autograder/checks/contracts.py), one test per contract: a function that
breaks it fails with a message that names it, and a valid function that happens to copy its inputs, use a
generator it is given or switch its model to eval mode passes."""

import random

import pytest
import torch
from torch import nn

from autograder.checks import contracts
from autograder.checks.core import Check, CheckFailure


def called(function, *args, **options) -> str:
    """The failure message of calling ``function`` through a check, or "" when every contract held."""
    try:
        with Check("contract_example") as check:
            check.call(function, *args, **options)
    except CheckFailure as failure:
        return str(failure)
    return ""


def out_of_place(scores):
    return scores - scores.max(dim=-1, keepdim=True).values


def in_place(scores):
    scores -= scores.max(dim=-1, keepdim=True).values
    return scores


def test_a_tensor_changed_in_place_breaks_the_arguments_contract():
    message = called(in_place, torch.randn(3, 4))
    assert "argument `scores` was changed in place (12 of 12 values differ)" in message
    assert "x -= m" in message  # the hint names the in-place operation
    assert called(out_of_place, torch.randn(3, 4)) == ""


def test_a_list_sorted_or_extended_in_place_breaks_it():
    assert "argument `tokens` was changed in place" in called(lambda tokens: tokens.sort(), [3, 1, 2])
    assert "changed in place" in called(lambda tokens: tokens.append(0) or tokens, [[1], [2]])
    assert "was changed in place" in called(lambda rows: rows[0].append(9) or rows, [[1], [2]])
    assert called(lambda tokens: sorted(tokens), [3, 1, 2]) == ""
    assert "was changed in place (item 1)" in called(lambda xs: xs.__setitem__(1, float("nan")), [1.0, 2.0])
    assert called(lambda xs: sum(xs), [1.0, float("nan")]) == ""


def test_a_model_s_weights_changed_by_a_call_that_may_not_change_them_breaks_it():
    model = nn.Linear(3, 2)

    def rescale(model):
        with torch.no_grad():
            model.weight.mul_(2)
        return model.weight.sum()

    assert "parameter weight was changed in place" in called(rescale, model)
    assert called(lambda model: model.weight.sum(), nn.Linear(3, 2)) == ""


def test_a_training_step_may_change_values_but_not_what_the_caller_froze():
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))
    model[0].requires_grad_(False)

    def unfreezing_step(model):
        model.requires_grad_(True)
        with torch.no_grad():
            model[1].weight.add_(1)

    message = called(unfreezing_step, model, changes=contracts.VALUES)
    assert "parameter 0.weight now has requires_grad=True" in message and "frozen" in message
    model[0].requires_grad_(False)
    assert called(lambda model: model[1].weight.data.add_(1), model, changes=contracts.VALUES) == ""


def test_a_replaced_parameter_breaks_it():
    def replace(model):
        model.weight = nn.Parameter(torch.zeros(2, 3))

    assert "parameter weight was replaced by another object" in called(replace, nn.Linear(3, 2), changes="values")


def test_a_model_switched_into_training_mode_breaks_it_and_eval_mode_does_not():
    assert "switched into training mode" in called(lambda model: model.train() and None, nn.Linear(2, 2).eval())
    assert called(lambda model: model.eval() and None, nn.Linear(2, 2).train()) == ""


def test_grad_mode_left_off_breaks_it():
    def left_off(x):
        torch.set_grad_enabled(False)
        return x * 2

    try:
        message = called(left_off, torch.ones(2))
    finally:
        torch.set_grad_enabled(True)
    assert "grad mode was left off" in message and "torch.no_grad()" in message

    def as_a_block(x):
        with torch.no_grad():
            return x * 2

    assert called(as_a_block, torch.ones(2)) == ""


def test_drawing_from_the_global_generator_breaks_it_unless_the_call_may_draw():
    def noisy(x):
        return x + torch.randn(x.shape)

    def reseeds(x):
        random.seed(0)
        return x

    assert "changed the global random state" in called(noisy, torch.ones(2))
    assert "changed the global random state" in called(reseeds, torch.ones(2))
    assert called(noisy, torch.ones(2), draws=True) == ""
    generator = torch.Generator().manual_seed(1)
    assert called(lambda x, generator: x + torch.randn(x.shape, generator=generator), torch.ones(2), generator) == ""


def test_a_model_left_in_training_mode_gets_a_hint_to_call_eval():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)).train()
    assert "call model.eval()" in called(lambda model, x: model(x), model, torch.ones(2, 4))


def test_a_result_that_depends_on_an_earlier_call_breaks_it():
    def remembers(x, seen=[]):  # noqa: B006 (the classic mistake, on purpose)
        seen.append(x)
        return x * len(seen)

    message = called(remembers, torch.ones(2))
    assert "a second call with the same arguments gave another result" in message and "def f(x, seen=[])" in message
    assert called(lambda x: x * 2, torch.ones(2)) == ""


class Positions(nn.Module):
    def __init__(self, device_aware: bool):
        super().__init__()
        self.embedding, self.device_aware = nn.Embedding(8, 4), device_aware

    def forward(self, ids):
        positions = torch.arange(ids.shape[1], device=ids.device if self.device_aware else None)
        return self.embedding(ids) + self.embedding(positions)


def test_a_tensor_made_on_the_cpu_inside_a_module_breaks_the_device_contract_without_a_gpu():
    ids = torch.randint(0, 8, (2, 5))
    message = called(Positions(device_aware=False), ids)
    assert "embedding() would meet a tensor made on the CPU" in message and "device=x.device" in message
    assert called(Positions(device_aware=True), ids) == ""


def test_a_module_that_drops_to_float32_breaks_the_dtype_contract():
    class Float32(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 3)

        def forward(self, x):
            return self.linear(x).float()

    assert "in float64 the result came back as float32" in called(Float32(), torch.randn(2, 3))
    assert called(nn.Linear(3, 3), torch.randn(2, 3)) == ""


def test_the_second_call_and_the_device_run_print_nothing_and_count_no_case(capsys):
    with Check("contract_example") as check:
        check.call(lambda model, x: print("once") or model(x), nn.Linear(2, 2), torch.ones(1, 2))
        assert check.cases == 1
    assert capsys.readouterr().out.count("once") == 1


@pytest.mark.parametrize("changes", [contracts.VALUES, "anything"])
def test_a_call_that_changes_its_arguments_is_not_called_again(changes):
    calls = []
    with Check("contract_example") as check:
        check.call(lambda model, x: calls.append(1) or model(x), nn.Linear(2, 2), torch.ones(1, 2), changes=changes)
    assert calls == [1]
