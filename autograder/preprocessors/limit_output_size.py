"""Keep a flood of printed output out of graded notebooks and feedback.

nbgrader's ``LimitOutput`` counts lines, not characters: a student who prints a few lines of a
million characters each leaves megabytes in the autograded notebook and in the feedback page.
``LimitOutputSize`` runs after execution (``course/nbgrader_config.py`` puts it into
``Autograde.autograde_preprocessors``) and cuts each code cell's printed text to ``max_chars``.
Grades do not change: they depend on errors and results, not on what was printed.
"""

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer


class LimitOutputSize(NbGraderPreprocessor):
    max_chars = Integer(20_000, help="characters of printed output kept per code cell").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            left = self.max_chars
            for output in cell.outputs:
                if output.output_type == "stream":
                    if len(output.text) > left:
                        cut = len(output.text) - left
                        output.text = output.text[:left] + f"\n… {cut:,} more characters cut by the grader\n"
                    left = max(0, left - len(output.text))
        return cell, resources
