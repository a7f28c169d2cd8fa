"""A seeded generator of short, simple English stories: the course's training text.

Each story has a hero (a child or a small animal) in a place, a small problem, a friend who
talks with the hero, a way out and an ending. Word lists are small, so a tokenizer and a
small GPT trained on a laptop can learn the language; templates and combinations are many,
so the text is not a handful of sentences repeated.
"""

import random

DEFAULT_SEED = 1234

# (how the story introduces them, short name, pronoun)
CHILDREN = (("a girl named Mia", "Mia", "she"), ("a boy named Tom", "Tom", "he"), ("a girl named Lily", "Lily", "she"),
            ("a boy named Ben", "Ben", "he"), ("a girl named Anna", "Anna", "she"), ("a boy named Leo", "Leo", "he"),
            ("a girl named Zoe", "Zoe", "she"), ("a boy named Sam", "Sam", "he"))
ANIMALS = (("a little fox named Pip", "Pip", "he"), ("a small rabbit named Bun", "Bun", "she"),
           ("an old dog named Max", "Max", "he"), ("a tiny bird named Kiki", "Kiki", "she"),
           ("a brown bear named Bruno", "Bruno", "he"), ("a young cat named Luna", "Luna", "she"),
           ("a slow turtle named Tim", "Tim", "he"), ("a happy duck named Daisy", "Daisy", "she"))
PRONOUNS = {"he": {"he": "he", "his": "his", "him": "him"}, "she": {"he": "she", "his": "her", "him": "her"}}

# place: (the phrase after "in"/"at", things one finds there)
PLACES = {
    "park": ("in the park", ("a big tree", "a red swing", "a long slide", "a green bench")),
    "forest": ("in the forest", ("a tall tree", "an old log", "a small pond", "a bush with berries")),
    "river": ("by the river", ("a flat stone", "a wooden bridge", "a little boat", "a patch of tall grass")),
    "farm": ("on the farm", ("a red barn", "a field of corn", "a muddy pond", "a pile of hay")),
    "beach": ("at the beach", ("a sand castle", "a big rock", "a pool of water", "a pile of shells")),
    "garden": ("in the garden", ("a row of flowers", "an apple tree", "a small fence", "a watering can")),
    "hill": ("on the hill", ("a windy path", "a tall tree", "a flat rock", "a field of flowers")),
    "town": ("in the town", ("a small shop", "a busy street", "a quiet corner", "a blue door")),
}
WEATHER = ("The sun was warm and bright.", "It was a rainy day.", "The wind was cold.", "The sky was blue.",
           "It was a quiet morning.", "It was late in the afternoon.", "Snow covered the ground.",
           "Big gray clouds moved across the sky.")
COLORS = ("red", "blue", "green", "yellow", "little", "shiny", "old", "new")
TOYS = ("ball", "kite", "hat", "book", "box", "cup", "drum", "bell", "toy boat", "blanket")
FOODS = ("an apple", "some bread", "a big carrot", "some berries", "a piece of cake", "some soup", "a warm cookie")
FEELINGS_GOOD = ("happy", "glad", "proud", "excited", "thankful")
FEELINGS_BAD = ("sad", "worried", "scared", "tired", "upset")
ENDINGS = ("From that day on, {name} and {friend} were the best of friends.",
           "That night, {name} went to sleep with a big smile.",
           "{Name} learned that it is good to ask for help.",
           "{Name} learned that a friend can make a hard day easy.",
           "It was the best day {he} had had in a long time.",
           "The next day, they played together again.",
           "And {name} was never {bad} about it again.",
           "{Name} thanked {friend} and went home {good}.")


class Cast:
    """The hero and the friend, with the words that refer to each."""

    def __init__(self, rng: random.Random):
        hero, friend = rng.sample(CHILDREN + ANIMALS, 2)
        self.hero_intro, self.name, pronoun = hero
        self.friend_intro, self.friend, friend_pronoun = friend
        self.words = {"name": self.name, "friend": self.friend, **PRONOUNS[pronoun],
                      **{"f" + key: value for key, value in PRONOUNS[friend_pronoun].items()},
                      "good": rng.choice(FEELINGS_GOOD), "bad": rng.choice(FEELINGS_BAD)}

    def say(self, template: str, **extra) -> str:
        """Fill a template; {Name}-style keys give the capitalized word."""
        words = {**self.words, **extra}
        words.update({key[0].upper() + key[1:]: value[0].upper() + value[1:] for key, value in words.items()})
        return template.format(**words)


