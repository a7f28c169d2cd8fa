"""Checks for assignment 04 (self-attention with trainable weights). Visible checks use fixed
examples; ``*_hidden`` checks compare with the reference on random inputs drawn from ``seed``."""

import torch
from torch import nn

from autograder.checks import contracts
from autograder.checks.core import TOLERANCE, show
from autograder.checks.registry import exercise
from autograder.materials.word_vectors import ACTION, ANIMAL, FEATURES, SENTENCE, embed
from autograder.reference import qkv as ref

SCALE_HINT = "divide the scores Q Kᵀ by √d_k (d_k = keys.shape[-1]) before the softmax over the last dimension"


def _check_projection(check, project_qkv, inputs, weights):
    got = check.call(
        project_qkv,
        inputs.clone(),
        *(w.clone() for w in weights),
        description=f"project_qkv(inputs {show(inputs)}, ...)",
    )
    if type(got) not in (tuple, list) or len(got) != 3:
        check.fail("project_qkv must return three tensors (queries, keys, values)", got=show(got))
    for name, g, e in zip(("queries", "keys", "values"), got, ref.project_qkv(inputs, *weights)):
        check.tensor(g, e, name, hint="each projection is inputs @ W: (..., tokens, d_in) @ (d_in, d_out)")


# Weights of N(0, 1) on inputs of N(0, 4) give scores of 50 and more: float32 keeps about 1e-5 of them, and the
# softmax turns that into a relative error of 1e-4 in the weights. Formulations that are all right (PyTorch's fused
# attention, another order of the products) then differ from the reference by up to about 2e-5; this tolerance
# still fails a missing or wrong scale, a transposed product or a softmax over the wrong dimension by far.
LARGE_SCORES = {"rtol": 1e-3, "atol": 1e-4}


@exercise
def project_qkv(check, project_qkv):
    generator = torch.Generator().manual_seed(0)
    _check_projection(
        check,
        project_qkv,
        torch.rand(4, 3, generator=generator),
        [torch.rand(3, 2, generator=generator) for _ in range(3)],
    )


@project_qkv.hidden
def project_qkv_hidden(check, project_qkv, seed):
    generator = torch.Generator().manual_seed(seed)
    for shape, d_out in [((1, 1), 1), ((5, 4), 7), ((2, 6, 3), 5)]:
        _check_projection(
            check,
            project_qkv,
            torch.randn(*shape, generator=generator),
            [torch.randn(shape[-1], d_out, generator=generator) for _ in range(3)],
        )


def _check_sdp(check, scaled_dot_product, queries, keys, values):
    got = check.call(
        scaled_dot_product,
        queries.clone(),
        keys.clone(),
        values.clone(),
        description=f"scaled_dot_product(Q {show(queries)}, K {show(keys)}, V {show(values)})",
    )
    overflowed = type(got) is torch.Tensor and got.is_floating_point() and not bool(torch.isfinite(got).all())
    hint = "exp overflowed on scores of 89 or more (inf / inf = nan): use torch.softmax" if overflowed else SCALE_HINT
    check.tensor(got, ref.scaled_dot_product(queries, keys, values), "attention output", hint=hint, **TOLERANCE)


@exercise
def scaled_dot_product(check, scaled_dot_product):
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(4, 8, generator=generator) for _ in range(3))
    _check_sdp(check, scaled_dot_product, q, k, v)
    _check_sdp(check, scaled_dot_product, *_overflowing_qkv(generator, d_v=3))


def _overflowing_qkv(generator, d_v=4):
    """Queries and keys whose last coordinate is 15: 225 / √4 more on every score, the softmax unchanged, exp(score)
    overflowing in float32; values of another width than the keys (d_v), so that √d_v in place of √d_k shows."""
    q, k = (torch.randn(2, 5, 4, generator=generator) for _ in range(2))
    q[..., -1] = k[..., -1] = 15.0
    return q, k, torch.randn(2, 5, d_v, generator=generator)


