"""Training throughput of the course's GPT next to Hugging Face's GPT2LMHeadModel and the machine's matmul peak.

    python -m benchmarks.train_throughput [--steps 20]

Both models get the same config and the same AdamW training step on random token ids; the
figures are tokens per second and the share of the measured fp32 matmul peak that the
training FLOPs (about 6 per parameter per token, plus attention) reach.
"""

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers

from autograder.reference.gpt import GPTModel

# Assignment 07's story model (STORY_CONFIG in course/source/07_gpt; 1,208 tokens of compact GPT-2 vocabulary).
# qkv_bias is True because GPT2LMHeadModel always has those biases; the difference is 1,536 parameters.
CONFIG = {
    "vocab_size": 1208,
    "context_length": 128,
    "emb_dim": 128,
    "n_heads": 4,
    "n_layers": 4,
    "drop_rate": 0.0,
    "qkv_bias": True,
}
BATCH = 16


def matmul_peak_gflops(size: int = 1024, repeats: int = 20) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm up
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def training_tokens_per_second(model: torch.nn.Module, logits_of, steps: int) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, CONFIG["vocab_size"], (BATCH, CONFIG["context_length"] + 1))
    inputs, targets = ids[:, :-1], ids[:, 1:]

    def step():
        loss = torch.nn.functional.cross_entropy(logits_of(model, inputs).flatten(0, 1), targets.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(3):  # warm up
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * inputs.numel() / (time.perf_counter() - start)


def training_flops_per_token(model: torch.nn.Module) -> float:
    """6 FLOPs per parameter (forward + backward) plus the attention scores and mixing."""
    parameters = sum(p.numel() for name, p in model.named_parameters() if "pos" not in name and "wpe" not in name)
    attention = 6 * 2 * CONFIG["n_layers"] * CONFIG["context_length"] * CONFIG["emb_dim"]
    return 6 * parameters + attention


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; config {CONFIG}, batch {BATCH}")
    peak = matmul_peak_gflops()
    print(f"fp32 matmul peak (1024 x 1024): {peak:8.1f} GFLOP/s")
    course = GPTModel(CONFIG)
    hugging_face = transformers.GPT2LMHeadModel(
        transformers.GPT2Config(
            vocab_size=CONFIG["vocab_size"],
            n_positions=CONFIG["context_length"],
            n_embd=CONFIG["emb_dim"],
            n_layer=CONFIG["n_layers"],
            n_head=CONFIG["n_heads"],
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
            bos_token_id=0,
            eos_token_id=0,
        )
    )
    rows = [
        ("course GPTModel", course, lambda m, x: m(x)),
        ("transformers GPT2LMHeadModel", hugging_face, lambda m, x: m(x).logits),
    ]
    for name, model, logits_of in rows:
        tokens_per_second = training_tokens_per_second(model.train(), logits_of, args.steps)
        achieved = tokens_per_second * training_flops_per_token(model) / 1e9
        print(
            f"{name:30s} {tokens_per_second:9,.0f} tokens/s  {achieved:6.1f} GFLOP/s  ({achieved / peak:.0%} of peak)"
        )


if __name__ == "__main__":
    main()
