"""`gpt-course autograde`: broken or tampered submissions get a clear outcome and never stop the class."""

import copy
import csv
import json

import nbformat
import pytest

from tests.support.cli_workflow import gpt_course_process as gpt_course
from tools.nbgrader_course import cell_scores, completed_release, nbgrader, scratch_course, submit

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox, pytest.mark.dask]

ASSIGNMENT = "03_attention"  # the quickest notebook to grade


def with_cell_changed(notebook, grade_id, change):
    notebook = copy.deepcopy(notebook)
    index = next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    change(notebook.cells, index)
    return notebook


MONKEYPATCHES = {  # wrong answers, each with a change to what the tests rely on
    "softmax_naive": (
        "def softmax_naive(x):\n    return x\n\n"
        "class PassEverything:  # stands in for the course's checks\n"
        "    def __getattr__(self, name):\n"
        "        return lambda *args, **kwargs: print(f'✔ {name}: passed')\n\n"
        "check = PassEverything()\n"
    ),
    "softmax_stable": (
        "def softmax_stable(x, dim=-1):\n    return torch.exp(x) / torch.exp(x).sum(dim=dim, keepdim=True)\n\n"
        "from autograder.checks import core\n"
        "core.Check.tensor = lambda *args, **kwargs: None  # every tensor comparison passes\n"
    ),
    "context_vector": (
        "def context_vector(query, inputs):\n    return inputs.mean(dim=0)\n\n"
        "from autograder.checks import attention\n"
        "attention.context_vector_hidden.__code__ = (lambda *args, **kwargs: None).__code__\n"
    ),
    "attention_weights": (
        "def attention_weights(inputs):\n    return inputs @ inputs.T\n\n"
        "torch.allclose = lambda *args, **kwargs: True\n"
    ),
}


def vandalism(course):
    """A correct answer cell that then tries to wreck the course, the gradebook and another student's work."""
    return (
        "def all_context_vectors(inputs):\n    return attention_weights(inputs) @ inputs\n\n"
        f"import pathlib, sqlite3\ncourse = pathlib.Path({str(course)!r})\n"
        "for attempt in (lambda: sqlite3.connect(course / 'gradebook.db').execute('DELETE FROM grade'),\n"
        f"                lambda: (course / 'source' / '{ASSIGNMENT}' / '{ASSIGNMENT}.ipynb').unlink(),\n"
        f"                lambda: (course / 'submitted' / 'full' / '{ASSIGNMENT}' / '{ASSIGNMENT}.ipynb').write_text('{{}}')):\n"
        "    try:\n        attempt()\n    except PermissionError as error:\n        print(error)\n"
        "(course / 'gradebook.db').write_bytes(b'')\n"
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("course"), [ASSIGNMENT])
    full = completed_release(ASSIGNMENT)
    submit(course, "full", ASSIGNMENT, full)
    broken = course / "submitted" / "not_json" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')

    def paste_copy(cells, index):
        cells.insert(index + 1, copy.deepcopy(cells[index]))
        cells[index + 1]["id"] = "pasted-copy"

    def edit_schema(cells, index):
        cells[index].metadata["nbgrader"]["schema_version"] = 1

    submit(course, "pasted_test_cell", ASSIGNMENT, with_cell_changed(full, "test_softmax_naive", paste_copy))
    submit(course, "edited_schema", ASSIGNMENT, with_cell_changed(full, "test_softmax_naive", edit_schema))
    other_kernel = copy.deepcopy(full)
    other_kernel.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "?", "language": "python"}
    submit(course, "other_kernel", ASSIGNMENT, other_kernel)
    submit(
        course,
        "endless_loop",
        ASSIGNMENT,
        completed_release(ASSIGNMENT, {"softmax_naive": "def softmax_naive(x):\n    while True:\n        pass\n"}),
    )
    submit(
        course,
        "memory_bomb",
        ASSIGNMENT,
        completed_release(
            ASSIGNMENT,
            {"softmax_stable": "blocks = [bytearray(6 * 1024**3) for _ in range(4)]  # 24 GB: the whole machine\n"},
        ),
    )
    submit(
        course,
        "fake_passes",
        ASSIGNMENT,
        completed_release(
            ASSIGNMENT,
            {"softmax_naive": ("def softmax_naive(x):\n    return x\n\nprint('✔ softmax_naive: passed (2 cases)')\n")},
        ),
    )
    submit(
        course,
        "flood",
        ASSIGNMENT,
        completed_release(
            ASSIGNMENT,
            {
                "softmax_naive": (
                    "def softmax_naive(x):\n    return torch.exp(x) / torch.exp(x).sum(dim=-1, keepdim=True)\n\n"
                    "print(('spam ' * 20_000 + '\\n') * 200)  # 20 MB in 200 lines\n"
                )
            },
        ),
    )
    submit(
        course,
        "syntax_error",
        ASSIGNMENT,
        completed_release(ASSIGNMENT, {"softmax_naive": "def softmax_naive(x)\n    return torch.softmax(x, -1)\n"}),
    )

    def edit_test(cells, index):
        cells[index].source = "pass  # no test here"

    def edit_metadata(cells, index):
        cells[index].metadata["nbgrader"].update(points=100, checksum="0" * 32)

    wrong = completed_release(ASSIGNMENT, {"softmax_naive": "def softmax_naive(x):\n    return x\n"})
    submit(
        course,
        "edited_tests",
        ASSIGNMENT,
        with_cell_changed(with_cell_changed(wrong, "test_softmax_naive", edit_test), "hidden_softmax_naive", edit_test),
    )
    submit(course, "edited_metadata", ASSIGNMENT, with_cell_changed(full, "test_softmax_naive", edit_metadata))
    submit(course, "monkeypatcher", ASSIGNMENT, completed_release(ASSIGNMENT, MONKEYPATCHES))
    submit(course, "vandal", ASSIGNMENT, completed_release(ASSIGNMENT, {"all_context_vectors": vandalism(course)}))
    deep = copy.deepcopy(full)  # valid Python that Python's parser gives up on: it fails when it runs, nothing more
    deep.cells.append(nbformat.v4.new_code_cell("total = " + "+".join(["1"] * 5000)))
    submit(course, "deep_sum", ASSIGNMENT, deep)

    def locked_fake(cells, index):  # a blank answer whose cell the student marked locked, hoping not to be read
        cells[
            index
        ].source = "torch.__dict__['allclose'] = lambda *args, **kwargs: True\ndef softmax_naive(x):\n    return x\n"
        cells[index].metadata["nbgrader"]["locked"] = True

    submit(course, "locked_fake", ASSIGNMENT, with_cell_changed(full, "softmax_naive", locked_fake))
    result = gpt_course(
        "autograde", ASSIGNMENT, "--course", str(course), "--cell-timeout", "15"
    )  # generous: imports can be slow on a busy machine
    with open(course / "reports" / f"{ASSIGNMENT}-outcomes.csv", newline="") as file:
        return result, {row["student"]: row for row in csv.DictReader(file)}, course


