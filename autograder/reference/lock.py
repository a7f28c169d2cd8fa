"""Keep a submission from handing in the reference implementation as its own.

Reference functions and classes are marked with :func:`reference`. While a check runs student
code (see :func:`forbid`), calling the reference of the exercise being checked raises
:class:`ReferenceUsedError`, which the check turns into a failed test. The marks also tell the
exercise registry (`autograder.checks.registry`) which object answers which exercise.
"""

import contextlib
import functools

REFERENCES: dict[str, object] = {}  # exercise name: its reference function or class
_forbidden: frozenset[str] = frozenset()


class ReferenceUsedError(RuntimeError):
    """Student code called the reference implementation it was asked to write."""


def _refuse_if_forbidden(name: str) -> None:
    if name in _forbidden:
        raise ReferenceUsedError(f"the course's reference `{name}` was called from the code under test")


def reference(obj):
    """Mark a reference function or class as the answer to the exercise of the same name."""
    name = obj.__name__
    if name in REFERENCES:
        raise ValueError(f"two references answer the exercise {name!r}")
    if isinstance(obj, type):
        original_init = obj.__init__

        @functools.wraps(original_init)
        def guarded_init(self, *args, **kwargs):
            _refuse_if_forbidden(name)
            original_init(self, *args, **kwargs)

        obj.__init__ = guarded_init
        obj.__reference_name__ = name
        REFERENCES[name] = obj
        return obj

    @functools.wraps(obj)
    def guarded(*args, **kwargs):
        _refuse_if_forbidden(name)
        return obj(*args, **kwargs)

    guarded.__reference_name__ = name
    REFERENCES[name] = guarded
    return guarded


@contextlib.contextmanager
def forbid(*names: str):
    """Within this block, the named references refuse to run."""
    global _forbidden
    before = _forbidden
    _forbidden = before | frozenset(names)
    try:
        yield
    finally:
        _forbidden = before
