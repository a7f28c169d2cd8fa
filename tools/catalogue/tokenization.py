"""Assignment 01's checks accept valid alternatives and reject the classic bugs, visible and hidden."""

from autograder.checks import tokenization as checks

__all__ = ["BUGGY", "COMMON", "VALID", "checks"]  # what tests/test_check_catalogue.py reads

COMMON = """
import re
from collections import Counter

def split_text(text):
    return re.findall(r"\\w+|[^\\w\\s]", text)

def join_tokens(tokens):
    return re.sub(r" ([^\\w\\s])(?= |$)", r"\\1", " ".join(tokens)) if False else "".join(
        t if i == 0 or re.fullmatch(r"[^\\w\\s]", t) else " " + t for i, t in enumerate(tokens))

def count_pairs(ids):
    return Counter(zip(ids, ids[1:]))

def merge_pair(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if tuple(ids[i:i + 2]) == pair:
            out.append(new_id); i += 2
        else:
            out.append(ids[i]); i += 1
    return out
"""

TOKENIZER = """
class {name}:
    def __init__(self, vocab):
        self.vocab = vocab
        self.inverse = {{i: t for t, i in vocab.items()}}
    def encode(self, text):
        {encode}
    def decode(self, ids):
        {decode}
"""

BPE = """
class BPETokenizer:
    def __init__(self, merges):
        self.merges = merges
        self.vocab = {{i: bytes([i]) for i in range(256)}}
        for (a, b), i in merges.items():
            self.vocab[i] = self.vocab[a] + self.vocab[b]
    def encode(self, text):
        {encode}
    def decode(self, ids):
        {decode}
"""
BPE_ENCODE = "ids = list(text.encode())\n        for p, i in self.merges.items(): ids = merge_pair(ids, p, i)\n        return ids"
BPE_DECODE = "return b''.join(self.vocab[i] for i in ids).decode('utf-8', errors='replace')"
V2_ENCODE = (
    "parts = text.split('<|endoftext|>')\n        tokens = split_text(parts[0])\n"
    "        for p in parts[1:]: tokens += ['<|endoftext|>'] + split_text(p)\n"
    "        return [self.vocab.get(t, self.vocab['<|unk|>']) for t in tokens]"
)

VALID = [
    ("split_text", "def split_text(text): return re.findall(r'\\w+|\\S', text)"),
    ("split_text", "def split_text(text): return [t for t in re.split(r'(\\W)', text) if t.strip()]"),
    (
        "build_vocab",
        "def build_vocab(tokens, special_tokens=()):\n"
        "    v = {t: i for i, t in enumerate(sorted(set(tokens)))}\n"
        "    v.update({t: len(v) + i for i, t in enumerate(special_tokens)})\n    return v",
    ),
    (
        "SimpleTokenizer",
        TOKENIZER.format(
            name="SimpleTokenizer",
            encode="return [self.vocab[t] for t in split_text(text)]",
            decode="return join_tokens([self.inverse[i] for i in ids])",
        ),
    ),
    (
        "SimpleTokenizerV2",
        TOKENIZER.format(
            name="SimpleTokenizerV2", encode=V2_ENCODE, decode="return join_tokens([self.inverse[i] for i in ids])"
        ),
    ),
    (
        "token_pieces",
        "def token_pieces(text, encoding): return [encoding.decode_bytes([i]) for i in encoding.encode(text)]",
    ),
    (
        "compression_ratio",
        "def compression_ratio(text, encode):\n    if text == '': raise ValueError('empty')\n"
        "    return len(bytes(text, 'utf-8')) / len(encode(text))",
    ),
    ("count_pairs", ""),  # the Counter version in COMMON
    (
        "count_pairs",
        "def count_pairs(ids):\n    d = {}\n    for p in zip(ids, ids[1:]): d[p] = d.get(p, 0) + 1\n    return d",
    ),
    ("merge_pair", ""),
    (  # the same scan as a while loop over a copy
        "merge_pair",
        "def merge_pair(ids, pair, new_id):\n    ids, out = list(ids), []\n    while ids:\n"
        "        if len(ids) > 1 and (ids[0], ids[1]) == pair: out.append(new_id); del ids[:2]\n"
        "        else: out.append(ids.pop(0))\n    return out",
    ),
    (
        "train_bpe",
        "def train_bpe(text, vocab_size):\n    if vocab_size < 256: raise ValueError()\n"
        "    ids, merges = list(text.encode()), {}\n"
        "    while len(merges) < vocab_size - 256 and len(ids) > 1:\n"
        "        counts = count_pairs(ids)\n"
        "        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]\n"
        "        merges[best] = 256 + len(merges)\n        ids = merge_pair(ids, best, merges[best])\n"
        "    return merges",
    ),
    ("BPETokenizer", BPE.format(encode=BPE_ENCODE, decode=BPE_DECODE)),
]

