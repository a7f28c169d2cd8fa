"""A seeded generator of short text messages labelled spam or ham: the classification data set.

Ham messages are everyday notes between friends and family; spam offers prizes, cash and
deals or warns about an account. A small share of each is hard: ham that says "free" or
"win", spam that sounds like a friend, and messages from templates that both labels use,
so that no classifier gets every message right. Messages come from templates whose slots
are filled from word lists; phone numbers (555-01xx) and web addresses (example.com) are
fake. No text occurs twice. All randomness comes from one random.Random.
"""

import random
import string

from autograder.materials.data.stories import BOY_NAMES, GIRL_NAMES, PET_NAMES

DEFAULT_SEED = 77
HARD_SHARE = 0.1  # share of each label drawn from its hard templates and SHARED

HAM = (
    "Hi {name}, are we still meeting at {place} {time}?",
    "Running a bit late, see you at {place} in {minutes} minutes.",
    "{family} says dinner is {food} tonight, please be home by {clock}.",
    "Can you pick up some {grocery} and {grocery2} on your way home? Thanks!",
    "Did you feed {pet} this morning? {pet} keeps looking at the food bowl.",
    "I left my {item} at your place, can I come and get it {day}?",
    "Don't forget the party at {name}'s house {day}, it starts at {clock}.",
    "Took {pet} to {place} and she chased a squirrel again lol",
    "The school play starts at {clock}, can you save me a seat?",
    "Are you coming to {place} with us {day}? Bring the {item}.",
    "Thanks for dinner last night, the {food} was really good.",
    "Can you help me with my {subject} homework {time}?",
    "{family} called, they want us to visit {day}.",
    "I'm at {place} now, where are you?",
    "Bus is late again, I'll be home around {clock}.",
    "Happy birthday {name}! Hope you have a lovely day with lots of {food}.",
    "Who is picking up {name} from {place} {time}?",
    "Want to watch a movie at my place {day}? I'll make {food}.",
    "Good luck on your {subject} test, {name}, you will do great!",
    "It's raining here, don't forget your {item} when you go to {place}.",
    "{family} fixed the {broken}, so we can use it again.",
    "Let's meet at {place} {time} and walk {pet} together.",
    "Can {name} sleep over {day}? We will play {game} and go to bed early.",
    "ok see you {time} at {place}",
    "Have you seen my {item}? I think I left it at {place}.",
    "We are out of {grocery}, I'll get some after {game} practice.",
    "{name} and I are going to {place} {time}, want to join?",
    "Just got home. {pet} was so happy to see me.",
    "Remember to take your {item} to school {day}.",
)
HARD_HAM = (
    "Are you free {day}? We could go to {place} and play {game}.",
    "I'm free after {clock}, call me and we can make a plan.",
    "Did your team win the {game} game? {name} said it was close.",
    "{name} won a prize at the school fair, {family} is so proud!",
    "The museum is free {day}, want to come with us?",
    "Call me when you get this, nothing urgent, just about {food} tonight.",
    "We won the quiz at school! Free ice cream for everyone {day}.",
    "{family} offered to drive us to {place} {time}, text me back.",
    "Claim your seat quick, the {food} at {name}'s place is almost gone!",
)
SPAM = (
    "Congratulations! You have won a {prize}. Call {phone} now to claim your reward.",
    "URGENT: your {account} account has been locked. Click {url} to verify your details.",
    "FREE entry to win {amount} cash! Text WIN to {phone} now. Terms apply.",
    "You have been selected for a {amount} gift card. Reply YES to claim before {deadline}.",
    "Final notice: your parcel is waiting. Pay the {fee} delivery fee at {url} today.",
    "Limited offer! Get {percent} off all {product} today only. Visit {url} now.",
    "Your {account} payment failed. Update your card at {url} or lose access {deadline}.",
    "Claim your FREE {free_item} now! Just call {phone}, offer ends {deadline}.",
    "WINNER! Your number was picked in our {amount} prize draw. Call {phone} to collect.",
    "Cheap loans of up to {amount} approved in minutes, no checks. Apply now at {url}.",
    "Your mobile bill has a refund of {amount} waiting. Click {url} to get it today.",
    "Act now! {percent} off {product}, only {few} left in stock. Order at {url}.",
    "Dear customer, you have unclaimed rewards worth {amount}. Reply CLAIM to receive them.",
    "Your {account} account will be closed in {hours} hours. Confirm your password at {url}.",
    "Earn {amount} a week from home! No experience needed. Text JOB to {phone}.",
    "You are our lucky visitor today! Click {url} to spin and win a {prize}.",
    "Free {free_item} for the first {few} callers! Call {phone} now, offer ends {deadline}.",
    "Security alert: someone tried to log in to your {account} account. Check now at {url}.",
)
HARD_SPAM = (
    "hey it's me, new number. can you send me {amount} for the bus? will pay you back",
    "Hi {name}, long time! Check out my new photos here {url}",
    "hey, still looking for work? my friend pays {amount} a day, text me on {phone}",
    "Hi mom, I broke my phone and this is my new number. Can you send me a message?",
    "lol is this you in this video? {url}",
    "hey {name}, saw your profile and want to chat. add me at {url}",
    "Sorry I missed your call, {name}. Here is the link for the thing {url}",
)
# Written by friends and by spammers alike: these get either label.
SHARED = (
    "Hey {name}, are you free {day}? Call me back.",
    "Hi {name}, did you get my last message? Text me when you can.",
    "Hi, is this {name}? I got this number from a friend.",
    "Call me back on {phone} when you get this, {name}.",
    "Look at these photos from {place}! {url}",
)

