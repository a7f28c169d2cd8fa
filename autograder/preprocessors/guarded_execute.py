"""nbgrader's Execute, hardened so that a submission's cells cannot change what its test cells run.

- Every kernel starts guarded (`autograder.defences.kernel_guard`): the modules the checks use are
  read-only, and writing outside the notebook's folder is refused.
- Before each graded test cell, the classes of those modules are put back as they were, and the
  imports of the notebook's locked setup cell run again (silently), so a name such as ``check``
  that a student's cell rebound points at the course's module again.
"""

import ast

from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import List, Unicode

SETUP_CELL = "setup"  # the grade id of every assignment's locked first code cell, which holds its imports
GUARD = "__import__('autograder.defences.kernel_guard', fromlist=['install']).install()"
RESTORE = "__import__('autograder.defences.kernel_guard', fromlist=['restore_classes']).restore_classes()"


class GuardedExecute(Execute):
    extra_arguments = List(
        Unicode(),
        ["--HistoryManager.hist_file=:memory:", f"--IPKernelApp.exec_lines={GUARD}"],
        help="Kernel arguments: no history file, and the guard installed at start.",
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._restore = "\n".join([setup_imports(nb), RESTORE])
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            self.wait_for_reply(self.kc.execute(self._restore, silent=True, store_history=False))
        return super().preprocess_cell(cell, resources, index)


def setup_imports(nb) -> str:
    """The import statements of the notebook's setup cell, as code; empty when it has none or cannot be parsed."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == SETUP_CELL:
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                return ""
            return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))
    return ""
