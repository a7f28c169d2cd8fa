"""The dog-planet language: six words, sentences drawn from a known first-order Markov chain.

A dog on this planet only ever says what it did just now (刚才) or is doing now (现在):
eating (吃饭), sleeping (睡觉) or running (跑步). Because we know the true transition
probabilities, a model that learns them from counts can be compared with the truth.
"""

import random

DEFAULT_SEED = 2024
WORDS = ("我", "刚才", "现在", "吃饭", "睡觉", "跑步")
ACTIONS = ("吃饭", "睡觉", "跑步")

# TRANSITIONS[previous][next] = P(next | previous); every row sums to one.
TRANSITIONS = {
    "我": {"刚才": 0.5, "现在": 0.5},
    "刚才": {"吃饭": 0.2, "睡觉": 0.2, "跑步": 0.6},
    "现在": {"吃饭": 0.5, "睡觉": 0.4, "跑步": 0.1},
    "吃饭": {"我": 0.6, "睡觉": 0.4},
    "睡觉": {"我": 0.7, "跑步": 0.3},
    "跑步": {"我": 0.5, "吃饭": 0.3, "睡觉": 0.2},
}


def generate_words(rng: random.Random, min_words: int = 6) -> list[str]:
    """One sentence as words: start at 我, follow the chain, stop at an action once long enough.

    The stopping rule never looks at the next word, so within-sentence bigram counts
    are unbiased estimates of TRANSITIONS.
    """
    words = ["我"]
    while len(words) < min_words or words[-1] not in ACTIONS:
        options = TRANSITIONS[words[-1]]
        words.append(rng.choices(list(options), weights=list(options.values()))[0])
    return words


def render(words: list[str]) -> str:
    """Words joined by spaces, a comma before each new 我 clause, a full stop at the end."""
    text = words[0]
    for word in words[1:]:
        text += "，" + word if word == "我" else " " + word
    return text + "。"


def generate_corpus(n_sentences: int = 2000, seed: int = DEFAULT_SEED) -> str:
    """``n_sentences`` sentences, one a line, e.g. "我 刚才 跑步，我 现在 吃饭。"."""
    rng = random.Random(seed)
    return "".join(render(generate_words(rng, min_words=rng.randint(4, 12))) + "\n" for _ in range(n_sentences))


if __name__ == "__main__":
    print(generate_corpus(5), end="")