def beginning(rng: random.Random, cast: Cast, place: str) -> list[str]:
    where, things = PLACES[place]
    opening = rng.choice(("Once upon a time, there was {intro}.", "There was once {intro}.",
                          "One day, {intro} was playing {where}.", "{Intro} lived near the {place}."))
    sentences = [cast.say(opening, intro=cast.hero_intro, where=where, place=place)]
    sentences.append(rng.choice(WEATHER))
    sentences.append(cast.say(rng.choice(("{Name} liked to play near {thing}.", "{He} saw {thing} and ran to it.",
                                          "{Name} sat down next to {thing}.", "{He} walked past {thing}.")),
                              thing=rng.choice(things)))
    sentences.append(cast.say(rng.choice(ACTIVITIES)))
    return [sentence for sentence in sentences if sentence]


def problem_lost(rng: random.Random, cast: Cast, place: str) -> tuple[list[str], list[str]]:
    thing = f"{rng.choice(COLORS)} {rng.choice(TOYS)}"
    hiding = rng.choice(PLACES[place][1])
    trouble = [cast.say("Then {name} saw that {his} {thing} was gone.", thing=thing),
               cast.say("{He} looked everywhere, but {he} could not find it.", thing=thing),
               cast.say("{Name} felt {bad}.")]
    talk = [cast.say('"Why are you {bad}?" asked {friend}.'),
            cast.say('"I lost my {thing}," said {name}.', thing=thing),
            cast.say('"Do not worry. I will help you look," said {friend}.')]
    fix = [cast.say("Together they looked near {hiding}.", hiding=hiding),
           cast.say("There it was! {Friend} found the {thing} and gave it back.", thing=thing)]
    return trouble, talk + fix


def problem_hungry(rng: random.Random, cast: Cast, place: str) -> tuple[list[str], list[str]]:
    food = rng.choice(FOODS)
    trouble = [cast.say("After a long walk, {name} was very hungry."),
               cast.say("{He} had no food with {him}.")]
    talk = [cast.say('"I am so hungry," said {name}.'),
            cast.say('"I have {food}. We can share it," said {friend}.', food=food),
            cast.say('"Thank you!" said {name}.')]
    fix = [cast.say("They sat down and ate {food} together.", food=food),
           cast.say("It tasted very good, and {name} felt {good} again.")]
    return trouble, talk + fix


def problem_stuck(rng: random.Random, cast: Cast, place: str) -> tuple[list[str], list[str]]:
    thing = f"{rng.choice(COLORS)} {rng.choice(('kite', 'ball', 'hat'))}"
    trouble = [cast.say("The wind took {his} {thing} up into a tall tree.", thing=thing),
               cast.say("{Name} could not reach it. {He} was too small.")]
    talk = [cast.say('"Can you help me?" asked {name}.'),
            cast.say('"Yes, I can," said {friend}. "Let us try together."')]
    fix = [cast.say(rng.choice(("{Friend} found a long stick and pushed the {thing} down.",
                                "{Friend} climbed up the tree and brought the {thing} down.",
                                "They shook the tree until the {thing} fell down.")), thing=thing),
           cast.say("{Name} was so {good}.")]
    return trouble, talk + fix


def problem_scared(rng: random.Random, cast: Cast, place: str) -> tuple[list[str], list[str]]:
    fear = rng.choice(("the dark", "the big storm", "the loud thunder", "the deep water", "the long night"))
    trouble = [cast.say("Soon {name} was afraid of {fear}.", fear=fear),
               cast.say("{He} did not want to be alone.")]
    talk = [cast.say('"I am scared," said {name}.'),
            cast.say('"I am here with you," said {friend}. "We can be brave together."'),
            cast.say('"Will you stay with me?" asked {name}.'), cast.say('"Of course," said {friend}.')]
    fix = [cast.say("{Friend} sang a soft song, and they waited together."),
           cast.say("After a while, {fear} did not seem so bad.", fear=fear)]
    return trouble, talk + fix


