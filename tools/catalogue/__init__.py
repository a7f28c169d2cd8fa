"""The mutation catalogue: for every graded exercise, valid alternative implementations that must
keep full marks and classic bugs that must lose them.

Each module holds ``checks`` (the assignment's checks module, whose declared exercises it covers:
`autograder.checks.registry`), ``COMMON`` (source that every variant starts from: imports and helpers
a notebook would have), ``VALID`` rows ``(exercise, source)`` and ``BUGGY`` rows
``(exercise, source, words)``, where ``words`` must appear in a failure message. The object under test
is the one the source defines under the exercise's name. ``notebook_bugs`` holds one classic bug per
assignment as a notebook cell, for the tests that grade through real nbgrader.
"""

from autograder.checks.registry import EXERCISES
from tools.catalogue import attention, causal, embeddings, gpt, multihead, qkv, tokenization

CATALOGUES = {
    "01_tokenization": tokenization,
    "02_embeddings": embeddings,
    "03_attention": attention,
    "04_qkv_attention": qkv,
    "05_causal_attention": causal,
    "06_multihead_attention": multihead,
    "07_gpt": gpt,
}


def declared_exercises(catalogue) -> list[str]:
    """The exercises that the catalogue's checks module declares, in the order it declares them."""
    return [name for name, exercise in EXERCISES.items() if exercise.checks_module == catalogue.checks.__name__]
