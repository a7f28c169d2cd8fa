"""Reference solutions for assignment 05: the causal mask, dropout and causal attention."""

import torch
from torch import nn

from autograder.reference.lock import reference


@reference
def causal_mask(num_tokens: int) -> torch.Tensor:
    """Boolean (tokens, tokens): True where query i must not see key j, i.e. j > i."""
    return torch.ones(num_tokens, num_tokens, dtype=torch.bool).triu(diagonal=1)


@reference
def masked_attention_weights(scores: torch.Tensor) -> torch.Tensor:
    """Causal attention weights: future scores set to -inf, then softmax over the last dimension."""
    mask = causal_mask(scores.shape[-1])
    return torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)


@reference
def mask_and_renormalize(weights: torch.Tensor) -> torch.Tensor:
    """Zero the future entries of softmax weights, then rescale each row to sum to one."""
    kept = weights.masked_fill(causal_mask(weights.shape[-1]), 0.0)
    return kept / kept.sum(dim=-1, keepdim=True)


@reference
class Dropout(nn.Module):
    """Inverted dropout: in training, zero each value with probability p and scale the rest by 1/(1-p)."""

    def __init__(self, p: float):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand_like(x) >= self.p
        return x * keep / (1 - self.p)


@reference
class CausalAttention(nn.Module):
    """Single-head causal self-attention for batches (batch, tokens, d_in) -> (batch, tokens, d_out)."""

    def __init__(self, d_in: int, d_out: int, context_length: int, dropout: float, qkv_bias: bool = False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.ones(context_length, context_length).triu(diagonal=1).bool())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.shape[1]
        if tokens > self.mask.shape[0]:
            raise ValueError(f"{tokens} tokens exceed the context length {self.mask.shape[0]}")
        queries, keys, values = self.W_query(x), self.W_key(x), self.W_value(x)
        scores = queries @ keys.transpose(1, 2) / keys.shape[-1] ** 0.5
        scores = scores.masked_fill(self.mask[:tokens, :tokens], float("-inf"))
        return self.dropout(torch.softmax(scores, dim=-1)) @ values
