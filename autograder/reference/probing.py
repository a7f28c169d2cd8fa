"""Reference probes of a trained GPT for assignment 07: which tokens its vectors group together, and
whether it learned the dog-planet rule that needs context."""

from collections.abc import Callable

import torch
from torch import nn

from autograder.defences.reference_lock import reference
from autograder.materials.data.dog_planet import ACTIONS
from autograder.reference.embeddings import nearest_neighbours


@reference
def neighbours_in_group(vectors: torch.Tensor, group: list[int], k: int = 5) -> list[int]:
    """For each row index in ``group``: how many of its ``k`` nearest neighbours (cosine, itself excluded)
    are in ``group`` too."""
    members = set(group)
    return [sum(neighbour in members for neighbour in nearest_neighbours(vectors, index, k)) for index in group]


@reference
@torch.no_grad()
def now_after_just_now(model: nn.Module, encode: Callable[[str], list[int]]) -> torch.Tensor:
    """probabilities[i, j] = the model's probability that the action after 现在 is ACTIONS[j], right after a
    刚才 clause that ended with ACTIONS[i]: read at the last position of "\\n我 刚才 ACTIONS[i]，我 现在", in eval
    mode, from the softmax over the whole vocabulary."""
    model.eval()
    prompts = torch.tensor([encode(f"\n我 刚才 {then}，我 现在") for then in ACTIONS])  # (3, tokens)
    action_ids = [encode(action)[0] for action in ACTIONS]
    probabilities = torch.softmax(model(prompts.to(next(model.parameters()).device))[:, -1], dim=-1)  # (3, vocab)
    return probabilities[:, action_ids].cpu()
