"""A seeded generator of short, simple English stories: the course's training text.

Each story has a hero (a child, a small animal or a pair of friends) in a place, a small
problem, some talk, a way out and an ending. Word lists are small, so a tokenizer and a small
GPT trained on a laptop can learn the language; templates and combinations are many, so the
text is not a handful of sentences repeated. All randomness comes from one random.Random.
"""

import random
import re
from typing import NamedTuple

DEFAULT_SEED = 1234
MIN_SENTENCES, MAX_SENTENCES = 6, 10  # the range a story is trimmed to

BOY_NAMES = ("Tom", "Sam", "Ben", "Leo", "Max", "Jack", "Finn", "Eli", "Owen", "Luke", "Theo", "Omar", "Kai")
GIRL_NAMES = ("Lily", "Mia", "Anna", "Lucy", "Emma", "Zoe", "Ella", "Rosa", "Nina", "Ruby", "Ivy", "Maya", "Lena")
PET_NAMES = (
    "Pip",
    "Dot",
    "Bo",
    "Coco",
    "Spot",
    "Fluff",
    "Nutmeg",
    "Pebble",
    "Button",
    "Sunny",
    "Hazel",
    "Bramble",
    "Rusty",
    "Clover",
    "Biscuit",
    "Ziggy",
    "Maple",
    "Puddle",
)
KID_ADJECTIVES = ("little", "young", "kind", "brave", "curious", "happy", "shy", "clever", "cheerful", "busy")
ANIMAL_ADJECTIVES = (
    "little",
    "small",
    "happy",
    "tiny",
    "brave",
    "shy",
    "curious",
    "sleepy",
    "clever",
    "friendly",
    "gentle",
    "funny",
    "young",
    "spotted",
)
ANIMALS = (
    "fox",
    "rabbit",
    "bear",
    "cat",
    "dog",
    "duck",
    "owl",
    "mouse",
    "frog",
    "pig",
    "goat",
    "lamb",
    "squirrel",
    "turtle",
    "hen",
    "puppy",
    "kitten",
    "bunny",
    "elephant",
    "otter",
    "hedgehog",
    "goose",
    "deer",
    "bird",
)
IRREGULAR_PLURALS = {"mouse": "mice", "goose": "geese", "deer": "deer"}
FAMILY = (("mom", "she"), ("dad", "he"), ("grandma", "she"), ("grandpa", "he"))

# subject, object, possessive, reflexive, past of "to be"; then "I", "me", "my", "am" when they talk
PRONOUNS = {
    "he": ("he", "him", "his", "himself", "was", "I", "me", "my", "am"),
    "she": ("she", "her", "her", "herself", "was", "I", "me", "my", "am"),
    "they": ("they", "them", "their", "themselves", "were", "we", "us", "our", "are"),
}
PRONOUN_KEYS = ("he", "him", "his", "himself", "was", "I", "me", "my", "am")


class Place(NamedTuple):
    go_to: str  # "to the park"
    at: str  # "in the park"
    spots: tuple  # things to look behind or under
    high: str  # where things get stuck
    shelter: str  # where to hide from the rain ("" indoors)
    activities: tuple


