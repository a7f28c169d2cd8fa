"""Dropout in train mode, made deterministic so that hidden checks can compare it with the reference.

Outputs in train mode are random, and seeding PyTorch alike before the student's forward and the
reference's is not enough to compare them: a correct module may drop the same values in another order
(head by head in a loop, another layout of the weights) or inside ``scaled_dot_product_attention``,
whose dropout is internal. So inside :class:`FixedDropout` every dropout (``nn.Dropout``,
``nn.functional.dropout``, ``torch.dropout``, ``scaled_dot_product_attention``'s ``dropout_p``, and a
student's own ``Dropout`` module) drops the same fixed pattern, which depends only on the position
along the last dimension, scales the rest by 1 / (1 - p), and records what it was given. A module
that drops what the reference drops then gives the reference's outputs whatever its layout, and the
record says where a module that does not went wrong: dropout never applied, applied to the wrong
tensor (the scores, the output), with the wrong p, or too often.
"""

import math
from collections import Counter
from dataclasses import dataclass

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

_DROPOUTS = {nn.functional.dropout, torch.dropout}


def _keep(size: int, device) -> torch.Tensor:
    """The fixed pattern: every third position along the last dimension (1, 4, 7, ...) is dropped."""
    return torch.arange(size, device=device) % 3 != 1


def _drop(x: torch.Tensor, p: float) -> torch.Tensor:
    return x * _keep(x.shape[-1], x.device) / (1 - p)


@dataclass(frozen=True)
class Dropped:
    """One tensor that went through dropout in train mode."""

    shape: tuple[int, ...]
    p: float
    weights: bool  # every row along the last dimension is non-negative and sums to one (softmax weights)


def _record(x: torch.Tensor, p: float) -> Dropped:
    x = x.detach()
    weights = x.numel() > 0 and bool((x >= 0).all()) and torch.allclose(x.sum(-1).double(), torch.ones(()).double())
    return Dropped(tuple(x.shape), float(p), weights)


def _attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, **_):
    """scaled_dot_product_attention written out, with the fixed dropout pattern on the weights."""
    scores = query @ key.transpose(-2, -1) * (1 / math.sqrt(query.shape[-1]) if scale is None else scale)
    if is_causal:
        scores = scores.masked_fill(torch.ones(scores.shape[-2:], dtype=torch.bool).triu(1), float("-inf"))
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else scores + attn_mask
    weights = torch.softmax(scores, dim=-1)
    return weights, _drop(weights, dropout_p) @ value


class FixedDropout(TorchFunctionMode):
    """``with FixedDropout(module) as dropped:`` every dropout in ``module``'s forward drops the fixed
    pattern; ``dropped.calls`` lists what it dropped (:class:`Dropped`), in order."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.calls: list[Dropped] = []
        self._inside = 0  # > 0 while a student's own Dropout module runs: its hook records it
        self._hooks = []
        for submodule in module.modules():
            if type(submodule).__name__.endswith("Dropout") and not isinstance(submodule, nn.Dropout):
                self._hooks += [
                    submodule.register_forward_pre_hook(self._enter),
                    submodule.register_forward_hook(self._own_dropout),
                ]

    def __exit__(self, *error):
        for hook in self._hooks:
            hook.remove()
        return super().__exit__(*error)

    def _enter(self, module, inputs):
        self._inside += 1

    def _own_dropout(self, module, inputs, output):
        self._inside -= 1
        p = float(getattr(module, "p", 0.0))
        if not module.training or p == 0 or type(inputs[0]) is not torch.Tensor:
            return output
        self.calls.append(_record(inputs[0], p))
        return _drop(inputs[0], p)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _DROPOUTS and not self._inside:
            names = ("input", "p", "training", "inplace") if func is nn.functional.dropout else ("input", "p", "train")
            bound = {"p": 0.5, "training": True, "train": True, "inplace": False} | dict(zip(names, args)) | kwargs
            x, p, training = bound["input"], float(bound["p"]), bound["training"] and bound["train"]
            if not training or p == 0:
                return x
            self.calls.append(_record(x, p))
            return x.mul_(_keep(x.shape[-1], x.device) / (1 - p)) if bound["inplace"] else _drop(x, p)
        if func is nn.functional.scaled_dot_product_attention and not self._inside:
            names = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale")
            bound = dict(zip(names, args)) | kwargs
            if float(bound.get("dropout_p", 0.0)) > 0:
                weights, output = _attention(**bound)
                self.calls.append(_record(weights, bound["dropout_p"]))
                return output
        return func(*args, **kwargs)


def _sizes(calls: list[Dropped]) -> Counter:
    """How many values went through dropout, by the size of their last dimension."""
    sizes = Counter()
    for call in calls:
        sizes[call.shape[-1:]] += math.prod(call.shape)
    return sizes


def check_dropout(check, module, expected, x, described: str, *, where: str, off_hint: str | None = None, **tolerance):
    """Compare ``module`` with ``expected`` (same parameters, the same dropout p > 0) in both modes.

    Eval mode: two calls agree, and agree with the reference (dropout off). Train mode, under
    :class:`FixedDropout`: dropout gets tensors of the reference's sizes (counted by their last
    dimension, so that one call per head and one call for all heads count alike) with its p, softmax
    weights where the reference drops softmax weights, and the outputs agree. ``where`` is the hint
    that says where dropout belongs."""
    module.eval()
    expected.eval()
    first = check.call(module, x.clone(), description=f"{described} in eval mode")
    second = check.call(module, x.clone(), description=f"{described} in eval mode, again")
    off_hint = off_hint or "dropout must be off in eval mode: use nn.Dropout, which follows module.train() / .eval()"
    check.tensor(first, expected(x).detach(), f"{described} in eval mode", hint=off_hint + "; " + where, **tolerance)
    check.tensor(second, first, f"{described}: two calls in eval mode", hint=off_hint, **tolerance)

    module.train()
    expected.train()
    with FixedDropout(module) as dropped:
        got = check.call(module, x.clone(), description=f"{described} in train mode", draws=True)
    with FixedDropout(expected) as reference:
        want = expected(x).detach()
    module.eval()
    expected.eval()
    p = reference.calls[0].p
    if not dropped.calls:
        check.fail(f"{described} dropped nothing in train mode", hint=where)
    wrong_p = sorted({call.p for call in dropped.calls} - {p})
    if wrong_p:
        check.fail(
            f"{described} used dropout probability {wrong_p[0]:g}",
            expected=f"{p:g}",
            got=f"{wrong_p[0]:g}",
            hint="build nn.Dropout with the dropout probability the module is given",
        )
    if _sizes(dropped.calls) != _sizes(reference.calls):
        check.fail(
            f"{described} applied dropout to the wrong tensors in train mode",
            expected=", ".join(f"shape {c.shape}" for c in reference.calls),
            got=", ".join(f"shape {c.shape}" for c in dropped.calls),
            hint=where,
        )
    if any(c.weights for c in reference.calls) and not any(c.weights for c in dropped.calls):
        check.fail(
            f"{described} applied dropout to the scores, not to the attention weights",
            hint="apply dropout after the masked softmax, to the weights whose rows sum to one; " + where,
        )
    check.tensor(
        got,
        want,
        f"{described} in train mode, with the same values dropped as in the reference",
        hint=where,
        **tolerance,
    )
