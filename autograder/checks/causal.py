"""Checks for assignment 05 (causal attention and dropout). Visible checks use fixed examples;
``*_hidden`` checks compare with the reference on random inputs drawn from ``seed``."""

import torch

from autograder.checks.core import TOLERANCE, show
from autograder.checks.registry import exercise
from autograder.checks.train_mode import check_dropout
from autograder.reference import causal as ref

MASK_HINT = "mask the scores of later tokens (key j > query i) with -inf *before* the softmax; -inf, not 0, gives weight exactly 0"


def _check_mask(check, causal_mask, tokens):
    got = check.call(causal_mask, tokens, description=f"causal_mask({tokens})")
    hint = "True above the diagonal (j > i): torch.ones(n, n, dtype=torch.bool).triu(diagonal=1)"
    if type(got) is torch.Tensor and got.shape == (tokens, tokens) and got.dtype == torch.bool and tokens > 1:
        if bool((got == ~ref.causal_mask(tokens)).all()):
            hint = "this is the opposite: True must mark what is hidden (the future), not what is visible"
        elif bool((got == ref.causal_mask(tokens).T).all()):
            hint = "wrong triangle: query i may see keys j <= i, so hide the part above the diagonal"
    check.tensor(got, ref.causal_mask(tokens), f"causal_mask({tokens})", hint=hint)


@exercise
def causal_mask(check, causal_mask):
    _check_mask(check, causal_mask, 4)


@causal_mask.hidden
def causal_mask_hidden(check, causal_mask, seed):
    for tokens in (1, 2, 7, 13 + seed % 5):
        _check_mask(check, causal_mask, tokens)


def _check_masked(check, function, scores, expected, described, hint):
    got = check.call(function, scores.clone(), description=f"{described}({show(scores)})")
    check.tensor(got, expected, f"{described} of {show(scores)}", hint=hint, **TOLERANCE)


@exercise
def masked_attention_weights(check, masked_attention_weights):
    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(4, 4, generator=generator) * 3
    _check_masked(
        check,
        masked_attention_weights,
        scores,
        ref.masked_attention_weights(scores),
        "masked_attention_weights",
        MASK_HINT,
    )
    _check_masked_overflow(check, masked_attention_weights, generator)


@masked_attention_weights.hidden
def masked_attention_weights_hidden(check, masked_attention_weights, seed):
    generator = torch.Generator().manual_seed(seed)
    for shape in [(1, 1), (6, 6), (3, 5, 5), (2, 2, 7, 7)]:
        scores = torch.randn(*shape, generator=generator) * 4
        _check_masked(
            check,
            masked_attention_weights,
            scores,
            ref.masked_attention_weights(scores),
            "masked_attention_weights",
            MASK_HINT,
        )
    _check_masked_overflow(check, masked_attention_weights, generator)


def _check_masked_overflow(check, masked_attention_weights, generator):
    """Scores near 95: exp overflows in float32, and a mask built for the wrong dimension of a rank-3 batch shows."""
    scores = torch.randn(4, 6, 6, generator=generator) * 3 + 95
    got = check.call(masked_attention_weights, scores.clone(), description=f"masked_attention_weights({show(scores)})")
    overflowed = type(got) is torch.Tensor and got.is_floating_point() and not bool(torch.isfinite(got).all())
    check.tensor(
        got,
        ref.masked_attention_weights(scores),
        f"masked_attention_weights of {show(scores)} (scores near 95)",
        hint="exp overflowed on scores of 89 or more: use torch.softmax, or subtract each row's maximum first"
        if overflowed
        else MASK_HINT,
        **TOLERANCE,
    )


@exercise
def mask_and_renormalize(check, mask_and_renormalize):
    generator = torch.Generator().manual_seed(0)
    weights = torch.softmax(torch.randn(4, 4, generator=generator), dim=-1)
    _check_masked(
        check,
        mask_and_renormalize,
        weights,
        ref.mask_and_renormalize(weights),
        "mask_and_renormalize",
        "set the future weights to 0, then divide each row by its new sum so it sums to one again",
    )


@mask_and_renormalize.hidden
def mask_and_renormalize_hidden(check, mask_and_renormalize, seed):
    generator = torch.Generator().manual_seed(seed)
    for shape in [(1, 1), (5, 5), (2, 3, 6, 6)]:
        weights = torch.softmax(torch.randn(*shape, generator=generator) * 2, dim=-1)
        _check_masked(
            check,
            mask_and_renormalize,
            weights,
            ref.mask_and_renormalize(weights),
            "mask_and_renormalize",
            "zero the future, then renormalize each row to sum to one",
        )


