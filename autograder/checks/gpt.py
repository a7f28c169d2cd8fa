"""Checks for assignment 07 (the full GPT). Visible checks use fixed small examples; ``*_hidden``
checks compare with the reference on random configs and inputs drawn from ``seed``.

Modules are compared by copying the reference's weights into the student's module, so the
parameter names must be the ones the notebook asks for.
"""

import copy
import math
import pickle
import random
import re
import tempfile
from pathlib import Path

import torch
from torch import nn

from autograder.checks import contracts
from autograder.checks.core import TOLERANCE, clean, show
from autograder.checks.registry import exercise
from autograder.checks.train_mode import check_dropout
from autograder.materials.data import dog_planet
from autograder.reference import gpt

TINY = {
    "vocab_size": 11,
    "context_length": 4,
    "emb_dim": 8,
    "n_heads": 2,
    "n_layers": 2,
    "drop_rate": 0.0,
    "qkv_bias": False,
}


def _random_config(rng: random.Random, **overrides) -> dict:
    heads = rng.choice([1, 2, 4])
    config = {
        "vocab_size": rng.randint(5, 40),
        "context_length": rng.randint(3, 12),
        "emb_dim": heads * rng.choice([2, 4, 6]),
        "n_heads": heads,
        "n_layers": rng.randint(1, 3),
        "drop_rate": 0.0,
        "qkv_bias": rng.random() < 0.5,
    }
    return {**config, **overrides}


