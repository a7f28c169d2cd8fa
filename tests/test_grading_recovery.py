"""Through real nbgrader: honest accidents keep the points of the work that ran, and the in-kernel tricks that use
only public APIs (IPython's transformers, torch modes, threads, timer signals, a setup cell without its metadata)
no longer turn a wrong answer into points. Each trick is flagged for review."""

import copy

import nbformat
import pytest

from autograder.instructor import autograde
from tools.nbgrader_course import cell_scores, completed_release, scratch_course, submit

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox]

ASSIGNMENT = "03_attention"
WRONG = "def softmax_naive(x):\n    return x\n\n"  # fails test_softmax_naive and hidden_softmax_naive
FAKE_PASS = "print('✔ softmax_naive: passed (2 cases)')"  # what a rewritten test cell would print instead
TRICKS = {  # a wrong answer, and a way to make its tests pass anyway
    "input_transformer": WRONG + f"get_ipython().input_transformers_post.append(lambda lines: [{FAKE_PASS!r}])\n",
    "torch_mode": WRONG
    + (
        "import torch\nfrom torch.overrides import TorchFunctionMode\n\n"
        "class EverythingClose(TorchFunctionMode):  # every comparison of the checks says yes\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        result = func(*args, **(kwargs or {}))\n"
        "        if func in (torch.Tensor.__le__, torch.Tensor.le, torch.le):\n"
        "            return torch.ones_like(result)\n"
        "        return result\n\n"
        "EverythingClose().__enter__()\n"
    ),
    "thread": WRONG
    + (
        "import threading, time\n\n"
        "def keep_patching():\n"
        "    while True:\n"
        f"        get_ipython().input_transformers_post[:] = [lambda lines: [{FAKE_PASS!r}]]\n"
        "        time.sleep(0.001)\n\n"
        "threading.Thread(target=keep_patching, daemon=True).start()\n"
    ),
    "timer_signal": WRONG
    + (
        "import signal\n\n"
        "def patch(*args):\n"
        f"    get_ipython().input_transformers_post[:] = [lambda lines: [{FAKE_PASS!r}]]\n\n"
        "signal.signal(signal.SIGALRM, patch)\n"
        "signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)\n"
    ),
    "copied_reference": WRONG  # the reference's source, found next to the checks, copied in and imported
    + (
        "import os, pathlib, sys\n"
        "source = pathlib.Path(check.__file__).parents[1] / 'reference' / 'attention.py'\n"
        "try:\n"
        "    pathlib.Path('copied_attention.py').write_text(source.read_text())\n"
        "    sys.path.insert(0, os.getcwd())\n"
        "    from copied_attention import softmax_naive\n"
        "except OSError:\n"
        "    pass\n"
    ),
}


def index_of(notebook, grade_id):
    return next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def with_plain_cell_after(notebook, grade_id, source):
    notebook = copy.deepcopy(notebook)
    notebook.cells.insert(index_of(notebook, grade_id) + 1, nbformat.v4.new_code_cell(source))
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("course"), [ASSIGNMENT])
    full = completed_release(ASSIGNMENT)
    submit(course, "script_exit", ASSIGNMENT, with_plain_cell_after(full, "hidden_softmax_naive", "exit()"))
    crash = "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)  # what a crashing C extension does"
    submit(course, "segfault", ASSIGNMENT, with_plain_cell_after(full, "hidden_softmax_stable", crash))

    deleted = copy.deepcopy(full)
    for grade_id in ("softmax_naive", "test_softmax_naive"):
        del deleted.cells[index_of(deleted, grade_id)]
    submit(course, "deleted_cells", ASSIGNMENT, deleted)

    foreign = copy.deepcopy(full)  # a graded cell pasted from another assignment
    pasted = nbformat.v4.new_code_cell("check.project_qkv(project_qkv)")
    pasted.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "test_project_qkv",
        "locked": True,
        "points": 1,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    foreign.cells.insert(index_of(foreign, "test_softmax_stable") + 1, pasted)
    submit(course, "foreign_cell", ASSIGNMENT, foreign)

    second_download = course / "submitted" / "browser_copy" / ASSIGNMENT / f"{ASSIGNMENT} (1).ipynb"
    second_download.parent.mkdir(parents=True)
    nbformat.write(full, second_download)

    no_setup = completed_release(ASSIGNMENT, {"softmax_naive": WRONG})
    setup = no_setup.cells[index_of(no_setup, "setup")]
    del setup.metadata["nbgrader"]
    setup.source = (
        "import torch\n\nclass PassEverything:\n    def __getattr__(self, name):\n"
        "        return lambda *args, **kwargs: print(f'✔ {name}: passed')\n\ncheck = PassEverything()\n"
    )
    submit(course, "setup_without_metadata", ASSIGNMENT, no_setup)

    figure = "import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()"  # the inline backend registers a callback
    submit(course, "draws_a_figure", ASSIGNMENT, with_plain_cell_after(full, "setup", figure))

    for name, source in TRICKS.items():
        submit(course, name, ASSIGNMENT, completed_release(ASSIGNMENT, {"softmax_naive": source}))
    outcomes = {outcome.student: outcome for outcome in autograde.autograde(course, ASSIGNMENT)}
    return course, outcomes


