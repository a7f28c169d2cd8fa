"""Reference fine-tuning pieces for assignment 07: a classification head, and batches of instructions."""

import torch
from torch import nn

from autograder.defences.reference_lock import reference


@reference
def prepare_for_classification(model: nn.Module, num_classes: int) -> nn.Module:
    """Swap the output head for a ``num_classes`` head; train only the last block, final norm and head."""
    model.requires_grad_(False)
    model.out_head = nn.Linear(model.out_head.in_features, num_classes)
    model.trf_blocks[-1].requires_grad_(True)
    model.final_norm.requires_grad_(True)
    return model


@reference
def instruction_collate(
    batch: list[tuple[list[int], int]],
    pad_id: int,
    ignore_index: int = -100,
    max_length: int | None = None,
    mask_prompt: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad (prompt + response) token lists into input and target tensors of shape (batch, tokens).

    Each example is ``(token_ids, prompt_length)``. It gets at least one ``pad_id`` (the end
    token) and is padded to the longest example + 1; inputs drop the last position, targets
    the first. Targets after the first end token are ``ignore_index``, as are, with
    ``mask_prompt``, the targets that are prompt tokens. ``max_length`` crops both.
    """
    longest = max(len(ids) for ids, _ in batch) + 1
    inputs, targets = [], []
    for ids, prompt_length in batch:
        padded = torch.tensor(ids + [pad_id] * (longest - len(ids)))
        target = padded[1:].clone()
        target[len(ids) :] = ignore_index  # target[len(ids) - 1] stays: the model must learn to stop
        if mask_prompt:
            target[: max(prompt_length - 1, 0)] = ignore_index
        inputs.append(padded[:-1][:max_length])
        targets.append(target[:max_length])
    return torch.stack(inputs), torch.stack(targets)
