"""The fused GPT (autograder/reference/fused_kernels.py) computes what the taught one computes, with its parameters."""

import copy

import pytest
import torch

from autograder.reference import gpt
from autograder.reference.fused_kernels import use_fused_kernels

CONFIGS = [
    {"vocab_size": 97, "context_length": 16, "emb_dim": 32, "n_heads": 4, "n_layers": 2, "drop_rate": 0.0},
    {"vocab_size": 23, "context_length": 9, "emb_dim": 12, "n_heads": 3, "n_layers": 3, "drop_rate": 0.0},
]


def taught_and_fused(config: dict) -> tuple[torch.nn.Module, torch.nn.Module]:
    """A float64 reference GPTModel with random values everywhere (norms and biases too) and its fused twin."""
    torch.manual_seed(0)
    taught = gpt.GPTModel(config).double()
    with torch.no_grad():
        for parameter in taught.parameters():
            parameter.normal_(0, 0.5)
    return taught, use_fused_kernels(copy.deepcopy(taught))


@pytest.mark.parametrize("qkv_bias", [False, True])
@pytest.mark.parametrize("config", CONFIGS)
def test_same_logits_and_gradients_on_the_same_weights(config, qkv_bias):
    taught, fused = taught_and_fused({**config, "qkv_bias": qkv_bias})
    ids = torch.randint(0, config["vocab_size"], (3, config["context_length"]))
    targets = torch.randint(0, config["vocab_size"], (3, config["context_length"]))
    for model in (taught, fused):
        torch.nn.functional.cross_entropy(model(ids).flatten(0, 1), targets.flatten()).backward()
    torch.testing.assert_close(fused(ids), taught(ids), rtol=1e-10, atol=1e-10)
    gradients = {name: parameter.grad for name, parameter in taught.named_parameters()}
    for name, parameter in fused.named_parameters():
        torch.testing.assert_close(parameter.grad, gradients[name], rtol=1e-10, atol=1e-10, msg=name)


def test_shorter_inputs_and_eval_mode_agree():
    taught, fused = taught_and_fused({**CONFIGS[0], "qkv_bias": True})
    ids = torch.randint(0, 97, (2, 5))
    torch.testing.assert_close(fused.eval()(ids), taught.eval()(ids), rtol=1e-10, atol=1e-10)


def test_the_swap_keeps_the_parameters_their_names_and_the_random_state():
    torch.manual_seed(123)
    model = gpt.GPTModel({**CONFIGS[0], "qkv_bias": False})
    parameters, keys = dict(model.named_parameters()), list(model.state_dict())
    state = torch.random.get_rng_state()
    use_fused_kernels(model)
    assert torch.equal(torch.random.get_rng_state(), state)  # nothing was initialized
    assert list(model.state_dict()) == keys  # checkpoints load both ways
    assert all(parameter is parameters[name] for name, parameter in model.named_parameters())


def test_dropout_stays_in_the_fused_attention():
    config = {**CONFIGS[0], "qkv_bias": False, "drop_rate": 0.5}
    fused = use_fused_kernels(gpt.GPTModel(config))
    assert fused.trf_blocks[0].att.dropout.p == 0.5
    ids = torch.randint(0, 97, (2, 16))
    assert not torch.equal(fused.train()(ids), fused(ids))
    torch.testing.assert_close(fused.eval()(ids), fused(ids))


def test_inputs_longer_than_the_context_are_refused():
    fused = use_fused_kernels(gpt.GPTModel({**CONFIGS[0], "qkv_bias": False}))
    with pytest.raises(ValueError, match="exceed the context length"):
        fused.trf_blocks[0].att(torch.zeros(1, 17, 32))
