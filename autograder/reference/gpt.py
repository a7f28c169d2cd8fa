"""Reference GPT for assignment 07: layer norm, GELU, feed-forward, pre-norm blocks, the model, generation.

A model is described by one config dict, e.g. GPT-2 small::

    {"vocab_size": 50257, "context_length": 1024, "emb_dim": 768, "n_heads": 12,
     "n_layers": 12, "drop_rate": 0.1, "qkv_bias": True}
"""

import math

import torch
from torch import nn

from autograder.defences.reference_lock import reference
from autograder.reference.attention import MultiHeadAttention

GPT2_SMALL = {
    "vocab_size": 50257,
    "context_length": 1024,
    "emb_dim": 768,
    "n_heads": 12,
    "n_layers": 12,
    "drop_rate": 0.1,
    "qkv_bias": True,
}


@reference
class LayerNorm(nn.Module):
    """Normalize the last dimension to mean 0 and (biased) variance 1, then scale and shift."""

    def __init__(self, emb_dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.scale = nn.Parameter(torch.ones(emb_dim))
        self.shift = nn.Parameter(torch.zeros(emb_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=-1, keepdim=True)
        variance = x.var(dim=-1, keepdim=True, unbiased=False)
        return self.scale * (x - mean) / torch.sqrt(variance + self.eps) + self.shift


@reference
class GELU(nn.Module):
    """GELU with GPT-2's tanh approximation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


@reference
class FeedForward(nn.Module):
    """Expand to 4 × emb_dim, GELU, project back."""

    def __init__(self, config: dict):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(config["emb_dim"], 4 * config["emb_dim"]),
            GELU(),
            nn.Linear(4 * config["emb_dim"], config["emb_dim"]),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


@reference
class TransformerBlock(nn.Module):
    """Pre-norm block: x + attention(norm(x)), then x + feed_forward(norm(x)), dropout on each branch."""

    def __init__(self, config: dict):
        super().__init__()
        self.att = MultiHeadAttention(
            config["emb_dim"],
            config["emb_dim"],
            config["context_length"],
            config["drop_rate"],
            config["n_heads"],
            config["qkv_bias"],
        )
        self.ff = FeedForward(config)
        self.norm1 = LayerNorm(config["emb_dim"])
        self.norm2 = LayerNorm(config["emb_dim"])
        self.drop_shortcut = nn.Dropout(config["drop_rate"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_shortcut(self.att(self.norm1(x)))
        return x + self.drop_shortcut(self.ff(self.norm2(x)))


@reference
class GPTModel(nn.Module):
    """Token + position embeddings, dropout, blocks, final norm, output head: ids (batch, tokens) -> logits."""

    def __init__(self, config: dict):
        super().__init__()
        self.tok_emb = nn.Embedding(config["vocab_size"], config["emb_dim"])
        self.pos_emb = nn.Embedding(config["context_length"], config["emb_dim"])
        self.drop_emb = nn.Dropout(config["drop_rate"])
        self.trf_blocks = nn.Sequential(*(TransformerBlock(config) for _ in range(config["n_layers"])))
        self.final_norm = LayerNorm(config["emb_dim"])
        self.out_head = nn.Linear(config["emb_dim"], config["vocab_size"], bias=False)

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(token_ids.shape[1], device=token_ids.device)
        x = self.drop_emb(self.tok_emb(token_ids) + self.pos_emb(positions))
        return self.out_head(self.final_norm(self.trf_blocks(x)))


@reference
def gpt_parameter_count(config: dict, tied: bool = False) -> int:
    """Trainable parameters of GPTModel(config); with ``tied``, the head shares the token embedding."""
    d, vocab = config["emb_dim"], config["vocab_size"]
    attention = 3 * d * d + (3 * d if config["qkv_bias"] else 0) + d * d + d
    feed_forward = d * 4 * d + 4 * d + 4 * d * d + d
    block = attention + feed_forward + 2 * 2 * d
    embeddings = vocab * d + config["context_length"] * d
    head = 0 if tied else vocab * d
    return embeddings + config["n_layers"] * block + 2 * d + head


@reference
def tie_weights(model: nn.Module) -> nn.Module:
    """Make the unembedding use the token embedding's matrix: one Parameter, (vocab_size, emb_dim), in two places."""
    model.out_head.weight = model.tok_emb.weight
    return model


@reference
def parameter_breakdown(config: dict, tied: bool = False) -> dict[str, int]:
    """GPTModel(config)'s trainable parameters by part; they sum to gpt_parameter_count(config, tied).

    With ``tied``, the unembedding is the token embedding's matrix, counted once, under embeddings.
    """
    d, layers = config["emb_dim"], config["n_layers"]
    query_key_value = 3 * (d * d + (d if config["qkv_bias"] else 0))
    return {
        "embeddings": (config["vocab_size"] + config["context_length"]) * d,
        "attention": layers * (query_key_value + d * d + d),
        "feed_forward": layers * (d * 4 * d + 4 * d + 4 * d * d + d),
        "layer_norms": (2 * layers + 1) * 2 * d,  # two per block and the final one, scale and shift each
        "unembedding": 0 if tied else config["vocab_size"] * d,
    }


@reference
@torch.no_grad()
def generate(
    model: nn.Module,
    token_ids: torch.Tensor,
    max_new_tokens: int,
    context_length: int,
    temperature: float = 0.0,
    top_k: int | None = None,
    eos_id: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Extend ``token_ids`` (batch, tokens) one token at a time.

    Each step crops the input to the last ``context_length`` tokens, takes the logits of the last
    position, keeps the ``top_k`` largest (if given), and picks the next token: the most likely
    one when ``temperature`` is 0, else a sample from softmax(logits / temperature). Generation
    stops early when every sequence of the batch picked ``eos_id``.
    """
    for _ in range(max_new_tokens):
        logits = model(token_ids[:, -context_length:])[:, -1, :]
        if top_k is not None:
            smallest_kept = torch.topk(logits, top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < smallest_kept, float("-inf"))
        if temperature > 0:
            probabilities = torch.softmax(logits / temperature, dim=-1)
            next_id = torch.multinomial(probabilities, num_samples=1, generator=generator)
        else:
            next_id = logits.argmax(dim=-1, keepdim=True)
        token_ids = torch.cat([token_ids, next_id], dim=1)
        if eos_id is not None and bool((next_id == eos_id).all()):
            break
    return token_ids


def _attend_with_cache(attention: nn.Module, x: torch.Tensor, cache: tuple | None):
    """MultiHeadAttention's output for the new tokens ``x`` (batch, new, d_in), with the earlier tokens' keys
    and values from ``cache``; returns the output and the cache that now includes the new tokens."""
    batch, new, _ = x.shape
    queries, keys, values = (
        attention.split_heads(layer(x)) for layer in (attention.W_query, attention.W_key, attention.W_value)
    )
    if cache is not None:
        keys, values = torch.cat([cache[0], keys], dim=2), torch.cat([cache[1], values], dim=2)
    tokens = keys.shape[2]  # the new ones are the last `new` of them
    scores = queries @ keys.transpose(-2, -1) / attention.head_dim**0.5  # (batch, heads, new, tokens)
    scores = scores.masked_fill(attention.mask[tokens - new : tokens, :tokens], float("-inf"))
    context = torch.softmax(scores, dim=-1) @ values  # (batch, heads, new, head_dim)
    return attention.out_proj(context.transpose(1, 2).reshape(batch, new, -1)), (keys, values)


@reference
@torch.no_grad()
def generate_cached(model: nn.Module, token_ids: torch.Tensor, max_new_tokens: int) -> torch.Tensor:
    """Greedy generation that runs every token through the model once, keeping each layer's keys and values.

    ``cache[i]`` holds layer i's (keys, values), each (batch, heads, tokens so far, head_dim). The first
    step runs the whole prompt; each later step only the token picked last. The tokens are those of
    ``generate`` at temperature 0 as long as prompt and new tokens fit the context. The model is in eval mode,
    where dropout is the identity, so the dropouts are left out.
    """
    cache = [None] * len(model.trf_blocks)
    new_ids = token_ids
    for _ in range(max_new_tokens):
        start = token_ids.shape[1] - new_ids.shape[1]
        positions = torch.arange(start, token_ids.shape[1], device=token_ids.device)
        x = model.tok_emb(new_ids) + model.pos_emb(positions)
        for i, block in enumerate(model.trf_blocks):
            attended, cache[i] = _attend_with_cache(block.att, block.norm1(x), cache[i])
            x = x + attended
            x = x + block.ff(block.norm2(x))
        new_ids = model.out_head(model.final_norm(x[:, -1])).argmax(dim=-1, keepdim=True)
        token_ids = torch.cat([token_ids, new_ids], dim=1)
    return token_ids
