"""Hooks of the test suite. Helpers that tests share live in tests/support/ and tools/, not here."""


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
