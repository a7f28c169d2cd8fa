"""Training throughput of the course's GPT next to Hugging Face's GPT2LMHeadModel and the machine's matmul peak.

    python -m benchmarks.train_throughput [--steps 20] [--rounds 3] [--profile]

Every model gets the same config and the same AdamW training step on random token ids: the course's
GPTModel as taught (attention, layer norm and GELU spelled out), then with PyTorch's fused kernels
swapped in one by one (``autograder/reference/fused_kernels.py``), and Hugging Face's model. The
rounds alternate the models, so that other work on the machine slows them alike; the figures are
the median tokens per second, its ratio to Hugging Face's in the same run, and the share of the
measured fp32 matmul peak that the training FLOPs (about 6 per parameter per token, plus attention)
reach. ``--profile`` prints the operations that take the most time in each model.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers

from autograder.reference.fused_kernels import use_fused_kernels
from autograder.reference.gpt import GPTModel
from autograder.reference.story_model import story_config

# Assignment 07b's story model (`autograder.reference.story_model`), with qkv_bias True because GPT2LMHeadModel
# always has those biases; the difference is 1,536 parameters.
CONFIG = {**story_config(1248), "qkv_bias": True}  # 1,248: the compact GPT-2 vocabulary of the course's texts
BATCH = 16


def matmul_peak_gflops(size: int = 1024, repeats: int = 20) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm up
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def training_step_on_random_ids(model: torch.nn.Module, logits_of):
    """A function that runs one AdamW step of ``model`` on a fixed batch of random token ids."""
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
    return step


def tokens_per_second(step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * BATCH * CONFIG["context_length"] / (time.perf_counter() - start)


def print_profile(name: str, step) -> None:
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        for _ in range(3):
            step()
    print(f"\n{name}: the operations with the most time of their own, 3 steps")
    print(profile.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))


def training_flops_per_token(model: torch.nn.Module) -> float:
    """6 FLOPs per parameter (forward + backward) plus the attention scores and mixing."""
    parameters = sum(p.numel() for name, p in model.named_parameters() if "pos" not in name and "wpe" not in name)
    attention = 6 * 2 * CONFIG["n_layers"] * CONFIG["context_length"] * CONFIG["emb_dim"]
    return 6 * parameters + attention


def course_model(**fused) -> torch.nn.Module:
    torch.manual_seed(0)
    return use_fused_kernels(GPTModel(CONFIG), **fused)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per model, alternating the models")
    parser.add_argument("--profile", action="store_true", help="print where each model spends its time")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; config {CONFIG}, batch {BATCH}")
    peak = matmul_peak_gflops()
    print(f"fp32 matmul peak (1024 x 1024): {peak:8.1f} GFLOP/s")
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
    course = lambda m, x: m(x)  # noqa: E731
    none = {"attention": False, "layer_norm": False, "gelu": False}
    rows = [
        ("course GPTModel, as taught", course_model(**none), course),
        ("  + fused attention", course_model(**{**none, "attention": True}), course),
        ("  + fused layer norm", course_model(**{**none, "attention": True, "layer_norm": True}), course),
        ("  + fused GELU (use_fused_kernels)", course_model(), course),
        ("transformers GPT2LMHeadModel", hugging_face, lambda m, x: m(x).logits),
    ]
    steps = {name: training_step_on_random_ids(model.train(), logits_of) for name, model, logits_of in rows}
    measured = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            measured[name].append(tokens_per_second(step, args.steps))
    hugging_face_speed = statistics.median(measured[rows[-1][0]])
    for name, model, _ in rows:
        speed = statistics.median(measured[name])
        achieved = speed * training_flops_per_token(model) / 1e9
        print(
            f"{name:36s} {speed:9,.0f} tokens/s  {speed / hugging_face_speed:5.2f}x Hugging Face  "
            f"{achieved:6.1f} GFLOP/s  ({achieved / peak:.0%} of peak)"
        )
    if args.profile:
        for name in (rows[0][0], rows[-2][0], rows[-1][0]):
            print_profile(name.strip(), steps[name])


if __name__ == "__main__":
    main()
