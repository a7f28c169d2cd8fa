"""Feedback that keeps hidden tests hidden.

nbgrader's feedback shows graded notebooks as they ran, hidden test code included, and a failing
hidden test's traceback quotes that code again. ``HideHiddenTests`` removes the hidden region from
the course's own test cells and cuts their tracebacks down to the error's own message (which the
course's checks word for students). `course/nbgrader_config.py` puts it into ``GenerateFeedback.preprocessors``.

Only locked grade cells hold hidden tests: nbgrader put them back from the gradebook before grading. Every other
cell is the student's, and a marker a student typed or printed there (``### BEGIN HIDDEN TESTS`` without its end,
which makes nbgrader's ``ClearHiddenTests`` raise) is the student's text, left as it is: it cannot stop the
feedback of the class.
"""

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

from autograder.grading.protocol import HIDDEN_TESTS_MARKER


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        if not (utils.is_grade(cell) and utils.is_locked(cell)):
            return cell, resources
        had_hidden_tests = HIDDEN_TESTS_MARKER in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden_tests and cell.cell_type == "code":
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
