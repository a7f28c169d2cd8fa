"""Reference pretraining pieces for assignment 07: the loss of a batch, one training step, checkpoints."""

from pathlib import Path

import torch
from torch import nn

from autograder.defences.reference_lock import reference


@reference
def batch_loss(model: nn.Module, input_ids: torch.Tensor, target_ids: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the next-token predictions; targets equal to -100 are ignored."""
    logits = model(input_ids)  # (batch, tokens, vocab)
    return nn.functional.cross_entropy(logits.flatten(0, 1), target_ids.flatten())


@reference
def training_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, input_ids: torch.Tensor, target_ids: torch.Tensor
) -> float:
    """One step of gradient descent on one batch; returns the batch's loss before the step."""
    optimizer.zero_grad()
    loss = batch_loss(model, input_ids, target_ids)
    loss.backward()
    optimizer.step()
    return loss.item()


@reference
def save_checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, step: int) -> None:
    """Write what resuming needs: the weights, the optimizer's state (Adam's moments) and the step."""
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step}, path)


@reference
def load_checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Restore model and optimizer from ``path``; return the step the checkpoint was saved at."""
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["step"]
