"""Checks for assignment 01 (tokenization). Visible checks use fixed examples; ``*_hidden``
checks compare with the reference on random inputs drawn from ``seed``."""

import random
import re

import tiktoken

from autograder.checks.core import show
from autograder.checks.inputs import random_bpe_text, random_ids, random_text
from autograder.checks.registry import exercise
from autograder.reference import tokenization as ref

SPECIALS = (ref.END_OF_TEXT, ref.UNKNOWN)


def _split_hint(got) -> str:
    if type(got) is not list:
        return "return a list of strings, e.g. the result of re.findall"
    if any(type(token) is str and (token == "" or token.isspace()) for token in got):
        return "drop whitespace: no token may be empty or blank"
    if any(type(token) is str and re.search(r"\w", token) and re.search(r"[^\w\s]", token) for token in got):
        return "punctuation marks are tokens of their own, never glued to a word"
    if any(type(token) is str and len(token) > 1 and re.fullmatch(r"[^\w\s]+", token) for token in got):
        return "each punctuation mark is one token: '--' is two tokens"
    return "a token is a run of word characters (\\w+) or one character that is neither a word character nor space"


def _check_split(check, split_text, text):
    expected = ref.split_text(text)
    got = check.call(split_text, text, description=f"split_text({text!r})")
    check.equal(got, expected, f"tokens of {text!r}", hint=_split_hint(got))


@exercise
def split_text(check, split_text):
    for text in ("Hello, world. Is this-- a test?", "  spaces\tand\nnewlines  ", "It's 2 o'clock!"):
        _check_split(check, split_text, text)


@split_text.hidden
def split_text_hidden(check, split_text, seed):
    rng = random.Random(seed)
    for text in ["", "...", "我爱你，世界！", "snake_case 42x"] + [
        random_text(rng, rng.randint(1, 30)) for _ in range(40)
    ]:
        _check_split(check, split_text, text)


def _vocab_hint(got, expected) -> str:
    if type(got) is dict and sorted(got.values()) != list(range(len(got))):
        return "ids must be 0, 1, ..., n-1 with no gaps: give each distinct token one id"
    if type(got) is dict and set(got) == set(expected):
        return (
            "number the distinct tokens in sorted order (sorted(set(tokens))), special tokens last, in the order given"
        )
    return "the keys are the distinct tokens (plus the special tokens), the values their ids"


def _check_vocab(check, build_vocab, tokens, special_tokens):
    expected = ref.build_vocab(tokens, special_tokens)
    got = check.call(build_vocab, tokens, special_tokens, description=f"build_vocab({show(tokens)}, {special_tokens})")
    check.equal(got, expected, "vocabulary", hint=_vocab_hint(got, expected))


@exercise
def build_vocab(check, build_vocab):
    tokens = ["the", "cat", "sat", "on", "the", "mat", "."]
    _check_vocab(check, build_vocab, tokens, ())
    _check_vocab(check, build_vocab, tokens, SPECIALS)
    _check_vocab(check, build_vocab, tokens, SPECIALS[::-1])  # in the order given, whatever it is


@build_vocab.hidden
def build_vocab_hidden(check, build_vocab, seed):
    rng = random.Random(seed)
    _check_vocab(check, build_vocab, [], SPECIALS)
    for _ in range(20):
        tokens = ref.split_text(random_text(rng, rng.randint(1, 40)))
        _check_vocab(check, build_vocab, tokens, SPECIALS if rng.random() < 0.5 else ())
    # special tokens keep the order they are given in (not sorted, not reversed), after the ordinary ones
    tokens = ref.split_text(random_text(rng, 20))
    _check_vocab(check, build_vocab, tokens, SPECIALS[::-1])
    _check_vocab(check, build_vocab, tokens, ("<|pad|>", *SPECIALS, "<|a|>"))


def _check_tokenizer(check, tokenizer_class, reference_class, vocab, texts):
    tokenizer = check.call(tokenizer_class, vocab, description=f"{tokenizer_class.__name__}(vocab)")
    expected_tokenizer = reference_class(vocab)
    for text in texts:
        ids = expected_tokenizer.encode(text)
        got = check.call(tokenizer.encode, text, description=f"encode({text!r})")
        check.equal(got, ids, f"encode({text!r})", hint="look up the id of each token that split_text gives")
        got = check.call(tokenizer.decode, ids, description=f"decode({show(ids)})")
        check.equal(
            got,
            expected_tokenizer.decode(ids),
            f"decode({show(ids)})",
            hint="join the tokens with single spaces, but put no space before a punctuation token",
        )