PLACES = (
    Place(
        "to the park",
        "in the park",
        ("the old bench", "the slide", "the swings", "the big oak tree"),
        "high up in the big oak tree",
        "under the big oak tree",
        ("play on the swings", "run on the soft grass", "slide down the slide", "feed the ducks"),
    ),
    Place(
        "into the forest",
        "in the forest",
        ("a fallen log", "a mossy rock", "a thick bush", "a tall pine tree"),
        "on a high branch of a pine tree",
        "into a small cave",
        ("pick berries", "listen to the birds", "walk under the tall trees", "look for pine cones"),
    ),
    Place(
        "down to the river",
        "by the river",
        ("the old bridge", "a big flat rock", "the tall reeds", "a little boat"),
        "high in a willow tree by the water",
        "under the old bridge",
        ("throw stones into the water", "watch the fish swim", "sail paper boats", "sit on the grassy bank"),
    ),
    Place(
        "to the farm",
        "on the farm",
        ("the red barn", "a pile of hay", "the wooden fence", "the chicken house"),
        "on the roof of the chicken house",
        "inside the red barn",
        ("feed the hens", "play in the hay", "say hello to the cows", "ride in the old cart"),
    ),
    Place(
        "into the kitchen",
        "in the kitchen",
        ("the table", "the big chair", "the stove", "the bread box"),
        "on top of the tall cupboard",
        "",
        ("help make soup", "bake cookies", "wash the cups", "stir the pancake batter"),
    ),
    Place(
        "to the beach",
        "at the beach",
        ("a big rock", "a pile of seaweed", "an old boat", "a striped towel"),
        "on top of a tall rock",
        "under a big striped umbrella",
        ("build sand castles", "look for shells", "splash in the waves", "dig holes in the sand"),
    ),
    Place(
        "to the school yard",
        "in the school yard",
        ("the slide", "the sand box", "the big gate", "the bike rack"),
        "on the roof of the little shed",
        "under the roof by the door",
        ("play tag", "draw with chalk", "jump rope", "swing on the bars"),
    ),
    Place(
        "out to the garden",
        "in the garden",
        ("the carrot patch", "a flower pot", "the shed", "the rose bush"),
        "high in the apple tree",
        "inside the little shed",
        ("water the flowers", "dig in the dirt", "pick ripe tomatoes", "watch the butterflies"),
    ),
    Place(
        "to the meadow",
        "in the meadow",
        ("a big rock", "an old tree stump", "a patch of daisies", "a stone wall"),
        "in a tall tree at the edge of the meadow",
        "under a wide old tree",
        ("pick flowers", "roll down the hill", "chase butterflies", "look at the clouds"),
    ),
    Place(
        "to the pond",
        "by the pond",
        ("the wooden dock", "a big rock", "the tall reeds", "a willow tree"),
        "in the branches of the willow tree",
        "under the willow tree",
        ("watch the frogs jump", "feed the ducks", "look at the fish", "skip stones"),
    ),
)

