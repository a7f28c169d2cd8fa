"""Run a variant of an exercise as a notebook would, and collect what its visible and hidden check say of it."""

import textwrap

from autograder.checks import CheckFailure

HIDDEN_SEED = 7  # other than the seeds the notebooks use


def student_namespace(source: str) -> dict:
    """Run ``source`` as a notebook would (module ``__main__``) and return its globals."""
    namespace = {"__name__": "__main__"}
    exec(textwrap.dedent(source), namespace)
    return namespace


def run_visible_and_hidden(checks, exercise: str, obj) -> list[str]:
    """Run an exercise's visible and hidden check on ``obj``; return the failure messages."""
    failures = []
    for run in (
        lambda: getattr(checks, exercise)(obj),
        lambda: getattr(checks, exercise + "_hidden")(obj, HIDDEN_SEED),
    ):
        try:
            run()
        except CheckFailure as failure:
            failures.append(str(failure))
    return failures
