"""Reference solutions for assignment 06: multi-head attention, from a list of heads to one module."""

import torch
from torch import nn

from autograder.reference.causal import CausalAttention
from autograder.reference.lock import reference


@reference
class MultiHeadAttentionWrapper(nn.Module):
    """num_heads independent CausalAttention heads; their outputs concatenated: d_out * num_heads features."""

    def __init__(
        self, d_in: int, d_out: int, context_length: int, dropout: float, num_heads: int, qkv_bias: bool = False
    ):
        super().__init__()
        self.heads = nn.ModuleList(
            CausalAttention(d_in, d_out, context_length, dropout, qkv_bias) for _ in range(num_heads)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([head(x) for head in self.heads], dim=-1)


@reference
def previous_token_query(num_tokens: int) -> torch.Tensor:
    """W_query (tokens, tokens) over one-hot positions, keys the positions as they are: i looks for i − 1.

    Scores are W_query / √num_tokens; a margin of 10 after that scaling leaves the other tokens e^-10 each.
    """
    return torch.diag(torch.full((num_tokens - 1,), 10 * num_tokens**0.5), diagonal=-1)


@reference
class MultiHeadAttention(nn.Module):
    """Causal multi-head attention with one projection each for Q, K, V, split into heads, and an output projection."""

    def __init__(
        self, d_in: int, d_out: int, context_length: int, dropout: float, num_heads: int, qkv_bias: bool = False
    ):
        super().__init__()
        if d_out % num_heads:
            raise ValueError(f"d_out={d_out} is not divisible by num_heads={num_heads}")
        self.num_heads, self.head_dim = num_heads, d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.ones(context_length, context_length).triu(diagonal=1).bool())

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, tokens, d_out) -> (batch, heads, tokens, head_dim)."""
        batch, tokens, _ = x.shape
        return x.view(batch, tokens, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, _ = x.shape
        if tokens > self.mask.shape[0]:
            raise ValueError(f"{tokens} tokens exceed the context length {self.mask.shape[0]}")
        queries, keys, values = (self.split_heads(layer(x)) for layer in (self.W_query, self.W_key, self.W_value))
        scores = queries @ keys.transpose(-2, -1) / self.head_dim**0.5
        scores = scores.masked_fill(self.mask[:tokens, :tokens], float("-inf"))
        context = self.dropout(torch.softmax(scores, dim=-1)) @ values  # (batch, heads, tokens, head_dim)
        return self.out_proj(context.transpose(1, 2).reshape(batch, tokens, -1))


@reference
def load_heads_into_mha(wrapper: nn.Module, mha: nn.Module) -> None:
    """Make ``mha`` compute what ``wrapper`` computes: stack the heads' projections, output projection = identity."""
    with torch.no_grad():
        for name in ("W_query", "W_key", "W_value"):
            getattr(mha, name).weight.copy_(torch.cat([getattr(head, name).weight for head in wrapper.heads]))
            if getattr(mha, name).bias is not None:
                getattr(mha, name).bias.copy_(torch.cat([getattr(head, name).bias for head in wrapper.heads]))
        mha.out_proj.weight.copy_(torch.eye(mha.out_proj.weight.shape[0]))
        mha.out_proj.bias.zero_()


@reference
class MultiHeadAttentionSDPA(MultiHeadAttention):
    """The same module, with PyTorch's fused scaled_dot_product_attention doing the attention."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, _ = x.shape
        if tokens > self.mask.shape[0]:
            raise ValueError(f"{tokens} tokens exceed the context length {self.mask.shape[0]}")
        queries, keys, values = (self.split_heads(layer(x)) for layer in (self.W_query, self.W_key, self.W_value))
        context = nn.functional.scaled_dot_product_attention(
            queries, keys, values, dropout_p=self.dropout.p if self.training else 0.0, is_causal=True
        )
        return self.out_proj(context.transpose(1, 2).reshape(batch, tokens, -1))


@reference
def mha_parameter_count(d_in: int, d_out: int, qkv_bias: bool = False) -> int:
    """Trainable parameters of MultiHeadAttention: three projections, plus the output projection with bias."""
    return 3 * (d_in * d_out + (d_out if qkv_bias else 0)) + d_out * d_out + d_out
