"""Assignment 03's sentence and its hand-made word vectors, for every notebook that comes back to them.

Trained embeddings have hundreds of dimensions that nobody can read. These have three that mean
something (is the word an animal, a size word, an action), so that what an attention pattern finds can
be read off it: 03 attends with them as they are, 04 builds a query that makes the verb look for the
nouns, 05 masks their attention causally and 06 gives them two heads that find different things.
"""

import torch

FEATURES = ("animal", "size", "action")
ANIMAL, SIZE, ACTION = range(len(FEATURES))

SENTENCE = ("the", "little", "fox", "saw", "the", "big", "dog")
WORD_VECTORS = {  # (animal, size, action)
    "the": (0.1, 0.1, 0.1),
    "little": (0.0, 0.9, 0.1),
    "fox": (0.9, 0.2, 0.1),
    "saw": (0.1, 0.0, 0.9),
    "big": (0.1, 0.8, 0.0),
    "dog": (0.8, 0.3, 0.2),
}

# The vectors' scores differ by less than one, and a softmax of such scores is nearly even; 03 shows why.
SCALE = 3.0


def embed(tokens=SENTENCE) -> torch.Tensor:
    """The scaled vectors of ``tokens``, one row each: shape (tokens, 3), the inputs 03 attends over."""
    return SCALE * torch.tensor([WORD_VECTORS[token] for token in tokens])