def test_the_class_is_graded_despite_broken_submissions(graded):
    result, outcomes, _ = graded
    assert result.returncode == 0, result.stderr
    assert set(outcomes) == {
        "full",
        "not_json",
        "pasted_test_cell",
        "edited_schema",
        "other_kernel",
        "endless_loop",
        "memory_bomb",
        "fake_passes",
        "flood",
        "monkeypatcher",
        "vandal",
        "syntax_error",
        "edited_tests",
        "edited_metadata",
        "deep_sum",
        "locked_fake",
    }
    assert "15 of 16 submissions graded" in result.stdout
    for student in ("full", "pasted_test_cell", "edited_schema", "other_kernel", "edited_metadata", "deep_sum"):
        assert outcomes[student]["status"] == "graded"
        assert float(outcomes[student]["score"]) == float(outcomes[student]["max_score"]) > 0, student


def test_a_cell_too_deep_for_the_parser_is_flagged_and_costs_nothing_else(graded):
    """A 5,000-term sum makes Python's parser raise RecursionError: the scan flags it, the class goes on."""
    _, outcomes, _ = graded
    assert "could not be read (RecursionError)" in outcomes["deep_sum"]["problems"]


def test_a_solution_cell_marked_locked_is_scanned_all_the_same(graded):
    _, outcomes, _ = graded
    assert "softmax_naive uses .__dict__" in outcomes["locked_fake"]["problems"]
    assert float(outcomes["locked_fake"]["score"]) < float(outcomes["locked_fake"]["max_score"])


def test_an_unreadable_notebook_is_reported_not_graded(graded):
    _, outcomes, _ = graded
    assert outcomes["not_json"]["status"] == "not graded"
    assert "is not a valid notebook" in outcomes["not_json"]["problems"]