def problem_build(rng: random.Random, cast: Cast, place: str) -> tuple[list[str], list[str]]:
    thing = rng.choice(("a tower", "a little house", "a bridge", "a boat", "a snowman", "a castle"))
    stuff = rng.choice(("sticks", "stones", "boxes", "blocks", "leaves", "sand"))
    trouble = [cast.say("{Name} wanted to build {thing} out of {stuff}.", thing=thing, stuff=stuff),
               cast.say("But every time, it fell down."), cast.say("{Name} felt {bad}.")]
    talk = [cast.say('"What are you making?" asked {friend}.'),
            cast.say('"I want to build {thing}, but it keeps falling," said {name}.', thing=thing),
            cast.say('"Let me help. Put the big {stuff} at the bottom," said {friend}.', stuff=stuff)]
    fix = [cast.say("They tried again, slowly and carefully."),
           cast.say("This time, {thing} stood tall and strong.", thing=thing)]
    return trouble, talk + fix


def problem_rain(rng: random.Random, cast: Cast, place: str) -> tuple[list[str], list[str]]:
    plan = rng.choice(("have a picnic", "fly a kite", "play ball", "look for shells", "paint a picture"))
    trouble = [cast.say("{Name} wanted to {plan}.", plan=plan),
               cast.say("But then it began to rain, and the rain did not stop."),
               cast.say("{Name} sat under a tree and felt {bad}.")]
    talk = [cast.say('"The rain will stop soon," said {friend}. "Come with me."'),
            cast.say('"Where are we going?" asked {name}.'),
            cast.say('"{where}," said {friend}. "It is dry there."',
                     where=rng.choice(("To my house", "To the old barn", "Under the big bridge", "To the little shop")))]
    fix = [cast.say("They waited there and told each other funny stories."),
           cast.say("When the sun came out, they went to {plan} together.", plan=plan)]
    return trouble, talk + fix


def problem_lonely(rng: random.Random, cast: Cast, place: str) -> tuple[list[str], list[str]]:
    game = rng.choice(("hide and seek", "tag", "catch", "a jumping game", "a guessing game"))
    trouble = [cast.say("{Name} was new here and did not know anyone."),
               cast.say("{He} wanted to play {game}, but {he} had nobody to play with.", game=game)]
    talk = [cast.say('"Hello! What is your name?" asked {friend}.'),
            cast.say('"My name is {name}," said {name}. "Do you want to play {game}?"', game=game),
            cast.say('"I love {game}!" said {friend}.', game=game)]
    fix = [cast.say("They played {game} until it was time to go home.", game=game),
           cast.say("{Name} was not {bad} anymore.")]
    return trouble, talk + fix


PROBLEMS = (problem_lost, problem_hungry, problem_stuck, problem_scared, problem_build, problem_rain, problem_lonely)
ACTIVITIES = ("{He} ran and jumped and laughed.", "{He} counted the birds in the sky.", "{He} sang a little song.",
              "{He} picked up a stick and drew in the dirt.", "{He} was looking for something fun to do.",
              "{He} watched the clouds for a while.", "{He} was thinking about a good idea.", "")


def generate_story(rng: random.Random) -> str:
    """One story on a single line."""
    cast = Cast(rng)
    place = rng.choice(sorted(PLACES))
    trouble, rest = rng.choice(PROBLEMS)(rng, cast, place)
    meeting = cast.say(rng.choice(("Just then, {fintro} came by.", "Then {fintro} walked up to {him}.",
                                   "{Fintro} heard {him} and came over.")),
                       fintro=cast.friend_intro if rng.random() < 0.5 else cast.friend)
    ending = cast.say(rng.choice(ENDINGS))
    return " ".join(beginning(rng, cast, place) + trouble + [meeting] + rest + [ending])


def generate_stories(n_stories: int, seed: int = DEFAULT_SEED) -> list[str]:
    rng = random.Random(seed)
    return [generate_story(rng) for _ in range(n_stories)]


def generate_corpus(target_bytes: int = 1_000_000, seed: int = DEFAULT_SEED) -> str:
    """Stories separated by blank lines, until the text has at least ``target_bytes`` bytes."""
    rng = random.Random(seed)
    stories, size = [], 0
    while size < target_bytes:
        stories.append(generate_story(rng))
        size += len(stories[-1]) + 2
    return "\n\n".join(stories) + "\n"


if __name__ == "__main__":
    for story in generate_stories(3):
        print(story, end="\n\n")
