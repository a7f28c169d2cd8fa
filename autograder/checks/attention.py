"""Checks for assignment 03 (attention without trainable weights). Visible checks use fixed
examples; ``*_hidden`` checks compare with the reference on random inputs drawn from ``seed``."""

import torch

from autograder.checks.core import TOLERANCE, show
from autograder.checks.registry import exercise
from autograder.reference import attention as ref

INPUTS = torch.tensor([[0.4, 0.1, 0.8], [0.5, 0.8, 0.6], [0.6, 0.8, 0.5], [0.2, 0.2, 0.1]])


def _random(generator, *shape, scale=1.0):
    return torch.randn(*shape, generator=generator) * scale


def _softmax_hint(got, dim: int) -> str:
    if type(got) is torch.Tensor and not bool(torch.isfinite(got).all()):
        return "exp overflowed (inf/inf = nan) or underflowed (0/0): subtract the maximum of each slice before exp"
    if type(got) is torch.Tensor and got.is_floating_point():
        return f"normalize along dim={dim} only: sum with dim={dim}, keepdim=True, so that each slice sums to one"
    return "return a tensor of the input's shape"


def _check_scores(check, attention_scores, query, inputs):
    got = check.call(
        attention_scores,
        query.clone(),
        inputs.clone(),
        description=f"attention_scores(query {show(query)}, inputs {show(inputs)})",
    )
    check.tensor(
        got,
        ref.attention_scores(query, inputs),
        "attention scores",
        hint="one dot product per token: score[i] = inputs[i] · query, a tensor of shape (tokens,)",
    )


@exercise
def attention_scores(check, attention_scores):
    _check_scores(check, attention_scores, INPUTS[1], INPUTS)
    _check_scores(check, attention_scores, torch.tensor([1.0, 0.0, -1.0]), INPUTS)


@attention_scores.hidden
def attention_scores_hidden(check, attention_scores, seed):
    generator = torch.Generator().manual_seed(seed)
    for tokens, dim in [(1, 1), (5, 2), (2, 7), (9, 16)]:
        _check_scores(check, attention_scores, _random(generator, dim), _random(generator, tokens, dim))


def _check_softmax(check, softmax, x, dim=None):
    args = (x.clone(),) if dim is None else (x.clone(), dim)
    expected = ref.softmax_naive(x) if dim is None else ref.softmax_stable(x, dim)
    used_dim = -1 if dim is None else dim
    described = f"softmax({show(x) if x.numel() > 6 else x.tolist()}{'' if dim is None else f', dim={dim}'})"
    got = check.call(softmax, *args, description=described)
    # float32 keeps about 7 digits: exp(x - c) for |x| near 1000 is good to ~1e-4 relative, whatever the formula
    check.tensor(got, expected, described, hint=_softmax_hint(got, used_dim), rtol=1e-4, atol=1e-6)


@exercise
def softmax_naive(check, softmax_naive):
    _check_softmax(check, softmax_naive, torch.tensor([1.0, 2.0, 3.0]))
    _check_softmax(check, softmax_naive, torch.tensor([[0.5, 0.5], [2.0, -1.0]]))


@softmax_naive.hidden
def softmax_naive_hidden(check, softmax_naive, seed):
    generator = torch.Generator().manual_seed(seed)
    for shape in [(1,), (7,), (3, 5), (2, 4, 4)]:
        _check_softmax(check, softmax_naive, _random(generator, *shape, scale=3))