@exercise
def SimpleTokenizer(check, tokenizer_class):
    text = "The fox ran to the river. The river was cold, and the fox was happy!"
    vocab = ref.build_vocab(ref.split_text(text))
    _check_tokenizer(check, tokenizer_class, ref.SimpleTokenizer, vocab, [text, "the fox was cold."])
    tokenizer = tokenizer_class(vocab)
    with check.expect_error(KeyError, "encode('The dragon')", hint="a word outside the vocabulary has no id"):
        tokenizer.encode("The dragon")


@SimpleTokenizer.hidden
def SimpleTokenizer_hidden(check, tokenizer_class, seed):
    rng = random.Random(seed)
    for _ in range(5):
        texts = [random_text(rng, rng.randint(0, 25)) for _ in range(4)]
        vocab = ref.build_vocab(ref.split_text(" ".join(texts)))
        rng.shuffle(texts)
        _check_tokenizer(check, tokenizer_class, ref.SimpleTokenizer, vocab, texts)


@exercise
def SimpleTokenizerV2(check, tokenizer_class):
    vocab = ref.build_vocab(ref.split_text("The fox ran to the river."), SPECIALS)
    texts = ["The fox ran to the sea.", "The fox ran. <|endoftext|> The dragon ran!", "<|endoftext|>"]
    _check_tokenizer(check, tokenizer_class, ref.SimpleTokenizerV2, vocab, texts)


@SimpleTokenizerV2.hidden
def SimpleTokenizerV2_hidden(check, tokenizer_class, seed):
    rng = random.Random(seed)
    for _ in range(5):
        vocab = ref.build_vocab(ref.split_text(random_text(rng, 20)), rng.sample(SPECIALS, 2))
        texts = [
            ref.END_OF_TEXT.join(random_text(rng, rng.randint(0, 12)) for _ in range(rng.randint(1, 3)))
            for _ in range(4)
        ]
        _check_tokenizer(check, tokenizer_class, ref.SimpleTokenizerV2, vocab, texts)


def _check_pieces(check, token_pieces, encoding, text):
    got = check.call(token_pieces, text, encoding, description=f"token_pieces({text!r}, encoding)")
    check.equal(
        got,
        ref.token_pieces(text, encoding),
        f"pieces of {text!r}",
        hint="decode each token id on its own to bytes: encoding.decode_single_token_bytes(id)",
    )


@exercise
def token_pieces(check, token_pieces):
    encoding = tiktoken.get_encoding("gpt2")
    for text in ("Hello, world!", "someunknownPlace", "我爱你"):
        _check_pieces(check, token_pieces, encoding, text)


@token_pieces.hidden
def token_pieces_hidden(check, token_pieces, seed):
    rng = random.Random(seed)
    encoding = tiktoken.get_encoding("gpt2")
    for text in ["", "😀 naïve café"] + [random_text(rng, rng.randint(1, 20)) for _ in range(15)]:
        _check_pieces(check, token_pieces, encoding, text)


def _check_ratio(check, compression_ratio, text, encode, name):
    got = check.call(compression_ratio, text, encode, description=f"compression_ratio({text!r}, {name})")
    check.close(
        got,
        ref.compression_ratio(text, encode),
        f"compression_ratio({text!r}, {name})",
        hint="count UTF-8 bytes (len(text.encode('utf-8'))), not characters, and divide by the number of tokens",
    )


@exercise
def compression_ratio(check, compression_ratio):
    encoding = tiktoken.get_encoding("gpt2")
    for text in ("Hello, world!", "我爱你"):
        _check_ratio(check, compression_ratio, text, encoding.encode, "gpt2.encode")
    with check.expect_error(
        ValueError, "compression_ratio('', ...)", hint="an empty text has no ratio: raise ValueError"
    ):
        compression_ratio("", encoding.encode)


