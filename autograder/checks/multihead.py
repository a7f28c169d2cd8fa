"""Checks for assignment 06 (multi-head attention). Visible checks use fixed examples;
``*_hidden`` checks compare with the reference on random inputs drawn from ``seed``."""

import torch
from torch import nn

from autograder.checks import contracts
from autograder.checks.core import TOLERANCE, show
from autograder.checks.registry import exercise
from autograder.checks.train_mode import check_dropout
from autograder.reference import multihead as ref

CAUSAL_HINT = (
    "an output moved when only a later token changed: every head must mask the keys j > i, "
    "and heads must be split and merged with view + transpose(1, 2) so that tokens do not mix"
)


def _check_wrapper(check, wrapper_class, d_in, d_out, context_length, num_heads, batch, tokens, qkv_bias):
    described = (
        f"MultiHeadAttentionWrapper({d_in}, {d_out}, {context_length}, 0.0, num_heads={num_heads}, qkv_bias={qkv_bias})"
    )
    expected = ref.MultiHeadAttentionWrapper(d_in, d_out, context_length, 0.0, num_heads, qkv_bias)
    module = check.module_with_weights_of(
        expected, wrapper_class, d_in, d_out, context_length, 0.0, num_heads, qkv_bias=qkv_bias, described=described
    )
    check.module_outputs(
        module,
        expected,
        torch.randn(batch, tokens, d_in),
        described,
        causal_hint=CAUSAL_HINT,
        hint="run every head (self.heads, an nn.ModuleList of CausalAttention) and concatenate "
        "along the last dimension",
        **TOLERANCE,
    )


@exercise
def MultiHeadAttentionWrapper(check, wrapper_class):
    _check_wrapper(check, wrapper_class, 3, 2, 6, 2, 2, 6, False)
    _check_wrapper_dropout(check, wrapper_class)


@MultiHeadAttentionWrapper.hidden
def MultiHeadAttentionWrapper_hidden(check, wrapper_class, seed):
    for config in [(1, 1, 1, 1, 1, 1, False), (5, 3, 8, 4, 3, 7, True), (4, 6, 9, 3, 1, 9, False)]:
        _check_wrapper(check, wrapper_class, *config)
    _check_wrapper_dropout(check, wrapper_class)


def _check_wrapper_dropout(check, wrapper_class):
    described = "MultiHeadAttentionWrapper(4, 3, 8, dropout=0.5, num_heads=2)"
    expected = ref.MultiHeadAttentionWrapper(4, 3, 8, 0.5, 2)
    module = check.module_with_weights_of(expected, wrapper_class, 4, 3, 8, 0.5, 2, described=described)
    hint = "give every head the dropout probability, CausalAttention(d_in, d_out, context_length, dropout, qkv_bias): "
    hint += "each head drops its own attention weights, and nothing else is dropped"
    check_dropout(check, module, expected, torch.randn(2, 7, 4), described, where=hint, **TOLERANCE)


PREVIOUS_SHARE = 0.9  # of each token's attention, on the token just before it


def _check_previous_token(check, previous_token_query, num_tokens: int) -> None:
    got = check.call(previous_token_query, num_tokens, description=f"previous_token_query({num_tokens})")
    if type(got) not in (torch.Tensor, nn.Parameter) or got.shape != (num_tokens,) * 2 or not got.is_floating_point():
        check.fail(
            f"previous_token_query({num_tokens}) must return a float tensor of shape ({num_tokens}, {num_tokens})",
            expected=f"a float tensor of shape ({num_tokens}, {num_tokens})",
            got=show(got),
            hint="one row per query position, one column per key position: entry (i, j) is how strongly "
            "position i looks for position j",
        )
    looks_for = got.detach().float()
    # keys are the one-hot positions as they are (W_key = identity), so the scores are W_query / √d_k
    future = torch.ones(num_tokens, num_tokens, dtype=torch.bool).triu(diagonal=1)
    weights = torch.softmax((looks_for / num_tokens**0.5).masked_fill(future, float("-inf")), dim=-1)
    for position in range(1, num_tokens):
        on_previous = float(weights[position, position - 1])
        if not on_previous >= PREVIOUS_SHARE:
            strongest = int(weights[position].argmax())  # ties: the first
            check.fail(
                f"previous_token_query({num_tokens}): token {position} puts {on_previous:.3f} of its attention on "
                f"token {position - 1}, the one just before it",
                expected=f"at least {PREVIOUS_SHARE} on token {position - 1}, for every token from 1 on",
                got=f"row {position} of the weights: most on token {strongest} "
                f"({float(weights[position, strongest]):.3f}); W_query[{position}] = "
                + str([round(value, 2) for value in looks_for[position].tolist()][:12]),
                hint=_previous_hint(looks_for, position, num_tokens),
            )


