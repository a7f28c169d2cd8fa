"""The pretrained story model that the course ships, and the command that builds it.

Assignment 07b pretrains a small GPT on the course's stories; 07c fine-tunes one. So that 07c does not depend
on how a learner's 07b went (and nbval can run the notebooks in any order), 07c loads this file's model: the
same recipe as 07b (seed 123, GPT-2's initialization, four epochs of AdamW with a one-cycle schedule), trained
with the course's own modules and PyTorch's fused kernels. Its weights ship as package data,
``autograder/materials/data/story_model.pt``, checked against ``SHA256`` when loaded. ``init_like_gpt2`` is 07b's
cell of that name, word for word (``tests/test_story_model.py``).

Rebuild it (about two minutes on one CPU core) after changing the recipe, the data or the model::

    python -m autograder.reference.story_model    # writes the file and prints its SHA-256

then put the printed hash into ``SHA256``. The same command on the same machine and PyTorch writes the same bytes.
"""

import hashlib
import io
import math
import sys
from pathlib import Path

import torch

from autograder.materials.compact_tokenizer import CompactTokenizer
from autograder.materials.data import load_instructions, load_messages, load_stories
from autograder.reference.embeddings import create_dataloader
from autograder.reference.fused_kernels import use_fused_kernels
from autograder.reference.gpt import GPTModel, training_step

SHIPPED = Path(__file__).resolve().parents[1] / "materials" / "data" / "story_model.pt"  # package data
SHA256 = "718ce858822f321b5ce50087af894245ca71c2462a7a73b34d34a85a4f219ea9"
PROMPT = "Instruction: {instruction}\nInput: {input}\nResponse:"  # 07c's prompt template
SEED, EPOCHS, BATCH_SIZE, LEARNING_RATE = 123, 4, 16, 3e-3


def story_texts() -> list[str]:
    """The course's stories, one per item."""
    return [story.strip() for story in load_stories().split("\n\n") if story.strip()]


def story_tokenizer() -> CompactTokenizer:
    """GPT-2's BPE renumbered to the tokens of the stories, the messages and the instructions in their template."""
    instructions = [PROMPT.format(**entry) + " " + entry["output"] for entry in load_instructions()]
    return CompactTokenizer(story_texts() + [text for text, _ in load_messages()] + instructions)


def story_config(vocab_size: int) -> dict:
    """The story model: four blocks of four heads, 128 features, a context of 128 tokens."""
    return {
        "vocab_size": vocab_size,
        "context_length": 128,
        "emb_dim": 128,
        "n_heads": 4,
        "n_layers": 4,
        "drop_rate": 0.0,  # a few epochs on a small model do not overfit, and dropout would only slow learning
        "qkv_bias": False,
    }


@torch.no_grad()
def init_like_gpt2(model):
    """GPT-2's initialization, in place: every weight matrix N(0, 0.02), every bias 0, the layer norms as they are;
    the two projections in each block that add into the residual stream N(0, 0.02 / sqrt(2 * blocks))."""
    residual_std = 0.02 / math.sqrt(2 * len(model.trf_blocks))  # two additions per block
    for name, parameter in model.named_parameters():
        if name.endswith(".bias"):
            parameter.zero_()
        elif parameter.dim() == 2:  # embeddings and linear layers; a layer norm's scale and shift are 1-D
            adds_to_residual = name.endswith(("att.out_proj.weight", "ff.layers.2.weight"))
            parameter.normal_(0.0, residual_std if adds_to_residual else 0.02)
    return model


def train_story_model(max_steps: int | None = None) -> torch.nn.Module:
    """07b's pretraining run, with the course's modules (all of it, or its first ``max_steps`` steps)."""
    tokenizer, stories = story_tokenizer(), story_texts()
    config = story_config(tokenizer.vocab_size)
    split = int(0.9 * len(stories))
    train_ids = tokenizer.encode("<|endoftext|>".join(stories[:split]))
    context = config["context_length"]
    loader = create_dataloader(train_ids, batch_size=BATCH_SIZE, max_length=context, stride=context, seed=1)
    torch.manual_seed(SEED)
    model = GPTModel(config)
    init_like_gpt2(model)
    use_fused_kernels(model)
    total = max_steps or EPOCHS * len(loader)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, total_steps=total, pct_start=0.1)
    step = 0
    while step < total:
        for inputs, targets in loader:
            training_step(model, optimizer, inputs, targets)
            scheduler.step()
            step += 1
            if step == total:
                break
    return model.eval()


def weights_bytes(model: torch.nn.Module) -> bytes:
    """The model's weights as ``torch.save`` writes them."""
    buffer = io.BytesIO()
    torch.save({name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def load_story_model(device: torch.device | str = "cpu") -> torch.nn.Module:
    """The shipped story model (the course's ``GPTModel``, in eval mode), after checking the file's hash."""
    data = SHIPPED.read_bytes()
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise RuntimeError(
            f"{SHIPPED} is not the story model the course ships (its SHA-256 differs): reinstall the course, or "
            "rebuild it with `python -m autograder.reference.story_model` and record the new hash"
        )
    weights = torch.load(io.BytesIO(data), weights_only=True)
    model = GPTModel(story_config(weights["tok_emb.weight"].shape[0]))  # one row per vocabulary entry
    model.load_state_dict(weights)
    return model.to(device).eval()


def main() -> int:
    torch.set_num_threads(1)  # the same bytes on every run of this machine
    data = weights_bytes(train_story_model())
    SHIPPED.write_bytes(data)
    print(f"wrote {SHIPPED} ({len(data) / 1e6:.1f} MB), SHA-256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