@compression_ratio.hidden
def compression_ratio_hidden(check, compression_ratio, seed):
    rng = random.Random(seed)
    encoding = tiktoken.get_encoding("gpt2")
    encoders = {
        "gpt2.encode": encoding.encode,
        "bytes": lambda text: list(text.encode("utf-8")),
        "words": lambda text: text.split() or [text],
    }
    for _ in range(12):
        name = rng.choice(sorted(encoders))
        _check_ratio(check, compression_ratio, random_text(rng, rng.randint(1, 30)) + "é", encoders[name], name)
    with check.expect_error(ValueError, "compression_ratio('', bytes)", hint="raise ValueError for an empty text"):
        compression_ratio("", encoders["bytes"])


# ids whose digits run into each other when written as text: "11 2" contains "1 2", "21 1" contains "1 1"
DIGITS_OVERLAP = [11, 2, 1, 21, 1, 2, 1, 2, 12, 1, 1, 2, 112]


def _check_count(check, count_pairs, ids):
    got = check.call(count_pairs, list(ids), description=f"count_pairs({show(ids)})")
    check.equal(
        got,
        ref.count_pairs(ids),
        f"pair counts of {show(ids)}",
        hint="count every neighbouring pair (ids[i], ids[i+1]) as a tuple key; in [5, 5, 5] the pair (5, 5) occurs twice",
    )


@exercise
def count_pairs(check, count_pairs):
    for ids in ([1, 2, 3, 1, 2], [5, 5, 5], [7], []):
        _check_count(check, count_pairs, ids)


@count_pairs.hidden
def count_pairs_hidden(check, count_pairs, seed):
    rng = random.Random(seed)
    for _ in range(30):
        _check_count(check, count_pairs, random_ids(rng, rng.randint(0, 60), rng.randint(1, 6)))
    _check_count(check, count_pairs, DIGITS_OVERLAP)


def _check_merge(check, merge_pair, ids, pair, new_id):
    given = list(ids)
    got = check.call(merge_pair, given, pair, new_id, description=f"merge_pair({show(ids)}, {pair}, {new_id})")
    check.equal(
        got,
        ref.merge_pair(ids, pair, new_id),
        f"merge_pair({show(ids)}, {pair}, {new_id})",
        hint="scan left to right; after a match skip both ids, so [5, 5, 5] with (5, 5) becomes [new_id, 5]; "
        "compare whole ids, not their digits as text: [11, 2] does not contain the pair (1, 2)",
    )
    check.equal(given, list(ids), "the list passed in", hint="build a new list; do not change the ids you were given")


@exercise
def merge_pair(check, merge_pair):
    for ids, pair, new_id in (
        ([1, 2, 3, 1, 2], (1, 2), 99),
        ([5, 5, 5], (5, 5), 9),
        ([1, 2], (2, 1), 7),
        ([], (1, 2), 3),
    ):
        _check_merge(check, merge_pair, ids, pair, new_id)


@merge_pair.hidden
def merge_pair_hidden(check, merge_pair, seed):
    rng = random.Random(seed)
    for _ in range(30):
        ids = random_ids(rng, rng.randint(0, 50), rng.randint(1, 5))
        pair = tuple(rng.sample(ids, 2)) if len(ids) > 1 else (1, 2)
        _check_merge(check, merge_pair, ids, pair, 300 + rng.randint(0, 50))
    _check_merge(check, merge_pair, DIGITS_OVERLAP, (1, 2), 300)
    _check_merge(check, merge_pair, DIGITS_OVERLAP, (2, 1), 301)


def _train_on_characters(text: str, vocab_size: int) -> dict:
    """The merges train_bpe would learn from the characters' code points (ord) instead of the UTF-8 bytes."""
    ids, merges = [ord(character) for character in text], {}
    for new_id in range(256, vocab_size):
        counts = ref.count_pairs(ids)
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        ids, merges[best] = ref.merge_pair(ids, best, new_id), new_id
    return merges


def _train_hint(got, expected, text, vocab_size) -> str:
    beyond_bytes = type(got) is dict and any(
        type(pair) is tuple and any(type(i) is int and i > 255 and i not in got.values() for i in pair) for pair in got
    )
    if any(ord(c) > 127 for c in text) and (beyond_bytes or got == _train_on_characters(text, vocab_size)):
        return (
            "these merges were learned on the characters (ord), not on the UTF-8 bytes: byte-level BPE starts "
            "from list(text.encode('utf-8')), where 'é' is two bytes and '我' three (ord('我') is 25105)"
        )
    if type(got) is dict and list(got.values()) != list(range(256, 256 + len(got))):
        return "new ids are 256, 257, ... in the order the merges are learned"
    if type(got) is dict and set(got) != set(expected) and len(got) == len(expected):
        return "when several pairs are equally frequent, merge the smallest pair (compare the tuples)"
    return "each step: count pairs in the current ids, merge the most frequent into the next id, repeat"