def full_marks(outcome) -> bool:
    return outcome.score is not None and outcome.score == outcome.max_score


def test_exit_in_a_cell_keeps_every_point(graded):
    _, outcomes = graded
    assert full_marks(outcomes["script_exit"]), outcomes["script_exit"]


def test_a_crash_keeps_the_points_of_the_other_cells(graded):
    _, outcomes = graded
    assert full_marks(outcomes["segfault"]), outcomes["segfault"]
    assert any("the kernel died" in problem for problem in outcomes["segfault"].problems)


def test_deleted_solution_and_test_cells_cost_only_their_exercise(graded):
    course, outcomes = graded
    scores = cell_scores(course, ASSIGNMENT, "deleted_cells")
    assert scores["test_softmax_naive"] == scores["hidden_softmax_naive"] == 0
    assert sum(scores.values()) == outcomes["deleted_cells"].max_score - 3
    assert any("put back the deleted cell 'softmax_naive'" in problem for problem in outcomes["deleted_cells"].problems)


def test_a_graded_cell_of_another_assignment_is_graded_as_plain_code(graded):
    _, outcomes = graded
    assert full_marks(outcomes["foreign_cell"]), outcomes["foreign_cell"]
    assert any("'test_project_qkv' is not part of this assignment" in p for p in outcomes["foreign_cell"].problems)


def test_a_second_download_name_is_accepted(graded):
    _, outcomes = graded
    assert full_marks(outcomes["browser_copy"]), outcomes["browser_copy"]
    assert any("a browser's name for a second download" in p for p in outcomes["browser_copy"].problems)


def test_a_setup_cell_without_its_metadata_is_put_back(graded):
    course, outcomes = graded
    scores = cell_scores(course, ASSIGNMENT, "setup_without_metadata")
    assert scores["test_softmax_naive"] == scores["hidden_softmax_naive"] == 0
    assert any("put back the deleted cell 'setup'" in p for p in outcomes["setup_without_metadata"].problems)


def test_a_notebook_that_draws_is_not_flagged(graded):
    _, outcomes = graded
    assert full_marks(outcomes["draws_a_figure"])
    assert outcomes["draws_a_figure"].problems == []


@pytest.mark.parametrize("trick", TRICKS)
def test_an_in_kernel_trick_earns_nothing_and_is_flagged(graded, trick):
    course, outcomes = graded
    scores = cell_scores(course, ASSIGNMENT, trick)
    assert scores["test_softmax_naive"] == scores["hidden_softmax_naive"] == 0, scores
    assert sum(scores.values()) == outcomes[trick].max_score - 3  # the other exercises still graded
    assert any(problem.startswith(f"{ASSIGNMENT}.ipynb: for review:") for problem in outcomes[trick].problems)


def test_a_wrong_answer_is_not_taken_for_a_read_of_the_course_s_files(graded):
    _, outcomes = (
        graded  # its failing checks' tracebacks show the checks' source: the kernel reads it, not the notebook
    )
    for trick, outcome in outcomes.items():
        if trick != "copied_reference":
            assert not any("refused a read" in problem for problem in outcome.problems), (trick, outcome)


def test_a_read_of_the_reference_is_flagged_with_its_file(graded):
    _, outcomes = graded
    flagged = [problem for problem in outcomes["copied_reference"].problems if "refused a read of" in problem]
    assert any("autograder/reference/attention.py" in problem for problem in flagged), outcomes["copied_reference"]
