"""The course's data sets: shipped files equal what the seeded generators make."""

import itertools
import math
import re
from collections import Counter

import pytest

from autograder.materials import data
from autograder.materials.data import dog_planet, instructions, stories


@pytest.mark.parametrize("name", sorted(data.GENERATORS))
def test_shipped_file_is_what_the_generator_makes(name, tmp_path):
    data.write_shipped_files(tmp_path)
    shipped = (data.Path(data.__file__).parent / name).read_bytes()
    assert (tmp_path / name).read_bytes() == shipped, "regenerate with: python -m autograder.materials.data"


def test_stories_are_about_a_megabyte_of_simple_english():
    text = data.load_stories()
    assert 1_000_000 <= len(text.encode("utf-8")) < 1_100_000
    assert text.isascii() and text.endswith("\n") and not text.endswith("\n\n")
    words = Counter(re.findall(r"[a-z]+", text.lower()))
    assert 300 <= len(words) <= 1500, len(words)
    assert len(text.split("\n\n")) > 1000


def test_stories_depend_on_the_seed():
    assert stories.generate_stories(5, seed=1) == stories.generate_stories(5, seed=1)
    assert stories.generate_stories(5, seed=1) != stories.generate_stories(5, seed=2)


def dog_planet_sentences() -> list[list[str]]:
    return [dog_planet.words_of(line) for line in data.load_dog_planet().splitlines()]


def close_to(counted: Counter, truth: dict) -> bool:
    """Counted frequencies within four binomial standard errors (plus 0.01) of the true probabilities."""
    total = sum(counted.values())
    return set(counted) <= set(truth) and all(
        abs(counted[word] / total - p) <= 4 * math.sqrt(p * (1 - p) / total) + 0.01 for word, p in truth.items()
    )


def test_dog_planet_uses_six_words_in_clauses():
    sentences = dog_planet_sentences()
    assert len(sentences) == dog_planet.SENTENCES
    assert {w for sentence in sentences for w in sentence} == set(dog_planet.WORDS)
    for sentence in sentences:
        assert dog_planet.render(sentence) in data.load_dog_planet()
        for me, time, *actions in dog_planet.clauses(sentence):
            assert me == "我" and time in ("刚才", "现在") and actions and set(actions) <= set(dog_planet.ACTIONS)


def test_dog_planet_tokens_are_its_words_and_marks():
    text = data.load_dog_planet()
    tokens = dog_planet.tokens_of(text)
    assert set(tokens) == set(dog_planet.TOKENS)
    assert "".join(tokens) == text.replace(" ", "")  # nothing but the spaces is dropped
    words = [word for line in text.splitlines() for word in dog_planet.words_of(line)]
    assert [token for token in tokens if token in dog_planet.WORDS] == words


def test_dog_planet_follows_its_probabilities_word_by_word():
    """Every word after its context, counted, is what next_word_probabilities says, and every row sums to one."""
    for row in [*dog_planet.TRANSITIONS.values(), *dog_planet.NOW_AFTER_JUST_NOW.values()]:
        assert abs(sum(row.values()) - 1) < 1e-12
    by_truth = {}  # one Counter per distinct true distribution
    for sentence in dog_planet_sentences():
        for end in range(1, len(sentence)):
            truth = dog_planet.next_word_probabilities(sentence[:end])
            by_truth.setdefault(id(truth), (truth, Counter()))[1][sentence[end]] += 1
    assert len(by_truth) == len(dog_planet.TRANSITIONS) + len(dog_planet.NOW_AFTER_JUST_NOW)
    for truth, counted in by_truth.values():
        assert close_to(counted, truth), (truth, counted)


def test_dog_planet_now_depends_on_just_now():
    """After "刚才 <action>，我 现在" the next word follows NOW_AFTER_JUST_NOW, far from what 现在 alone predicts."""
    assert dog_planet.next_word_probabilities(["我", "现在"]) is dog_planet.TRANSITIONS["现在"]
    assert dog_planet.next_word_probabilities(["我", "现在", "跑步", "我", "现在"]) is dog_planet.TRANSITIONS["现在"]
    for then in dog_planet.ACTIONS:
        context = ["我", "现在", "吃饭", "我", "刚才", "睡觉", then, "我", "现在"]
        assert dog_planet.next_word_probabilities(context) is dog_planet.NOW_AFTER_JUST_NOW[then]
    after_now = Counter(b for s in dog_planet_sentences() for a, b in itertools.pairwise(s) if a == "现在")
    total = sum(after_now.values())
    for then, row in dog_planet.NOW_AFTER_JUST_NOW.items():
        likeliest = max(row, key=row.get)
        assert row[likeliest] - after_now[likeliest] / total > 0.2, then  # the bigram misses it by that much


def test_dog_planet_depends_on_the_seed():
    assert dog_planet.generate_corpus(20, seed=1) == dog_planet.generate_corpus(20, seed=1)
    assert dog_planet.generate_corpus(20, seed=1) != dog_planet.generate_corpus(20, seed=2)


def dog_planet_clauses(max_actions: int) -> list[list[str]]:
    """Every clause: 我, a time word and 1 to max_actions actions."""
    return [
        ["我", time, *actions]
        for time in ("刚才", "现在")
        for n in range(1, max_actions + 1)
        for actions in itertools.product(dog_planet.ACTIONS, repeat=n)
    ]


