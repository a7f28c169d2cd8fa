"""Assignment 03's checks accept valid alternatives and reject the classic bugs, visible and hidden."""

from autograder.checks import attention as checks

__all__ = ["BUGGY", "COMMON", "VALID", "checks"]  # what tests/test_check_catalogue.py reads

COMMON = """
import torch

def softmax_stable(x, dim=-1):
    return torch.softmax(x, dim=dim)

def attention_scores(query, inputs):
    return inputs @ query
"""

VALID = [
    (  # the softmax written out, stable
        "attention_weights",
        "def attention_weights(inputs):\n    s = inputs @ inputs.transpose(-2, -1)\n"
        "    e = (s - s.amax(-1, keepdim=True)).exp()\n    return e / e.sum(-1, keepdim=True)",
    ),
    (
        "attention_scores",
        "def attention_scores(query, inputs):\n    return torch.stack([torch.dot(row, query) for row in inputs])",
    ),
    ("attention_scores", "def attention_scores(query, inputs):\n    return torch.einsum('td,d->t', inputs, query)"),
    ("softmax_naive", "def softmax_naive(x):\n    e = x.exp()\n    return e / e.sum(-1, keepdim=True)"),
    (
        "softmax_stable",
        "def softmax_stable(x, dim=-1):\n    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))",
    ),
    (
        "softmax_stable",
        "def softmax_stable(x, dim=-1):\n    m = x.max(dim=dim, keepdim=True).values\n"
        "    e = torch.exp(x - m)\n    return e / e.sum(dim=dim, keepdim=True)",
    ),
    (
        "context_vector",
        "def context_vector(query, inputs):\n    w = softmax_stable(attention_scores(query, inputs))\n"
        "    out = torch.zeros(inputs.shape[1])\n    for weight, row in zip(w, inputs):\n        out += weight * row\n    return out",
    ),
    (
        "attention_weights",
        "def attention_weights(inputs):\n"
        "    return softmax_stable(torch.einsum('...id,...jd->...ij', inputs, inputs), dim=-1)",
    ),
    (
        "all_context_vectors",
        "def all_context_vectors(inputs):\n    return torch.softmax(inputs @ inputs.mT, dim=-1) @ inputs",
    ),
]

BUGGY = [
    (
        "attention_scores",
        "def attention_scores(query, inputs):\n    return (inputs * query).sum()",
        "one dot product per token",
    ),
    (
        "attention_scores",
        "def attention_scores(query, inputs):\n    return inputs @ query / (inputs.norm(dim=1) * query.norm())",
        "values differ",
    ),
    ("softmax_naive", "def softmax_naive(x):\n    return x.exp() / x.exp().sum()", "normalize along dim=-1"),
    (
        "softmax_stable",
        "def softmax_stable(x, dim=-1):\n    return x.exp() / x.exp().sum(dim=dim, keepdim=True)",
        "subtract the maximum",
    ),
    (
        "softmax_stable",
        "def softmax_stable(x, dim=-1):\n    e = (x - x.max()).exp()\n    return e / e.sum(dim=dim, keepdim=True)",
        "subtract the maximum of each slice",
    ),
    (
        "softmax_stable",
        "def softmax_stable(x, dim=-1):\n    e = (x - x.amax(-1, keepdim=True)).exp()\n"
        "    return e / e.sum(-1, keepdim=True)",
        "normalize along dim=0",
    ),
    (
        "context_vector",
        "def context_vector(query, inputs):\n    return attention_scores(query, inputs) @ inputs",
        "softmax the scores",
    ),
    (
        "attention_weights",
        "def attention_weights(inputs):\n    return torch.softmax(inputs @ inputs.transpose(-2, -1), dim=-2)",
        "columns sum to one",
    ),
    (
        "attention_weights",
        "def attention_weights(inputs):\n    return torch.softmax(inputs @ inputs.T, dim=-1)",
        "raised",
    ),
    (
        "all_context_vectors",
        "def all_context_vectors(inputs):\n    return torch.softmax(inputs @ inputs.transpose(-2, -1), dim=0) @ inputs",
        "values differ",
    ),
    (  # exp without subtracting the maximum: overflows once scores reach 89
        "attention_weights",
        "def attention_weights(inputs):\n    e = (inputs @ inputs.transpose(-2, -1)).exp()\n"
        "    return e / e.sum(-1, keepdim=True)",
        "exp overflowed",
    ),
    (
        "context_vector",
        "def context_vector(query, inputs):\n    e = attention_scores(query, inputs).exp()\n    return (e / e.sum()) @ inputs",
        "exp overflowed",
    ),
    (
        "all_context_vectors",
        "def all_context_vectors(inputs):\n    e = (inputs @ inputs.mT).exp()\n    return e / e.sum(-1, keepdim=True) @ inputs",
        "exp overflowed",
    ),
    (  # the caller's scores shifted in place (issue 25: side effects on arguments)
        "softmax_stable",
        "def softmax_stable(x, dim=-1):\n    x -= x.max(dim=dim, keepdim=True).values\n"
        "    e = torch.exp(x)\n    return e / e.sum(dim=dim, keepdim=True)",
        "was changed in place",
    ),
]