@exercise
def softmax_stable(check, softmax_stable):
    _check_softmax(check, softmax_stable, torch.tensor([1.0, 2.0, 3.0]), -1)
    _check_softmax(check, softmax_stable, torch.tensor([1000.0, 1001.0, 1002.0]), -1)
    _check_softmax(check, softmax_stable, torch.tensor([-1000.0, -1001.0, -1002.0]), -1)
    _check_softmax(check, softmax_stable, torch.tensor([[1.0, 2.0], [3.0, 5.0]]), 0)
    mixed = torch.tensor([[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
    _check_softmax(check, softmax_stable, mixed, -1)  # each row its own maximum: one for all leaves 0 / 0


@softmax_stable.hidden
def softmax_stable_hidden(check, softmax_stable, seed):
    generator = torch.Generator().manual_seed(seed)
    mixed = torch.stack([_random(generator, 6), _random(generator, 6) + 900, _random(generator, 6) - 900])
    _check_softmax(check, softmax_stable, mixed, -1)
    _check_softmax(check, softmax_stable, mixed.T.contiguous(), 0)
    for shape, dim in [((4,), 0), ((3, 5), 1), ((2, 3, 4), 1), ((2, 3, 4), 0), ((2, 3, 4), -1), ((5, 1), 1)]:
        _check_softmax(check, softmax_stable, _random(generator, *shape, scale=50), dim)
    masked = _random(generator, 4, 4).masked_fill(torch.ones(4, 4, dtype=torch.bool).triu(1), float("-inf"))
    _check_softmax(check, softmax_stable, masked, -1)


OVERFLOW_HINT = (
    "exp overflowed (inf / inf = nan) on scores of 89 or more: normalize with your softmax_stable (or torch.softmax), "
    "which subtracts each row's maximum first"
)


def _overflowed(got) -> bool:
    return type(got) is torch.Tensor and got.is_floating_point() and not bool(torch.isfinite(got).all())


def _shifted(generator, *shape, shift=10.0):
    """Random rows whose last coordinate is ``shift``: every dot product of two of them (or with a query
    built alike) grows by shift², the same for every key, so the softmax is unchanged but exp(score)
    overflows in float32 (scores of 89 or more), as it does for long, large vectors in a real model. Scores
    near 100 keep float32's ~7 digits, about 1e-5: compare them with TOLERANCE."""
    x = _random(generator, *shape)
    x[..., -1] = shift
    return x


def _check_context(check, context_vector, query, inputs, **tolerance):
    got = check.call(
        context_vector, query.clone(), inputs.clone(), description=f"context_vector(query, inputs {show(inputs)})"
    )
    check.tensor(
        got,
        ref.context_vector(query, inputs),
        "context vector",
        hint=OVERFLOW_HINT
        if _overflowed(got)
        else "softmax the scores into weights, then sum the input rows weighted by them: shape (dim,)",
        **tolerance,
    )


@exercise
def context_vector(check, context_vector):
    _check_context(check, context_vector, INPUTS[1], INPUTS)
    generator = torch.Generator().manual_seed(0)
    _check_context(check, context_vector, _shifted(generator, 5), _shifted(generator, 7, 5), **TOLERANCE)


@context_vector.hidden
def context_vector_hidden(check, context_vector, seed):
    generator = torch.Generator().manual_seed(seed)
    for tokens, dim in [(1, 3), (6, 4), (12, 8)]:  # rows of scale 4: scores up to about 100, as _shifted's
        query, inputs = _random(generator, dim, scale=4), _random(generator, tokens, dim, scale=4)
        _check_context(check, context_vector, query, inputs, **TOLERANCE)
    _check_context(check, context_vector, _shifted(generator, 5), _shifted(generator, 7, 5), **TOLERANCE)


def _check_weights(check, attention_weights, inputs, **tolerance):
    got = check.call(attention_weights, inputs.clone(), description=f"attention_weights(inputs {show(inputs)})")
    hint = "weights[..., i, j] = softmax over j of inputs[i] · inputs[j]: each row sums to one"
    square = type(got) is torch.Tensor and got.shape == inputs.shape[:-1] + inputs.shape[-2:-1]
    if (
        square
        and torch.allclose(got.sum(dim=-2), torch.ones(()))
        and not torch.allclose(got.sum(dim=-1), torch.ones(()))
    ):
        hint = "the columns sum to one: apply the softmax along the last dimension (dim=-1), one row per query"
    if _overflowed(got):
        hint = OVERFLOW_HINT
    check.tensor(got, ref.attention_weights(inputs), "attention weights", hint=hint, **tolerance)


@exercise
def attention_weights(check, attention_weights):
    _check_weights(check, attention_weights, INPUTS)
    _check_weights(check, attention_weights, _shifted(torch.Generator().manual_seed(0), 2, 5, 4), **TOLERANCE)


@attention_weights.hidden
def attention_weights_hidden(check, attention_weights, seed):
    generator = torch.Generator().manual_seed(seed)
    for shape in [(1, 2), (5, 3), (3, 4, 6), (2, 7, 5)]:
        _check_weights(check, attention_weights, _random(generator, *shape, scale=3))
    _check_weights(check, attention_weights, _shifted(generator, 2, 5, 4), **TOLERANCE)


def _check_all(check, all_context_vectors, inputs, **tolerance):
    got = check.call(all_context_vectors, inputs.clone(), description=f"all_context_vectors(inputs {show(inputs)})")
    check.tensor(
        got,
        ref.all_context_vectors(inputs),
        "context vectors",
        hint=OVERFLOW_HINT
        if _overflowed(got)
        else "weights (..., tokens, tokens) @ inputs (..., tokens, dim): row i is token i's context vector; "
        "use .transpose(-2, -1) so batched inputs work too",
        **tolerance,
    )


@exercise
def all_context_vectors(check, all_context_vectors):
    _check_all(check, all_context_vectors, INPUTS)
    _check_all(check, all_context_vectors, torch.stack([INPUTS, INPUTS.flip(0)]))
    _check_all(check, all_context_vectors, _shifted(torch.Generator().manual_seed(0), 3, 6, 4), **TOLERANCE)


@all_context_vectors.hidden
def all_context_vectors_hidden(check, all_context_vectors, seed):
    generator = torch.Generator().manual_seed(seed)
    for shape in [(1, 1), (6, 3), (4, 5, 2), (3, 8, 16)]:
        _check_all(check, all_context_vectors, _random(generator, *shape, scale=2))
    _check_all(check, all_context_vectors, _shifted(generator, 3, 6, 4), **TOLERANCE)
