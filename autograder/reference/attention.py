"""Reference solutions for the attention assignments 03 (no weights), 04 (Q, K, V), 05 (causal, dropout) and 06 (multi-head)."""

import torch
from torch import nn

from autograder.defences.reference_lock import reference
from autograder.materials.word_vectors import ACTION, ANIMAL, FEATURES


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


# --- 04: self-attention with trainable weights ---


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


# --- 05: causal attention and dropout ---


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


# --- 06: multi-head attention ---


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