@scaled_dot_product.hidden
def scaled_dot_product_hidden(check, scaled_dot_product, seed):
    generator = torch.Generator().manual_seed(seed)
    for lead, tokens, d_k, d_v in [((), 1, 1, 1), ((), 6, 16, 3), ((3,), 5, 9, 4), ((2, 4), 7, 64, 5)]:
        q = torch.randn(*lead, tokens, d_k, generator=generator) * 2
        k = torch.randn(*lead, tokens, d_k, generator=generator) * 2
        _check_sdp(check, scaled_dot_product, q, k, torch.randn(*lead, tokens, d_v, generator=generator))
    _check_sdp(check, scaled_dot_product, *_overflowing_qkv(generator))


VERB, NOUNS = SENTENCE.index("saw"), (SENTENCE.index("fox"), SENTENCE.index("dog"))
NOUN_SHARE = 0.8  # of the verb's attention, on the two nouns together
PSEUDO_INVERSE_HINT = (
    "choose the 3 x 3 matrix looks_for = W_query @ W_key.T (rows: what the query has, columns: what the key "
    "advertises) and solve for W_query: W_query = looks_for @ torch.linalg.pinv(w_key.T)"
)


def _verb_weights(w_query: torch.Tensor, w_key: torch.Tensor) -> torch.Tensor:
    """The verb's scaled dot-product attention weights over 03's sentence, shape (tokens,)."""
    inputs = embed()
    scores = (inputs[VERB] @ w_query) @ (inputs @ w_key).T / w_key.shape[-1] ** 0.5
    return torch.softmax(scores, dim=-1)


def _check_verb_query(check, verb_query, w_key: torch.Tensor, described: str):
    square = w_key.shape[0] == w_key.shape[1]
    got = check.call(
        verb_query,
        w_key.clone(),
        description=f"verb_query(w_key of shape {tuple(w_key.shape)}, {described})",
        hint=None
        if square
        else f"w_key has shape {tuple(w_key.shape)}, not square: torch.linalg.inv needs a square matrix, "
        "torch.linalg.pinv does not; and (3, 3) @ pinv(w_key.T) is (3, 3) @ (3, d_k)",
    )
    if type(got) not in (torch.Tensor, nn.Parameter) or got.shape != w_key.shape or not got.is_floating_point():
        check.fail(
            f"verb_query must return a float tensor shaped like w_key ({described})",
            expected=f"a float tensor of shape {tuple(w_key.shape)}",
            got=show(got),
            hint="queries and keys are compared by dot products, so W_query maps 3 features to d_k like W_key: "
            + PSEUDO_INVERSE_HINT,
        )
    w_query = got.detach().float()
    weights = _verb_weights(w_query, w_key)
    on_nouns = weights[list(NOUNS)]
    others = weights[[i for i in range(len(SENTENCE)) if i not in NOUNS]]
    share, strongest_other = float(on_nouns.sum()), float(others.max())
    if share >= NOUN_SHARE and float(on_nouns.min()) > strongest_other:
        return
    looks_for = (w_query @ w_key.T).tolist()
    check.fail(
        f"under a key projection of shape {tuple(w_key.shape)} ({described}), 'saw' puts {share:.2f} of its "
        "attention on 'fox' and 'dog'",
        expected=f"fox + dog ≥ {NOUN_SHARE}, and each of them more than any other token",
        got=", ".join(f"{token} {weight:.2f}" for token, weight in zip(SENTENCE, weights.tolist()))
        + "; W_query @ W_key.T, rows and columns "
        + "/".join(FEATURES)
        + " = "
        + str([[round(value, 2) for value in row] for row in looks_for]),
        hint=_verb_hint(w_query, w_key, looks_for, ranked=float(on_nouns.min()) > strongest_other),
    )


