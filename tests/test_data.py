"""The course's data sets: shipped files equal what the seeded generators make."""

import itertools
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


def test_dog_planet_uses_six_words_and_follows_its_chain():
    lines = data.load_dog_planet().splitlines()
    words = [line.replace("，", " ").rstrip("。").split() for line in lines]
    assert {w for sentence in words for w in sentence} == set(dog_planet.WORDS)
    assert all(sentence[0] == "我" and sentence[-1] in dog_planet.ACTIONS for sentence in words)
    counts = Counter((a, b) for sentence in words for a, b in itertools.pairwise(sentence))
    for (previous, following), _n in counts.items():
        assert following in dog_planet.TRANSITIONS[previous], (previous, following)
    for previous, row in dog_planet.TRANSITIONS.items():
        assert abs(sum(row.values()) - 1) < 1e-12
        total = sum(counts[(previous, following)] for following in dog_planet.WORDS)
        for following, p in row.items():
            assert abs(counts[(previous, following)] / total - p) < 0.05, (previous, following)


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