def _check_dropout_statistics(check, dropout_class, p, generator, shape=(200_000,)):
    layer = check.call(dropout_class, p, description=f"Dropout({p})")
    x = torch.rand(*shape, generator=generator) + 0.5
    check.call(layer.train, description="layer.train()")
    got = check.call(
        layer,
        x.clone(),
        description=f"Dropout({p}) in train mode on {show(x)}",
        draws=True,
        hint="draw one random number per value, whatever the input's shape: torch.rand_like(x)",
    )
    if type(got) is not torch.Tensor or got.shape != x.shape:
        check.fail(f"Dropout({p}) must return a tensor shaped like its input", got=show(got))
    zeroed = float((got == 0).float().mean())
    # 200,000 draws: the fraction zeroed is within 0.01 of p with overwhelming probability (sd <= 0.0012)
    if abs(zeroed - p) > 0.01:
        check.fail(
            f"Dropout({p}) zeroed the wrong fraction in train mode",
            expected=f"about {p:.2f}",
            got=f"{zeroed:.3f}",
            hint="zero each value independently with probability p: torch.rand_like(x) < p",
        )
    kept = got != 0
    check.tensor(
        got[kept],
        x[kept] / (1 - p),
        f"the values Dropout({p}) keeps",
        hint="scale the values you keep by 1 / (1 - p), so that the expected value of each stays the same",
    )
    check.call(layer.eval, description="layer.eval()")
    check.tensor(
        check.call(layer, x.clone(), description=f"Dropout({p}) in eval mode"),
        x,
        f"Dropout({p}) in eval mode",
        hint="in eval mode (self.training is False) return the input unchanged",
    )


@exercise
def Dropout(check, dropout_class):
    generator = torch.Generator().manual_seed(0)
    _check_dropout_statistics(check, dropout_class, 0.5, generator)


@Dropout.hidden
def Dropout_hidden(check, dropout_class, seed):
    generator = torch.Generator().manual_seed(seed)
    for p in (0.1, 0.8, 0.0):
        _check_dropout_statistics(check, dropout_class, p, generator)
    _check_dropout_statistics(check, dropout_class, 0.3, generator, shape=(8, 250, 100))  # a batch of weights
    for p in (1.0, -0.1):
        with check.expect_error(ValueError, f"Dropout({p})", hint="p must be in [0, 1): raise ValueError otherwise"):
            dropout_class(p)


DROPOUT_HINT = (
    "apply self.dropout (nn.Dropout(dropout)) once, to the attention weights: after the masked softmax, "
    "before multiplying by the values"
)
CAUSAL_PARAMETERS = ["W_query.weight", "W_key.weight", "W_value.weight"]


def _check_causal(check, module_class, d_in, d_out, context_length, batch, tokens, qkv_bias=False):
    described = f"CausalAttention({d_in}, {d_out}, context_length={context_length}, dropout=0.0, qkv_bias={qkv_bias})"
    expected = ref.CausalAttention(d_in, d_out, context_length, 0.0, qkv_bias)
    parameters = CAUSAL_PARAMETERS + (
        [name.replace("weight", "bias") for name in CAUSAL_PARAMETERS] if qkv_bias else []
    )
    module = check.module(
        module_class, d_in, d_out, context_length, 0.0, qkv_bias=qkv_bias, described=described, parameters=parameters
    )
    check.mask_buffer(module, context_length, described)
    check.copy_parameters(expected, module)
    check.module_outputs(
        module,
        expected,
        torch.randn(batch, tokens, d_in) * 2,
        described,
        **TOLERANCE,
        causal_hint="a token must not see later tokens: mask every key j > i",
        hint="scores Q Kᵀ / √d_out, future masked with -inf (mask[:tokens, :tokens]), softmax, dropout, @ V",
    )


@exercise
def CausalAttention(check, module_class):
    _check_causal(check, module_class, 3, 2, 6, 2, 6)
    _check_causal(check, module_class, 3, 2, 6, 2, 4)
    _check_causal_dropout(check, module_class)
    module = module_class(3, 2, 4, 0.0)
    with check.expect_error(
        ValueError,
        "CausalAttention with context_length=4 on 5 tokens",
        hint="raise ValueError when the input has more tokens than the context length",
    ):
        module(torch.randn(1, 5, 3))


@CausalAttention.hidden
def CausalAttention_hidden(check, module_class, seed):
    for d_in, d_out, context_length, batch, tokens, bias in [
        (1, 1, 1, 1, 1, False),
        (5, 8, 10, 3, 7, True),
        (4, 3, 12, 1, 12, False),
        (6, 6, 9, 4, 2, True),
    ]:
        _check_causal(check, module_class, d_in, d_out, context_length, batch, tokens, bias)
    module = check.call(module_class, 5, 4, 6, 0.0, qkv_bias=True, description="CausalAttention(5, 4, 6, 0.0, True)")
    check.float64_outputs(module, ref.CausalAttention(5, 4, 6, 0.0, True), torch.randn(2, 6, 5), "CausalAttention")
    _check_causal_dropout(check, module_class)


def _check_causal_dropout(check, module_class):
    """d_out 3 and 7 tokens, so that dropout on the weights (..., 7, 7) and on the outputs (..., 3) differ."""
    described = "CausalAttention(4, 3, context_length=8, dropout=0.5)"
    expected = ref.CausalAttention(4, 3, 8, 0.5)
    module = check.module(module_class, 4, 3, 8, 0.5, described=described, parameters=CAUSAL_PARAMETERS)
    check.copy_parameters(expected, module)
    check_dropout(check, module, expected, torch.randn(2, 7, 4), described, where=DROPOUT_HINT, **TOLERANCE)