def _verb_hint(w_query, w_key, looks_for, ranked: bool) -> str:
    """Name the cause of a verb that does not find its nouns."""
    d_k = w_key.shape[-1]
    if torch.allclose(w_query, w_key):
        return (
            "W_query = W_key makes every token look for what it advertises itself, as in 03 without weights, so "
            "'saw' finds itself: the verb's query must look for the animal feature; " + PSEUDO_INVERSE_HINT
        )
    if torch.equal(w_query, torch.eye(*w_query.shape)):
        return (
            "W_query = identity leaves the queries in the three features while the keys are mixed by W_key: "
            "W_query @ W_key.T is then W_key.T, and the scores mean nothing; " + PSEUDO_INVERSE_HINT
        )
    action_row = [abs(value) for value in looks_for[ACTION]]
    if ranked and looks_for[ACTION][ANIMAL] > 2 * max(action_row[:ANIMAL] + action_row[ANIMAL + 1 :]):
        return (
            f"'saw' ranks the nouns first, but not strongly enough: the scores are divided by √d_k = {d_k**0.5:.1f}, "
            "so make the entry (action, animal) of W_query @ W_key.T larger, e.g. in proportion to √d_k"
        )
    if looks_for[ANIMAL][ACTION] > max(looks_for[ACTION][ANIMAL], 0):
        return (
            "the entry (animal, action) of W_query @ W_key.T is large, not (action, animal): rows are what the "
            "query has, columns what the key advertises, so the animals look for actions; it is the verb's "
            "query (action) that must look for animals"
        )
    return (
        "the score of 'saw' for token j is x_saw @ (W_query @ W_key.T) @ x_j: with the matrix shown above it "
        f"does not favour the animals; {PSEUDO_INVERSE_HINT} (a pseudo-inverse of W_key, not of W_key.T, or "
        "none at all, gives another matrix than the one you chose)"
    )


def _key_projection(generator: torch.Generator, d_k: int) -> torch.Tensor:
    """A random (3, d_k) key projection of rank 3, well conditioned so that a pseudo-inverse is exact enough."""
    while True:
        w_key = torch.randn(len(FEATURES), d_k, generator=generator)
        if float(torch.linalg.cond(w_key)) < 10:
            return w_key


@exercise
def verb_query(check, verb_query):
    generator = torch.Generator().manual_seed(2)  # a square key on which W_key, identity, no pinv all fail
    for d_k in (3, 16):
        _check_verb_query(check, verb_query, _key_projection(generator, d_k), "random")


@verb_query.hidden
def verb_query_hidden(check, verb_query, seed):
    generator = torch.Generator().manual_seed(seed)
    for d_k in (3, 3, 4, 5, 16, 64):
        _check_verb_query(check, verb_query, _key_projection(generator, d_k), "random")
    _check_verb_query(check, verb_query, 10 * _key_projection(generator, 8), "random, entries 10 times larger")
    _check_verb_query(check, verb_query, _key_projection(generator, 8) / 10, "random, entries 10 times smaller")
    orthonormal = torch.linalg.qr(torch.randn(32, 3, generator=generator)).Q.T  # (3, 32), orthonormal rows
    _check_verb_query(check, verb_query, orthonormal.contiguous(), "orthonormal rows")


@exercise
def SelfAttentionParams(check, module_class):
    _check_self_attention(check, module_class, ref.SelfAttentionParams, [(3, 2, (6, 3))], {})
    _check_initial_weights(check, module_class)


@SelfAttentionParams.hidden
def SelfAttentionParams_hidden(check, module_class, seed):
    _check_self_attention(
        check, module_class, ref.SelfAttentionParams, [(1, 1, (1, 1)), (5, 8, (7, 5)), (4, 3, (2, 5, 4))], {}
    )
    _check_initial_weights(check, module_class)