def _randomized(module: nn.Module) -> nn.Module:
    """Random values everywhere, norms and biases included, so that no parameter goes unchecked."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0, 0.5)
    return module


def _reference_model(config: dict) -> nn.Module:
    return _randomized(gpt.GPTModel(config)).eval()


def _compare_module(check, module_class, args, expected, x, described, hint, causal_hint=None):
    module = check.module_with_weights_of(expected, module_class, *args, described=described)
    check.module_outputs(module, expected, x, described, hint=hint, causal_hint=causal_hint, **TOLERANCE)
    return module


# 1. Layer normalization

LAYER_NORM_HINT = (
    "normalize over the last dimension: (x - mean) / sqrt(var + eps) with the biased variance "
    "(unbiased=False) and eps inside the square root, then * scale + shift"
)


def _check_layer_norm(check, layer_norm_class, emb_dim, x, eps=None):
    expected = _randomized(gpt.LayerNorm(emb_dim) if eps is None else gpt.LayerNorm(emb_dim, eps=eps))
    args = (emb_dim,) if eps is None else (emb_dim, eps)
    described = f"LayerNorm({emb_dim}{'' if eps is None else f', eps={eps:g}'})"
    _compare_module(check, layer_norm_class, args, expected, x, described, LAYER_NORM_HINT)


@exercise
def LayerNorm(check, layer_norm_class):
    _check_layer_norm(check, layer_norm_class, 6, torch.randn(2, 3, 6) * 3 + 1)
    _check_layer_norm(check, layer_norm_class, 4, torch.full((1, 2, 4), 7.0))  # zero variance: eps keeps it finite


@LayerNorm.hidden
def LayerNorm_hidden(check, layer_norm_class, seed):
    _check_layer_norm(check, layer_norm_class, 1, torch.randn(3, 1))
    _check_layer_norm(check, layer_norm_class, 16, torch.randn(4, 16) * 50 - 20)
    _check_layer_norm(check, layer_norm_class, 5, torch.randn(2, 3, 4, 5))
    _check_layer_norm(check, layer_norm_class, 8, torch.randn(3, 8) * 0.05, eps=0.01)  # where eps matters


# 2. GELU

GELU_HINT = "GPT-2 uses the tanh approximation: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))"


def _check_gelu(check, gelu_class, x):
    module = check.module(gelu_class, described="GELU()", parameters=[])
    got = check.call(module, x.clone(), description=f"GELU()({show(x)})")
    check.tensor(got, gpt.GELU()(x), f"GELU of {show(x)}", hint=GELU_HINT, rtol=1e-5, atol=1e-6)


@exercise
def GELU(check, gelu_class):
    _check_gelu(check, gelu_class, torch.linspace(-4, 4, 17))


@GELU.hidden
def GELU_hidden(check, gelu_class, seed):
    _check_gelu(check, gelu_class, torch.randn(3, 5, 7) * 3)
    _check_gelu(check, gelu_class, torch.linspace(-12, 12, 241, dtype=torch.float64))


# 3. Feed-forward block

FEED_FORWARD_HINT = "self.layers = nn.Sequential(nn.Linear(d, 4 * d), GELU(), nn.Linear(4 * d, d))"


def _check_feed_forward(check, feed_forward_class, config, x):
    expected = _randomized(gpt.FeedForward(config))
    _compare_module(
        check,
        feed_forward_class,
        (config,),
        expected,
        x,
        f"FeedForward(emb_dim={config['emb_dim']})",
        FEED_FORWARD_HINT,
    )


@exercise
def FeedForward(check, feed_forward_class):
    _check_feed_forward(check, feed_forward_class, TINY, torch.randn(2, 3, 8))


@FeedForward.hidden
def FeedForward_hidden(check, feed_forward_class, seed):
    rng = random.Random(seed)
    for _ in range(3):
        config = _random_config(rng)
        _check_feed_forward(check, feed_forward_class, config, torch.randn(2, 5, config["emb_dim"]) * 2)


# 4. Transformer block

BLOCK_HINT = (
    "pre-norm with two shortcuts: x = x + drop_shortcut(att(norm1(x))), then x = x + drop_shortcut(ff(norm2(x)))"
)
BLOCK_DROPOUT_HINT = (
    "drop_shortcut drops each branch before it is added: x + drop_shortcut(att(norm1(x))), then "
    "x + drop_shortcut(ff(norm2(x))); not the sum, not the shortcut; the attention drops its own weights"
)
BLOCK_CAUSAL_HINT = "an output moved when only a later token changed: the block must only mix tokens through self.att"


def _check_block(check, block_class, config, batch, tokens):
    expected = _randomized(gpt.TransformerBlock(config))
    x = torch.randn(batch, tokens, config["emb_dim"])
    described = (
        f"TransformerBlock({{emb_dim={config['emb_dim']}, n_heads={config['n_heads']}, "
        f"context_length={config['context_length']}}})"
    )
    return _compare_module(check, block_class, (config,), expected, x, described, BLOCK_HINT, BLOCK_CAUSAL_HINT)


@exercise
def TransformerBlock(check, block_class):
    _check_block(check, block_class, TINY, 2, 4)
    _check_block_dropout(check, block_class)


@TransformerBlock.hidden
def TransformerBlock_hidden(check, block_class, seed):
    rng = random.Random(seed)
    for _ in range(3):
        config = _random_config(rng)
        _check_block(check, block_class, config, 2, rng.randint(1, config["context_length"]))
    _check_block_dropout(check, block_class)


def _check_block_dropout(check, block_class):
    """8 features in 2 heads and 6 tokens: the dropped weights (..., 6, 6) and branches (..., 8) differ."""
    config = {**TINY, "context_length": 8, "drop_rate": 0.5, "qkv_bias": True}
    expected = _randomized(gpt.TransformerBlock(config))
    described = "TransformerBlock({emb_dim=8, n_heads=2, drop_rate=0.5})"
    block = check.module_with_weights_of(expected, block_class, config, described=described)
    check_dropout(check, block, expected, torch.randn(2, 6, 8), described, where=BLOCK_DROPOUT_HINT, **TOLERANCE)


# 5. The model

MODEL_HINT = (
    "tok_emb(ids) + pos_emb(arange(tokens)), drop_emb, the blocks in self.trf_blocks (nn.Sequential), "
    "final_norm, then out_head (no bias)"
)

MODEL_DROPOUT_HINT = (
    "drop_emb drops the sum tok_emb(ids) + pos_emb(positions), once, before the blocks; "
    "the blocks drop their own branches and attention weights, and nothing after them is dropped"
)


def _check_model(check, model_class, config, batch, tokens):
    expected = _reference_model(config)
    sizes = ", ".join(
        f"{key}={config[key]}" for key in ("vocab_size", "context_length", "emb_dim", "n_heads", "n_layers")
    )
    described = f"GPTModel({{{sizes}}})"
    model = check.module_with_weights_of(expected, model_class, config, described=described)
    model.eval()
    ids = torch.randint(0, config["vocab_size"], (batch, tokens))
    got = check.call(model, ids, description=f"{described} on ids {show(ids)}")
    changed = ids.clone()
    changed[:, -1] = (changed[:, -1] + 1) % config["vocab_size"]
    moved = check.call(model, changed, description="the model on ids with a changed last token")
    if (
        type(got) is torch.Tensor
        and type(moved) is torch.Tensor
        and got.shape == moved.shape == (batch, tokens, config["vocab_size"])
    ):
        check.tensor(
            moved[:, :-1],
            got[:, :-1],
            "logits before a changed last token",
            **TOLERANCE,
            hint="the logits of a position may only depend on the tokens up to it",
        )
    check.tensor(got, expected(ids), f"logits of {described}", hint=MODEL_HINT, **TOLERANCE)
    return model


@exercise
def GPTModel(check, model_class):
    _check_model(check, model_class, TINY, 2, 4)
    _check_model_dropout(check, model_class)


@GPTModel.hidden
def GPTModel_hidden(check, model_class, seed):
    rng = random.Random(seed)
    for _ in range(3):
        config = _random_config(rng)
        _check_model(check, model_class, config, 2, rng.randint(1, config["context_length"]))
    config = {**_random_config(rng), "vocab_size": 50, "emb_dim": 32, "n_heads": 4}
    model = check.call(model_class, config, description="GPTModel(config)").eval()
    ids = torch.randint(0, 50, (8, config["context_length"]))
    loss = nn.functional.cross_entropy(model(ids).flatten(0, 1), ids.flatten()).item()
    check.close(
        loss,
        math.log(50),
        "the untrained model's loss on random tokens",
        atol=0.75,
        rtol=0,
        hint="an untrained model should spread its bets: keep PyTorch's default initialization",
    )
    _check_model_dropout(check, model_class)


def _check_model_dropout(check, model_class):
    config = {**TINY, "vocab_size": 13, "context_length": 8, "drop_rate": 0.5}
    expected = _reference_model(config)
    described = "GPTModel({vocab_size=13, emb_dim=8, n_heads=2, n_layers=2, drop_rate=0.5})"
    model = check.module_with_weights_of(expected, model_class, config, described=described)
    ids = torch.randint(0, 13, (2, 6))
    check_dropout(check, model, expected, ids, described, where=MODEL_DROPOUT_HINT, **TOLERANCE)


# 6. Parameter count

COUNT_HINT = (
    "embeddings (vocab and positions), per block: Q, K, V (biases only with qkv_bias), out_proj with bias, "
    "two feed-forward layers with biases, two norms (scale and shift); the final norm; the head has no bias "
    "and is not counted when tied"
)


def _check_count(check, count, config, tied):
    got = check.call(
        count, dict(config), tied=tied, description=f"gpt_parameter_count(config, tied={tied})", draws=True
    )
    check.equal(
        got,
        gpt.gpt_parameter_count(config, tied=tied),
        f"gpt_parameter_count for {config} with tied={tied}",
        hint=COUNT_HINT,
    )


@exercise
def gpt_parameter_count(check, count):
    for tied in (False, True):
        _check_count(check, count, TINY, tied)


@gpt_parameter_count.hidden
def gpt_parameter_count_hidden(check, count, seed):
    rng = random.Random(seed)
    for config in [gpt.GPT2_SMALL, _random_config(rng, qkv_bias=True), _random_config(rng, qkv_bias=False)]:
        for tied in (False, True):
            _check_count(check, count, config, tied)


# 7. Weight tying

TIE_HINT = (
    "assign the Parameter itself: model.out_head.weight = model.tok_emb.weight (nn.Linear stores (vocab_size, "
    "emb_dim), the embedding's shape: no transpose); copying values (copy_, .data, nn.Parameter(...)) leaves two "
    "matrices that training moves apart"
)


def _describe_pair(head, embedding) -> str:
    if not isinstance(head, torch.Tensor) or head.shape != embedding.shape:
        return f"a head weight of shape {tuple(getattr(head, 'shape', ()))}"
    if head.data_ptr() == embedding.data_ptr():
        return "two Parameters that share memory (the optimizer still sees two, and counts them twice)"
    return "two Parameters with " + ("equal" if torch.equal(head, embedding) else "different") + " values"


def _check_tie(check, tie_weights, config):
    model = _reference_model(config)
    got = check.call(tie_weights, model, description="tie_weights(model)", hint=TIE_HINT, changes="anything")
    if got is not model:
        check.fail("tie_weights must change the model it is given and return it", got=show(got), hint="return model")
    if not isinstance(model.out_head, nn.Linear):
        check.fail(
            "model.out_head must stay an nn.Linear",
            got=type(model.out_head).__name__,
            hint="replace only its weight, not the module: " + TIE_HINT,
        )
    head, embedding = model.out_head.weight, model.tok_emb.weight
    if head is not embedding:
        check.fail(
            "model.out_head.weight is not model.tok_emb.weight",
            expected="one Parameter object in both places",
            got=_describe_pair(head, embedding),
            hint=TIE_HINT,
        )
    check.equal(
        sum(p.numel() for p in model.parameters()),
        gpt.gpt_parameter_count(config, tied=True),
        f"the trainable parameters after tying, for {config}",
        hint="model.parameters() lists a shared Parameter once: " + TIE_HINT,
    )
    # The tied model must still compute a GPT: the same logits as an untied twin given the shared matrix twice.
    twin = gpt.GPTModel(config).eval()
    twin.load_state_dict({name: value.detach().clone() for name, value in model.state_dict().items()})
    ids = torch.randint(0, config["vocab_size"], (2, config["context_length"]))
    got_logits = check.call(model, ids, description="the tied model on token ids")
    check.tensor(got_logits, twin(ids), "logits of the tied model", hint=TIE_HINT, **TOLERANCE)


@exercise
def tie_weights(check, tie_weights):
    _check_tie(check, tie_weights, TINY)


@tie_weights.hidden
def tie_weights_hidden(check, tie_weights, seed):
    rng = random.Random(seed)
    for qkv_bias in (False, True):
        _check_tie(check, tie_weights, _random_config(rng, qkv_bias=qkv_bias))


# 8. Parameter breakdown

BREAKDOWN_PARTS = {
    "embeddings": "the token embedding (vocab_size x emb_dim) and the position embedding (context_length x emb_dim)",
    "attention": "per block W_query, W_key, W_value (emb_dim x emb_dim, biases only with qkv_bias) and out_proj "
    "with its bias, times n_layers",
    "feed_forward": "per block Linear(emb_dim, 4 * emb_dim) and Linear(4 * emb_dim, emb_dim), both with biases, "
    "times n_layers",
    "layer_norms": "two per block and the final one, each with scale and shift: (2 * n_layers + 1) * 2 * emb_dim",
    "unembedding": "out_head, vocab_size x emb_dim without a bias; 0 when tied: its matrix is the token "
    "embedding's, counted once under embeddings",
}


def _check_breakdown(check, breakdown, config, tied):
    described = f"parameter_breakdown({config}, tied={tied})"
    got = check.call(breakdown, dict(config), tied=tied, description=described)
    expected = gpt.parameter_breakdown(config, tied=tied)
    if type(got) is not dict or list(got) != list(expected):
        check.fail(
            f"{described} must return a dict with the keys {list(expected)}, in that order",
            got=show(got),
            hint="build the dict from the config, one entry per part",
        )
    for part, count in expected.items():
        check.equal(got[part], count, f"{described}[{part!r}]", hint=BREAKDOWN_PARTS[part])


@exercise
def parameter_breakdown(check, breakdown):
    for tied in (False, True):
        _check_breakdown(check, breakdown, TINY, tied)


GPT3_175B = {
    "vocab_size": 50257,
    "context_length": 2048,
    "emb_dim": 12288,
    "n_heads": 96,
    "n_layers": 96,
    "drop_rate": 0.0,
    "qkv_bias": True,
}


@parameter_breakdown.hidden
def parameter_breakdown_hidden(check, breakdown, seed):
    rng = random.Random(seed)
    configs = [gpt.GPT2_SMALL, GPT3_175B, _random_config(rng, qkv_bias=True), _random_config(rng, qkv_bias=False)]
    for config in configs:
        for tied in (False, True):
            _check_breakdown(check, breakdown, config, tied)


# 9. Generation

GENERATE_HINT = (
    "each step: crop to the last context_length tokens, take the last position's logits, keep the "
    "top_k largest (others -inf), then argmax when temperature is 0, else torch.multinomial("
    "softmax(logits / temperature), num_samples=1, generator=generator); stop once every row of the batch "
    "picked eos_id, not when one row has"
)


def _check_generate(check, generate, model, prompt, context_length, **options):
    """With ``seed``, sampling draws from a generator seeded with it; with ``global_seed``, no generator is given
    and sampling must draw from PyTorch's global one, seeded with it, as the reference does."""
    seed, global_seed = options.pop("seed", None), options.pop("global_seed", None)
    generator = lambda: None if seed is None else torch.Generator().manual_seed(seed)  # noqa: E731
    arguments = ", ".join(f"{key}={value}" for key, value in options.items())
    described = f"generate(model, {show(prompt)}, context_length={context_length}, {arguments})"
    if global_seed is not None:
        described = f"torch.manual_seed({global_seed}); {described} (no generator)"
        torch.manual_seed(global_seed)
    got = check.call(
        generate,
        model,
        prompt.clone(),
        context_length=context_length,
        generator=generator(),
        **options,
        description=described,
        hint="crop the input to the last context_length tokens before each "
        "forward pass; the traceback shows where it broke",
        draws=global_seed is not None,
        graph=False,
    )
    if global_seed is not None:
        torch.manual_seed(global_seed)
    expected = gpt.generate(model, prompt, context_length=context_length, generator=generator(), **options)
    check.tensor(got, expected, f"the tokens from {described}", hint=GENERATE_HINT)