def _check_train(check, train_bpe, text, vocab_size):
    expected = ref.train_bpe(text, vocab_size)
    got = check.call(train_bpe, text, vocab_size, description=f"train_bpe({text!r}, {vocab_size})")
    check.equal(
        got,
        expected,
        f"merges learned from {text!r} with vocab_size={vocab_size}",
        hint=_train_hint(got, expected, text, vocab_size),
    )
    if list(got) != list(expected):
        check.fail(
            "the merges are right but in the wrong order",
            expected=show(list(expected)),
            got=show(list(got)),
            hint="insert each merge into the dict as it is learned",
        )


@exercise
def train_bpe(check, train_bpe):
    for text, vocab_size in (("aaabdaaabac", 259), ("abab cdcd", 258), ("hi", 300)):
        _check_train(check, train_bpe, text, vocab_size)


@train_bpe.hidden
def train_bpe_hidden(check, train_bpe, seed):
    rng = random.Random(seed)
    for text, vocab_size in [("", 260), ("x", 256), ("我爱你我爱你", 270)]:
        _check_train(check, train_bpe, text, vocab_size)
    for _ in range(12):
        _check_train(check, train_bpe, random_bpe_text(rng, rng.randint(2, 80)), rng.randint(256, 275))
    for vocab_size in (100, 255):  # 256 is the smallest vocabulary
        with check.expect_error(
            ValueError, f"train_bpe('abc', {vocab_size})", hint="a vocabulary smaller than 256 cannot hold the bytes"
        ):
            train_bpe("abc", vocab_size)


def _check_bpe_tokenizer(check, tokenizer_class, merges, texts):
    tokenizer = check.call(tokenizer_class, dict(merges), description="BPETokenizer(merges)")
    expected = ref.BPETokenizer(merges)
    check.equal(
        getattr(tokenizer, "vocab", None),
        expected.vocab,
        "tokenizer.vocab",
        hint="vocab maps ids 0..255 to bytes([id]) and each merged id to the two parts' bytes joined",
    )
    for text in texts:
        ids = expected.encode(text)
        got = check.call(tokenizer.encode, text, description=f"encode({text!r})")
        check.equal(
            got,
            ids,
            f"encode({text!r})",
            hint="start from the UTF-8 bytes and apply the merges in the order they were learned",
        )
        got = check.call(tokenizer.decode, ids, description=f"decode({show(ids)})")
        check.equal(
            got,
            expected.decode(ids),
            f"decode({show(ids)})",
            hint="join the bytes of the ids, then .decode('utf-8', errors='replace')",
        )


@exercise
def BPETokenizer(check, tokenizer_class):
    merges = ref.train_bpe("aaabdaaabac", 259)
    _check_bpe_tokenizer(check, tokenizer_class, merges, ["aaabdaaabac", "abc", "", "é"])
    # learned "bc" before "ab": the order of the merges decides how "abc" is encoded
    _check_bpe_tokenizer(check, tokenizer_class, {(98, 99): 256, (97, 98): 257}, ["abc", "abcab"])


@BPETokenizer.hidden
def BPETokenizer_hidden(check, tokenizer_class, seed):
    rng = random.Random(seed)
    for _ in range(6):
        merges = ref.train_bpe(random_bpe_text(rng, 60), rng.randint(256, 280))
        texts = [random_bpe_text(rng, rng.randint(0, 40)) for _ in range(3)] + [random_text(rng, 8)]
        _check_bpe_tokenizer(check, tokenizer_class, merges, texts)
    # texts of one and two bytes, where a loop that stops too early merges nothing
    _check_bpe_tokenizer(check, tokenizer_class, {(97, 98): 256, (256, 99): 257}, ["a", "ab", "abc", "é"])
    tokenizer = tokenizer_class({})
    hint = "decode with errors='replace', so broken byte sequences become '\\ufffd' instead of an error"
    got = check.call(tokenizer.decode, [0xE6, 0x88], description="decode([0xE6, 0x88])", hint=hint)
    check.equal(got, "\ufffd", "decode of half a UTF-8 character", hint=hint)