BUGGY = [
    ("split_text", "def split_text(text): return text.split()", "never glued to a word"),
    ("split_text", "def split_text(text): return re.split(r'([,.!?]|\\s)', text)", "blank"),
    ("split_text", "def split_text(text): return re.findall(r'\\w+|[^\\w\\s]+', text)", "'--' is two tokens"),
    (
        "build_vocab",
        "def build_vocab(tokens, special_tokens=()):\n"
        "    return {t: i for i, t in enumerate(list(tokens) + list(special_tokens))}",
        "no gaps",
    ),
    (
        "build_vocab",
        "def build_vocab(tokens, special_tokens=()):\n"
        "    return {t: i for i, t in enumerate(list(special_tokens) + sorted(set(tokens)))}",
        "special tokens last",
    ),
    (
        "SimpleTokenizer",
        TOKENIZER.format(
            name="SimpleTokenizer",
            encode="return [self.vocab[t] for t in split_text(text)]",
            decode="return ' '.join(self.inverse[i] for i in ids)",
        ),
        "no space before a punctuation",
    ),
    (
        "SimpleTokenizer",
        TOKENIZER.format(
            name="SimpleTokenizer",
            encode="return [self.vocab.get(t, -1) for t in split_text(text)]",
            decode="return join_tokens([self.inverse[i] for i in ids])",
        ),
        "KeyError",
    ),
    (
        "SimpleTokenizerV2",
        TOKENIZER.format(
            name="SimpleTokenizerV2",
            encode="return [self.vocab.get(t, self.vocab['<|unk|>']) for t in split_text(text)]",
            decode="return join_tokens([self.inverse[i] for i in ids])",
        ),
        "encode(",
    ),
    (
        "token_pieces",
        "def token_pieces(text, encoding): return [encoding.decode([i]).encode() for i in encoding.encode(text)]",
        "decode_single_token_bytes",
    ),
    (
        "compression_ratio",
        "def compression_ratio(text, encode):\n    if not text: raise ValueError()\n    return len(text) / len(encode(text))",
        "not characters",
    ),
    (
        "compression_ratio",
        "def compression_ratio(text, encode): return len(text.encode()) / len(encode(text))",
        "ValueError",
    ),
    ("count_pairs", "def count_pairs(ids): return Counter(zip(ids[::2], ids[1::2]))", "occurs twice"),
    ("count_pairs", "def count_pairs(ids): return Counter(map(str, zip(ids, ids[1:])))", "tuple key"),
    (
        "merge_pair",
        "def merge_pair(ids, pair, new_id):\n    out = []\n    for i, x in enumerate(ids):\n"
        "        if tuple(ids[i:i+2]) == pair: out.append(new_id)\n"
        "        elif i == 0 or tuple(ids[i-1:i+1]) != pair: out.append(x)\n    return out",
        "skip both ids",
    ),
    (
        "merge_pair",
        "def merge_pair(ids, pair, new_id):\n    i = 0\n    while i < len(ids) - 1:\n"
        "        if (ids[i], ids[i+1]) == pair: ids[i:i+2] = [new_id]\n        i += 1\n    return ids",
        "was changed in place",
    ),
    (  # the ids written as text and the pair replaced as a substring
        "merge_pair",
        "def merge_pair(ids, pair, new_id):\n"
        "    text = ' '.join(map(str, ids)).replace(f'{pair[0]} {pair[1]}', str(new_id))\n"
        "    return [int(t) for t in text.split()]",
        "not their digits",
    ),
    (
        "train_bpe",
        "def train_bpe(text, vocab_size):\n    if vocab_size < 256: raise ValueError()\n"
        "    ids, merges = list(text.encode()), {}\n    for new_id in range(256, vocab_size):\n"
        "        counts = count_pairs(ids)\n        if not counts: break\n"
        "        best = max(counts, key=counts.get)\n        merges[best] = new_id\n"
        "        ids = merge_pair(ids, best, new_id)\n    return merges",
        "smallest pair",
    ),
    (
        "train_bpe",
        "def train_bpe(text, vocab_size):\n    ids, merges = list(text.encode()), {}\n"
        "    for new_id in range(255, vocab_size - 1):\n        counts = count_pairs(ids)\n        if not counts: break\n"
        "        best = min(counts, key=lambda p: (-counts[p], p))\n        merges[best] = new_id\n"
        "        ids = merge_pair(ids, best, new_id)\n    return merges",
        "256, 257",
    ),
    (  # 255 let through
        "train_bpe",
        "def train_bpe(text, vocab_size):\n    if vocab_size < 255: raise ValueError()\n"
        "    ids, merges = list(text.encode()), {}\n    for new_id in range(256, vocab_size):\n"
        "        counts = count_pairs(ids)\n        if not counts: break\n"
        "        best = min(counts, key=lambda p: (-counts[p], p))\n        merges[best] = new_id\n"
        "        ids = merge_pair(ids, best, new_id)\n    return merges",
        "train_bpe('abc', 255) raised no error",
    ),
    (  # encoding stops while two ids are left
        "BPETokenizer",
        BPE.format(
            encode="ids = list(text.encode())\n        for p, i in self.merges.items():\n"
            "            if len(ids) > 2: ids = merge_pair(ids, p, i)\n        return ids",
            decode=BPE_DECODE,
        ),
        "encode('ab')",
    ),
    (  # byte-level BPE trained on the characters' code points
        "train_bpe",
        "def train_bpe(text, vocab_size):\n    if vocab_size < 256: raise ValueError()\n"
        "    ids, merges = [ord(c) for c in text], {}\n    for new_id in range(256, vocab_size):\n"
        "        counts = count_pairs(ids)\n        if not counts: break\n"
        "        best = min(counts, key=lambda p: (-counts[p], p))\n        merges[best] = new_id\n"
        "        ids = merge_pair(ids, best, new_id)\n    return merges",
        "not on the UTF-8 bytes",
    ),
    (
        "BPETokenizer",
        BPE.format(encode=BPE_ENCODE, decode="return b''.join(self.vocab[i] for i in ids).decode()"),
        "errors='replace'",
    ),
    (
        "BPETokenizer",
        BPE.format(
            encode="ids = list(text.encode())\n        for p in sorted(self.merges): ids = merge_pair(ids, p, self.merges[p])\n        return ids",
            decode=BPE_DECODE,
        ),
        "order they were learned",
    ),
    (  # the caller's tokens sorted in place (issue 25: side effects on arguments)
        "build_vocab",
        "def build_vocab(tokens, special_tokens=()):\n"
        "    tokens.sort()\n"
        "    v = {t: i for i, t in enumerate(dict.fromkeys(tokens))}\n"
        "    v.update({t: len(v) + i for i, t in enumerate(special_tokens)})\n    return v",
        "was changed in place",
    ),
    (  # a mutable default argument that keeps the last call's output (issue 25: nothing kept between calls)
        "merge_pair",
        "def merge_pair(ids, pair, new_id, out=[]):\n"
        "    i = 0\n"
        "    while i < len(ids):\n"
        "        if tuple(ids[i:i + 2]) == pair:\n"
        "            out.append(new_id); i += 2\n"
        "        else:\n"
        "            out.append(ids[i]); i += 1\n"
        "    return out",
        "a second call with the same arguments",
    ),
    (  # the special tokens sorted, not kept in the order given
        "build_vocab",
        "def build_vocab(tokens, special_tokens=()):\n"
        "    v = {t: i for i, t in enumerate(sorted(set(tokens)))}\n"
        "    v.update({t: len(v) + i for i, t in enumerate(sorted(special_tokens))})\n    return v",
        "vocabulary",
    ),
]