@exercise
def generate(check, generate):
    model = _reference_model(TINY)
    prompt = torch.randint(0, 11, (2, 6))  # longer than the context of 4 tokens
    _check_generate(check, generate, model, prompt, 4, max_new_tokens=5)
    for temperature in (0.3, 3.0):
        _check_generate(
            check, generate, model, prompt.repeat(4, 1), 4, max_new_tokens=6, temperature=temperature, top_k=5, seed=1
        )
    _check_generate(check, generate, model, prompt.repeat(4, 1), 4, max_new_tokens=6, temperature=1.0, global_seed=3)
    first = int(gpt.generate(model, prompt[:1], 1, 4)[0, -1])
    _check_generate(check, generate, model, prompt[:1], 4, max_new_tokens=5, eos_id=first)
    # rows that pick eos_id at different steps: all of them in one step ends generation, one of them does not
    _check_generate(
        check, generate, _scripted_model(SCRIPT), torch.tensor([EARLY, LATE]), 4, max_new_tokens=6, eos_id=EOS
    )


# The scripted model's next token after each token (greedy), and prompts whose rows end at different steps.
# EOS follows itself, so a row that has picked EOS keeps picking it.
EOS, SCRIPT = 7, [4, 7, 3, 7, 5, 6, 2, 7]
EARLY, LATE, NEVER = [5, 1], [6, 2], [4, 0]  # EOS after 1 step, after 2, after 6 (beyond max_new_tokens)