SLOTS = {
    # ham
    "name": BOY_NAMES + GIRL_NAMES,
    "pet": PET_NAMES,
    "family": ("Mom", "Dad", "Grandma", "Grandpa"),
    "place": (
        "the park",
        "the station",
        "the library",
        "the cafe",
        "the pool",
        "the bus stop",
        "the beach",
        "the shop",
        "the playground",
        "the farm",
        "grandma's house",
        "the corner shop",
    ),
    "time": (
        "at five",
        "at six",
        "at noon",
        "after school",
        "after lunch",
        "tonight",
        "tomorrow morning",
        "this afternoon",
        "around seven",
        "at half past four",
    ),
    "clock": ("five", "six", "seven", "eight", "noon", "half past four", "six thirty"),
    "day": (
        "tomorrow",
        "this weekend",
        "next week",
        "on Monday",
        "on Tuesday",
        "on Wednesday",
        "on Thursday",
        "on Friday",
        "on Saturday",
        "on Sunday",
    ),
    "minutes": ("five", "ten", "fifteen", "twenty"),
    "food": (
        "pizza",
        "soup",
        "pasta",
        "tacos",
        "fish and chips",
        "pancakes",
        "curry",
        "sandwiches",
        "cake",
        "cookies",
        "noodles",
    ),
    "grocery": ("milk", "bread", "eggs", "apples", "cheese", "bananas", "rice", "butter"),
    "grocery2": ("carrots", "honey", "grapes", "plums", "tea", "jam", "oranges"),
    "item": (
        "umbrella",
        "keys",
        "charger",
        "blue jacket",
        "lunch box",
        "library book",
        "football",
        "water bottle",
        "scarf",
        "glasses",
        "red hat",
    ),
    "subject": ("math", "science", "history", "spelling", "music", "art", "reading"),
    "game": ("football", "basketball", "tennis", "chess", "hide and seek", "cards"),
    "broken": ("bike", "swing", "old radio", "kitchen chair", "garden gate", "car door"),
    # spam
    "prize": (
        "brand new phone",
        "holiday for two",
        "laptop",
        "shopping voucher",
        "new bike",
        "tablet",
        "big screen TV",
        "cruise trip",
    ),
    "amount": ("$100", "$250", "$500", "$1000", "$2000", "$5000", "$750"),
    "phone": tuple(f"555-01{number:02d}" for number in range(100)),
    "url": tuple(
        f"{site}/{path}"
        for site in ("example.com", "www.example.com", "example.net", "example.org")
        for path in ("claim", "prize", "verify", "offer", "win", "free", "login", "deal", "gift")
    ),
    "account": ("bank", "email", "phone", "shopping", "streaming", "music"),
    "deadline": ("at midnight", "on Friday", "tomorrow", "today", "this week"),
    "percent": ("50%", "60%", "70%", "80%", "90%"),
    "product": ("shoes", "phones", "watches", "sunglasses", "headphones", "handbags", "jackets"),
    "free_item": ("phone", "ringtones", "holiday", "gift card", "spa day", "camera", "pizza for a year"),
    "fee": ("$1.99", "$2.50", "$3.00", "$0.99"),
    "hours": ("12", "24", "48"),
    "few": ("3", "5", "10", "20"),
}


def fill(rng: random.Random, template: str) -> str:
    """The template with each slot filled from SLOTS (a slot named twice gets one word)."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format_map({name: rng.choice(SLOTS[name]) for name in sorted(names)})


def generate_rows(rng: random.Random, n_per_label: int) -> list[tuple[str, str]]:
    """n_per_label (label, text) rows of each label, no text twice; each message comes from its
    label's hard templates or SHARED with probability HARD_SHARE."""
    labels = {}  # text -> label, in the order of first appearance
    for label, templates, hard_templates in (("spam", SPAM, HARD_SPAM + SHARED), ("ham", HAM, HARD_HAM + SHARED)):
        target = len(labels) + n_per_label
        while len(labels) < target:
            pool = hard_templates if rng.random() < HARD_SHARE else templates
            labels.setdefault(fill(rng, rng.choice(pool)), label)
    return [(label, text) for text, label in labels.items()]


def generate_corpus(n_per_label: int = 1000, seed: int = DEFAULT_SEED) -> str:
    """A TSV text: the header "label\\ttext", then n_per_label spam and n_per_label ham
    messages in a seeded shuffled order, one "label\\ttext" a line."""
    rng = random.Random(seed)
    rows = generate_rows(rng, n_per_label)
    rng.shuffle(rows)
    return "".join(f"{label}\t{text}\n" for label, text in [("label", "text"), *rows])


if __name__ == "__main__":
    print(generate_corpus(5), end="")
