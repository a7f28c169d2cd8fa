"""Assignment 05's checks accept valid alternatives and reject the classic bugs, visible and hidden."""

from autograder.checks import causal as checks

__all__ = ["BUGGY", "COMMON", "VALID", "checks"]  # what tests/test_check_catalogue.py reads

COMMON = """
import torch
from torch import nn
"""

CAUSAL = """
class CausalAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", {mask})
    def forward(self, x):
        b, t, _ = x.shape
        if t > self.mask.shape[0]:
            raise ValueError("too long")
        q, k, v = self.W_query(x), self.W_key(x), self.W_value(x)
        scores = q @ k.transpose(1, 2) / k.shape[-1] ** 0.5
        {masking}
        return self.dropout(torch.softmax(scores, dim=-1)) @ v
"""
TRIU = "torch.triu(torch.ones(context_length, context_length), diagonal=1)"
TRIU_MASKING = "scores = scores.masked_fill(self.mask.bool()[:t, :t], -torch.inf)"
DROPOUT = """
class Dropout(nn.Module):
    def __init__(self, p):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(p)
        self.p = p
    def forward(self, x):
        {body}
"""

VALID = [
    ("causal_mask", "def causal_mask(n):\n    return ~torch.tril(torch.ones(n, n)).bool()"),
    ("causal_mask", "def causal_mask(n):\n    i = torch.arange(n)\n    return i[None, :] > i[:, None]"),
    (
        "masked_attention_weights",
        "def masked_attention_weights(scores):\n    n = scores.shape[-1]\n"
        "    additive = torch.zeros(n, n).masked_fill(torch.ones(n, n).triu(1).bool(), float('-inf'))\n"
        "    return torch.softmax(scores + additive, dim=-1)",
    ),
    (  # softmax first, then zero the future and renormalize: equal to masking with -inf
        "masked_attention_weights",
        "def masked_attention_weights(scores):\n    w = torch.softmax(scores, dim=-1)\n"
        "    w = torch.where(torch.ones_like(w, dtype=torch.bool).triu(1), 0.0, w)\n"
        "    return w / w.sum(-1, keepdim=True)",
    ),
    (
        "mask_and_renormalize",
        "def mask_and_renormalize(w):\n    kept = w * torch.tril(torch.ones_like(w))\n"
        "    return kept / kept.sum(-1, keepdim=True)",
    ),
    (
        "Dropout",
        DROPOUT.format(
            body="if not self.training: return x\n        "
            "return torch.where(torch.rand(x.shape, device=x.device) < self.p, 0.0, x / (1 - self.p))"
        ),
    ),
    ("CausalAttention", CAUSAL.format(mask=TRIU, masking=TRIU_MASKING)),
    (
        "CausalAttention",
        CAUSAL.format(
            mask="torch.tril(torch.ones(context_length, context_length))",
            masking="scores = scores.masked_fill(self.mask[:t, :t] == 0, float('-inf'))",
        ),
    ),
    (  # functional dropout that follows the module's mode
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace(
            "self.dropout(torch.softmax(scores, dim=-1))",
            "nn.functional.dropout(torch.softmax(scores, dim=-1), self.dropout.p, self.training)",
        ),
    ),
    (  # the student's own Dropout of exercise 4 instead of nn.Dropout
        "CausalAttention",
        DROPOUT.format(
            body="if not self.training: return x\n        return x.masked_fill(torch.rand_like(x) < self.p, 0.0) / (1 - self.p)"
        )
        + CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace("nn.Dropout(dropout)", "Dropout(dropout)"),
    ),
]

