"""Reference solutions for assignment 03: attention without trainable weights."""

import torch

from autograder.reference.lock import reference


@reference
def attention_scores(query: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Dot product of ``query`` (dim,) with every row of ``inputs`` (tokens, dim): shape (tokens,)."""
    return inputs @ query


@reference
def softmax_naive(x: torch.Tensor) -> torch.Tensor:
    """exp(x) / sum(exp(x)) along the last dimension, exactly as the formula says."""
    return torch.exp(x) / torch.exp(x).sum(dim=-1, keepdim=True)


@reference
def softmax_stable(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along ``dim`` that never overflows: subtract each slice's maximum first."""
    shifted = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return shifted / shifted.sum(dim=dim, keepdim=True)


@reference
def context_vector(query: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Attention-weighted sum of the rows of ``inputs`` for one ``query``: shape (dim,)."""
    weights = softmax_stable(attention_scores(query, inputs))
    return weights @ inputs


@reference
def attention_weights(inputs: torch.Tensor) -> torch.Tensor:
    """Softmax-normalized dot products of every token with every token: (..., tokens, tokens)."""
    return softmax_stable(inputs @ inputs.transpose(-2, -1), dim=-1)


@reference
def all_context_vectors(inputs: torch.Tensor) -> torch.Tensor:
    """Every token's context vector at once: (..., tokens, dim)."""
    return attention_weights(inputs) @ inputs
