"""Checks that the notebooks' test cells call: friendly visible tests and randomized hidden tests.

Every check raises :class:`CheckFailure` (an ``AssertionError``) with what was expected,
what came and a hint, and prints one line when it passes. Checks return ``None`` on
purpose: nbgrader would read a returned number as a partial grade.
"""

from autograder.checks.core import CheckFailure

__all__ = ["CheckFailure"]