def _previous_hint(looks_for, position: int, num_tokens: int) -> str:
    """Name the cause of a token that does not look one step back."""
    row = looks_for[position]
    if position + 1 < num_tokens and float(row[position + 1]) > float(row[: position + 1].max()):
        return (
            f"W_query[{position}, {position + 1}] looks for the next token, which the causal mask hides, so the row "
            "spreads its weight over the tokens it can see: put the large entries below the diagonal, "
            "W_query[i, i - 1] (torch.diag(..., diagonal=-1))"
        )
    others = [j for j in range(position + 1) if j != position - 1]  # the other tokens it can see
    rival = max(others, key=lambda j: float(row[j]))
    if float(row[position - 1]) <= float(row[rival]):
        if rival == position and float(row[position]) > float(row[position - 1]):
            return "the diagonal makes each token look for itself: the entry that matters is W_query[i, i - 1]"
        return (
            f"W_query[{position}, {position - 1}] is not above W_query[{position}, {rival}]: off by one? "
            "Each row i needs its largest entry at column i - 1"
        )
    return (
        f"the right entry, not strong enough: the scores are divided by √d_k = √{num_tokens} = {num_tokens**0.5:.1f}, "
        f"and token {position} has {position} other tokens to share with; make W_query[i, i - 1] larger, in "
        "proportion to √num_tokens"
    )


@exercise
def previous_token_query(check, previous_token_query):
    for num_tokens in (7, 16):
        _check_previous_token(check, previous_token_query, num_tokens)


@previous_token_query.hidden
def previous_token_query_hidden(check, previous_token_query, seed):
    for num_tokens in (1, 2, 3, 5, 32, 64):
        _check_previous_token(check, previous_token_query, num_tokens)


def _check_mha(
    check, mha_class, d_in, d_out, context_length, num_heads, batch, tokens, qkv_bias, name="MultiHeadAttention"
):
    described = f"{name}({d_in}, {d_out}, {context_length}, 0.0, num_heads={num_heads}, qkv_bias={qkv_bias})"
    expected = ref.MultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads, qkv_bias)
    module = check.module_with_weights_of(
        expected, mha_class, d_in, d_out, context_length, 0.0, num_heads, qkv_bias=qkv_bias, described=described
    )
    check.module_outputs(
        module,
        expected,
        torch.randn(batch, tokens, d_in) * 2,
        described,
        causal_hint=CAUSAL_HINT,
        hint="split Q, K, V into heads with .view(batch, tokens, heads, head_dim).transpose(1, 2), "
        "scale by √head_dim, mask, softmax, @ V, then transpose back, merge heads and apply out_proj",
        **TOLERANCE,
    )
    return module


@exercise
def MultiHeadAttention(check, mha_class):
    _check_mha(check, mha_class, 3, 4, 6, 2, 2, 6, False)
    with check.expect_error(
        ValueError,
        "MultiHeadAttention(3, 5, 6, 0.0, num_heads=2)",
        hint="d_out must split evenly into heads: raise ValueError otherwise",
    ):
        mha_class(3, 5, 6, 0.0, 2)
    _check_mha_dropout(check, mha_class, "MultiHeadAttention", MHA_DROPOUT_HINT)


@MultiHeadAttention.hidden
def MultiHeadAttention_hidden(check, mha_class, seed):
    for config in [
        (1, 1, 1, 1, 1, 1, False),
        (5, 12, 10, 3, 3, 7, True),
        (8, 16, 9, 4, 2, 9, False),
        (6, 6, 12, 6, 1, 5, True),
    ]:
        module = _check_mha(check, mha_class, *config)
        check.mask_buffer(module, config[2], f"MultiHeadAttention(context_length={config[2]})")
    module = check.call(
        mha_class, 5, 6, 6, 0.0, 2, qkv_bias=True, description="MultiHeadAttention(5, 6, 6, 0.0, 2, True)"
    )
    check.float64_outputs(
        module, ref.MultiHeadAttention(5, 6, 6, 0.0, 2, True), torch.randn(2, 6, 5), "MultiHeadAttention"
    )
    _check_mha_dropout(check, mha_class, "MultiHeadAttention", MHA_DROPOUT_HINT)


MHA_DROPOUT_HINT = (
    "apply self.dropout (nn.Dropout) once, to the attention weights (batch, heads, tokens, tokens): after the "
    "masked softmax, before @ values; not to the scores, the values or the output of out_proj"
)
SDPA_DROPOUT_HINT = (
    "pass dropout_p=self.dropout.p to scaled_dot_product_attention in train mode (self.training), and apply no "
    "other dropout: the function drops the attention weights itself"
)


def _check_mha_dropout(check, mha_class, name, hint, off_hint=None):
    """Train and eval mode with dropout 0.5, compared with the reference MultiHeadAttention. 8 features in
    2 heads and 7 tokens, so that the weights (..., 7, 7), values (..., 4) and outputs (..., 8) differ."""
    described = f"{name}(4, 8, 8, dropout=0.5, num_heads=2)"
    expected = ref.MultiHeadAttention(4, 8, 8, 0.5, 2)
    module = check.module_with_weights_of(expected, mha_class, 4, 8, 8, 0.5, 2, described=described)
    check_dropout(check, module, expected, torch.randn(2, 7, 4), described, where=hint, off_hint=off_hint, **TOLERANCE)


