"""The reference GPT: its parts match PyTorch's, and GPT-2 weights give Hugging Face's logits."""

import math

import pytest
import torch
from torch import nn

from autograder.reference import gpt
from autograder.reference.gpt import load_gpt2_weights

TINY = {
    "vocab_size": 97,
    "context_length": 16,
    "emb_dim": 32,
    "n_heads": 4,
    "n_layers": 2,
    "drop_rate": 0.0,
    "qkv_bias": True,
}


def test_layer_norm_equals_pytorch():
    x = torch.randn(3, 5, 8, dtype=torch.float64) * 4 + 2
    ours, theirs = gpt.LayerNorm(8).double(), nn.LayerNorm(8).double()
    with torch.no_grad():
        ours.scale.normal_(), ours.shift.normal_()
        theirs.weight.copy_(ours.scale), theirs.bias.copy_(ours.shift)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-12, atol=1e-12)


def test_gelu_is_the_tanh_approximation():
    x = torch.linspace(-6, 6, 1001, dtype=torch.float64)
    torch.testing.assert_close(gpt.GELU()(x), nn.functional.gelu(x, approximate="tanh"), rtol=1e-12, atol=1e-12)
    assert (gpt.GELU()(x) - nn.functional.gelu(x)).abs().max() > 1e-4  # and not the exact GELU


def test_untrained_loss_is_about_log_vocab_size():
    torch.manual_seed(0)
    model = gpt.GPTModel(TINY).eval()
    ids = torch.randint(0, TINY["vocab_size"], (8, 16))
    loss = nn.functional.cross_entropy(model(ids)[:, :-1].flatten(0, 1), ids[:, 1:].flatten())
    assert abs(loss.item() - math.log(TINY["vocab_size"])) < 0.5


def test_gpt_is_causal():
    torch.manual_seed(0)
    model = gpt.GPTModel(TINY).eval()
    ids = torch.randint(0, TINY["vocab_size"], (2, 10))
    changed = ids.clone()
    changed[:, -1] = (changed[:, -1] + 1) % TINY["vocab_size"]
    torch.testing.assert_close(model(ids)[:, :-1], model(changed)[:, :-1])


def test_greedy_generation_crops_to_the_context_and_stops_at_the_end_token():
    torch.manual_seed(0)
    model = gpt.GPTModel(TINY).eval()
    start = torch.randint(0, TINY["vocab_size"], (1, 20))  # longer than the context length
    out = gpt.generate(model, start, max_new_tokens=5, context_length=16)
    assert out.shape == (1, 25) and torch.equal(out[:, :20], start)
    expected_next = model(start[:, -16:])[:, -1].argmax(-1)
    assert out[0, 20] == expected_next
    stopped = gpt.generate(model, start, max_new_tokens=5, context_length=16, eos_id=int(expected_next))
    assert stopped.shape == (1, 21)


def test_sampling_is_reproducible_with_a_generator():
    torch.manual_seed(0)
    model = gpt.GPTModel(TINY).eval()
    start = torch.zeros(2, 1, dtype=torch.long)
    runs = [
        gpt.generate(model, start, 8, 16, temperature=1.5, top_k=5, generator=torch.Generator().manual_seed(3))
        for _ in range(2)
    ]
    assert torch.equal(*runs)


def test_gpt2_small_parameter_counts():
    model = gpt.GPTModel({**gpt.GPT2_SMALL, "drop_rate": 0.0})
    total = sum(p.numel() for p in model.parameters())
    assert total == 163_037_184  # separate output head
    assert total - model.out_head.weight.numel() == 124_439_808  # head tied to the token embedding: GPT-2's 124M


@pytest.fixture(scope="module")
def hugging_face_gpt2():
    import transformers  # a test-only dependency; the model is built from a config, nothing is downloaded

    config = transformers.GPT2Config(
        vocab_size=TINY["vocab_size"],
        n_positions=TINY["context_length"],
        n_embd=TINY["emb_dim"],
        n_layer=TINY["n_layers"],
        n_head=TINY["n_heads"],
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    )
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(config).double().eval()
    with torch.no_grad():  # biases and norms are zeros and ones at initialization: randomize them
        for name, parameter in model.named_parameters():
            if parameter.dim() == 1:
                parameter.normal_(0, 0.1 if name.endswith("bias") else 1.0)
    return model


