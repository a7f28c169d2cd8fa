"""nbgrader's Execute, hardened so that a submission's cells cannot change what its test cells run, and so
that one bad cell costs only its own points.

- Every kernel starts guarded (`autograder.grading.in_kernel.guard`): the modules the checks use are
  read-only, and writing outside the notebook's folder is refused.
- Before each graded test cell the kernel's grading state is put back: the classes of those modules,
  IPython's hooks, event callbacks and input and AST transformers, torch's function and dispatch modes,
  timer signals, and the names the notebook's locked setup cell imports (so ``check`` is the course's
  module again). The restore travels as a user expression of an empty execute request: IPython runs
  user expressions with ``eval``, past every input and AST transformer a submission may have installed.
  What had to be put back is printed into the test cell as a ``grading:`` line, for review.
- A test cell counts as passed only when it finished without an error *and* printed its own check's
  pass line (``✔ name: passed``): a test cell rewritten into something else scores zero.
- When the kernel dies (``exit()``, ``os._exit``, a crash, the memory limit), the cell records the error,
  a fresh kernel starts, the setup cell and the solution cells that ran before are replayed, and grading
  goes on with the next cell, so the exercises that ran keep their points.
- With ``notebook_timeout``, no cell runs past the notebook's deadline: a cell's time limit is cut to the
  time left, and the cells after the deadline are marked not run (test cells among them score zero), so
  nbgrader still scores what ran instead of the whole notebook being stopped from outside.
- Where ``GPT_COURSE_GRADING_TIMES`` names a file, a line of JSON is added to it for each notebook: when the
  kernel started, its guard's imports, the cells and the putting back took (what
  `autograder.instructor.nbgrader_process.grading_phases` reads).
"""

import ast
import contextlib
import json
import os
import time

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Float, List, Unicode

from autograder.grading.protocol import (
    DEAD_KERNEL,
    HIDDEN_PREFIX,
    HIDDEN_SEED_SECRET,
    NO_PASS_LINE,
    NOTEBOOK_TIMEOUT,
    PUT_BACK_MARK,
    SETUP_GRADE_ID,
    TIMES_FILE,
    VISIBLE_PREFIX,
    check_name,
    pass_line,
)

GUARD = "__import__('autograder.grading.in_kernel.guard', fromlist=['install']).install()"
STARTUP_TIMES = "__import__('autograder.grading.in_kernel.guard', fromlist=['startup_times']).startup_times()"
KERNEL_DIED = "the kernel died in this cell twice (exit(), a crash or the memory limit); a fresh kernel ran the rest"