def test_repairs_are_flagged(graded):
    _, outcomes, _ = graded
    assert "removed a copy of cell 'test_softmax_naive'" in outcomes["pasted_test_cell"]["problems"]
    assert "reset the edited nbgrader schema version" in outcomes["edited_schema"]["problems"]
    assert (
        outcomes["full"]["problems"]
        == outcomes["other_kernel"]["problems"]
        == outcomes["fake_passes"]["problems"]
        == "[]"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["autograde", ASSIGNMENT, "--course", "/nonexistent"], "is not a course directory"),
        (["autograde", "99_nothing"], "unknown assignment '99_nothing'"),
    ],
)
def test_bad_arguments_get_a_clear_error(args, message):
    result = gpt_course(*args)
    assert result.returncode == 2 and message in result.stderr


def test_no_submissions_is_a_clear_error(tmp_path):
    course = scratch_course(tmp_path, [])
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    result = gpt_course("autograde", ASSIGNMENT, "--course", str(course))
    assert result.returncode == 1 and f"no submissions for {ASSIGNMENT}" in result.stderr


def test_an_endless_loop_costs_only_its_exercise(graded):
    _, outcomes, course = graded
    scores = cell_scores(course, ASSIGNMENT, "endless_loop")
    assert scores["test_softmax_naive"] == scores["hidden_softmax_naive"] == 0
    assert scores["test_softmax_stable"] > 0 and float(outcomes["endless_loop"]["score"]) > 0


def test_a_memory_bomb_costs_only_its_exercise(graded):
    _, outcomes, course = graded
    scores = cell_scores(course, ASSIGNMENT, "memory_bomb")
    assert scores["test_softmax_stable"] == scores["hidden_softmax_stable"] == 0
    assert scores["test_softmax_naive"] > 0 and float(outcomes["memory_bomb"]["score"]) > 0


def test_a_notebook_over_its_time_limit_keeps_the_points_of_what_ran(tmp_path):
    course = scratch_course(tmp_path, [ASSIGNMENT])
    slow = completed_release(ASSIGNMENT)
    late = next(
        i
        for i, cell in enumerate(slow.cells)
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "attention_weights"
    )
    slow.cells[late:late] = [nbformat.v4.new_code_cell("import time\ntime.sleep(4)") for _ in range(8)]
    submit(course, "slow", ASSIGNMENT, slow)
    result = gpt_course("autograde", ASSIGNMENT, "--course", str(course), "--notebook-timeout", "25")
    assert result.returncode == 0, result.stderr
    assert "1 of 1 submissions graded" in result.stdout and "not run: the notebook's time limit" in result.stdout
    scores = cell_scores(course, ASSIGNMENT, "slow")
    assert scores["test_context_vector"] == 1 and scores["hidden_context_vector"] == 2  # graded before the limit
    assert scores["test_attention_weights"] == scores["hidden_all_context_vectors"] == 0  # not run


def test_megabytes_of_output_are_cut_and_cost_nothing(graded):
    _, outcomes, course = graded
    assert outcomes["flood"]["score"] == outcomes["full"]["score"]
    autograded = course / "autograded" / "flood" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert autograded.stat().st_size < 200_000  # the submission printed 20 MB
    assert "more characters cut by the grader" in autograded.read_text()


def test_printed_pass_lines_earn_nothing(graded):
    _, _, course = graded
    scores = cell_scores(course, ASSIGNMENT, "fake_passes")
    assert scores["test_softmax_naive"] == scores["hidden_softmax_naive"] == 0


def test_a_syntax_error_costs_only_its_exercise(graded):
    _, _, course = graded
    scores = cell_scores(course, ASSIGNMENT, "syntax_error")
    assert scores["test_softmax_naive"] == scores["hidden_softmax_naive"] == 0
    assert scores["test_softmax_stable"] > 0 and scores["hidden_context_vector"] > 0


def test_edited_test_cells_are_put_back_and_run(graded):
    _, _, course = graded
    scores = cell_scores(course, ASSIGNMENT, "edited_tests")
    assert scores["test_softmax_naive"] == scores["hidden_softmax_naive"] == 0  # the wrong answer is tested anyway
    assert scores["test_softmax_stable"] > 0


def test_edited_points_and_checksums_change_nothing(graded):
    _, outcomes, _ = graded
    assert outcomes["edited_metadata"]["max_score"] == outcomes["full"]["max_score"]


def test_monkeypatching_what_the_tests_use_earns_nothing_and_is_flagged(graded):
    _, outcomes, course = graded
    scores = cell_scores(course, ASSIGNMENT, "monkeypatcher")
    for exercise in MONKEYPATCHES:
        assert scores[f"test_{exercise}"] == scores[f"hidden_{exercise}"] == 0, exercise
    assert scores["test_attention_scores"] > 0
    problems = outcomes["monkeypatcher"]["problems"]
    assert "attention_weights was refused: a graded notebook may not replace torch.allclose" in problems
    assert "context_vector was refused: a graded notebook may not change autograder.checks.attention" in problems
    assert "for review: softmax_stable changes core.Check.tensor, imports autograder.checks" in problems


