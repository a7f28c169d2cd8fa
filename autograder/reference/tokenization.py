"""Reference solutions for assignment 01: from text to token ids."""

import itertools
import re

from autograder.reference.lock import reference

UNKNOWN = "<|unk|>"
END_OF_TEXT = "<|endoftext|>"
WORD_OR_PUNCTUATION = re.compile(r"\w+|[^\w\s]")


@reference
def split_text(text: str) -> list[str]:
    """Words (runs of letters, digits, underscores) and single punctuation marks; whitespace dropped."""
    return WORD_OR_PUNCTUATION.findall(text)


@reference
def build_vocab(tokens: list[str], special_tokens: tuple[str, ...] = ()) -> dict[str, int]:
    """Ids 0..n-1 for the sorted distinct tokens, then the special tokens in the order given."""
    vocab = {token: i for i, token in enumerate(sorted(set(tokens)))}
    for token in special_tokens:
        vocab.setdefault(token, len(vocab))
    return vocab


def join_tokens(tokens: list[str]) -> str:
    """Tokens separated by one space, except that no space goes before a punctuation mark."""
    text = ""
    for i, token in enumerate(tokens):
        is_punctuation = re.fullmatch(r"[^\w\s]", token) is not None
        text += token if i == 0 or is_punctuation else " " + token
    return text


@reference
class SimpleTokenizer:
    """Maps the words and punctuation of a fixed vocabulary to ids and back."""

    def __init__(self, vocab: dict[str, int]):
        self.str_to_id = dict(vocab)
        self.id_to_str = {i: token for token, i in vocab.items()}

    def encode(self, text: str) -> list[int]:
        return [self.str_to_id[token] for token in split_text(text)]

    def decode(self, ids: list[int]) -> str:
        return join_tokens([self.id_to_str[i] for i in ids])


@reference
class SimpleTokenizerV2(SimpleTokenizer):
    """Like SimpleTokenizer, but unknown tokens become <|unk|> and <|endoftext|> is kept whole."""

    def encode(self, text: str) -> list[int]:
        tokens = []
        for i, part in enumerate(text.split(END_OF_TEXT)):
            if i > 0:
                tokens.append(END_OF_TEXT)
            tokens.extend(split_text(part))
        unknown = self.str_to_id[UNKNOWN]
        return [self.str_to_id.get(token, unknown) for token in tokens]


@reference
def token_pieces(text: str, encoding) -> list[bytes]:
    """The bytes behind each token id that a tiktoken ``encoding`` gives ``text``."""
    return [encoding.decode_single_token_bytes(i) for i in encoding.encode(text)]


@reference
def compression_ratio(text: str, encode) -> float:
    """UTF-8 bytes per token when ``encode`` turns ``text`` into token ids."""
    if not text:
        raise ValueError("compression_ratio needs a non-empty text")
    return len(text.encode("utf-8")) / len(encode(text))


@reference
def count_pairs(ids: list[int]) -> dict[tuple[int, int], int]:
    """How often each pair of neighbouring ids occurs (overlapping pairs all count)."""
    counts = {}
    for pair in itertools.pairwise(ids):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


@reference
def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace each occurrence of ``pair``, scanning left to right, by ``new_id``."""
    merged = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged


@reference
def train_bpe(text: str, vocab_size: int) -> dict[tuple[int, int], int]:
    """Learn byte-pair merges until the vocabulary has ``vocab_size`` tokens.

    Start from the UTF-8 bytes of ``text`` (ids 0..255). Each step merges the most
    frequent pair into the next id (256, 257, ...); ties go to the smallest pair
    (a, b). Training stops early when fewer than two tokens are left.
    """
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256 (the byte tokens), got {vocab_size}")
    ids = list(text.encode("utf-8"))
    merges = {}
    for new_id in range(256, vocab_size):
        counts = count_pairs(ids)
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        ids = merge_pair(ids, best, new_id)
        merges[best] = new_id
    return merges


@reference
class BPETokenizer:
    """Byte-level BPE with merges learned by ``train_bpe``."""

    def __init__(self, merges: dict[tuple[int, int], int]):
        self.merges = dict(merges)
        self.vocab = {i: bytes([i]) for i in range(256)}
        for (a, b), new_id in self.merges.items():
            self.vocab[new_id] = self.vocab[a] + self.vocab[b]

    def encode(self, text: str) -> list[int]:
        ids = list(text.encode("utf-8"))
        for pair, new_id in self.merges.items():  # merges in the order they were learned
            ids = merge_pair(ids, pair, new_id)
        return ids

    def decode(self, ids: list[int]) -> str:
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")