class GuardedExecute(Execute):
    extra_arguments = List(
        Unicode(),
        ["--HistoryManager.hist_file=:memory:", f"--IPKernelApp.exec_lines={GUARD}"],
        help="Kernel arguments: no history file, and the guard installed at start.",
    ).tag(config=True)

    notebook_timeout = Float(
        None, allow_none=True, help="Seconds for the whole notebook; the cells after it are not run."
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        setup = setup_imports(nb)
        # the grading run's secret for the hidden checks' seeds comes through nbgrader's environment, never its
        # command line (which other accounts can read), and reaches the kernel only inside this expression
        secret = os.environ.get(HIDDEN_SEED_SECRET, "")
        self._restore = (
            f"__import__('autograder.grading.in_kernel.guard', fromlist=['restore']).restore({setup!r}, {secret!r})"
        )
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout else None
        self._configured_timeout = self.timeout
        self._ran_cleanly: list[NotebookNode] = []  # setup and solution cells that ran without an error
        self._times = {"start": time.time(), "first_cell": None, "last_cell_end": None, "restore": 0.0}
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._times["end"] = time.time()
            if os.environ.get(TIMES_FILE):
                with open(os.environ[TIMES_FILE], "a") as file:
                    file.write(json.dumps(self._times) + "\n")

    def preprocess_cell(self, cell, resources, index):
        if self._times["first_cell"] is None:  # the kernel is ready: ask it when it started, before any cell runs
            self._times.update(self._kernel_startup_times(), first_cell=time.time())
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        left = None if self._deadline is None else self._deadline - time.monotonic()
        if left is not None and left < 1:
            cell.outputs = [_error(NOTEBOOK_TIMEOUT, "not run: grading this notebook reached its time limit")]
            return cell, resources
        self.timeout = self._configured_timeout if left is None else max(1, min(self._configured_timeout, int(left)))
        test_cell = utils.is_grade(cell) and not utils.is_solution(cell)
        for attempt in (1, 2):  # a kernel that died just before the cell (exit() ends it late) gets a second try
            try:
                restoring = time.time()
                put_back = self._put_back_grading_state() if test_cell else None
                self._times["restore"] += time.time() - restoring
                cell, resources = super().preprocess_cell(cell, resources, index)  # this starts the outputs anew
                break
            except DeadKernelError:
                self._restart_kernel()
                if attempt == 2:
                    cell.outputs.append(_error(DEAD_KERNEL, KERNEL_DIED))
                    self._times["last_cell_end"] = time.time()
                    return cell, resources
        self._times["last_cell_end"] = time.time()
        if put_back:
            cell.outputs.insert(0, put_back)
        if test_cell:
            _require_pass_line(cell)
        elif _is_setup_or_solution(cell) and not any(output.output_type == "error" for output in cell.outputs):
            self._ran_cleanly.append(cell)
        return cell, resources

    def _kernel_startup_times(self) -> dict[str, float | None]:
        """When the kernel's process started and its guard began and finished installing (times since the epoch)."""
        times = dict.fromkeys(("process", "install", "installed"))
        if not os.environ.get(TIMES_FILE):
            return times
        reply = self.wait_for_reply(
            self.kc.execute("", silent=True, store_history=False, user_expressions={"times": STARTUP_TIMES})
        )
        result = (reply or {}).get("content", {}).get("user_expressions", {}).get("times", {})
        with contextlib.suppress(ValueError, SyntaxError):
            times.update(ast.literal_eval(result.get("data", {}).get("text/plain", "{}")))
        return times

    def _put_back_grading_state(self) -> NotebookNode | None:
        """Put the kernel's grading state back; a ``grading:`` line saying what was changed, or None."""
        reply = self.wait_for_reply(
            self.kc.execute("", silent=True, store_history=False, user_expressions={"restore": self._restore})
        )
        result = (reply or {}).get("content", {}).get("user_expressions", {}).get("restore", {})
        if result.get("status") != "ok":
            raise DeadKernelError("the grading state could not be put back")  # a fresh kernel then runs the cell
        try:
            put_back = ast.literal_eval(result.get("data", {}).get("text/plain", "[]"))
        except (ValueError, SyntaxError):  # the submission changed how IPython shows values
            put_back = ["the kernel's report of what it put back (unreadable)"]
        if not put_back:
            return None
        text = f"{PUT_BACK_MARK} {', '.join(map(str, put_back))[:2000]}\n"
        return NotebookNode(output_type="stream", name="stdout", text=text)

    def _restart_kernel(self) -> None:
        """A fresh kernel (guarded again), with the setup cell and the solution cells that ran before."""
        self._cleanup_kernel()
        self.km = self.create_kernel_manager()
        self.start_new_kernel()
        self.start_new_kernel_client()
        for earlier in self._ran_cleanly:
            self.wait_for_reply(self.kc.execute(earlier.source, silent=True, store_history=False))


def _is_setup_or_solution(cell) -> bool:
    return utils.is_solution(cell) or cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == SETUP_GRADE_ID


def _require_pass_line(cell) -> None:
    """Score a test cell that raised nothing but did not print its check's pass line as failed."""
    grade_id = cell.metadata["nbgrader"]["grade_id"]
    if any(output.output_type == "error" for output in cell.outputs):
        return
    hidden = grade_id.startswith(HIDDEN_PREFIX)
    exercise = grade_id.removeprefix(HIDDEN_PREFIX if hidden else VISIBLE_PREFIX)
    if exercise == grade_id or not exercise:
        return  # not a course check cell: nothing to expect
    expected = pass_line(check_name(exercise, hidden))
    printed = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
    if expected not in printed:
        cell.outputs.append(_error(NO_PASS_LINE, f"the test cell finished without printing '{expected}'"))


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def setup_imports(nb) -> str:
    """The import statements of the notebook's setup cell, as code; empty when it has none or cannot be parsed."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == SETUP_GRADE_ID:
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                return ""
            return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))
    return ""
