"""`gpt-course selfgrade`: a learner grades their own notebook with the instructor's grading, real nbgrader and
real sandboxed kernels; the points per exercise and the failing checks' messages, never hidden test code, and
nothing written into the course or next to the notebook."""

import hashlib
import os
import re
import shutil
import subprocess
import sys

import pytest

from autograder.instructor import build
from tools.catalogue.notebook_bugs import CLASSIC_BUGS
from tools.checkout import TREE
from tools.nbgrader_course import completed_release

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox]

ASSIGNMENT = "03_attention"  # the quickest notebook to grade
ROW = re.compile(r"^(\w+)\s+(\S+ / \S+|-)\s+(\S+ / \S+|-)\s+(\S+ / \S+)$", re.M)
FAILED = re.compile(r"^- (\w+): ", re.M)
TOTAL = re.compile(r"^Total: (\S+) / (\S+)$", re.M)


def command(*args, cwd=TREE.root) -> subprocess.Popen:
    """`gpt-course selfgrade` as a learner runs it, in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "autograder.instructor.cli", "selfgrade", *map(str, args)],
        cwd=cwd,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen, timeout: float = 600) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def tree_digest(root) -> dict[str, str]:
    """Every entry under ``root``, ignoring nothing: a file's bytes, a folder as such, a link's target."""
    digest = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            digest[name] = f"link {os.readlink(path)}"
        elif path.is_dir():
            digest[name] = "folder"
        else:
            digest[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def table(output: str) -> dict[str, tuple[str, str, str]]:
    return {name: (visible, hidden, total) for name, visible, hidden, total in ROW.findall(output)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The three notebooks graded at the same time, each by a command of its own; course/ hashed around them."""
    learner = tmp_path_factory.mktemp("learner")
    cell, bug, _ = CLASSIC_BUGS[ASSIGNMENT]
    notebooks = {"untouched": TREE.release_path(ASSIGNMENT)}
    for name, notebook in {
        "full": completed_release(ASSIGNMENT),
        "buggy": completed_release(ASSIGNMENT, {cell: bug}),
    }.items():
        notebooks[name] = learner / name / f"{ASSIGNMENT}.ipynb"
        build.write(notebook, notebooks[name])
    course_before, learner_before = tree_digest(TREE.course), tree_digest(learner)
    processes = {name: command(ASSIGNMENT, path, "--root", TREE.root) for name, path in notebooks.items()}
    results = {name: finished(process) for name, process in processes.items()}
    return results, (course_before, tree_digest(TREE.course)), (learner_before, tree_digest(learner))


def test_a_full_solution_gets_full_marks(graded):
    result = graded[0]["full"]
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert len(rows) == 6, result.stdout  # the exercises of 03_attention, each a row
    assert all(row == ("1 / 1", "2 / 2", "3 / 3") for row in rows.values()), result.stdout
    assert TOTAL.search(result.stdout).groups() == ("18", "18")
    assert "What failed" not in result.stdout and not FAILED.findall(result.stdout)


def test_the_untouched_notebook_scores_zero_and_says_not_done_yet(graded):
    result = graded[0]["untouched"]
    assert result.returncode == 0, result.stderr
    assert all(row == ("0 / 1", "0 / 2", "0 / 3") for row in table(result.stdout).values()), result.stdout
    score, max_score = TOTAL.search(result.stdout).groups()
    assert (score, max_score) == ("0", "18")
    assert len(FAILED.findall(result.stdout)) == 12  # every test cell, visible and hidden
    assert "not done yet" in result.stdout.split("What failed:")[1]


def test_the_classic_bug_loses_exactly_its_cells_and_shows_no_hidden_test(graded):
    result = graded[0]["buggy"]
    cell, _, failing = CLASSIC_BUGS[ASSIGNMENT]
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert rows.pop(cell) == ("0 / 1", "0 / 2", "0 / 3"), result.stdout
    assert all(row == ("1 / 1", "2 / 2", "3 / 3") for row in rows.values()), result.stdout
    assert set(FAILED.findall(result.stdout)) == failing
    assert TOTAL.search(result.stdout).groups() == ("15", "18")
    assert f"{cell} (hidden)" in result.stdout  # the hidden check's own message
    hidden_code = [
        line.strip()
        for source in build.read(TREE.source_path(ASSIGNMENT)).cells
        if "### BEGIN HIDDEN TESTS" in source.source
        for line in source.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
        if line.strip()
    ]
    output = result.stdout + result.stderr
    assert hidden_code and not [line for line in hidden_code if line in output]


def test_nothing_is_written_into_the_course_or_next_to_the_notebook(graded):
    _, (course_before, course_after), (learner_before, learner_after) = graded
    assert course_after == course_before
    assert learner_after == learner_before


def test_an_unknown_assignment_or_a_missing_notebook_is_one_line_and_status_2(tmp_path):
    unknown = finished(command("99_nonsense", tmp_path / "x.ipynb", "--root", TREE.root))
    missing = finished(command(ASSIGNMENT, tmp_path / "nowhere.ipynb", "--root", TREE.root))
    checkout = tmp_path / "checkout"  # the default notebook is `./course.sh lab`'s copy, here not made yet
    (checkout / "course" / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(TREE.course / "nbgrader_config.py", checkout / "course")
    default = finished(command(ASSIGNMENT, "--root", checkout, cwd=tmp_path))
    for result in (unknown, missing, default):
        assert result.returncode == 2 and result.stdout == "" and len(result.stderr.splitlines()) == 1, result
    assert "unknown assignment '99_nonsense'" in unknown.stderr and ASSIGNMENT in unknown.stderr
    assert f"no notebook {tmp_path / 'nowhere.ipynb'}" in missing.stderr
    assert str(checkout / "my_notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb") in default.stderr


def test_an_assignment_of_several_notebooks_grades_the_ones_handed_in(tmp_path):
    """07 is three notebooks: with no notebook named, those of 07's in my_notebooks/07_gpt/ are graded, and only
    their points count (07c alone is out of 07c's); a notebook of another name is refused in one line."""
    checkout, names = tmp_path / "checkout", TREE.notebooks("07_gpt")
    shutil.copytree(TREE.layout.source("07_gpt"), checkout / "course" / "source" / "07_gpt")
    shutil.copy(TREE.course / "nbgrader_config.py", checkout / "course")
    build.write(completed_release(names[2]), checkout / "my_notebooks" / "07_gpt" / f"{names[2]}.ipynb")
    result = finished(command("07_gpt", "--root", checkout, cwd=tmp_path))
    assert result.returncode == 0, result.stderr
    assert list(table(result.stdout)) == ["load_gpt2_weights", "prepare_for_classification", "instruction_collate"]
    assert TOTAL.search(result.stdout).groups() == ("9", "9"), result.stdout

    build.write(completed_release(names[2]), tmp_path / "07_gpt.ipynb")
    stranger = finished(command("07_gpt", tmp_path / "07_gpt.ipynb", "--root", checkout, cwd=tmp_path))
    assert stranger.returncode == 2 and len(stranger.stderr.splitlines()) == 1, stranger
    assert "07_gpt.ipynb: not a notebook of 07_gpt" in stranger.stderr and names[0] in stranger.stderr