def english_grammar() -> re.Pattern:
    """The English of a dog-planet sentence: clauses listed "a, b, and c"; actions in a clause "x, y and z"."""

    def listed(item: str) -> str:
        return rf"{item}(?:(?:, {item})* and {item})?"

    just_now, now = rf"I {listed('(?:ate|slept|ran)')} just now", rf"I am {listed('(?:eating|sleeping|running)')}"
    first, clause = f"(?:{just_now}|Now {now})", f"(?:{just_now}|now {now})"
    return re.compile(rf"{first}(?:(?:, {clause})*, and {clause})?\.")


def back_translate(english: str) -> list[str]:
    """The dog-planet words of an English sentence: translate's inverse, written independently of it."""
    words = {"ate": "吃饭", "slept": "睡觉", "ran": "跑步", "eating": "吃饭", "sleeping": "睡觉", "running": "跑步"}
    result = []
    for clause in re.split(r", (?:and )?(?=I |now )", english.removesuffix(".")):
        time = "现在" if clause.lower().startswith("now i am ") else "刚才"
        actions = re.split(r", | and ", clause[len("now I am ") :] if time == "现在" else clause[2 : -len(" just now")])
        result += ["我", time, *(words[action] for action in actions)]
    return result


def test_dog_planet_translates_every_pattern_into_grammatical_english():
    assert dog_planet.translate("我 刚才 跑步，我 现在 吃饭。") == "I ran just now, and now I am eating."
    assert dog_planet.translate("我 现在 睡觉 跑步 吃饭。") == "Now I am sleeping, running and eating."
    renderings = [*dog_planet.PAST.values(), *dog_planet.PROGRESSIVE.values()]
    assert set(dog_planet.PAST) == set(dog_planet.PROGRESSIVE) == set(dog_planet.ACTIONS)
    assert len(set(renderings)) == len(renderings)  # one English word per action and tense, never shared
    one_or_two = [[*a] for a in dog_planet_clauses(3)] + [
        a + b for a, b in itertools.product(dog_planet_clauses(3), repeat=2)
    ]
    three = [a + b + c for a, b, c in itertools.product(dog_planet_clauses(1), repeat=3)]
    grammar = english_grammar()
    for words in one_or_two + three:
        english = dog_planet.translate(dog_planet.render(words))
        assert grammar.fullmatch(english), english
        assert back_translate(english) == words, english


def test_messages_are_balanced_spam_and_ham():
    labels = [label for _, label in data.load_messages()]
    assert len(labels) == 2000 and sum(labels) == 1000
    lines = data.Path(data.__file__).parent.joinpath("messages.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "label\ttext"
    assert {line.split("\t")[0] for line in lines[1:]} == {"spam", "ham"}


def test_messages_are_short_distinct_single_lines():
    texts = [text for text, _ in data.load_messages()]
    assert all(5 <= len(text.split()) <= 25 and "\t" not in text and text.isascii() for text in texts)
    assert len(set(texts)) == len(texts)  # threshold: no message occurs twice


def test_instructions_have_three_keys_and_an_answer():
    entries = data.load_instructions()
    assert 1000 <= len(entries) <= 2000
    assert all(set(entry) == {"instruction", "input", "output"} for entry in entries)
    assert all(entry["output"].strip() and len(entry["output"].split()) <= 16 for entry in entries)


def test_instructions_translate_distinct_short_dog_planet_sentences():
    entries = [e for e in data.load_instructions() if instructions.task_of(e["instruction"]) == "translate"]
    assert len({entry["input"] for entry in entries}) == len(entries) == instructions.ENTRIES_PER_TASK
    for entry in entries:
        words = dog_planet.words_of(entry["input"])
        assert dog_planet.render(words) == entry["input"] and len(words) <= instructions.MAX_DOG_PLANET_WORDS
        assert entry["output"] == dog_planet.translate(entry["input"]), entry
    clause_counts = Counter(entry["input"].count("，") + 1 for entry in entries)
    assert set(clause_counts) == {1, 2, 3}, clause_counts


def test_instructions_cover_every_task_with_answers_from_the_input():
    entries = data.load_instructions()
    by_task = {task: [] for task in instructions.INSTRUCTIONS}
    for entry in entries:
        by_task[instructions.task_of(entry["instruction"])].append(entry)
    assert all(len(task_entries) >= 100 for task_entries in by_task.values())
    for task in ("name", "animal", "place"):
        for entry in by_task[task]:
            assert re.search(rf"\b{entry['output'].removeprefix('the ')}\b", entry["input"]), entry
    assert all(entry["output"] in ("a boy", "a girl") for entry in by_task["gender"])
    assert all(entry["output"] == entry["input"] for entry in by_task["repeat"])
    for entry in by_task["rename"]:  # the same sentence but for one word: the new name
        new_name = entry["instruction"].split()[-1].rstrip(".")
        changed = [(old, new) for old, new in zip(entry["input"].split(), entry["output"].split()) if old != new]
        assert len(entry["input"].split()) == len(entry["output"].split()), entry
        assert len(changed) == 1 and changed[0][1].strip(",.") == new_name, entry
