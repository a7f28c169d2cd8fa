"""Assignment 04's checks accept valid alternatives and reject the classic bugs, visible and hidden."""

from autograder.checks import qkv as checks

__all__ = ["BUGGY", "COMMON", "VALID", "checks"]  # what tests/test_check_catalogue.py reads

COMMON = """
import torch
from torch import nn

def scaled_dot_product(q, k, v):
    return torch.softmax(q @ k.transpose(-2, -1) / k.shape[-1] ** 0.5, dim=-1) @ v
"""

PARAMS = """
class SelfAttentionParams(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.W_query = nn.Parameter(torch.rand(d_in, d_out))
        self.W_key = nn.Parameter(torch.rand(d_in, d_out))
        self.W_value = nn.Parameter(torch.rand(d_in, d_out))
    def forward(self, x):
        {body}
"""
LINEAR = """
class SelfAttentionLinear(nn.Module):
    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
    def forward(self, x):
        {body}
"""

VALID = [
    (
        "project_qkv",
        "def project_qkv(x, wq, wk, wv):\n    return tuple(torch.einsum('...i,io->...o', x, w) for w in (wq, wk, wv))",
    ),
    (
        "scaled_dot_product",
        "def scaled_dot_product(q, k, v):\n"
        "    scores = torch.einsum('...qd,...kd->...qk', q, k) / torch.tensor(k.shape[-1]).sqrt()\n"
        "    return torch.einsum('...qk,...kd->...qd', scores.softmax(-1), v)",
    ),
    (  # a constant strength large enough for every d_k the checks try
        "verb_query",
        "def verb_query(w_key):\n    looks_for = torch.zeros(3, 3)\n    looks_for[2, 0] = 10.0\n"
        "    return looks_for @ torch.linalg.pinv(w_key.T)",
    ),
    (  # the right inverse by hand, with a verb that also dislikes size words and itself
        "verb_query",
        "def verb_query(w_key):\n    looks_for = 3 * w_key.shape[1] ** 0.5 * torch.tensor([[0, 0, 0], [0, 0, 0], [1, -0.5, -0.5]])\n"
        "    return looks_for @ torch.linalg.solve(w_key @ w_key.T, w_key)",
    ),
    (  # least squares: w_key @ W_query.T = looks_for.T, the minimum-norm solution
        "verb_query",
        "def verb_query(w_key):\n    looks_for = torch.zeros(3, 3)\n    looks_for[2, 0] = 2 * w_key.shape[1] ** 0.5\n"
        "    return torch.linalg.lstsq(w_key, looks_for.T, driver='gelsd').solution.T",
    ),
    (  # every action looks for animals, every animal for actions: saw still finds the nouns
        "verb_query",
        "def verb_query(w_key):\n    looks_for = w_key.shape[1] ** 0.5 * torch.tensor([[0.0, 0, 1], [0, 0, 0], [1, 0, 0]])\n"
        "    return looks_for @ torch.linalg.pinv(w_key.T)",
    ),
    (
        "SelfAttentionParams",
        PARAMS.format(body="return scaled_dot_product(x @ self.W_query, x @ self.W_key, x @ self.W_value)"),
    ),
    (
        "SelfAttentionLinear",
        LINEAR.format(
            body="return nn.functional.scaled_dot_product_attention(self.W_query(x), self.W_key(x), self.W_value(x))"
        ),
    ),
    (
        "copy_linear_to_params",
        "def copy_linear_to_params(source, target):\n"
        "    target.load_state_dict({n: getattr(source, n).weight.T for n in ('W_query', 'W_key', 'W_value')})",
    ),
]

VALID += [
    (
        "copy_linear_to_params",
        "def copy_linear_to_params(source, target):\n"
        "    for n in ('W_query', 'W_key', 'W_value'): getattr(target, n).data.copy_(getattr(source, n).weight.T)",
    ),
]

VERB = "def verb_query(w_key):\n    looks_for = torch.zeros(3, 3)\n    looks_for[{row}, {column}] = {strength}\n    return {body}"

