"""Random inputs for hidden tests: texts and id sequences that visible tests never show."""

import random

WORDS = (
    "the",
    "a",
    "fox",
    "Pip",
    "ran",
    "to",
    "river",
    "tea",
    "sunny",
    "x2",
    "snake_case",
    "don't",
    "café",
    "naïve",
    "我",
    "爱你",
    "跑步",
    "Ω",
    "über",
    "2026",
)
PUNCTUATION = (",", ".", "!", "?", ";", ":", "-", "--", "'", '"', "(", ")", "…", "，", "。", "😀")
SPACES = (" ", " ", " ", "  ", "\t", "\n", " \n ")


def random_text(rng: random.Random, n_pieces: int) -> str:
    """Words, punctuation and odd whitespace in random order, sometimes glued together."""
    text = rng.choice(("", " ", "\n"))
    for _ in range(n_pieces):
        text += rng.choice(WORDS) if rng.random() < 0.65 else rng.choice(PUNCTUATION)
        if rng.random() < 0.8:
            text += rng.choice(SPACES)
    return text


def random_ids(rng: random.Random, length: int, n_symbols: int) -> list[int]:
    """Ids drawn from a small alphabet, so repeated pairs and runs like 5, 5, 5 are common."""
    symbols = rng.sample(range(300), n_symbols)
    return [rng.choice(symbols) for _ in range(length)]


def random_bpe_text(rng: random.Random, length: int) -> str:
    """Text over a few characters (some multi-byte), so pair counts tie often."""
    alphabet = rng.sample("abcde ab我é", rng.randint(2, 5))
    return "".join(rng.choice(alphabet) for _ in range(length))
