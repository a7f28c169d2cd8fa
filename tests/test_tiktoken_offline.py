"""GPT-2's tokenizer loads from the files the course installs, with no network."""

import hashlib
import subprocess
import sys

import tiktoken

from autograder.materials.tiktoken_offline import GPT2_FILES, seed_gpt2_cache

HELLO = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."
HELLO_IDS = [
    15496,
    11,
    466,
    345,
    588,
    8887,
    30,
    220,
    50256,
    554,
    262,
    4252,
    18250,
    8812,
    2114,
    286,
    617,
    34680,
    27271,
    13,
]


def test_known_token_ids():
    gpt2 = tiktoken.get_encoding("gpt2")
    assert gpt2.encode(HELLO, allowed_special={"<|endoftext|>"}) == HELLO_IDS
    assert gpt2.encode("我爱你") == [22755, 239, 163, 230, 109, 19526, 254]
    assert gpt2.decode(HELLO_IDS) == HELLO


def test_seeding_an_empty_cache_writes_verified_files(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert seed_gpt2_cache() == tmp_path
    for url, sha256 in GPT2_FILES.values():
        cached = tmp_path / hashlib.sha1(url.encode()).hexdigest()
        assert hashlib.sha256(cached.read_bytes()).hexdigest() == sha256


def test_a_corrupt_cache_entry_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    url, sha256 = GPT2_FILES["vocab.bpe"]
    cached = tmp_path / hashlib.sha1(url.encode()).hexdigest()
    cached.write_bytes(b"garbage")
    seed_gpt2_cache()
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == sha256


def test_a_fresh_process_with_no_network_loads_gpt2(tmp_path):
    """Importing the course package is enough; downloads are made to fail loudly."""
    program = (
        "import tiktoken.load as load\n"
        "def no_network(url): raise RuntimeError('tried to download ' + url)\n"
        "load.read_file = no_network\n"
        "import autograder, tiktoken\n"
        "print(tiktoken.get_encoding('gpt2').encode('Hello, world'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env={"TIKTOKEN_CACHE_DIR": str(tmp_path), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[15496, 11, 995]"
