"""A seeded generator of instruction examples: the instruction fine-tuning data set.

Six tasks ask about one sentence in the words of the stories (autograder.materials.data.stories): a
child, an animal and a place; their answers are exact and short, mostly copied from the input, so
that a tiny GPT pretrained on the stories can learn them in a minute. A seventh task translates a
short sentence of the dog-planet language (autograder.materials.data.dog_planet) into English, word
pattern by word pattern. Every task has a fixed wording. All randomness comes from one random.Random.
"""

import json
import random
import re

from autograder.materials.data import dog_planet
from autograder.materials.data.stories import (
    ANIMAL_ADJECTIVES,
    ANIMALS,
    BOY_NAMES,
    DAY_ADJECTIVES,
    DAY_TIMES,
    GIRL_NAMES,
    KID_ADJECTIVES,
    PET_NAMES,
    PLACES,
    with_article,
)

DEFAULT_SEED = 4321
ENTRIES_PER_TASK = 250
MAX_DOG_PLANET_WORDS = 9  # short sentences: up to three clauses, at most 16 words of English

# Every sentence names the child once, shows whether it is a boy or a girl, has one animal and one place.
SENTENCES = (
    "{kid_intro} went {go_to} with {his} pet {animal}.",
    "One {day}, {name} took {his} {animal} {go_to}.",
    "{name} went {go_to}, and {he} saw {animal_intro} there.",
    "{kid_intro} and {animal_intro} went {go_to}.",
    "{name} and {his} {animal} ran {go_to} to {activity}.",
    "{kid_intro} followed {a_animal} {go_to}.",
    "On {a_day}, {name} and {his} {animal} went {go_to}.",
)

# The instruction of each task; "{new_name}" is filled per entry.
INSTRUCTIONS = {
    "name": "What is the name of the child in this sentence?",
    "animal": "Which animal is in this sentence?",
    "place": "Where did the child go?",
    "gender": "Is the child a boy or a girl?",
    "repeat": "Repeat the sentence.",
    "rename": "Replace the name of the child with {new_name}.",
    "translate": "Translate the dog-planet sentence into English.",
}


def task_of(instruction: str) -> str:
    """The task (a key of INSTRUCTIONS) that an instruction belongs to."""
    for task, wording in INSTRUCTIONS.items():
        if re.fullmatch(re.escape(wording).replace(r"\{new_name\}", r"\w+"), instruction):
            return task
    raise ValueError(f"not an instruction of this data set: {instruction!r}")


def sentence_words(rng: random.Random) -> dict:
    """Pick a child, an animal, a place and the other words a sentence template can ask for."""
    gender, names, pronouns = rng.choice((("boy", BOY_NAMES, ("he", "his")), ("girl", GIRL_NAMES, ("she", "her"))))
    kid = f"{rng.choice(KID_ADJECTIVES)} {gender}" if rng.random() < 0.5 else gender
    animal = rng.choice(ANIMALS)
    animal_with_adjective = f"{rng.choice(ANIMAL_ADJECTIVES)} {animal}"
    place = rng.choice(PLACES)
    day = f"{rng.choice(DAY_ADJECTIVES)} {rng.choice(DAY_TIMES)}"
    return {
        "gender": gender,
        "names": names,
        "name": rng.choice(names),
        "a_kid": with_article(kid),
        "he": pronouns[0],
        "his": pronouns[1],
        "animal": animal,
        "a_animal": with_article(animal_with_adjective),
        "animal_intro": f"{with_article(animal_with_adjective)} named {rng.choice(PET_NAMES)}",
        "go_to": place.go_to,
        "activity": rng.choice(place.activities),
        "day": day,
        "a_day": with_article(day),
    }


def render(template: str, words: dict) -> str:
    """The sentence with its first letter capitalized."""
    sentence = template.format_map({**words, "kid_intro": f"{words['a_kid']} named {words['name']}"})
    return sentence[0].upper() + sentence[1:]


def dog_planet_sentence(rng: random.Random, taken: set[str]) -> str:
    """A short sentence of the dog-planet language, drawn by its own generator, not one in ``taken``.

    Distinct sentences keep the held-out translations unseen in training: the short ones would repeat.
    """
    while True:
        sentence = dog_planet.render(dog_planet.generate_words(rng, min_words=rng.randint(3, MAX_DOG_PLANET_WORDS)))
        if len(dog_planet.words_of(sentence)) <= MAX_DOG_PLANET_WORDS and sentence not in taken:
            taken.add(sentence)
            return sentence


def make_entry(rng: random.Random, task: str, translated: set[str]) -> dict:
    """One example of a task on a fresh random sentence; ``translated`` holds the dog-planet sentences so far."""
    if task == "translate":
        sentence = dog_planet_sentence(rng, translated)
        return {"instruction": INSTRUCTIONS[task], "input": sentence, "output": dog_planet.translate(sentence)}
    template = rng.choice(SENTENCES)
    words = sentence_words(rng)
    sentence = render(template, words)
    new_name = rng.choice([name for name in words["names"] if name != words["name"]])  # same gender: pronouns fit
    answers = {
        "name": words["name"],
        "animal": f"the {words['animal']}",
        "place": "the " + words["go_to"].split(" the ", 1)[1],  # "down to the river" -> "the river"
        "gender": f"a {words['gender']}",
        "repeat": sentence,
        "rename": render(template, {**words, "name": new_name}),
    }
    return {"instruction": INSTRUCTIONS[task].format(new_name=new_name), "input": sentence, "output": answers[task]}


def generate_entries(entries_per_task: int = ENTRIES_PER_TASK, seed: int = DEFAULT_SEED) -> list[dict]:
    """entries_per_task examples of every task, in a seeded shuffled order."""
    rng = random.Random(seed)
    tasks = [task for task in INSTRUCTIONS for _ in range(entries_per_task)]
    rng.shuffle(tasks)
    translated = set()
    return [make_entry(rng, task, translated) for task in tasks]


def generate_corpus(entries_per_task: int = ENTRIES_PER_TASK, seed: int = DEFAULT_SEED) -> str:
    """The entries as a JSON list of {"instruction", "input", "output"} objects."""
    return json.dumps(generate_entries(entries_per_task, seed), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    for entry in generate_entries(1)[:6]:
        print(entry)
