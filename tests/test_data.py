"""The course's data sets: shipped files equal what the seeded generators make."""

import re
from collections import Counter

import pytest

from autograder import data
from autograder.data import dog_planet, stories


@pytest.mark.parametrize("name", sorted(data.GENERATORS))
def test_shipped_file_is_what_the_generator_makes(name, tmp_path):
    data.write_shipped_files(tmp_path)
    shipped = (data.Path(data.__file__).parent / name).read_bytes()
    assert (tmp_path / name).read_bytes() == shipped, "regenerate with: python -m autograder.data"


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
    counts = Counter((a, b) for sentence in words for a, b in zip(sentence, sentence[1:]))
    for (previous, following), n in counts.items():
        assert following in dog_planet.TRANSITIONS[previous], (previous, following)
    for previous, row in dog_planet.TRANSITIONS.items():
        assert abs(sum(row.values()) - 1) < 1e-12
        total = sum(counts[(previous, following)] for following in dog_planet.WORDS)
        for following, p in row.items():
            assert abs(counts[(previous, following)] / total - p) < 0.05, (previous, following)
