"""nbgrader's CSV export, with every field quoted and every text a student controls neutralized.

nbgrader's ``CsvExportPlugin`` joins fields with commas and quotes none: a student id with a comma shifts the row's
columns, one with a carriage return adds a forged row (read last-row-wins, another student's grade), and one that
starts with ``=`` is a live formula in a spreadsheet. ``SafeCsvExportPlugin`` writes the same columns and rows
with Python's csv writer, every field quoted, and the text fields passed through
`autograder.grading.untrusted_text.spreadsheet_cell`. `course/nbgrader_config.py` makes it the exporter.
"""

import csv

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import CsvExportPlugin

from autograder.grading.untrusted_text import spreadsheet_cell

COLUMNS = (  # nbgrader's, in its order
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)
NUMBERS = {"raw_score", "late_submission_penalty", "score", "max_score"}  # the course's own: left as numbers


class SafeCsvExportPlugin(CsvExportPlugin):
    def export(self, gradebook: Gradebook) -> None:
        destination = self.to or "grades.csv"
        self.log.info("Exporting grades to %s", destination)
        with open(destination, "w", newline="") as file:
            writer = csv.writer(file, quoting=csv.QUOTE_ALL)
            writer.writerow(COLUMNS)
            for row in self._rows(gradebook):
                writer.writerow(
                    str(row[key]) if key in NUMBERS else spreadsheet_cell("" if row[key] is None else row[key])
                    for key in COLUMNS
                )

    def _rows(self, gradebook: Gradebook):
        """One row per assignment and student, as nbgrader's exporter makes them (no submission scores zero)."""
        for assignment in gradebook.assignments:
            if self.assignment and assignment.name not in map(str, self.assignment):
                continue
            for student in gradebook.students:
                if self.student and student.id not in map(str, self.student):
                    continue
                row = {
                    "assignment": assignment.name,
                    "duedate": assignment.duedate,
                    "student_id": student.id,
                    "last_name": student.last_name,
                    "first_name": student.first_name,
                    "email": student.email,
                    "max_score": assignment.max_score,
                }
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    row |= {"timestamp": "", "raw_score": 0.0, "late_submission_penalty": 0.0, "score": 0.0}
                else:
                    penalty = submission.late_submission_penalty
                    row |= {
                        "timestamp": submission.timestamp,
                        "raw_score": submission.score,
                        "late_submission_penalty": penalty,
                        "score": max(0.0, submission.score - penalty),
                    }
                yield row
