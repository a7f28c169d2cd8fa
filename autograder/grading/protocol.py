"""The strings that the grading's processes exchange, each named once.

The student's kernel (the checks and the guard), the nbgrader plug-ins and the instructor's commands run in
different processes and read what the others wrote: a grade id in the notebook, a line a check printed, an
error a plug-in put into a cell. Every side imports the words from here, so none can drift from the others.
"""

import re

# Grade ids of the cells of an exercise `name`: its solution is `name`, its tests `test_name` and `hidden_name`.
SETUP_GRADE_ID = "setup"  # every assignment's locked first code cell, which holds its imports
VISIBLE_PREFIX = "test_"
HIDDEN_PREFIX = "hidden_"

HIDDEN_TESTS_MARKER = "BEGIN HIDDEN TESTS"  # nbgrader's marker of the hidden tests' region in a cell
# The whole region, markers and all (the build removes it from solutions); its group is what lies between them.
HIDDEN_TESTS_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS[ \t]*\n?", re.M | re.S)


def check_name(exercise: str, hidden: bool = False) -> str:
    """The name a check goes by in what it prints and in its failure messages."""
    return f"{exercise} (hidden)" if hidden else exercise


def pass_line(name: str) -> str:
    """What a check named ``name`` prints when it passes; a test cell scores only with its own check's line."""
    return f"✔ {name}: passed"


REFUSAL_PREFIX = "grading: "  # the start of every refusal by the kernel's guard, and of what it reports
PUT_BACK_MARK = REFUSAL_PREFIX + "before this test cell:"  # printed into a test cell, for review

# The errors GuardedExecute (and nbgrader) put into a cell, with what they mean to the instructor.
CELL_TIMEOUT = "CellTimeoutError"
DEAD_KERNEL = "DeadKernelError"
NOTEBOOK_TIMEOUT = "NotebookTimeoutError"
NO_PASS_LINE = "GradingError"
TROUBLE = {
    CELL_TIMEOUT: "a cell hit the time limit",
    "MemoryError": "a cell ran out of memory",
    DEAD_KERNEL: "the kernel died",
    NOTEBOOK_TIMEOUT: "not run: the notebook's time limit was reached",
    NO_PASS_LINE: "a test cell did not print its check's pass line",
}

HIDDEN_SEED_SECRET = "GPT_COURSE_HIDDEN_SEED_SECRET"  # environment variable of nbgrader's process: the run's secret
TIMES_FILE = "GPT_COURSE_GRADING_TIMES"  # environment variable: the file GuardedExecute adds each notebook's times to
