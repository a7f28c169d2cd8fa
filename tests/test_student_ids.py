"""One rule for a student id at every door (`autograder.instructor.student_ids`): ASCII letters, digits and
``_ . - @``, starting with a letter or digit, at most 100 characters; and what collecting found wrong reaches the
class report's flagged.csv as text a spreadsheet shows as text (`autograder.instructor.collect_problems`)."""

import csv
import json

import pytest

from autograder.instructor import collect_problems, report
from autograder.instructor.collect_problems import COLLECTED, NOT_COLLECTED, CollectProblem
from autograder.instructor.errors import BadArgument
from autograder.instructor.student_ids import checked_id, id_problem
from tests.support.cli_workflow import ASSIGNMENT, new_course
from tests.support.hostile_ids import HOSTILE_IDS as COMMON_HOSTILE_IDS

HOSTILE_IDS = [
    *COMMON_HOSTILE_IDS,
    "ann+bob",  # nbgrader's separator in exchange folder names
    "ann/../bob",
    "ann\x00",
]


@pytest.mark.parametrize("student", ["ann", "Ann.Lee", "ann_lee-2", "ann.lee@uni.example", "4711", "a" * 100])
def test_ids_in_the_strict_set_are_taken(student):
    assert id_problem(student) is None and checked_id(student, "here") == student


@pytest.mark.parametrize("student", [*HOSTILE_IDS, "", ".hidden", "@ann", "_ann", "ann bob", "a" * 101])
def test_ids_outside_the_strict_set_are_refused_in_one_line(student):
    problem = id_problem(student)
    assert problem and "\n" not in problem and "\r" not in problem and "\x1b" not in problem
    with pytest.raises(BadArgument, match=r"^accounts\.csv, line 3: "):
        checked_id(student, "accounts.csv, line 3")


def test_a_long_id_is_shown_cut(tmp_path):
    assert id_problem("=" * 5000) == "a student id of 5,000 characters (at most 100)"
    assert len(id_problem("=" * 100)) < 200


def test_collect_problems_reach_flagged_csv_as_text(tmp_path):
    course = new_course(tmp_path / "course")
    problems = [
        CollectProblem(student, NOT_COLLECTED, f"{student}+{ASSIGNMENT}+x", f"refused: {id_problem(student)}")
        for student in HOSTILE_IDS
    ]
    problems.append(CollectProblem("ann", COLLECTED, "ann+x", "left out secret.txt: a symbolic link, not read"))
    written = collect_problems.record(course, ASSIGNMENT, problems)
    assert collect_problems.record(course, ASSIGNMENT, problems[:3]) == written  # a second collect adds no duplicate
    with open(written, newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == len(problems)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")) and not set(value) & set("\r\n\x1b\x00\u202e")
    flagged = report.flagged(course)
    assert len(flagged) == len(problems)
    assert {row["status"] for row in flagged} == {NOT_COLLECTED, COLLECTED}
    assert json.loads(flagged[-1]["problems"]) == ["collect: ann+x: left out secret.txt: a symbolic link, not read"]