def _check_loading(check, load_heads_into_mha, d_in, d_out, num_heads, qkv_bias, batch, tokens):
    wrapper = ref.MultiHeadAttentionWrapper(d_in, d_out, 8, 0.0, num_heads, qkv_bias)
    mha = ref.MultiHeadAttention(d_in, d_out * num_heads, 8, 0.0, num_heads, qkv_bias)
    before = dict(mha.named_parameters())
    check.call(
        load_heads_into_mha, wrapper, mha, description="load_heads_into_mha(wrapper, mha)", changes=contracts.VALUES
    )
    x = torch.randn(batch, tokens, d_in)
    check.tensor(
        mha(x).detach(),
        wrapper(x).detach(),
        f"the loaded MultiHeadAttention on {show(x)} (num_heads={num_heads})",
        hint="head h owns rows h*head_dim:(h+1)*head_dim of each stacked projection weight (torch.cat along dim 0); "
        "out_proj must do nothing: identity weight, zero bias",
        **TOLERANCE,
    )
    return before, wrapper, mha


@exercise
def load_heads_into_mha(check, load_heads_into_mha):
    _check_loading(check, load_heads_into_mha, 3, 2, 2, False, 2, 5)


@load_heads_into_mha.hidden
def load_heads_into_mha_hidden(check, load_heads_into_mha, seed):
    for d_in, d_out, num_heads, bias, batch, tokens in [
        (1, 1, 1, False, 1, 1),
        (4, 3, 4, True, 2, 8),
        (6, 5, 3, False, 3, 4),
    ]:
        before, wrapper, mha = _check_loading(check, load_heads_into_mha, d_in, d_out, num_heads, bias, batch, tokens)
        check.kept_parameters(
            mha,
            before,
            list(wrapper.parameters()),
            "after load_heads_into_mha",
            hint="getattr(mha, name).weight.copy_(torch.cat([...])) under torch.no_grad()",
        )


class _RecordTorchCalls(torch.overrides.TorchFunctionMode):
    """Records every torch function called inside it, however the code got hold of the function."""

    def __init__(self):
        super().__init__()
        self.called = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.called.add(func)
        return func(*args, **(kwargs or {}))


def _check_sdpa(check, sdpa_class, config):
    with _RecordTorchCalls() as recorder:
        _check_mha(check, sdpa_class, *config, name="MultiHeadAttentionSDPA")
    if nn.functional.scaled_dot_product_attention not in recorder.called:
        check.fail(
            "MultiHeadAttentionSDPA never called torch.nn.functional.scaled_dot_product_attention",
            hint="compute the attention with nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)",
        )


@exercise
def MultiHeadAttentionSDPA(check, sdpa_class):
    _check_sdpa(check, sdpa_class, (3, 4, 6, 2, 2, 6, False))
    _check_sdpa_dropout(check, sdpa_class)


@MultiHeadAttentionSDPA.hidden
def MultiHeadAttentionSDPA_hidden(check, sdpa_class, seed):
    for config in [(1, 1, 1, 1, 1, 1, False), (5, 12, 10, 3, 3, 7, True), (8, 16, 9, 4, 2, 9, False)]:
        _check_sdpa(check, sdpa_class, config)
    _check_sdpa_dropout(check, sdpa_class)


def _check_sdpa_dropout(check, sdpa_class):
    _check_mha_dropout(
        check,
        sdpa_class,
        "MultiHeadAttentionSDPA",
        SDPA_DROPOUT_HINT,
        off_hint="in eval mode pass dropout_p=0.0: scaled_dot_product_attention drops whenever dropout_p > 0",
    )


def _check_count(check, mha_parameter_count, d_in, d_out, qkv_bias):
    got = check.call(
        mha_parameter_count,
        d_in,
        d_out,
        qkv_bias,
        description=f"mha_parameter_count({d_in}, {d_out}, {qkv_bias})",
        draws=True,  # it may build the layer to count
    )
    actual = sum(p.numel() for p in ref.MultiHeadAttention(d_in, d_out, 1, 0.0, 1, qkv_bias).parameters())
    check.equal(
        got,
        actual,
        f"parameters of MultiHeadAttention({d_in}, {d_out}, qkv_bias={qkv_bias})",
        hint="three projections d_in × d_out (plus d_out biases each if qkv_bias), and out_proj: d_out × d_out weights plus d_out biases",
    )


@exercise
def mha_parameter_count(check, mha_parameter_count):
    _check_count(check, mha_parameter_count, 3, 4, False)
    _check_count(check, mha_parameter_count, 3, 4, True)


@mha_parameter_count.hidden
def mha_parameter_count_hidden(check, mha_parameter_count, seed):
    for d_in, d_out, bias in [(1, 1, False), (768, 768, True), (1024, 64 + seed % 7, False), (5, 300, True)]:
        _check_count(check, mha_parameter_count, d_in, d_out, bias)
