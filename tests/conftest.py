import textwrap

import pytest

from autograder.checks import CheckFailure

HIDDEN_SEED = 7  # other than the seeds the notebooks use


def student_namespace(source: str) -> dict:
    """Run ``source`` as a notebook would (module ``__main__``) and return its globals."""
    namespace = {"__name__": "__main__"}
    exec(textwrap.dedent(source), namespace)
    return namespace


@pytest.fixture
def student():
    return student_namespace


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


def pytest_terminal_summary(terminalreporter):
    """Totals of the mutation catalogue (tests/test_check_catalogue.py), when it ran."""

    def count(test_name, outcome):
        return sum(
            1
            for report in terminalreporter.stats.get(outcome, [])
            if getattr(report, "when", "call") == "call" and f"::{test_name}[" in report.nodeid
        )

    bugs, valid = "test_classic_bugs_fail_with_a_helpful_message", "test_valid_alternatives_pass"
    caught, missed = count(bugs, "passed"), count(bugs, "failed")
    valid_ok, valid_failed = count(valid, "passed"), count(valid, "failed")
    if caught + missed + valid_ok + valid_failed:
        terminalreporter.write_line(
            f"mutation catalogue: caught {caught} of {caught + missed} classic bugs; "
            f"false failures {valid_failed} of {valid_ok + valid_failed} valid alternatives"
        )