DAY_ADJECTIVES = ("sunny", "warm", "windy", "bright", "cool", "quiet", "lovely", "cloudy", "fine")
DAY_TIMES = ("morning", "afternoon", "day", "spring morning", "summer day", "autumn afternoon")
COLORS = ("red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "shiny", "striped", "little", "new")
FOODS = ("apples", "cookies", "sandwich", "berries", "bread and cheese", "carrots", "honey cake", "grapes", "plums")
GAMES = ("tag", "hide and seek", "catch", "leapfrog", "follow the leader", "ring around the rosy")
SKILLS = (
    "whistle",
    "jump rope",
    "hop on one foot",
    "count to twenty",
    "catch a ball",
    "ride a bike",
    "skip stones",
    "climb a tree",
    "do a cartwheel",
    "fly a kite",
    "build a tall tower of blocks",
    "sing a new song",
    "draw a big star",
    "stand on one leg",
)
SCARY_THINGS = ("heard a strange noise", "heard a loud rustling sound", "saw a big dark shadow", "saw something move")
HARMLESS_THINGS = (
    "a little mouse looking for crumbs",
    "a kitten chasing its own tail",
    "a baby bird learning to fly",
    "a puppy playing with a stick",
    "a friendly frog",
    "a hedgehog looking for a snack",
)

OPENINGS = (
    "Once upon a time, there was {h_intro}. One {day}, {he} went {go_to}.",
    "One {day}, {h_intro} went {go_to}.",
    "It was {a_day}, and {h_intro} {was} playing {at}.",
    "{h_intro} went {go_to} on {a_day}.",
    "On {a_day}, {h_intro} went {go_to} to {activity}.",
)
SETTINGS = (
    "{he} loved to {activity}.",
    "{H} liked to {activity} more than anything.",
    "The sky was blue, and the birds were singing.",
    "{H} {was} very happy that day.",
    "Every day, {H} liked to {activity}.",
)
FEELINGS = (
    "{he} felt very {mood}.",
    "{H} {was} {mood} and did not know what to do.",
    "{he} sat down on the ground, feeling {mood}.",
)
ARRIVALS = (
    "Just then, {f_intro} came by.",
    "Soon, {f_intro} came along.",
    "At that moment, {f_intro} walked over.",
    "{f_intro} saw {him} and came closer.",
    "Luckily, {f_intro} was nearby.",
)
ASKS = (
    "What is wrong?",
    "Why are you so {mood}?",
    "Are you okay?",
    "What happened?",
    "Can I help you?",
    "Hello, is something wrong?",
)
THANKS = ("Thank you{f_voc}!", "Thank you so much{f_voc}!", "You are a good friend{f_voc}.")
WELCOMES = ("You are welcome.", "That is what friends are for.", "I was happy to help.")
HERO_ENDINGS = (
    "That night, {he} fell asleep with a big smile.",
    "{H} smiled, because it had been a wonderful day.",
    "It was the best day ever.",
    "{H} felt happy all day long.",
    "{H} would always remember that {day}.",
)
FRIEND_ENDINGS = (
    "Then {both} went home together, happy and tired.",
    "{H} gave {F} a big hug.",
    "{both} laughed and laughed.",
    "{H} {was} glad that {F} had come by.",
)

# Each problem: objects it may use, moods, what goes wrong, what the hero says, what the
# friend offers, how it is fixed, what the hero says and does alone ("self", "solo", optional)
# and a last thought before the ending ("after").
PROBLEMS = {
    "lost": {
        "objects": ("ball", "hat", "book", "scarf", "teddy bear", "toy car", "mitten", "shoe", "bucket", "whistle"),
        "mood": ("sad", "worried", "upset"),
        "trouble": (
            "{H} could not find {his} {obj} anywhere.",
            "Suddenly, {H} saw that {his} {obj} was gone.",
            "{H} looked for {his} {obj}, but it was not there.",
        ),
        "answer": (
            "{I} lost {my} {obj}.",
            "{my} {obj} is gone. {I} can't find it anywhere.",
            "{I} can't find {my} {objn}.",
        ),
        "offer": (
            "Don't worry. I will help you look for it.",
            "Let's look for it together.",
            "Two pairs of eyes are better than one!",
        ),
        "fix": (
            "They looked near {spot}, and then they looked {hide}. There was the {objn}!",
            "{F} looked {hide} and found the {objn} right away.",
            "Together they searched everywhere. At last, {H} saw the {objn} {hide}.",
        ),
        "self": ("Where did {my} {objn} go?", "Oh no, where is {my} {objn}?"),
        "solo": (
            "{he} looked near {spot}, and then {he} looked {hide}. There was the {objn}!",
            "{H} searched and searched. At last, {he} found the {objn} {hide}.",
        ),
        "after": ("After that, {H} always took good care of {his} {objn}.",),
    },
    "stuck": {
        "objects": ("kite", "hat", "balloon", "scarf", "paper plane", "ribbon"),
        "mood": ("sad", "upset"),
        "trouble": (
            "{H} {was} playing with {his} {obj} when it got stuck {high}.",
            "{H} tossed {his} {obj} up into the air, and it landed {high}.",
            "Oh no, {his} {obj} was stuck {high}!",
        ),
        "answer": ("{my} {objn} is stuck up there, and {I} can't reach it.", "{I} can't get {my} {objn} down."),
        "offer": ("I have an idea.", "I think I can help you.", "Don't worry. We will get it back."),
        "fix": (
            "{F} found a long stick and gently pushed the {objn} down.",
            "{F} got a long stick. With one little push, the {objn} fell down.",
            "{F} stood on a big box and reached up high. Soon {H} had {his} {objn} back.",
        ),
        "after": ("After that, {H} {was} more careful with {his} {objn}.",),
    },
    "broken": {
        "objects": ("toy boat", "toy car", "kite", "wagon", "toy train", "drum", "bucket", "cup"),
        "mood": ("sad", "upset"),
        "setup": ("{H} had brought {his} {obj} along.", "{H} had {a_obj} that {he} loved very much."),
        "trouble": (
            "{H} dropped {his} {obj}, and it broke.",
            "With a loud crack, {his} {obj} broke into two pieces.",
            "Then {H} saw that {his} {obj} was broken.",
        ),
        "answer": ("{my} {objn} is broken.", "{I} broke {my} {objn}, and now {I} can't play with it."),
        "offer": ("Let me see. I think we can fix it.", "Don't be sad. We can fix it together."),
        "fix": (
            "{F} helped {him} fix the {objn} with some {fixer}.",
            "Together, they fixed the {objn} with a little {fixer}. Soon it was as good as new.",
            "{F} knew just what to do and fixed the {objn} with some {fixer}.",
        ),
        "after": ("{H} learned that broken things can often be fixed.",),
    },
    "wish": {
        "mood": ("sad", "upset", "quiet"),
        "trouble": (
            "{H} wanted to {skill}, but {he} did not know how.",
            "{H} tried to {skill}, but it was too hard.",
            "All {his} friends could {skill}, but {H} could not.",
        ),
        "answer": ("{I} want to {skill}, but {I} don't know how.", "{I} tried to {skill}, but {I} can't do it."),
        "offer": ("I can show you how.", "It is not so hard. Watch me!", "Let's practice together."),
        "fix": (
            "{F} showed {him} how to do it, step by step. Soon {H} could {skill} too!",
            "They practiced together again and again. At last, {H} could {skill}!",
            "{F} showed {him} a little trick. {he} tried once more, and this time it worked!",
        ),
        "self": ("{I} will keep trying!", "{I} will not give up."),
        "solo": (
            "{he} tried again and again. At last, {he} could {skill}!",
            "{H} practiced every day. One day, {he} could {skill} all by {himself}.",
        ),
        "after": ("{H} learned that practice makes things easier.", "{H} felt very proud."),
    },
    "afraid": {
        "mood": ("scared", "afraid", "nervous"),
        "trouble": ("Suddenly, {H} {scary} {hide}.", "Then {H} {scary} {hide}."),
        "answer": ("There is something {hide}. {I} {am} scared!", "{I} {am} scared of what is {hide}."),
        "offer": (
            "Let's go and look together.",
            "Don't be scared. I am here with you.",
            "Stay close to me, and we will look together.",
        ),
        "fix": (
            "They walked over slowly and looked. It was only {harmless}!",
            "{F} walked with {him}, and they peeked {hide}. It was only {harmless}!",
        ),
        "self": ("{I} will be brave.", "{I} {am} not afraid."),
        "solo": (
            "{he} took a deep breath and walked closer. It was only {harmless}!",
            "{H} peeked {hide} very slowly. It was only {harmless}.",
        ),
        "after": (
            "{H} learned that things are often less scary than they seem.",
            "{H} laughed. There was nothing to be scared of after all.",
        ),
    },
    "hungry": {
        "mood": ("tired", "sad"),
        "trouble": (
            "Soon {H} {was} very hungry, but there was nothing to eat.",
            "After a while, {H} felt hungry, but {he} had no food.",
        ),
        "answer": ("{I} {am} so hungry, and {I} have nothing to eat.", "{I} {am} hungry, but there is no food here."),
        "offer": ("I have plenty. You can share with me!", "Here, take some of mine."),
        "fix": ("{F} shared {fhis} {food} with {him}.", "They sat down {at} and shared {fhis} {food}."),
        "after": ("{H} learned that sharing makes everyone happy.", "The food tasted better because they shared it."),
    },
    "lonely": {
        "mood": ("lonely", "sad", "bored"),
        "trouble": (
            "{H} wanted to play, but there was no one to play with.",
            "All {his} friends were busy, so {H} {was} all alone.",
        ),
        "answer": ("{I} have no one to play with.", "{I} {am} all alone, and {I} want a friend."),
        "offer": ("I can play with you!", "Do you want to play {game} with me?"),
        "fix": (
            "They played {game} all afternoon.",
            "Soon they were laughing and playing {game} together.",
            "{both} played {game} until the sun went down.",
        ),
        "after": ("From that day on, {both} were the best of friends.", "{H} had made a new friend."),
    },
    "rain": {
        "mood": ("cold", "wet", "upset"),
        "trouble": (
            "Suddenly, dark clouds covered the sun, and it began to rain.",
            "Then the sky turned gray, and big drops of rain began to fall.",
        ),
        "answer": ("{I} {am} getting all wet!", "Oh no, it is raining, and {I} have no coat!"),
        "offer": ("Come with me! I know a dry place.", "Quick, follow me!"),
        "fix": (
            "They ran {shelter} and waited until the rain stopped.",
            "{both} hurried {shelter}, where it was warm and dry.",
        ),
        "self": ("Oh no, {I} will get all wet!",),
        "solo": ("{he} ran {shelter} and waited until the rain stopped.",),
        "after": ("When the rain stopped, a big rainbow filled the sky.", "Soon the sun came out again."),
    },
}


class Character(NamedTuple):
    intro: str  # first mention: "a little fox named Pip"
    ref: str  # later mentions: "Pip", "the owl", "Mom"
    voc: str  # how others call them: "Pip", or "" when they have no name
    pronoun: str  # "he", "she" or "they"


def with_article(phrase: str) -> str:
    """'apple' -> 'an apple', 'red ball' -> 'a red ball'."""
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def plural(noun: str) -> str:
    """'fox' -> 'foxes', 'puppy' -> 'puppies', 'mouse' -> 'mice'."""
    if noun in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def pick_name(rng: random.Random, names: tuple, taken: tuple) -> str:
    """A name from names that is not in taken."""
    return rng.choice([name for name in names if name not in taken])


def make_kid(rng: random.Random, taken: tuple) -> Character:
    """A boy or a girl with a name, e.g. 'a brave girl named Zoe'."""
    noun, names, pronoun = rng.choice((("boy", BOY_NAMES, "he"), ("girl", GIRL_NAMES, "she")))
    name = pick_name(rng, names, taken)
    noun = f"{rng.choice(KID_ADJECTIVES)} {noun}" if rng.random() < 0.5 else noun
    return Character(f"{with_article(noun)} named {name}", name, name, pronoun)


def make_animal(rng: random.Random, taken: tuple) -> Character:
    """An animal with a name, e.g. 'a little fox named Pip'."""
    name = pick_name(rng, PET_NAMES, taken)
    kind = f"{rng.choice(ANIMAL_ADJECTIVES)} {rng.choice(ANIMALS)}"
    return Character(f"{with_article(kind)} named {name}", name, name, rng.choice(("he", "she")))


def make_pair(rng: random.Random) -> Character:
    """Two heroes who act together as 'they'."""
    form = rng.randrange(3)
    if form == 2:
        first, second = rng.sample(PET_NAMES, 2)
        intro = f"two {rng.choice(ANIMAL_ADJECTIVES)} {plural(rng.choice(ANIMALS))} named {first} and {second}"
    else:
        first, second = rng.sample(BOY_NAMES + GIRL_NAMES, 2)
        intro = f"two friends named {first} and {second}"
    if form == 1:
        noun, his = ("boy", "his") if first in BOY_NAMES else ("girl", "her")
        sibling = "brother" if second in BOY_NAMES else "sister"
        intro = f"{with_article(noun)} named {first} and {his} {sibling} {second}"
    return Character(intro, f"{first} and {second}", "", "they")


def make_hero(rng: random.Random) -> Character:
    """The main character: a child, an animal or a pair of friends."""
    roll = rng.random()
    if roll < 0.4:
        return make_kid(rng, ())
    if roll < 0.85:
        return make_animal(rng, ())
    return make_pair(rng)


def make_helper(rng: random.Random, hero: Character, family_ok: bool) -> Character:
    """Someone who comes by and helps: a child, an animal, an unnamed animal or family."""
    taken = tuple(hero.ref.split(" and "))
    roll = rng.random()
    if roll < 0.3:
        return make_kid(rng, taken)
    if roll < 0.6:
        return make_animal(rng, taken)
    if roll < 0.8 or not family_ok:
        kind = rng.choice(ANIMALS)
        adjective = rng.choice(("old", "wise old", "friendly", "big", "kind"))
        return Character(with_article(f"{adjective} {kind}"), f"the {kind}", "", rng.choice(("he", "she")))
    member, pronoun = rng.choice(FAMILY)
    name = member.capitalize()
    return Character(f"{PRONOUNS[hero.pronoun][2]} {member}", name, name, pronoun)


def pronoun_words(character: Character, prefix: str = "") -> dict:
    """Template words for a character's pronouns: {he}, {his}, {was}, {I}, ... with a prefix."""
    return {prefix + key: word for key, word in zip(PRONOUN_KEYS, PRONOUNS[character.pronoun])}


def story_words(rng: random.Random, problem: dict, place: Place, hero: Character) -> dict:
    """Pick every word the story's templates can ask for."""
    day = f"{rng.choice(DAY_ADJECTIVES)} {rng.choice(DAY_TIMES)}"
    spot, other_spot = rng.sample(place.spots, 2)
    objn = rng.choice(problem.get("objects", ("ball",)))  # problems without objects never say {obj}
    obj = f"{rng.choice(COLORS)} {objn}" if rng.random() < 0.7 else objn
    words = {
        "H": hero.ref,
        "h_intro": hero.intro,
        "day": day,
        "a_day": with_article(day),
        "go_to": place.go_to,
        "at": place.at,
        "spot": spot,
        "hide": f"{rng.choice(('behind', 'under'))} {other_spot}",
        "high": place.high,
        "shelter": place.shelter,
        "activity": rng.choice(place.activities),
        "obj": obj,
        "objn": objn,
        "a_obj": with_article(obj),
        "skill": rng.choice(SKILLS),
        "food": rng.choice(FOODS),
        "game": rng.choice(GAMES),
        "fixer": rng.choice(("tape", "glue")),
        "scary": rng.choice(SCARY_THINGS),
        "harmless": rng.choice(HARMLESS_THINGS),
        "mood": rng.choice(problem["mood"]),
    }
    words.update(pronoun_words(hero))
    return words


def helper_words(helper: Character, hero: Character) -> dict:
    """Template words for the helper: {F}, {f_intro}, {fhis}, {f_voc}, {both}, ..."""
    heroes = hero.ref.replace(" and ", ", ") if hero.pronoun == "they" else hero.ref
    words = {
        "F": helper.ref,
        "f_intro": helper.intro,
        "f_voc": f", {helper.voc}" if helper.voc else "",
        "both": f"{heroes} and {helper.ref}",
    }
    words.update(pronoun_words(helper, "f"))
    return words


def say(rng: random.Random, who: str, line: str, verbs: tuple, inverted_ok: bool = True) -> str:
    """Put a spoken line in quotes with a speech tag, in one of a few orders.

    inverted_ok=False avoids 'said Tom and Mia' for a pair."""
    if line.endswith("?"):
        verb = "asked"
    elif line.endswith("!"):
        verb = rng.choice(("cried", "shouted", "said"))
    else:
        verb = rng.choice(verbs)
    first, _, rest = line.partition(". ")
    if rest and rng.random() < 0.5:
        return f'"{first}," {who} {verb}. "{rest}"'
    spoken = line[:-1] + "," if line.endswith(".") else line
    form = rng.randrange(3 if inverted_ok else 2)
    if form == 0:
        return f'{who} {verb}, "{line}"'
    if form == 1:
        return f'"{spoken}" {who} {verb}.'
    return f'"{spoken}" {verb} {who}.'


def helper_middle(rng: random.Random, problem: dict, inverted_ok: bool) -> list[tuple[str, bool]]:
    """The problem, a friend who asks and helps; as (template, optional) pairs."""
    verbs = ("said", "replied", "answered")
    ask = rng.choice(ASKS)
    if rng.random() < 0.5:
        meeting = [(rng.choice(ARRIVALS), False), (say(rng, "{F}", ask, verbs), False)]
    else:
        meeting = [(f'"{ask}" asked {{f_intro}}.', False)]
    thanks = say(rng, "{H}", rng.choice(THANKS), ("said",), inverted_ok)
    if rng.random() < 0.5:
        thanks += " " + say(rng, "{F}", rng.choice(WELCOMES), verbs)
    return [
        (rng.choice(SETTINGS + problem.get("setup", ())), True),
        (rng.choice(problem["trouble"]), False),
        (rng.choice(FEELINGS), True),
        *meeting,
        (say(rng, "{H}", rng.choice(problem["answer"]), ("said", "sighed", "replied"), inverted_ok), False),
        (say(rng, "{F}", rng.choice(problem["offer"]), verbs), True),
        (rng.choice(problem["fix"]), False),
        (thanks, True),
        (rng.choice(problem["after"]), True),
    ]


def solo_middle(rng: random.Random, problem: dict, inverted_ok: bool) -> list[tuple[str, bool]]:
    """The problem, which the hero talks through and solves alone; as (template, optional) pairs."""
    return [
        (rng.choice(SETTINGS), True),
        (rng.choice(problem["trouble"]), False),
        (rng.choice(FEELINGS), True),
        (say(rng, "{H}", rng.choice(problem["self"]), ("said", "whispered"), inverted_ok), False),
        (rng.choice(problem["solo"]), False),
        (rng.choice(problem["after"]), True),
    ]


def count_sentences(text: str) -> int:
    """Sentence ends in a template: '.', '!' or '?', but not a quote's end that a speech tag follows."""
    return len(re.findall(r'[.!?](?!" [^"])', text))


def trim(rng: random.Random, parts: list[tuple[str, bool]]) -> list[str]:
    """Drop optional parts at random until the story fits a random sentence budget."""
    budget = rng.randint(MIN_SENTENCES, MAX_SENTENCES)
    total = sum(count_sentences(text) for text, _ in parts)
    optional = [i for i, (_, is_optional) in enumerate(parts) if is_optional]
    rng.shuffle(optional)
    dropped = []
    for i in optional:
        if total <= budget:
            break
        total -= count_sentences(parts[i][0])
        dropped.append(i)
    return [text for i, (text, _) in enumerate(parts) if i not in dropped]


def tidy(sentence: str) -> str:
    """Capitalize the first letter of the text, of each sentence in it and of each quote."""
    return re.sub(r'(^|[.!?] |")([a-z])', lambda match: match[1] + match[2].upper(), sentence)


def generate_story(rng: random.Random) -> str:
    """One story on a single line."""
    place = rng.choice(PLACES)
    kind = rng.choice([kind for kind in PROBLEMS if place.shelter or kind != "rain"])
    problem = PROBLEMS[kind]
    hero = make_hero(rng)
    words = story_words(rng, problem, place, hero)
    inverted_ok = hero.pronoun != "they"  # no 'said Tom and Mia'
    if "solo" in problem and rng.random() < 0.3:
        middle = solo_middle(rng, problem, inverted_ok)
        ending = rng.choice(HERO_ENDINGS)
    else:
        helper = make_helper(rng, hero, family_ok=kind != "lonely")
        words.update(helper_words(helper, hero))
        middle = helper_middle(rng, problem, inverted_ok)
        ending = rng.choice(HERO_ENDINGS + FRIEND_ENDINGS)
    parts = [(rng.choice(OPENINGS), False), *middle, (ending, False)]
    return " ".join(tidy(text.format_map(words)) for text in trim(rng, parts))


def generate_stories(n_stories: int, seed: int = DEFAULT_SEED) -> list[str]:
    """The first n_stories stories for a seed."""
    rng = random.Random(seed)
    return [generate_story(rng) for _ in range(n_stories)]


def generate_corpus(target_bytes: int = 1_000_000, seed: int = DEFAULT_SEED) -> str:
    """Stories joined by "\\n\\n", adding whole stories until the UTF-8 length reaches at least
    target_bytes; ends with a single "\\n"."""
    rng = random.Random(seed)
    stories = []
    size = 1  # the final newline
    while size < target_bytes:
        story = generate_story(rng)
        size += len(story.encode("utf-8")) + (2 if stories else 0)
        stories.append(story)
    return "\n\n".join(stories) + "\n"


if __name__ == "__main__":
    for sample in generate_stories(3):
        print(sample, end="\n\n")
    corpus = generate_corpus()
    n_stories = len(corpus.split("\n\n"))
    n_words = len(set(re.findall(r"[a-z]+", corpus.lower())))
    print(f"{len(corpus.encode('utf-8')):,} bytes, {n_stories:,} stories, {n_words} distinct words")
