"""Each exercise declared once.

An exercise is declared by its visible check, and its hidden check is attached to it::

    @exercise
    def attention_scores(check, attention_scores):
        ...

    @attention_scores.hidden
    def attention_scores_hidden(check, attention_scores, seed):
        ...

The function's name is the exercise's name, and it is the only place that name is written in the
checks: it is the grade id of the notebook's solution cell, the name of the reference solution
(marked with ``@reference`` in `autograder.reference`), the name the failure messages show, and the
key of the exercise's rows in ``tools/catalogue/``. ``tests/test_registry.py`` checks that all of
these agree. The declared functions are what the notebooks' test cells call,
``check.attention_scores(attention_scores)`` and ``check.attention_scores_hidden(attention_scores,
seed=…)``: each opens a :class:`Check`, refuses the reference itself, seeds PyTorch's global random
numbers (with 0 for a visible check, with ``seed`` for a hidden one; the Check puts the notebook's own
random state back afterwards), then runs the body. A body that hands random numbers to student code
(a DataLoader's shuffling, sampling) builds a ``torch.Generator`` or ``random.Random`` from the same seed.
"""

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import torch

import autograder.reference
from autograder.checks.core import Check
from autograder.grading.in_kernel import hidden_seeds
from autograder.reference.lock import REFERENCES


@dataclass
class Exercise:
    name: str
    checks_module: str  # e.g. "autograder.checks.attention", what the notebook imports as `check`
    visible: Callable
    hidden: Callable | None = None

    @property
    def reference(self):
        """The object marked ``@reference`` under the exercise's name (None if there is none)."""
        for module in pkgutil.iter_modules(autograder.reference.__path__):  # the marks are made on import
            importlib.import_module(f"autograder.reference.{module.name}")
        return REFERENCES.get(self.name)


EXERCISES: dict[str, Exercise] = {}  # name: declaration, in the order the checks modules declare them


def exercise(body: Callable) -> Callable:
    """Declare the exercise named like ``body``, whose visible check ``body(check, submitted)`` is."""
    name = body.__name__
    if name in EXERCISES:
        raise ValueError(f"the exercise {name!r} is declared twice")

    @functools.wraps(body)
    def visible(submitted) -> None:
        with Check(name) as check:
            check.reject_reference(submitted)
            torch.manual_seed(0)
            body(check, submitted)

    declaration = EXERCISES[name] = Exercise(name, body.__module__, visible)

    def attach_hidden(hidden_body: Callable) -> Callable:
        if hidden_body.__name__ != f"{name}_hidden":
            raise ValueError(f"the hidden check of {name!r} must be called {name}_hidden")

        @functools.wraps(hidden_body)
        def hidden(submitted, seed: int) -> None:
            seed = hidden_seeds.seed_for(seed)  # mixed with the grading run's secret, when there is one
            with Check(name, hidden=True) as check:
                check.reject_reference(submitted)
                torch.manual_seed(seed)
                hidden_body(check, submitted, seed)

        declaration.hidden = hidden
        return hidden

    visible.hidden = attach_hidden
    return visible
