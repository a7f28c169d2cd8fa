"""Reference solutions for assignment 07: the GPT, generation, pretraining, a look inside, fine-tuning, GPT-2's weights.

A model is described by one config dict, e.g. GPT-2 small::

    {"vocab_size": 50257, "context_length": 1024, "emb_dim": 768, "n_heads": 12,
     "n_layers": 12, "drop_rate": 0.1, "qkv_bias": True}

The model's parameters are created in the book's order (seed 123 gives the book's chapter-4 numbers).
PyTorch's fused kernels for the same model are apart, in `fused_kernels`.
"""

import math
import re
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from autograder.materials.data import dog_planet
from autograder.materials.data.dog_planet import ACTIONS
from autograder.reference.embeddings import nearest_neighbours
from autograder.reference.lock import reference
from autograder.reference.multihead import MultiHeadAttention

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


# --- pretraining: the loss of a batch, one training step, checkpoints ---


@reference
def batch_loss(model: nn.Module, input_ids: torch.Tensor, target_ids: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the next-token predictions; targets equal to -100 are ignored."""
    logits = model(input_ids)  # (batch, tokens, vocab)
    return nn.functional.cross_entropy(logits.flatten(0, 1), target_ids.flatten())


@reference
def training_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, input_ids: torch.Tensor, target_ids: torch.Tensor
) -> float:
    """One step of gradient descent on one batch; returns the batch's loss before the step."""
    optimizer.zero_grad()
    loss = batch_loss(model, input_ids, target_ids)
    loss.backward()
    optimizer.step()
    return loss.item()


@reference
def save_checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, step: int) -> None:
    """Write what resuming needs: the weights, the optimizer's state (Adam's moments) and the step."""
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step}, path)


@reference
def load_checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Restore model and optimizer from ``path``; return the step the checkpoint was saved at."""
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["step"]


# --- a look inside a trained model: which tokens its vectors group together, the dog-planet rule ---


@reference
def neighbours_in_group(vectors: torch.Tensor, group: list[int], k: int = 5) -> list[int]:
    """For each row index in ``group``: how many of its ``k`` nearest neighbours (cosine, itself excluded)
    are in ``group`` too."""
    members = set(group)
    return [sum(neighbour in members for neighbour in nearest_neighbours(vectors, index, k)) for index in group]


@reference
@torch.no_grad()
def now_after_just_now(model: nn.Module, encode: Callable[[str], list[int]]) -> torch.Tensor:
    """probabilities[i, j] = the model's probability that the action after 现在 is ACTIONS[j], right after a
    刚才 clause that ended with ACTIONS[i]: read at the last position of "\\n我 刚才 ACTIONS[i]，我 现在", in eval
    mode, from the softmax over the whole vocabulary."""
    model.eval()
    prompts = torch.tensor([encode(f"\n我 刚才 {then}，我 现在") for then in ACTIONS])  # (3, tokens)
    action_ids = [encode(action)[0] for action in ACTIONS]
    probabilities = torch.softmax(model(prompts.to(next(model.parameters()).device))[:, -1], dim=-1)  # (3, vocab)
    return probabilities[:, action_ids].cpu()


# --- fine-tuning: a classification head, batches of instructions ---


@reference
def prepare_for_classification(model: nn.Module, num_classes: int) -> nn.Module:
    """Swap the output head for a ``num_classes`` head; train only the last block, final norm and head."""
    model.requires_grad_(False)
    model.out_head = nn.Linear(model.out_head.in_features, num_classes)
    model.trf_blocks[-1].requires_grad_(True)
    model.final_norm.requires_grad_(True)
    return model


@reference
def instruction_collate(
    batch: list[tuple[list[int], int]],
    pad_id: int,
    ignore_index: int = -100,
    max_length: int | None = None,
    mask_prompt: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad (prompt + response) token lists into input and target tensors of shape (batch, tokens).

    Each example is ``(token_ids, prompt_length)``. It gets at least one ``pad_id`` (the end
    token) and is padded to the longest example + 1; inputs drop the last position, targets
    the first. Targets after the first end token are ``ignore_index``, as are, with
    ``mask_prompt``, the targets that are prompt tokens. ``max_length`` crops both.
    """
    longest = max(len(ids) for ids, _ in batch) + 1
    inputs, targets = [], []
    for ids, prompt_length in batch:
        padded = torch.tensor(ids + [pad_id] * (longest - len(ids)))
        target = padded[1:].clone()
        target[len(ids) :] = ignore_index  # target[len(ids) - 1] stays: the model must learn to stop
        if mask_prompt:
            target[: max(prompt_length - 1, 0)] = ignore_index
        inputs.append(padded[:-1][:max_length])
        targets.append(target[:max_length])
    return torch.stack(inputs), torch.stack(targets)


# --- GPT-2's weights (Hugging Face's layout): Conv1D stores (in, out), c_attn fuses Q, K, V, the head is tied ---


