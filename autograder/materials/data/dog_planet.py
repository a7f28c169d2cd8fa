"""The dog-planet language: six words, sentences drawn from known probabilities, and their English.

A dog on this planet only ever says what it did just now (刚才) or is doing now (现在):
eating (吃饭), sleeping (睡觉) or running (跑步). A sentence is a chain of clauses, each
我, a time word and one or more actions, e.g. "我 刚才 跑步，我 现在 吃饭。". Most words follow
from the word before them alone (a first-order chain, TRANSITIONS), with one exception that
needs more context: what a dog does now depends on what it did just now (NOW_AFTER_JUST_NOW),
three words back. Because we know the true probabilities, models that learn them from counts
(or by training) can be compared with the truth, and we can see which ones miss the exception.
"""

import random
import re

DEFAULT_SEED = 2024
SENTENCES = 4000  # enough for every row of NOW_AFTER_JUST_NOW to be counted to within about 0.06
WORDS = ("我", "刚才", "现在", "吃饭", "睡觉", "跑步")
ACTIONS = ("吃饭", "睡觉", "跑步")

# TRANSITIONS[previous][next] = P(next | previous); every row sums to one. The row of 现在 applies
# only where the clause before is not a 刚才 clause (or there is none): elsewhere NOW_AFTER_JUST_NOW.
TRANSITIONS = {
    "我": {"刚才": 0.5, "现在": 0.5},
    "刚才": {"吃饭": 0.2, "睡觉": 0.2, "跑步": 0.6},
    "现在": {"吃饭": 0.5, "睡觉": 0.4, "跑步": 0.1},
    "吃饭": {"我": 0.6, "睡觉": 0.4},
    "睡觉": {"我": 0.7, "跑步": 0.3},
    "跑步": {"我": 0.5, "吃饭": 0.3, "睡觉": 0.2},
}

# NOW_AFTER_JUST_NOW[then][now] = P(first action after 现在 = now | the clause before is a 刚才 clause
# whose last action is then): a dog that just ran is hungry, one that just ate is sleepy, one that just
# slept wants to run. The word after 现在 depends on a word three back ("跑步，我 现在 ?").
NOW_AFTER_JUST_NOW = {
    "吃饭": {"吃饭": 0.1, "睡觉": 0.7, "跑步": 0.2},
    "睡觉": {"吃饭": 0.3, "睡觉": 0.1, "跑步": 0.6},
    "跑步": {"吃饭": 0.8, "睡觉": 0.15, "跑步": 0.05},
}

# A GPT's vocabulary for the language: a token per word, per punctuation mark and for the end of a line.
TOKENS = ("\n", "，", "。", *WORDS)

# One English rendering per word: actions in the past after 刚才, in the present progressive after 现在.
PAST = {"吃饭": "ate", "睡觉": "slept", "跑步": "ran"}
PROGRESSIVE = {"吃饭": "eating", "睡觉": "sleeping", "跑步": "running"}


def clauses(words: list[str]) -> list[list[str]]:
    """The words cut before every 我: ["我", time word, action, ...] each."""
    starts = [i for i, word in enumerate(words) if word == "我"]
    return [words[start:end] for start, end in zip(starts, [*starts[1:], len(words)])]


def next_word_probabilities(words: list[str]) -> dict[str, float]:
    """The generator's true P(next word | all the words so far), for a sentence that goes on.

    This is what a model with enough context should learn. After 现在 it depends on the clause
    before; after every other word on that word alone.
    """
    if words[-1] == "现在":
        sentence = clauses(words)
        if len(sentence) > 1 and sentence[-2][1] == "刚才":
            return NOW_AFTER_JUST_NOW[sentence[-2][-1]]
    return TRANSITIONS[words[-1]]


def generate_words(rng: random.Random, min_words: int = 6) -> list[str]:
    """One sentence as words: start at 我, draw each next word, stop at an action once long enough.

    The stopping rule never looks at the next word, so within-sentence counts are unbiased
    estimates of the true probabilities.
    """
    words = ["我"]
    while len(words) < min_words or words[-1] not in ACTIONS:
        options = next_word_probabilities(words)
        words.append(rng.choices(list(options), weights=list(options.values()))[0])
    return words


def render(words: list[str]) -> str:
    """Words joined by spaces, a comma before each new 我 clause, a full stop at the end."""
    return "，".join(" ".join(clause) for clause in clauses(words)) + "。"


def words_of(sentence: str) -> list[str]:
    """The words of a rendered sentence: render's inverse."""
    return sentence.replace("，", " ").removesuffix("。").split()


def tokens_of(text: str) -> list[str]:
    """Text cut into TOKENS: "我 刚才 跑步，我 现在 吃饭。\n" -> [我, 刚才, 跑步, ，, 我, 现在, 吃饭, 。, \n]."""
    return re.findall(r"[，。\n]|[^\s，。]+", text)


def encoder(tokens: tuple[str, ...] | list[str] = TOKENS):
    """A function from text to the ids of its tokens, each token's id its index in ``tokens``."""
    ids = {token: i for i, token in enumerate(tokens)}
    return lambda text: [ids[token] for token in tokens_of(text)]


def rule_table() -> list[list[float]]:
    """NOW_AFTER_JUST_NOW as a table: row i the action just now, ACTIONS[i]; column j the action now, ACTIONS[j]."""
    return [[NOW_AFTER_JUST_NOW[then][now] for now in ACTIONS] for then in ACTIONS]


def _listed(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def translate(sentence: str) -> str:
    """The English of a rendered sentence: "我 刚才 跑步，我 现在 吃饭。" -> "I ran just now, and now I am eating."."""
    english = []
    for _me, time, *actions in clauses(words_of(sentence)):
        if time == "刚才":
            english.append(f"I {_listed([PAST[action] for action in actions])} just now")
        else:
            english.append(f"now I am {_listed([PROGRESSIVE[action] for action in actions])}")
    text = english[0] if len(english) == 1 else ", ".join(english[:-1]) + ", and " + english[-1]
    return text[0].upper() + text[1:] + "."


def generate_corpus(n_sentences: int = SENTENCES, seed: int = DEFAULT_SEED) -> str:
    """``n_sentences`` sentences, one a line, e.g. "我 刚才 跑步，我 现在 吃饭。"."""
    rng = random.Random(seed)
    return "".join(render(generate_words(rng, min_words=rng.randint(4, 12))) + "\n" for _ in range(n_sentences))


if __name__ == "__main__":
    for line in generate_corpus(5).splitlines():
        print(line, "->", translate(line))
