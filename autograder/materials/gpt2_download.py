"""Optional: OpenAI's GPT-2 small weights from Hugging Face, in ``GPT2LMHeadModel``'s layout.

Nothing in the course needs them. Offline, :func:`load_state_dict` returns ``None`` at once
instead of failing, so the notebook cell that uses it skips cleanly.
"""

import shutil
import urllib.error
import urllib.request
from pathlib import Path

import torch

GPT2_URL = "https://huggingface.co/openai-community/gpt2/resolve/main/pytorch_model.bin"
FILE_NAME = "gpt2-124M.bin"


def load_state_dict(directory: Path, url: str = GPT2_URL, timeout: float = 10) -> dict[str, torch.Tensor] | None:
    """GPT-2's weights from ``directory`` (downloaded there on first use), or None without a network."""
    path = Path(directory) / FILE_NAME
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as file:
                shutil.copyfileobj(response, file)
        except (urllib.error.URLError, OSError) as error:
            partial.unlink(missing_ok=True)
            print(f"could not download GPT-2's weights ({error})")
            return None
        partial.rename(path)  # only a complete download gets the final name
    return as_lm_head_layout(torch.load(path, weights_only=True, map_location="cpu"))


def as_lm_head_layout(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys as in ``GPT2LMHeadModel.state_dict()``: a ``transformer.`` prefix and a (tied) ``lm_head.weight``.

    The original checkpoint has bare keys (``h.0.attn.c_attn.weight``), no head, and the causal
    mask stored as ``attn.bias`` / ``attn.masked_bias`` buffers, which are dropped.
    """
    renamed = {}
    for key, value in state.items():
        if key.endswith((".attn.bias", ".attn.masked_bias")):
            continue
        renamed[key if key.startswith(("transformer.", "lm_head.")) else "transformer." + key] = value
    renamed.setdefault("lm_head.weight", renamed["transformer.wte.weight"])
    return renamed
