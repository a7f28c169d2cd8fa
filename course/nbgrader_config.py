# nbgrader settings for the course. Run nbgrader commands from this directory: it is the course root.
# Each setting below changes one of nbgrader's defaults on purpose; tests/test_nbgrader_config.py
# shows the effect of each on a real autograde run.

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "gpt-from-scratch"

# Per-cell time limit while autograding (default 30 s). Graded checks take seconds; heavy
# demonstration cells shrink when NBGRADER_EXECUTION is set, so 60 s leaves a wide margin
# and still stops an endless loop within a minute.
c.Execute.timeout = 60

# A graded cell scores zero when its output holds an error *or any stderr stream*. The
# course's checks signal failure only by raising, while stderr carries PyTorch and Python
# warnings and progress bars. So drop every stderr stream before scoring.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\s\S]"

# A student who deletes a test cell must lose its points, not leave "needs manual grading".
c.OverwriteCells.add_missing_cells = True

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# nbgrader's own preprocessors, plus two of the course's (imported below the settings they follow).
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from autograder.grading.in_nbgrader.guarded_execute import GuardedExecute  # noqa: E402
from autograder.grading.in_nbgrader.handed_in_files import RemoveHandedInFiles  # noqa: E402
from autograder.grading.in_nbgrader.hide_hidden_tests import HideHiddenTests  # noqa: E402
from autograder.grading.in_nbgrader.limit_output_size import LimitOutputSize  # noqa: E402
from autograder.grading.in_nbgrader.safe_csv_export import SafeCsvExportPlugin  # noqa: E402
from autograder.grading.in_nbgrader.sanitize_outputs import SanitizeOutputs  # noqa: E402

# Nothing a student controls is active where the instructor looks (formgrader renders notebooks in the instructor's
# Jupyter origin, unescaped): every notebook nbgrader writes is cleaned of scripts, event handlers, javascript: links
# and JavaScript outputs, in its markdown too (SanitizeOutputs, nh3's allow-list). Before the kernel starts, nbgrader
# writes the notebook once (outputs cleared, locked cells put back) and copies the files handed in beside it, which
# formgrader would serve as pages: the notebook is cleaned there already, and those files are removed.
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
    SanitizeOutputs,
    RemoveHandedInFiles,
]  # nbgrader 0.9's list + 2

# Execution is guarded: a submission cannot replace what the tests use or write outside its folder
# (its settings are still Execute's). LimitOutput only counts lines of printed text and tracebacks; LimitOutputSize
# caps every output in characters (displays, images, errors, attachments, outputs per cell and in the notebook).
c.Autograde.autograde_preprocessors = [
    GuardedExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    LimitOutputSize,
    SanitizeOutputs,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]  # nbgrader 0.9's list, Execute guarded, + 2

# Feedback must not show hidden tests: nbgrader's feedback shows them, and their tracebacks quote them.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, SanitizeOutputs, CSSHTMLHeaderPreprocessor]

# nbgrader's CSV export quotes nothing: a student id with a comma, a carriage return or a leading "=" breaks the
# file or becomes a formula. The course's exporter writes the same columns, every field quoted and neutralized.
c.ExportApp.plugin_class = SafeCsvExportPlugin
