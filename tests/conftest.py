"""Hooks of the test suite. Helpers that tests share live in tests/support/ and tools/, not here."""

from pathlib import Path

import pytest

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items):
    """nbval's cells of the executed solutions run the course's notebooks: marked ``notebooks``, like the tests
    that do (a test module carries its markers itself, as ``pytestmark``)."""
    for item in items:
        if item.path.is_relative_to(SOLUTIONS):
            item.add_marker(pytest.mark.notebooks)


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