def _assign(parameter: torch.nn.Parameter, value: torch.Tensor) -> None:
    if parameter.shape != value.shape:
        raise ValueError(f"shape mismatch: model has {tuple(parameter.shape)}, checkpoint has {tuple(value.shape)}")
    parameter.copy_(value)


@reference
@torch.no_grad()
def load_gpt2_weights(model: GPTModel, state: dict[str, torch.Tensor]) -> GPTModel:
    """Copy a GPT-2 state dict (keys like ``transformer.h.0.attn.c_attn.weight``) into ``model``."""
    state = {key.removeprefix("transformer."): value for key, value in state.items()}
    _assign(model.tok_emb.weight, state["wte.weight"])
    _assign(model.pos_emb.weight, state["wpe.weight"][: model.pos_emb.weight.shape[0]])
    for i, block in enumerate(model.trf_blocks):
        prefix = f"h.{i}."
        query, key, value = state[prefix + "attn.c_attn.weight"].chunk(3, dim=1)
        q_bias, k_bias, v_bias = state[prefix + "attn.c_attn.bias"].chunk(3)
        for layer, weight, bias in (
            (block.att.W_query, query, q_bias),
            (block.att.W_key, key, k_bias),
            (block.att.W_value, value, v_bias),
        ):
            _assign(layer.weight, weight.T)
            _assign(layer.bias, bias)
        _assign(block.att.out_proj.weight, state[prefix + "attn.c_proj.weight"].T)
        _assign(block.att.out_proj.bias, state[prefix + "attn.c_proj.bias"])
        _assign(block.ff.layers[0].weight, state[prefix + "mlp.c_fc.weight"].T)
        _assign(block.ff.layers[0].bias, state[prefix + "mlp.c_fc.bias"])
        _assign(block.ff.layers[2].weight, state[prefix + "mlp.c_proj.weight"].T)
        _assign(block.ff.layers[2].bias, state[prefix + "mlp.c_proj.bias"])
        for norm, name in ((block.norm1, "ln_1"), (block.norm2, "ln_2")):
            _assign(norm.scale, state[prefix + name + ".weight"])
            _assign(norm.shift, state[prefix + name + ".bias"])
    _assign(model.final_norm.scale, state["ln_f.weight"])
    _assign(model.final_norm.shift, state["ln_f.bias"])
    _assign(model.out_head.weight, state.get("lm_head.weight", state["wte.weight"]))  # tied head
    return model


def hugging_face_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict GPT2LMHeadModel would have with ``model``'s weights (its head tied to the embedding)."""
    state = {"transformer.wte.weight": model.tok_emb.weight, "transformer.wpe.weight": model.pos_emb.weight}
    for i, block in enumerate(model.trf_blocks):
        attention, prefix = block.att, f"transformer.h.{i}."
        projections = (attention.W_query, attention.W_key, attention.W_value)
        state |= {
            prefix + "ln_1.weight": block.norm1.scale,
            prefix + "ln_1.bias": block.norm1.shift,
            prefix + "attn.c_attn.weight": torch.cat([p.weight.T for p in projections], dim=1),
            prefix + "attn.c_attn.bias": torch.cat([p.bias for p in projections]),
            prefix + "attn.c_proj.weight": attention.out_proj.weight.T,
            prefix + "attn.c_proj.bias": attention.out_proj.bias,
            prefix + "ln_2.weight": block.norm2.scale,
            prefix + "ln_2.bias": block.norm2.shift,
            prefix + "mlp.c_fc.weight": block.ff.layers[0].weight.T,
            prefix + "mlp.c_fc.bias": block.ff.layers[0].bias,
            prefix + "mlp.c_proj.weight": block.ff.layers[2].weight.T,
            prefix + "mlp.c_proj.bias": block.ff.layers[2].bias,
        }
    state |= {
        "transformer.ln_f.weight": model.final_norm.scale,
        "transformer.ln_f.bias": model.final_norm.shift,
        "lm_head.weight": model.tok_emb.weight,
    }
    return {key: value.detach().clone() for key, value in state.items()}


# --- what the checks compare with: the dog-planet generator's own next-token probabilities as a model ---


class DogPlanetTruth(nn.Module):
    """A "model" whose next-token probabilities after 现在 are the dog-planet generator's own, for a
    vocabulary ``tokens`` (id: token); elsewhere it is uniform. Any id order works, so ids cannot be hard-coded."""

    def __init__(self, tokens: list[str]):
        super().__init__()
        self.tokens = tokens
        self.device_anchor = nn.Parameter(torch.zeros(()))  # next(model.parameters()).device works, as for a GPT

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(*token_ids.shape, len(self.tokens))
        for row, ids in enumerate(token_ids.tolist()):
            for position in range(len(ids)):
                text = "".join(self.tokens[i] + " " for i in ids[: position + 1])
                words = dog_planet.words_of(re.split("[\n。]", text)[-1])  # the sentence so far
                if words and words[-1] == "现在":
                    truth = dog_planet.next_word_probabilities(words)
                    logits[row, position] = torch.tensor(
                        [math.log(truth[token]) if token in truth else -math.inf for token in self.tokens]
                    )
        return logits.to(token_ids.device)