def _scripted_model(script: list[int]) -> nn.Module:
    """Logits (batch, tokens, vocab) that make ``script[token]`` the clear favourite after each token."""
    model = nn.Embedding(len(script), len(script))
    with torch.no_grad():
        model.weight.copy_(torch.eye(len(script))[script] * 10 + torch.arange(len(script)) * 0.01)
    return model.eval()


@generate.hidden
def generate_hidden(check, generate, seed):
    rng = random.Random(seed)
    for temperature, top_k in [(0.0, None), (0.5, None), (2.0, None), (1.0, 1), (0.8, 4)]:
        config = _random_config(rng, vocab_size=rng.randint(6, 30))
        model = _reference_model(config)
        prompt = torch.randint(0, config["vocab_size"], (16, rng.randint(1, 2 * config["context_length"])))
        _check_generate(
            check,
            generate,
            model,
            prompt,
            config["context_length"],
            max_new_tokens=6,
            temperature=temperature,
            top_k=top_k,
            seed=rng.randrange(10**6),
        )
    prompt = torch.randint(0, config["vocab_size"], (8, 3))
    _check_generate(
        check, generate, model, prompt, config["context_length"], max_new_tokens=5, temperature=1.5, global_seed=seed
    )
    # Rows that pick eos_id at different steps. A scripted model, so that "every row picked eos_id at this
    # step" and "every row has picked eos_id by now" agree, and both differ from one row being enough.
    model = _scripted_model(SCRIPT)
    for rows, max_new_tokens in [([EARLY, LATE], 6), ([LATE, EARLY], 6), ([EARLY, NEVER, LATE], 5)]:
        prompt = torch.tensor(rows)
        _check_generate(check, generate, model, prompt, 4, max_new_tokens=max_new_tokens, eos_id=EOS)
    _check_generate(check, generate, model, torch.tensor([EARLY[-1:]]), 4, max_new_tokens=0, eos_id=EOS)


# 10. Generation with a KV cache

CACHE_HINT = (
    "run the whole prompt once, then only the token picked last, at its own position (start + i, not 0); "
    "keep each layer's keys and values, (batch, heads, tokens, head_dim), concatenated along dim 2; the new "
    "queries see every cached key up to their own position: mask rows tokens - new to tokens of att.mask; "
    "then x = x + attention output, x = x + ff(norm2(x)) per block, final_norm, out_head, argmax"
)


class _CountingLinear(nn.Module):
    """A query projection that records how many token positions each call receives.

    A wrapper rather than a forward hook: registering hooks moves a class-level counter that the grading
    guard restores and reports before the next test cell.
    """

    def __init__(self, linear: nn.Linear, calls: list[int]):
        super().__init__()
        self.linear, self.calls = linear, calls
        self.weight, self.bias = linear.weight, linear.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append(x.shape[-2])
        return self.linear(x)


PROJECTIONS = ("W_query", "W_key", "W_value")


def _count_positions(model: nn.Module) -> list[dict[str, list[int]]]:
    """Put a _CountingLinear around each layer's query, key and value projections; returns, per layer and
    projection, the positions each call received. A cache saves the keys and values of every token it has
    seen: each projection sees each token once."""
    seen = [{name: [] for name in PROJECTIONS} for _ in model.trf_blocks]
    for block, calls in zip(model.trf_blocks, seen, strict=True):
        for name in PROJECTIONS:
            setattr(block.att, name, _CountingLinear(getattr(block.att, name), calls[name]))
    return seen


