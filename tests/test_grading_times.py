"""Where a student's grading seconds go: the record grading writes beside each log, through real nbgrader.

No figure is asserted (they depend on the machine): only that every phase is there, that the phases account
for all of the student's grading, and that the cheaper nbgrader command line exits as nbgrader does."""

import json

import pytest

from autograder.grading.in_instructor.sandbox import Limits
from autograder.instructor.nbgrader_process import PHASES, autograde_student, log_records, nbgrader
from tools.nbgrader_course import cell_scores, completed_release, scratch_course, submit

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox]

ASSIGNMENT = "03_attention"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("course"), [ASSIGNMENT])
    submit(course, "s1", ASSIGNMENT, completed_release(ASSIGNMENT))
    log = course / "logs" / "s1.log"
    finished = autograde_student(course, ASSIGNMENT, "s1", limits=Limits(wall_seconds=600), sandboxed=True, log=log)
    assert finished
    return course, log


def test_every_phase_is_timed_and_together_they_make_the_whole(graded):
    course, log = graded
    record = json.loads(log.with_name("s1.timings.json").read_text())
    assert list(record["seconds"]) == list(PHASES)
    assert record["seconds"]["not broken down"] == 0, "a complete run is broken down all the way"
    assert all(seconds >= 0 for seconds in record["seconds"].values()), record["seconds"]
    assert sum(record["seconds"].values()) == pytest.approx(record["ended"] - record["began"], abs=1e-6)
    assert all(score > 0 for score in cell_scores(course, ASSIGNMENT, "s1").values()), "the solution scores fully"


def test_the_timed_log_reads_as_before(graded):
    _, log = graded
    records = log_records(log.read_text())
    first = "Creating/updating student with ID 's1'"
    assert any(message.startswith(first) for _, message in records), "the time is not part of the message"
    mixed = "[AutogradeApp | ERROR] it broke\n[AutogradeApp | INFO | 2026-12-01 10:00:00.123] went on\n"
    assert log_records(mixed) == [("ERROR", "it broke"), ("INFO", "went on")]


def test_nbgrader_exits_with_its_own_status(graded):
    course, _ = graded
    assert nbgrader(course, "export", "--to", str(course / "grades.csv")).returncode == 0
    assert (course / "grades.csv").read_text().count("\n") == 2, "the header and the one student, written in full"
    failed = nbgrader(course, "autograde", "no_such_assignment", "--student", "s1")
    assert failed.returncode != 0