def test_gpt2_checkpoint_gives_hugging_faces_logits(hugging_face_gpt2, tmp_path):
    torch.save(hugging_face_gpt2.state_dict(), tmp_path / "tiny-gpt2.pt")
    ours = load_gpt2_weights(gpt.GPTModel(TINY).double().eval(), torch.load(tmp_path / "tiny-gpt2.pt"))
    ids = torch.randint(0, TINY["vocab_size"], (3, TINY["context_length"]), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(ours(ids), hugging_face_gpt2(ids).logits, rtol=1e-10, atol=1e-10)


def test_loading_a_checkpoint_of_another_size_fails_clearly(hugging_face_gpt2):
    with pytest.raises(ValueError, match="shape mismatch"):
        load_gpt2_weights(gpt.GPTModel({**TINY, "emb_dim": 64}).double(), hugging_face_gpt2.state_dict())


GPT3_175B = {**gpt.GPT2_SMALL, "context_length": 2048, "emb_dim": 12288, "n_heads": 96, "n_layers": 96}


def test_tied_gpt2_small_counts_124m_and_shares_one_matrix():
    model = gpt.tie_weights(gpt.GPTModel({**gpt.GPT2_SMALL, "drop_rate": 0.0}))
    assert model.out_head.weight is model.tok_emb.weight
    assert sum(p.numel() for p in model.parameters()) == 124_439_808


def test_parameter_breakdown_sums_to_the_count_and_gives_gpt3s_numbers():
    for config in (gpt.GPT2_SMALL, GPT3_175B, {**TINY, "qkv_bias": False}):
        for tied in (False, True):
            assert sum(gpt.parameter_breakdown(config, tied).values()) == gpt.gpt_parameter_count(config, tied=tied)
    gpt3 = gpt.parameter_breakdown(GPT3_175B)
    assert gpt3["unembedding"] == 617_558_016
    assert round(sum(gpt3.values()) / 1e9) == 175
    assert gpt3["feed_forward"] / sum(gpt3.values()) > 0.66  # two thirds at GPT-3's scale ...
    gpt2 = gpt.parameter_breakdown(gpt.GPT2_SMALL, tied=True)
    assert gpt2["feed_forward"] / sum(gpt2.values()) < 0.5  # ... less than half in GPT-2 small


def test_generate_cached_gives_generates_tokens_and_runs_each_token_once():
    torch.manual_seed(0)
    model = gpt.GPTModel(TINY).eval()
    prompt = torch.randint(0, TINY["vocab_size"], (3, 5))
    expected = gpt.generate(model, prompt, 12, TINY["context_length"])
    seen = []
    model.trf_blocks[0].att.W_query.register_forward_hook(
        lambda module, inputs, output: seen.append(inputs[0].shape[1])
    )
    assert torch.equal(gpt.generate_cached(model, prompt, max_new_tokens=12), expected)
    assert seen[:2] == [5, 1] and sum(seen) == 5 + 12 - 1


def test_now_after_just_now_reads_the_generators_rule_off_a_model_that_knows_it():
    from autograder.materials.data import dog_planet
    from autograder.reference.gpt import DogPlanetTruth, now_after_just_now

    table = now_after_just_now(DogPlanetTruth(list(dog_planet.TOKENS)), dog_planet.encoder())
    torch.testing.assert_close(table, torch.tensor(dog_planet.rule_table()), rtol=0, atol=1e-6)


def test_neighbours_in_group_counts_only_other_members_by_cosine():
    from autograder.reference.gpt import neighbours_in_group

    vectors = torch.tensor([[1.0, 0.0], [100.0, 1.0], [0.0, 1.0], [0.1, 50.0], [-1.0, 0.0]])
    assert neighbours_in_group(vectors, [0, 1], k=1) == [1, 1]  # lengths do not matter, only directions
    assert neighbours_in_group(vectors, [0, 4], k=1) == [0, 0]  # opposite directions are the farthest
