"""What collecting an assignment found wrong, kept for the class report: ``reports/<assignment>-collect.csv``.

`gpt-course collect` (from the exchange or an LMS zip) adds a row per problem: a refused student id, a submission
made in someone else's name, a link or a device left out, a claimed time the exchange contradicts. `gpt-course
report` lists them in ``flagged.csv`` beside the grading problems. Rows are kept across collections (a later
collect adds, never drops), once each; every field is written as a spreadsheet shows text (a refused id may hold a
formula or a carriage return).
"""

import csv
from dataclasses import astuple, dataclass
from pathlib import Path

from autograder.grading.untrusted_text import spreadsheet_cell
from autograder.instructor.course_layout import CourseLayout

SUFFIX = "-collect.csv"
FIELDS = ["student", "status", "source", "problem"]
NOT_COLLECTED = "not collected"  # the submission (or the entry) was refused
COLLECTED = "collected"  # collected, but something in it was left out or its time is disputed


@dataclass(frozen=True)
class CollectProblem:
    student: str  # the id the submission names ("" when it names none); a refused id too, shown as text
    status: str  # NOT_COLLECTED or COLLECTED
    source: str  # the inbound folder or the zip entry
    problem: str


def path(course: Path, assignment: str) -> Path:
    return CourseLayout(course).reports / f"{assignment}{SUFFIX}"


def record(course: Path, assignment: str, problems: list[CollectProblem]) -> Path | None:
    """Add ``problems`` to the assignment's collect report (each row once); its path, or None when it has none."""
    target = path(course, assignment)
    rows = [tuple(row[field] for field in FIELDS) for row in _rows(target)]
    for problem in problems:
        row = tuple(spreadsheet_cell(value) for value in astuple(problem))
        if row not in rows:
            rows.append(row)
    if not rows:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="") as file:
        writer = csv.writer(file, quoting=csv.QUOTE_ALL)
        writer.writerow(FIELDS)
        writer.writerows(rows)
    return target


def read(course: Path) -> list[dict]:
    """Every collect report's rows, each with its ``assignment``."""
    return [
        {"assignment": report.name.removesuffix(SUFFIX), **row}
        for report in sorted(CourseLayout(course).reports.glob(f"*{SUFFIX}"))
        for row in _rows(report)
    ]


def _rows(report: Path) -> list[dict]:
    if not report.is_file():
        return []
    with open(report, newline="") as file:
        return [row for row in csv.DictReader(file) if all(row.get(field) is not None for field in FIELDS)]
