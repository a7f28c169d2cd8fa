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