BUGGY = [
    ("project_qkv", "def project_qkv(x, wq, wk, wv):\n    return x @ wq, x @ wq, x @ wv", "inputs @ W"),
    (
        "scaled_dot_product",
        "def scaled_dot_product(q, k, v):\n    return torch.softmax(q @ k.transpose(-2, -1), dim=-1) @ v",
        "√d_k",
    ),
    (
        "scaled_dot_product",
        "def scaled_dot_product(q, k, v):\n    return torch.softmax(q @ k.transpose(-2, -1) / k.shape[-1], dim=-1) @ v",
        "√d_k",
    ),
    (
        "scaled_dot_product",
        "def scaled_dot_product(q, k, v):\n"
        "    return torch.softmax(q @ k.transpose(-2, -1) / k.shape[-1] ** 0.5, dim=-2) @ v",
        "softmax over the last",
    ),
    (
        "scaled_dot_product",
        "def scaled_dot_product(q, k, v):\n    e = (q @ k.transpose(-2, -1) / k.shape[-1] ** 0.5).exp()\n"
        "    return e / e.sum(-1, keepdim=True) @ v",
        "exp overflowed",
    ),
    ("verb_query", "def verb_query(w_key):\n    return torch.eye(*w_key.shape)", "W_query = identity"),
    ("verb_query", "def verb_query(w_key):\n    return torch.eye(3)", "W_query = identity"),
    ("verb_query", "def verb_query(w_key):\n    return w_key.clone()", "look for what it advertises"),
    (  # no pseudo-inverse: looks_for @ W_key @ W_key.T is another matrix
        "verb_query",
        VERB.format(row=2, column=0, strength="w_key.shape[1] ** 0.5", body="looks_for @ w_key"),
        "pseudo-inverse",
    ),
    (  # the pseudo-inverse of W_key instead of W_key.T
        "verb_query",
        VERB.format(row=2, column=0, strength="w_key.shape[1] ** 0.5", body="looks_for @ torch.linalg.pinv(w_key)"),
        "not of W_key.T",
    ),
    (  # an inverse, which only square keys have
        "verb_query",
        VERB.format(row=2, column=0, strength="w_key.shape[1] ** 0.5", body="looks_for @ torch.linalg.inv(w_key.T)"),
        "torch.linalg.inv needs a square matrix",
    ),
    (  # rows and columns swapped: the animals look for actions
        "verb_query",
        VERB.format(row=0, column=2, strength="w_key.shape[1] ** 0.5", body="looks_for @ torch.linalg.pinv(w_key.T)"),
        "rows are what the query has",
    ),
    (  # strong enough for d_k = 3, too weak once the scores are divided by √16
        "verb_query",
        VERB.format(row=2, column=0, strength="1.0", body="looks_for @ torch.linalg.pinv(w_key.T)"),
        "√d_k",
    ),
    (
        "SelfAttentionParams",
        PARAMS.format(body="return scaled_dot_product(x @ self.W_query, x @ self.W_query, x @ self.W_value)"),
        "three projections",
    ),
    (
        "SelfAttentionLinear",
        LINEAR.format(
            body="q, k, v = self.W_query(x), self.W_key(x), self.W_value(x)\n"
            "        return torch.softmax(q @ k.transpose(-2, -1), dim=-1) @ v"
        ),
        "√d_out",
    ),
    (
        "SelfAttentionLinear",
        "class SelfAttentionLinear(nn.Module):\n    def __init__(self, d_in, d_out, qkv_bias=False):\n"
        "        super().__init__()\n        self.W_query = nn.Linear(d_in, d_out)\n        self.W_key = nn.Linear(d_in, d_out)\n"
        "        self.W_value = nn.Linear(d_in, d_out)\n    def forward(self, x):\n"
        "        return scaled_dot_product(self.W_query(x), self.W_key(x), self.W_value(x))",
        "parameter names",
    ),
    (
        "copy_linear_to_params",
        "def copy_linear_to_params(source, target):\n    with torch.no_grad():\n"
        "        for n in ('W_query', 'W_key', 'W_value'): getattr(target, n).copy_(getattr(source, n).weight)",
        "weight.T",
    ),
    (
        "copy_linear_to_params",
        "def copy_linear_to_params(source, target):\n"
        "    for n in ('W_query', 'W_key', 'W_value'): setattr(target, n, getattr(source, n).weight.T.detach())",
        "raised TypeError",
    ),
    (  # new parameters that are views of the source's weights
        "copy_linear_to_params",
        "def copy_linear_to_params(source, target):\n"
        "    for n in ('W_query', 'W_key', 'W_value'): setattr(target, n, nn.Parameter(getattr(source, n).weight.T))",
        "was replaced by another object",
    ),
    (  # the same parameters, but sharing the source's memory
        "copy_linear_to_params",
        "def copy_linear_to_params(source, target):\n"
        "    for n in ('W_query', 'W_key', 'W_value'): getattr(target, n).data = getattr(source, n).weight.data.T",
        "shares its memory",
    ),
    (  # weights from N(0, 1) instead of the chapter's uniform [0, 1)
        "SelfAttentionParams",
        PARAMS.format(body="return scaled_dot_product(x @ self.W_query, x @ self.W_key, x @ self.W_value)").replace(
            "torch.rand(", "torch.randn("
        ),
        "drawn uniformly",
    ),
]
