"""The mutation catalogue: for every graded exercise, valid alternative implementations that must
keep full marks and classic bugs that must lose them.

Each module holds ``checks`` and ``reference`` (the assignment's check and reference modules),
``COMMON`` (source that every variant starts from: imports and helpers a notebook would have),
``EXERCISES``, ``VALID`` rows ``(exercise, source)`` and ``BUGGY`` rows ``(exercise, source, words)``,
where ``words`` must appear in a failure message. The object under test is the one the source
defines under the exercise's name.
"""

from tests.catalogue import attention, causal, embeddings, gpt, multihead, qkv, tokenization

CATALOGUES = {"01": tokenization, "02": embeddings, "03": attention, "04": qkv, "05": causal, "06": multihead, "07": gpt}