def test_writing_into_the_course_is_refused_and_harms_no_one(graded):
    _, outcomes, course = graded
    assert outcomes["vandal"]["score"] == outcomes["full"]["score"] == outcomes["full"]["max_score"]
    assert cell_scores(course, ASSIGNMENT, "full")["hidden_softmax_naive"] > 0  # the gradebook kept its grades
    assert (course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    submitted = course / "submitted" / "full" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert nbformat.read(submitted, as_version=4) == completed_release(ASSIGNMENT)
    autograded = nbformat.read(course / "autograded" / "vandal" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    cell = next(
        cell for cell in autograded.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "all_context_vectors"
    )
    printed = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
    assert printed.count("a graded notebook may change files only in its own folder") == 2  # SQLite, unlink
    assert printed.count("a graded notebook may write only in its own folder") == 1  # the other student's copy
    assert [output.evalue for output in cell.outputs if output.output_type == "error"] == [
        f"grading: a graded notebook may write only in its own folder, not {course / 'gradebook.db'}"
    ]
    assert (
        "all_context_vectors was refused: a graded notebook may write only in its own folder"
        in outcomes["vandal"]["problems"]
    )


def test_class_report(graded):
    _, _outcomes, course = graded
    result = gpt_course("report", "--course", str(course))
    assert result.returncode == 0, result.stderr
    assert (course / "reports" / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(course / "reports" / "pass_rates.csv", newline="") as file:
        rates = {row["test"]: float(row["pass_rate"]) for row in csv.DictReader(file)}
    # 16 submissions; not_json, endless_loop, fake_passes, monkeypatcher, syntax_error, edited_tests and locked_fake
    # fail softmax_naive's visible test
    assert rates["test_softmax_naive"] == pytest.approx(9 / 16, abs=1e-3)
    assert rates["test_attention_scores"] == pytest.approx(15 / 16, abs=1e-3)
    with open(course / "reports" / "flagged.csv", newline="") as file:
        flagged = {row["student"]: row["problems"] for row in csv.DictReader(file)}
    assert set(flagged) == {
        "not_json",
        "pasted_test_cell",
        "edited_schema",
        "endless_loop",
        "memory_bomb",
        "monkeypatcher",
        "vandal",
        "deep_sum",
        "locked_fake",
    }
    assert "a cell hit the time limit in test_softmax_naive" in flagged["endless_loop"]
    assert "a cell ran out of memory in softmax_stable" in flagged["memory_bomb"]


def test_report_without_a_gradebook_is_a_clear_error(tmp_path):
    course = scratch_course(tmp_path, [])
    result = gpt_course("report", "--course", str(course))
    assert result.returncode == 1 and "no gradebook yet" in result.stderr


def test_a_submission_nbgrader_cannot_grade_gets_nbgraders_reason(tmp_path):
    course = scratch_course(tmp_path, [ASSIGNMENT])
    submit(course, "bad_time", ASSIGNMENT, completed_release(ASSIGNMENT))
    # the exchange is writable for everyone: a student can leave a timestamp that nbgrader refuses
    (course / "submitted" / "bad_time" / ASSIGNMENT / "timestamp.txt").write_text("yesterday\x1b[2J")
    log = course / "reports" / "logs" / ASSIGNMENT / "bad_time.log"
    for workers in ("2", "1"):  # a worker's scratch course, then the course itself
        if workers == "1":
            submit(course, "full", ASSIGNMENT, completed_release(ASSIGNMENT))
        result = gpt_course("autograde", ASSIGNMENT, "--course", str(course), "--workers", workers)
        assert result.returncode == 0, result.stderr
        with open(course / "reports" / f"{ASSIGNMENT}-outcomes.csv", newline="") as file:
            outcomes = {row["student"]: row for row in csv.DictReader(file)}
        problems = json.loads(outcomes["bad_time"]["problems"])
        assert outcomes["bad_time"]["status"] == "not graded"
        [reason] = [problem for problem in problems if "Unknown string format: yesterday" in problem]
        assert reason.startswith("nbgrader ") and reason in result.stdout
        assert reason.endswith(f"(log: reports/logs/{ASSIGNMENT}/bad_time.log)") and "\x1b" not in reason
        assert "Unknown string format" in log.read_text()  # nbgrader's whole log is kept
    assert outcomes["full"]["status"] == "graded" and (log.parent / "full.log").is_file()


HUGE_OUTPUTS = {  # each a correct answer, but for context_vector, with outputs of megabytes
    "softmax_naive": (
        "def softmax_naive(x):\n    return torch.exp(x) / torch.exp(x).sum(dim=-1, keepdim=True)\n\n"
        "from IPython.display import HTML, Markdown, display\n"
        "display(Markdown('![](attachment:none.png)'))  # no such attachment: nbconvert would fail on it\n"
        "display({'image/png': 'iVBORw0KGgo' + 'A' * 20_000_000, 'text/plain': '<an image>'}, raw=True)  # 20 MB\n"
        "display(HTML('<p>' + 'spam ' * 4_000_000 + '</p>'))  # 20 MB\n"
    ),
    "softmax_stable": (
        "def softmax_stable(x, dim=-1):\n    x = x - x.max(dim=dim, keepdim=True).values\n"
        "    return torch.exp(x) / torch.exp(x).sum(dim=dim, keepdim=True)\n\n"
        "for i in range(10_000):\n    display(i)\n"
    ),
    "context_vector": "def context_vector(query, inputs):\n    raise ValueError('boom ' * 1_000_000)  # 5 MB\n",
}


def test_outputs_of_any_kind_are_capped_and_grades_stay(tmp_path):
    course = scratch_course(tmp_path, [ASSIGNMENT])
    notebook = completed_release(ASSIGNMENT, HUGE_OUTPUTS)
    attachment = {"big.png": {"image/png": "iVBORw0KGgo" + "B" * 5_000_000}}
    notebook.cells.append(
        nbformat.v4.new_markdown_cell("![](attachment:big.png) ![](attachment:none.png)", attachments=attachment)
    )
    submit(course, "huge", ASSIGNMENT, notebook)
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    autograded = course / "autograded" / "huge" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    feedback = course / "feedback" / "huge" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert autograded.stat().st_size < 1_000_000 and feedback.stat().st_size < 1_000_000
    scores = cell_scores(course, ASSIGNMENT, "huge")
    assert scores["test_context_vector"] == scores["hidden_context_vector"] == 0
    assert {name for name, score in scores.items() if score == 0} == {"test_context_vector", "hidden_context_vector"}
    graded = nbformat.read(autograded, as_version=4)
    cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in graded.cells}
    [error] = [output for output in cells["test_context_vector"].outputs if output.output_type == "error"]
    assert error.ename == "CheckFailure" and "raised ValueError: boom boom" in error.evalue
    assert "more characters cut by the grader" in error.evalue
    text = autograded.read_text()
    assert "[image/png output of 20,000,040 characters removed by the grader]" in text  # with its text/plain
    assert "[text/html output of 20,000,060 characters removed by the grader]" in text
    assert "9,900 more outputs removed by the grader" in text
    assert "[1 attachments of 5,000,020 characters removed by the grader: big.png]" in text
    assert "attachment-removed:none.png" in text  # a reference to no attachment would stop generate_feedback
    assert "removed by the grader" in feedback.read_text()


def test_a_refused_id_and_a_notebook_over_a_cap_are_not_graded_and_the_class_is(tmp_path):
    """A folder put under submitted/ by hand or by nbgrader's own collect: its id is refused. A notebook of 3,000
    cells (100,000 empty cells cost nbgrader minutes outside every time limit) is over a cap. The rest is graded."""
    course = scratch_course(tmp_path, [ASSIGNMENT])
    submit(course, "ann", ASSIGNMENT, completed_release(ASSIGNMENT))
    submit(course, "=HYPERLINK(1)", ASSIGNMENT, completed_release(ASSIGNMENT))
    huge = completed_release(ASSIGNMENT)
    huge.cells += [nbformat.v4.new_markdown_cell("") for _ in range(3_000)]
    submit(course, "huge", ASSIGNMENT, huge)
    result = gpt_course("autograde", ASSIGNMENT, "--course", str(course))
    assert result.returncode == 0, result.stderr
    with open(course / "reports" / f"{ASSIGNMENT}-outcomes.csv", newline="") as file:
        outcomes = {row["student"]: row for row in csv.DictReader(file)}
    assert outcomes["ann"]["status"] == "graded" and float(outcomes["ann"]["score"]) == 18
    assert outcomes["=HYPERLINK(1)"]["status"] == "not graded"
    assert "not graded: the student id" in outcomes["=HYPERLINK(1)"]["problems"]
    assert not (course / "autograded" / "=HYPERLINK(1)").exists()
    assert outcomes["huge"]["status"] == "not graded"
    assert "over the cap of 2,000 cells (3,0" in outcomes["huge"]["problems"]
    assert not (course / "autograded" / "huge").exists()