def _generation_model(config: dict) -> nn.Module:
    """A random GPT whose greedy tokens depend on the whole context.

    With every parameter drawn as in _randomized, one token tends to win after any context, so greedy
    tokens would not show a wrong mask or a wrong position; here attention and feed-forward outputs are
    as large as the embeddings, and norms stay near (1, 0).
    """
    model = gpt.GPTModel(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith(("tok_emb.weight", "pos_emb.weight")):
                parameter.normal_(0, 1)
            elif parameter.dim() == 2:
                parameter.normal_(0, 1.5 / parameter.shape[1] ** 0.5)
            else:
                parameter.normal_(1 if name.endswith("scale") else 0, 0.2)
    return model


def _check_cached(check, generate_cached, config, batch, prompt_tokens, max_new_tokens):
    model = _generation_model(config)
    prompt = torch.randint(0, config["vocab_size"], (batch, prompt_tokens))
    described = f"generate_cached(model, {show(prompt)}, max_new_tokens={max_new_tokens})"
    expected = gpt.generate(model, prompt, max_new_tokens, config["context_length"])
    seen = _count_positions(model)
    got = check.call(
        generate_cached,
        model,
        prompt.clone(),
        max_new_tokens,
        description=described,
        hint=CACHE_HINT,
        again=False,  # the model counts what runs through it: one call only
        graph=False,
    )
    check.tensor(got, expected, f"the tokens from {described}, against generate(...) at temperature 0", hint=CACHE_HINT)
    once = prompt_tokens + max_new_tokens - 1 if max_new_tokens else 0  # the last token picked is never fed back
    for layer, projections in enumerate(seen):
        for name, calls in projections.items():
            if sum(calls) > once:
                again = "keys and values are computed again for every token" if name != "W_query" else ""
                check.fail(
                    f"{described} ran {sum(calls)} token positions through layer {layer}'s {name}, "
                    f"{len(calls)} calls of {calls[:6]}{' ...' if len(calls) > 6 else ''}",
                    expected=f"each token once: {once} in all, the prompt first, then one token per call",
                    got=sum(calls),
                    hint=(
                        f"{again} at every step: keep each layer's keys and values in the cache and project only "
                        "the new token; "
                        if again
                        else "the model is run on the whole sequence again: "
                    )
                    + CACHE_HINT,
                )


@exercise
def generate_cached(check, generate_cached):
    config = {**TINY, "vocab_size": 32, "context_length": 8}
    _check_cached(check, generate_cached, config, 4, 1, 5)
    _check_cached(check, generate_cached, config, 4, 3, 6)  # the prompt and the new tokens fill the context


@generate_cached.hidden
def generate_cached_hidden(check, generate_cached, seed):
    rng = random.Random(seed)
    for _ in range(4):
        config = _random_config(rng, vocab_size=64, context_length=rng.randint(6, 12), n_layers=rng.randint(2, 3))
        prompt_tokens = rng.randint(2, config["context_length"] - 2)
        new = config["context_length"] - prompt_tokens + 1  # up to the end of the context
        _check_cached(check, generate_cached, config, 8, prompt_tokens, new)
    _check_cached(check, generate_cached, _random_config(rng), 2, 2, 0)  # nothing to generate: the prompt comes back
    _check_cached(check, generate_cached, _random_config(rng, n_layers=1), 3, 1, 2)


# 11. Loss of a batch

LOSS_HINT = (
    "pass the raw logits (no softmax) to nn.functional.cross_entropy, flattened to (batch * tokens, vocab), "
    "with the targets flattened to (batch * tokens,); it ignores targets equal to -100"
)


def _check_loss(check, batch_loss, config, batch, tokens, ignored=0.0, ignore=None):
    model = _reference_model(config)
    inputs = torch.randint(0, config["vocab_size"], (batch, tokens))
    targets = torch.randint(0, config["vocab_size"], (batch, tokens))
    ignore = torch.rand(batch, tokens) < ignored if ignore is None else ignore
    ignore[0, 0] = False  # at least one target counts
    targets[ignore] = -100
    got = check.call(batch_loss, model, inputs, targets, description=f"batch_loss(model, {show(inputs)}, targets)")
    if type(got) is not torch.Tensor or got.shape != () or not got.requires_grad:
        check.fail(
            "batch_loss must return the loss as a scalar tensor that gradients can flow back through",
            expected="a 0-dimensional tensor with requires_grad=True",
            got=show(got),
            hint="return the tensor from cross_entropy: no .item(), no torch.no_grad()",
        )
    check.close(
        got.detach(),
        gpt.batch_loss(model, inputs, targets).item(),
        "the loss of the batch",
        rtol=1e-5,
        atol=1e-6,
        hint=LOSS_HINT,
    )


@exercise
def batch_loss(check, batch_loss):
    _check_loss(check, batch_loss, TINY, 2, 4)


@batch_loss.hidden
def batch_loss_hidden(check, batch_loss, seed):
    rng = random.Random(seed)
    for ignored in (0.0, 0.3, 0.6):
        config = _random_config(rng)
        _check_loss(check, batch_loss, config, rng.randint(1, 4), rng.randint(1, config["context_length"]), ignored)
    # rows with 0, 3 and 5 of 6 targets ignored: the mean is over the targets that count, not a mean of row means
    ignore = torch.tensor([[0, 0, 0, 0, 0, 0], [0, 1, 0, 1, 1, 0], [1, 1, 0, 1, 1, 1]], dtype=torch.bool)
    _check_loss(check, batch_loss, {**_random_config(rng), "context_length": 6}, 3, 6, ignore=ignore)


# 12. One training step

STEP_HINT = (
    "optimizer.zero_grad(), loss = batch_loss(...), loss.backward(), optimizer.step(), return loss.item(); "
    "without zero_grad the gradients of earlier steps add up"
)


def _twin_models(config):
    model = _reference_model(config).train()
    twin = gpt.GPTModel(config).train()
    twin.load_state_dict(model.state_dict())
    return model, twin


def _check_steps(check, training_step, config, make_optimizer, batches, frozen: str | None = None):
    """Steps of the student's training_step and the reference's on twin models; ``frozen`` names a submodule the
    caller froze in both (requires_grad False), which a step must leave frozen and unchanged."""
    model, twin = _twin_models(config)
    if frozen:
        model.get_submodule(frozen).requires_grad_(False)
        twin.get_submodule(frozen).requires_grad_(False)
    optimizer, twin_optimizer = make_optimizer(model.parameters()), make_optimizer(twin.parameters())
    for i, (inputs, targets) in enumerate(batches):
        got = check.call(
            training_step,
            model,
            optimizer,
            inputs,
            targets,
            description=f"training_step(model, optimizer, {show(inputs)}, targets) (step {i + 1})",
            changes=contracts.VALUES,
        )
        expected = gpt.training_step(twin, twin_optimizer, inputs, targets)
        if type(got) is not float:
            check.fail(
                "training_step must return the loss as a Python float",
                expected="float",
                got=show(got),
                hint="return loss.item()",
            )
        check.close(got, expected, f"the loss returned by step {i + 1}", rtol=1e-4, atol=1e-5, hint=STEP_HINT)
    check.same_parameters(model, twin, f"after {len(batches)} steps", hint=STEP_HINT, **TOLERANCE)


def _random_batches(config, count, batch, tokens):
    """``count`` pairs of random (input ids, target ids)."""
    return [tuple(torch.randint(0, config["vocab_size"], (batch, tokens)) for _ in range(2)) for _ in range(count)]


@exercise
def training_step(check, training_step):
    sgd = lambda parameters: torch.optim.SGD(parameters, lr=0.5)  # noqa: E731
    _check_steps(check, training_step, TINY, sgd, _random_batches(TINY, 3, 2, 4))
    _check_steps(check, training_step, TINY, sgd, _random_batches(TINY, 2, 2, 4), frozen="trf_blocks.0")


@training_step.hidden
def training_step_hidden(check, training_step, seed):
    rng = random.Random(seed)
    config = _random_config(rng, qkv_bias=True)
    # SGD with momentum, not Adam: a parameter whose true gradient is zero (the key bias: the softmax ignores a
    # constant added to a row of scores) gets only rounding noise, which Adam scales up to full-size steps, so
    # two correct losses that round differently (another form of cross_entropy) would end far apart. SGD moves
    # it by lr x noise; a missing zero_grad still shows, as the summed gradients move every other parameter.
    sgd = lambda parameters: torch.optim.SGD(parameters, lr=0.1, momentum=0.9)  # noqa: E731
    _check_steps(check, training_step, config, sgd, _random_batches(config, 3, 3, config["context_length"]))
    batches = _random_batches(config, 2, 3, config["context_length"])
    _check_steps(check, training_step, config, sgd, batches, frozen="trf_blocks.0")  # fine-tuning freezes layers
    # Overfitting one batch: the loss must fall far below its start.
    config = {**_random_config(rng), "vocab_size": 20, "emb_dim": 16, "n_heads": 2, "context_length": 8}
    model = gpt.GPTModel(config).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    inputs, targets = _random_batches(config, 1, 4, 8)[0]
    losses = [
        check.call(
            training_step, model, optimizer, inputs, targets, description="training_step", changes=contracts.VALUES
        )
        for _ in range(40)
    ]
    if not losses[-1] < 0.3 * losses[0]:
        check.fail(
            "40 steps on one batch did not drive its loss down",
            expected=f"below {0.3 * losses[0]:.3f}",
            got=f"{losses[0]:.3f} -> {losses[-1]:.3f}",
            hint=STEP_HINT,
        )


# 13. Neighbours in a group

NEIGHBOURS_HINT = (
    "for each index of the group, take its k nearest rows by cosine similarity, itself excluded "
    "(assignment 02's nearest_neighbours(vectors, index, k)), and count those that are in the group, as Python ints"
)


def _check_neighbours(check, neighbours_in_group, vectors, group, k, expected=None, why=""):
    described = f"neighbours_in_group(vectors of shape {tuple(vectors.shape)}, {group}, k={k}){why}"
    got = check.call(neighbours_in_group, vectors.clone(), list(group), k, description=described)
    expected = gpt.neighbours_in_group(vectors, group, k) if expected is None else expected
    check.equal(got, expected, described, hint=NEIGHBOURS_HINT)


def _clustered(rng: random.Random, clusters: int, size: int, dim: int) -> torch.Tensor:
    """``clusters`` tight groups of ``size`` rows around orthogonal directions, each row with its own length:
    cosine similarity finds the groups, a dot product or a distance does not."""
    directions = torch.linalg.qr(torch.randn(dim, clusters)).Q.T  # (clusters, dim), orthonormal
    rows = directions.repeat_interleave(size, dim=0) + 0.05 * torch.randn(clusters * size, dim)
    return rows * torch.tensor([rng.choice([0.1, 1.0, 30.0]) for _ in range(clusters * size)])[:, None]


@exercise
def neighbours_in_group(check, neighbours_in_group):
    vectors = _clustered(random.Random(0), clusters=3, size=4, dim=8)  # rows 0-3, 4-7 and 8-11 belong together
    why = ": four rows that point the same way, each the others' 3 nearest"
    _check_neighbours(check, neighbours_in_group, vectors, [4, 5, 6, 7], 3, expected=[3, 3, 3, 3], why=why)
    _check_neighbours(check, neighbours_in_group, torch.randn(10, 4), [0, 3, 7], 4)


@neighbours_in_group.hidden
def neighbours_in_group_hidden(check, neighbours_in_group, seed):
    rng = random.Random(seed)
    for _ in range(3):
        rows, k = rng.randint(8, 40), rng.randint(1, 6)
        vectors = torch.randn(rows, rng.randint(2, 16)) * torch.rand(rows, 1) * 10  # lengths differ: cosine, not dot
        _check_neighbours(check, neighbours_in_group, vectors, rng.sample(range(rows), rng.randint(2, rows // 2)), k)
    vectors = _clustered(rng, clusters=4, size=6, dim=12)
    _check_neighbours(check, neighbours_in_group, vectors, [6, 8, 10, 7, 9, 11], 5)  # a whole group, out of order
    _check_neighbours(check, neighbours_in_group, vectors, [0, 1, 12, 13], 5)  # half of two groups


# 14. The rule that needs context, read from a GPT


CONTEXT_HINT = (
    'for each action ACTIONS[i] run the model on encode(f"\\n我 刚才 {ACTIONS[i]}，我 现在") — the whole prompt, '
    "not only its last word — in eval mode, take the softmax of the last position's logits over the vocabulary, "
    "and put the probabilities of the three action ids, encode(action)[0], in row i"
)
EVAL_HINT = "the model came in train mode, with dropout: call model.eval() before running it, so that dropout is off"


def _context_hint(got: torch.Tensor, expected: torch.Tensor) -> str:
    """Name the classic mistake that ``got`` (rows summing to one, like ``expected``) looks like, else the recipe."""
    near = lambda a, b: torch.allclose(a, b, atol=1e-3)  # noqa: E731
    after_now = dog_planet.TRANSITIONS["现在"]
    bigram = torch.tensor([after_now[action] for action in dog_planet.ACTIONS], dtype=torch.float64).expand(3, 3)
    if near(got, bigram) and not near(expected, bigram):
        row = ", ".join(f"{after_now[action]:g}" for action in dog_planet.ACTIONS)
        return f"every row is the bigram's row after 现在 ({row}): the model saw only the end of the prompt; " + (
            CONTEXT_HINT
        )
    if near(got, expected.T / expected.T.sum(1, keepdim=True)):
        return "rows and columns are swapped: row i is the action just now, column j the action now"
    uniform = torch.full((3, 3), 1 / 3, dtype=torch.float64)
    if near(got, uniform) and not near(expected, uniform):
        return "the probabilities do not depend on the prompt: read the logits of its last position, [:, -1]"
    return CONTEXT_HINT


def _check_context_table(check, now_after_just_now, model, tokens, expected, described, hint=None):
    call = f"now_after_just_now({described}, encode)"
    got = check.call(now_after_just_now, model, dog_planet.encoder(tokens), description=call, graph=False)
    if type(got) is not torch.Tensor or got.shape != (3, 3) or not got.is_floating_point():
        shape = tuple(got.shape) if type(got) is torch.Tensor else ()
        check.fail(
            f"{call} must return a 3 x 3 tensor of floats",
            expected="a tensor of shape (3, 3): a row per action just now, a column per action now",
            got=show(got),
            hint="keep only the columns of the three action ids, encode(action)[0], of the probabilities"
            if shape[-1:] == (len(tokens),)
            else "one row per prompt: the probabilities at the prompt's last position, [:, -1], of the three "
            "action ids encode(action)[0]",
        )
    got, expected = got.detach().cpu().double(), expected.double()
    if not ((got >= 0) & (got <= 1)).all():
        check.fail(
            f"the table from {described} must hold probabilities, between 0 and 1",
            got=show(got),
            hint="apply torch.softmax to the logits, over the vocabulary (the last dimension)",
        )
    # Only the three actions are asked for: a softmax over their three logits alone (rows summing to one) is as
    # right as one over the whole vocabulary. Anything else must be the probabilities themselves.
    if torch.allclose(got.sum(1), torch.ones(3, dtype=torch.float64), atol=1e-4):
        expected, described = expected / expected.sum(1, keepdim=True), f"{described}, each row divided by its sum"
    hint = hint or _context_hint(got / got.sum(1, keepdim=True), expected / expected.sum(1, keepdim=True))
    check.tensor(got, expected, f"the table from {described}", rtol=1e-4, atol=1e-5, hint=hint)


def _context_gpt(tokens: list[str], rng: random.Random, drop_rate: float) -> nn.Module:
    config = _random_config(rng, vocab_size=len(tokens), drop_rate=drop_rate)
    return _randomized(gpt.GPTModel({**config, "context_length": rng.randint(7, 12)}))


def _check_context(check, now_after_just_now, tokens, rng):
    """The generator's own probabilities, then random GPTs without and with dropout, handed over in train mode."""
    truth = torch.tensor(dog_planet.rule_table())
    oracle = "a model that knows the generator's probabilities"
    _check_context_table(check, now_after_just_now, gpt.DogPlanetTruth(tokens), tokens, truth, oracle)
    for drop_rate, hint in ((0.0, None), (0.5, EVAL_HINT)):
        model = _context_gpt(tokens, rng, drop_rate).train()  # dropout on until the student's code turns it off
        expected = gpt.now_after_just_now(copy.deepcopy(model), dog_planet.encoder(tokens))
        described = f"a random GPT with drop_rate={drop_rate}, in train mode"
        _check_context_table(check, now_after_just_now, model, tokens, expected, described, hint)


@exercise
def now_after_just_now(check, now_after_just_now):
    _check_context(check, now_after_just_now, list(dog_planet.TOKENS), random.Random(0))


@now_after_just_now.hidden
def now_after_just_now_hidden(check, now_after_just_now, seed):
    rng = random.Random(seed)
    _check_context(check, now_after_just_now, rng.sample(dog_planet.TOKENS, len(dog_planet.TOKENS)), rng)  # other ids


# 15 and 16. Checkpoints

CHECKPOINT_HINT = (
    "torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(), 'step': step}, path); "
    "load with torch.load(path, weights_only=True) and load_state_dict into both"
)


def _trained(config, steps):
    """A model and its AdamW optimizer after a few steps, and a batch for the next step."""
    model = _reference_model(config).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    for inputs, targets in _random_batches(config, steps, 2, config["context_length"]):
        gpt.training_step(model, optimizer, inputs, targets)
    return model, optimizer, _random_batches(config, 1, 2, config["context_length"])[0]


def _fresh(config):
    model = gpt.GPTModel(config).train()
    return model, torch.optim.AdamW(model.parameters(), lr=0.01)


def _same_next_step(check, resumed, resumed_optimizer, model, optimizer, batch, what):
    gpt.training_step(model, optimizer, *batch)
    gpt.training_step(resumed, resumed_optimizer, *batch)
    check.same_parameters(
        resumed,
        model,
        f"after one more step, {what}",
        hint="the optimizer's state (Adam's moment estimates and step counts) must be saved and restored "
        "too: " + CHECKPOINT_HINT,
        **TOLERANCE,
    )


def _check_save(check, save_checkpoint, config, steps, step):
    model, optimizer, batch = _trained(config, steps)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "checkpoint.pt"
        check.call(
            save_checkpoint,
            path,
            model,
            optimizer,
            step,
            description=f"save_checkpoint(path, model, optimizer, {step})",
        )
        resumed, resumed_optimizer = _fresh(config)
        try:
            loaded_step, refusal = gpt.load_checkpoint(path, resumed, resumed_optimizer), None
        except Exception as error:
            loaded_step, refusal = None, error
    # failed outside the except block, so that the notebook's traceback does not show torch's message again
    if isinstance(refusal, pickle.UnpicklingError):
        # torch's message advises weights_only=False, which the notebook warns against: name the object instead
        refused = re.search(r"GLOBAL (\S+)", str(refusal))
        check.fail(
            "the checkpoint could not be loaded back with torch.load(path, weights_only=True): it holds "
            + (f"an object of type {refused.group(1)}" if refused else "objects")
            + ", not only tensors and plain values",
            hint="save the state_dict()s, plain dicts of tensors, not the model and optimizer objects; "
            "loading objects would mean running code from the file: " + CHECKPOINT_HINT,
        )
    if refusal is not None:
        check.fail(
            f"the checkpoint could not be loaded back ({type(refusal).__name__}: {clean(refusal)})",
            hint=CHECKPOINT_HINT,
        )
    check.equal(loaded_step, step, "the step stored in the checkpoint", hint=CHECKPOINT_HINT)
    _same_next_step(check, resumed, resumed_optimizer, model, optimizer, batch, "resumed from your checkpoint")


@exercise
def save_checkpoint(check, save_checkpoint):
    _check_save(check, save_checkpoint, TINY, 2, 2)


@save_checkpoint.hidden
def save_checkpoint_hidden(check, save_checkpoint, seed):
    rng = random.Random(seed)
    _check_save(check, save_checkpoint, _random_config(rng), 3, rng.randint(3, 10**6))


def _check_load(check, load_checkpoint, config, steps, step):
    model, optimizer, batch = _trained(config, steps)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "checkpoint.pt"
        gpt.save_checkpoint(path, model, optimizer, step)
        resumed, resumed_optimizer = _fresh(config)
        got = check.call(
            load_checkpoint,
            path,
            resumed,
            resumed_optimizer,
            description="load_checkpoint(path, model, optimizer)",
            changes=contracts.VALUES,
        )
    check.equal(got, step, "the step load_checkpoint returns", hint=CHECKPOINT_HINT)
    check.same_parameters(resumed, model, "after loading", hint=CHECKPOINT_HINT)
    _same_next_step(check, resumed, resumed_optimizer, model, optimizer, batch, "resumed with load_checkpoint")


@exercise
def load_checkpoint(check, load_checkpoint):
    _check_load(check, load_checkpoint, TINY, 2, 2)


@load_checkpoint.hidden
def load_checkpoint_hidden(check, load_checkpoint, seed):
    rng = random.Random(seed)
    _check_load(check, load_checkpoint, _random_config(rng), 4, rng.randint(3, 10**6))
    # a file that holds an object: torch.load(path, weights_only=True) refuses it, weights_only=False would not
    model, optimizer = _fresh(_random_config(rng))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "checkpoint.pt"
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": NotATensor()}, path)
        with check.expect_error(
            pickle.UnpicklingError,
            "load_checkpoint on a file that holds an object",
            hint="load with torch.load(path, weights_only=True), never weights_only=False: loading an object runs "
            "code from the file, and a checkpoint needs only tensors and plain values",
        ):
            load_checkpoint(path, model, optimizer)


class NotATensor:
    """What a checkpoint should not hold: loading it needs pickle to import and build an object."""


# 17. GPT-2 weights

GPT2_HINT = (
    "Hugging Face's Conv1D stores weights as (in, out): transpose them for nn.Linear; c_attn holds "
    "query, key and value side by side: split its weight along dim 1 (its bias along dim 0) into three; "
    "norms: weight -> scale, bias -> shift; the head is lm_head.weight"
)


def _check_gpt2(check, load_gpt2_weights, config, hidden=False):
    source = _reference_model(config)
    with torch.no_grad():
        source.out_head.weight.copy_(source.tok_emb.weight)  # GPT-2 ties its head to the token embedding
    model = gpt.GPTModel(config).eval()
    before, state = dict(model.named_parameters()), gpt.hugging_face_state_dict(source)
    check.call(
        load_gpt2_weights, model, state, description="load_gpt2_weights(model, state_dict)", changes=contracts.VALUES
    )
    check.same_parameters(model, source, "after loading", hint=GPT2_HINT)
    if hidden:
        check.kept_parameters(
            model,
            before,
            list(state.values()),
            "after load_gpt2_weights",
            hint="copy every tensor into the model's own parameter, e.g. model.out_head.weight.copy_(state_dict"
            "['lm_head.weight']), even the tied head",
        )
    ids = torch.randint(0, config["vocab_size"], (2, config["context_length"]))
    check.tensor(model(ids), source(ids), "the loaded model's logits", hint=GPT2_HINT, **TOLERANCE)


@exercise
def load_gpt2_weights(check, load_gpt2_weights):
    _check_gpt2(check, load_gpt2_weights, {**TINY, "qkv_bias": True})


@load_gpt2_weights.hidden
def load_gpt2_weights_hidden(check, load_gpt2_weights, seed):
    rng = random.Random(seed)
    for _ in range(2):
        _check_gpt2(check, load_gpt2_weights, _random_config(rng, qkv_bias=True), hidden=True)


# 18. Classification head

CLASSIFY_HINT = (
    "freeze everything first (requires_grad_(False)), then put in a new nn.Linear(emb_dim, num_classes) "
    "as out_head (new layers are trainable) and unfreeze trf_blocks[-1] and final_norm"
)


def _check_classification(check, prepare, config, num_classes):
    model = _reference_model(config)
    expected = gpt.prepare_for_classification(_reference_model(config), num_classes)
    got = check.call(
        prepare,
        model,
        num_classes,
        description=f"prepare_for_classification(model, {num_classes})",
        changes="anything",  # it swaps the head and freezes: compared with the reference below
        draws=True,
    )
    if got is not model:
        check.fail(
            "prepare_for_classification must change the model it is given and return it",
            got=show(got),
            hint="return model at the end",
        )
    head = model.out_head
    if not isinstance(head, nn.Linear) or head.weight.shape != (num_classes, config["emb_dim"]) or head.bias is None:
        check.fail(
            "the new out_head has the wrong form",
            expected=f"nn.Linear({config['emb_dim']}, {num_classes})",
            got=repr(head),
            hint=CLASSIFY_HINT,
        )
    trainable = lambda m: sorted(name for name, p in m.named_parameters() if p.requires_grad)  # noqa: E731
    check.equal(trainable(model), trainable(expected), "the names of the trainable parameters", hint=CLASSIFY_HINT)
    ids = torch.randint(0, config["vocab_size"], (2, config["context_length"]))
    check.equal(
        tuple(model(ids).shape),
        (2, config["context_length"], num_classes),
        "the shape of the logits",
        hint=CLASSIFY_HINT,
    )


@exercise
def prepare_for_classification(check, prepare):
    _check_classification(check, prepare, {**TINY, "n_layers": 3}, 2)


@prepare_for_classification.hidden
def prepare_for_classification_hidden(check, prepare, seed):
    rng = random.Random(seed)
    for _ in range(3):
        _check_classification(check, prepare, _random_config(rng), rng.randint(2, 7))


# 19. Batches of instructions

COLLATE_HINT = (
    "append pad_id to every example and pad all to the longest + 1; inputs = padded[:-1], "
    "targets = padded[1:]; in the targets, keep the first end token and set the padding after it to "
    "ignore_index; with mask_prompt, also the first prompt_length - 1 targets; crop both to max_length"
)


def _check_collate(check, collate, batch, pad_id, **options):
    arguments = "".join(f", {key}={value}" for key, value in options.items())
    described = f"instruction_collate({show(batch)}, pad_id={pad_id}{arguments})"
    got = check.call(collate, [(list(ids), length) for ids, length in batch], pad_id, **options, description=described)
    expected = gpt.instruction_collate(batch, pad_id, **options)
    if type(got) is not tuple or len(got) != 2:
        check.fail(f"{described} must return (inputs, targets)", got=show(got), hint=COLLATE_HINT)
    check.tensor(got[0], expected[0], f"inputs from {described}", hint=COLLATE_HINT)
    check.tensor(got[1], expected[1], f"targets from {described}", hint=COLLATE_HINT)


@exercise
def instruction_collate(check, collate):
    batch = [([5, 6, 7, 8], 2), ([9, 10], 1)]
    _check_collate(check, collate, batch, 0)
    _check_collate(check, collate, batch, 0, mask_prompt=True)
    _check_collate(check, collate, batch, 0, max_length=3)


@instruction_collate.hidden
def instruction_collate_hidden(check, collate, seed):
    rng = random.Random(seed)
    for _ in range(6):
        pad_id = rng.randint(0, 99)
        batch = []
        for _ in range(rng.randint(1, 5)):
            ids = [rng.randint(0, 99) for _ in range(rng.randint(1, 12))]
            batch.append((ids, rng.randint(0, len(ids))))  # a prompt may be empty
        options = {"ignore_index": rng.choice([-100, -1]), "mask_prompt": rng.random() < 0.5}
        if rng.random() < 0.5:
            options["max_length"] = rng.randint(1, 14)
        _check_collate(check, collate, batch, pad_id, **options)
    _check_collate(check, collate, [([5, 6, 7], 0), ([8, 9], 2)], 3, mask_prompt=True)  # an empty prompt masks nothing
