"""Keep a submission from handing in the reference implementation as its own.

Reference functions and classes are wrapped with :func:`reference`. While a check runs
student code (see :func:`forbid`), calling the reference of the exercise being checked
raises :class:`ReferenceUsedError`, which the check turns into a failed test.
"""

import contextlib
import functools

_forbidden: frozenset[str] = frozenset()


class ReferenceUsedError(RuntimeError):
    """Student code called the reference implementation it was asked to write."""


def _refuse_if_forbidden(name: str) -> None:
    if name in _forbidden:
        raise ReferenceUsedError(f"the course's reference `{name}` was called from the code under test")


def reference(name: str):
    """Mark a reference function or class as the answer to exercise ``name``."""

    def mark(obj):
        if isinstance(obj, type):
            original_init = obj.__init__

            @functools.wraps(original_init)
            def guarded_init(self, *args, **kwargs):
                _refuse_if_forbidden(name)
                original_init(self, *args, **kwargs)

            obj.__init__ = guarded_init
            obj.__reference_name__ = name
            return obj

        @functools.wraps(obj)
        def guarded(*args, **kwargs):
            _refuse_if_forbidden(name)
            return obj(*args, **kwargs)

        guarded.__reference_name__ = name
        return guarded

    return mark


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
