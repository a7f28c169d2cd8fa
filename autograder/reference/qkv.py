"""Reference solutions for assignment 04: self-attention with trainable query, key and value weights."""

import torch
from torch import nn

from autograder.materials.word_vectors import ACTION, ANIMAL, FEATURES
from autograder.reference.lock import reference


@reference
def project_qkv(inputs: torch.Tensor, w_query: torch.Tensor, w_key: torch.Tensor, w_value: torch.Tensor):
    """Queries, keys and values of every token: inputs (..., tokens, d_in) @ W (d_in, d_out)."""
    return inputs @ w_query, inputs @ w_key, inputs @ w_value


@reference
def scaled_dot_product(queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """softmax(Q Kᵀ / √d_k) V over the last two dimensions."""
    scores = queries @ keys.transpose(-2, -1) / keys.shape[-1] ** 0.5
    return torch.softmax(scores, dim=-1) @ values


@reference
def verb_query(w_key: torch.Tensor) -> torch.Tensor:
    """A query projection (3, d_k) under which 03's verb looks for its nouns: W_query W_keyᵀ = looks_for.

    looks_for[a, b] is how strongly a query with feature a looks for a key with feature b; the pseudo-inverse
    of W_keyᵀ (rank 3) turns it into a W_query for these keys, and √d_k cancels the scaling of the scores.
    """
    looks_for = torch.zeros(len(FEATURES), len(FEATURES))
    looks_for[ACTION, ANIMAL] = w_key.shape[-1] ** 0.5
    return looks_for @ torch.linalg.pinv(w_key.T)


@reference
class SelfAttentionParams(nn.Module):
    """Self-attention with raw weight matrices of shape (d_in, d_out)."""

    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.W_query = nn.Parameter(torch.rand(d_in, d_out))
        self.W_key = nn.Parameter(torch.rand(d_in, d_out))
        self.W_value = nn.Parameter(torch.rand(d_in, d_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return scaled_dot_product(*project_qkv(x, self.W_query, self.W_key, self.W_value))


@reference
class SelfAttentionLinear(nn.Module):
    """Self-attention with nn.Linear projections (no bias unless asked)."""

    def __init__(self, d_in: int, d_out: int, qkv_bias: bool = False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return scaled_dot_product(self.W_query(x), self.W_key(x), self.W_value(x))


@reference
def copy_linear_to_params(source: nn.Module, target: nn.Module) -> None:
    """Give a SelfAttentionParams the weights of a bias-free SelfAttentionLinear (Linear stores Wᵀ)."""
    with torch.no_grad():
        for name in ("W_query", "W_key", "W_value"):
            getattr(target, name).copy_(getattr(source, name).weight.T)