BUGGY = [
    (  # the mask left out of the state_dict (persistent=False): it follows .to(), but a checkpoint of the
        # course's model holds a mask this module would refuse to load (strict load_state_dict)
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace(
            '"mask", ' + TRIU + ")", '"mask", ' + TRIU + ", persistent=False)"
        ),
        "does not save its mask",
    ),
    ("causal_mask", "def causal_mask(n):\n    return torch.ones(n, n, dtype=torch.bool).tril(-1)", "wrong triangle"),
    ("causal_mask", "def causal_mask(n):\n    return torch.ones(n, n, dtype=torch.bool).tril()", "the opposite"),
    (
        "masked_attention_weights",
        "def masked_attention_weights(scores):\n    n = scores.shape[-1]\n"
        "    return torch.softmax(scores.masked_fill(torch.ones(n, n).triu(1).bool(), 0.0), dim=-1)",
        "-inf, not 0",
    ),
    (
        "masked_attention_weights",
        "def masked_attention_weights(scores):\n    n = scores.shape[-1]\n"
        "    return torch.softmax(scores, dim=-1).masked_fill(torch.ones(n, n).triu(1).bool(), 0.0)",
        "*before* the softmax",
    ),
    (  # exp by hand, without subtracting the maximum
        "masked_attention_weights",
        "def masked_attention_weights(scores):\n    n = scores.shape[-1]\n"
        "    e = scores.exp().masked_fill(torch.ones(n, n).triu(1).bool(), 0.0)\n"
        "    return e / e.sum(-1, keepdim=True)",
        "exp overflowed",
    ),
    (  # the mask sized by the first dimension, right only for a single square matrix
        "masked_attention_weights",
        "def masked_attention_weights(scores):\n    n = scores.shape[0]\n"
        "    return torch.softmax(scores.masked_fill(torch.ones(n, n).triu(1).bool(), -torch.inf), dim=-1)",
        "raised",
    ),
    (  # only p >= 1 refused
        "Dropout",
        DROPOUT.format(
            body="if not self.training: return x\n        return x * (torch.rand(x.shape, device=x.device) >= self.p) / (1 - self.p)"
        ).replace("if not 0 <= p < 1:", "if p >= 1:"),
        "Dropout(-0.1) raised no error",
    ),
    (  # one random number per row of the input, not per value
        "Dropout",
        DROPOUT.format(
            body="if not self.training: return x\n        return x * (torch.rand(x.shape[0], device=x.device) >= self.p) / (1 - self.p)"
        ),
        "torch.rand_like(x)",
    ),
    (
        "mask_and_renormalize",
        "def mask_and_renormalize(w):\n    return w * torch.tril(torch.ones_like(w))",
        "divide each row",
    ),
    (
        "Dropout",
        DROPOUT.format(
            body="if not self.training: return x\n        return x * (torch.rand(x.shape, device=x.device) >= self.p)"
        ),
        "1 / (1 - p)",
    ),
    (
        "Dropout",
        DROPOUT.format(body="return x * (torch.rand(x.shape, device=x.device) >= self.p) / (1 - self.p)"),
        "eval mode",
    ),
    (
        "Dropout",
        DROPOUT.format(
            body="if not self.training: return x\n        return x * (torch.rand(x.shape, device=x.device) >= 0.5) / 0.5"
        ),
        "wrong fraction",
    ),
    (
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking="scores = scores.masked_fill(self.mask.bool()[:t, :t].T, -torch.inf)"),
        "must not see later tokens",
    ),
    ("CausalAttention", CAUSAL.format(mask=TRIU, masking="pass"), "must not see later tokens"),
    (
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking="scores = scores.masked_fill(self.mask.bool(), -torch.inf)"),
        "raised RuntimeError",
    ),
    ("CausalAttention", CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace(" / k.shape[-1] ** 0.5", ""), "√d_out"),
    (
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace("self.dropout(torch.softmax", "(torch.softmax"),
        "dropped nothing in train mode",
    ),
    (  # the mask as a plain attribute: not saved with the weights, left behind by .to(device)
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace(
            'self.register_buffer("mask", ' + TRIU + ")", "self.mask = " + TRIU
        ),
        "plain attribute",
    ),
    (  # a softmax forced to float32
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace(
            "torch.softmax(scores, dim=-1)", "torch.softmax(scores, dim=-1, dtype=torch.float32)"
        ),
        "after .to(torch.float64)",
    ),
    (  # dropout on the scores, before the mask and the softmax
        "CausalAttention",
        CAUSAL.format(
            mask=TRIU, masking="scores = self.dropout(scores).masked_fill(self.mask.bool()[:t, :t], -torch.inf)"
        ).replace("self.dropout(torch.softmax", "(torch.softmax"),
        "to the scores",
    ),
    (  # dropout on the context vectors instead of the weights
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace(
            "return self.dropout(torch.softmax(scores, dim=-1)) @ v",
            "return self.dropout(torch.softmax(scores, dim=-1) @ v)",
        ),
        "wrong tensors",
    ),
    (  # dropout left on in eval mode
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace(
            "self.dropout(torch.softmax(scores, dim=-1))",
            "nn.functional.dropout(torch.softmax(scores, dim=-1), self.dropout.p)",
        ),
        "eval mode",
    ),
    (  # a probability of its own instead of the one given
        "CausalAttention",
        CAUSAL.format(mask=TRIU, masking=TRIU_MASKING).replace("nn.Dropout(dropout)", "nn.Dropout(0.1)"),
        "dropout probability",
    ),
]