def _check_initial_weights(check, module_class):
    """A fresh module's three matrices are drawn with torch.rand, uniform on [0, 1), as the reference draws them:
    4,096 values each, so that another distribution (torch.randn, zeros, a scale) shows in its range or mean."""
    module = check.module(
        module_class, 64, 64, described="SelfAttentionParams(64, 64)", parameters=["W_key", "W_query", "W_value"]
    )
    for name, parameter in module.named_parameters():
        values = parameter.detach()
        low, high, mean = float(values.min()), float(values.max()), float(values.mean())
        if not (low >= 0 and high < 1 and 0.45 < mean < 0.55):
            check.fail(
                f"the initial {name} of SelfAttentionParams(64, 64) is not drawn uniformly from [0, 1)",
                expected="values in [0, 1), mean about 0.5 (torch.rand)",
                got=f"values in [{low:.3g}, {high:.3g}], mean {mean:.3g}",
                hint="draw the weights with torch.rand(d_in, d_out), as the chapter does (torch.randn draws from "
                "N(0, 1), with negative values)",
            )


@exercise
def SelfAttentionLinear(check, module_class):
    _check_self_attention(check, module_class, ref.SelfAttentionLinear, [(3, 2, (6, 3))], {})


@SelfAttentionLinear.hidden
def SelfAttentionLinear_hidden(check, module_class, seed):
    configs = [(1, 1, (1, 1)), (5, 8, (7, 5)), (4, 3, (2, 5, 4))]
    _check_self_attention(check, module_class, ref.SelfAttentionLinear, configs, {})
    _check_self_attention(check, module_class, ref.SelfAttentionLinear, configs, {"qkv_bias": True})


def _check_self_attention(check, module_class, reference_class, configs, options):
    for d_in, d_out, shape in configs:
        described = f"{module_class.__name__}({d_in}, {d_out}{''.join(f', {k}={v}' for k, v in options.items())})"
        expected = reference_class(d_in, d_out, **options)
        with torch.no_grad():  # weights of both signs and sizes, so that a missing scale shows
            for parameter in expected.parameters():
                parameter.normal_(0, 1)
        module = check.module_with_weights_of(expected, module_class, d_in, d_out, **options, described=described)
        check.module_outputs(
            module,
            expected,
            torch.randn(*shape) * 2,
            described,
            **LARGE_SCORES,
            hint="queries, keys and values from the three projections, then softmax(Q Kᵀ / √d_out) V",
        )


@exercise
def copy_linear_to_params(check, copy_linear_to_params):
    _check_copy(check, copy_linear_to_params, 3, 2, (5, 3))


@copy_linear_to_params.hidden
def copy_linear_to_params_hidden(check, copy_linear_to_params, seed):
    for d_in, d_out, shape in [(4, 4, (6, 4)), (2, 7, (3, 2)), (6, 3, (2, 4, 6))]:
        source, target, before = _check_copy(check, copy_linear_to_params, d_in, d_out, shape)
        check.kept_parameters(
            target,
            before,
            list(source.parameters()),
            "after copy_linear_to_params",
            hint="target.W_query.copy_(source.W_query.weight.T) under torch.no_grad()",
        )


def _check_copy(check, copy_linear_to_params, d_in, d_out, shape):
    source, target = ref.SelfAttentionLinear(d_in, d_out), ref.SelfAttentionParams(d_in, d_out)
    before = dict(target.named_parameters())
    check.call(
        copy_linear_to_params,
        source,
        target,
        description="copy_linear_to_params(linear_module, params_module)",
        changes=contracts.VALUES,
    )
    hint = "nn.Linear computes x @ weight.T, so the (d_in, d_out) matrix is weight.T; copy with torch.no_grad()"
    for name in ("W_query", "W_key", "W_value"):
        check.tensor(
            getattr(target, name).detach(), getattr(source, name).weight.detach().T, f"target.{name}", hint=hint
        )
    if not all(isinstance(p, nn.Parameter) and p.requires_grad for p in target.parameters()):
        check.fail(
            "the target's weights are no longer trainable parameters",
            hint="copy into the existing parameters (parameter.copy_(...) under torch.no_grad())",
        )
    x = torch.randn(*shape)
    check.tensor(target(x).detach(), source(x).detach(), "outputs after copying", hint=hint, **TOLERANCE)
    return source, target, before
