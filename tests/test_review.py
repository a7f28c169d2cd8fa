"""`gpt-course review`: the instructor looks at what a submission does without running it as themselves."""

import subprocess
import sys

import nbformat
import pytest

from autograder.instructor.course_layout import CourseLayout
from tests.support.cli_workflow import gpt_course_process as gpt_course
from tools.nbgrader_course import completed_release, scratch_course, submit

pytestmark = [pytest.mark.sandbox, pytest.mark.nbgrader]

ASSIGNMENT = "03_attention"


def sleeper(target) -> str:
    """Code that keeps still while graded and acts when someone else runs it: writes outside its folder."""
    return (
        "import os, pathlib\n"
        "if 'NBGRADER_EXECUTION' not in os.environ:\n"
        "    try:\n"
        f"        pathlib.Path({str(target)!r}).write_text('ran as ' + str(os.getuid()))\n"
        "    except OSError as error:\n"
        "        print('write failed:', type(error).__name__)\n"
        "    print('not graded; sees the course:', pathlib.Path("
        f"{str(target.parent / 'course')!r}).exists())\n"
    )


def test_a_submission_that_acts_outside_grading_acts_only_in_the_sandbox(tmp_path):
    (tmp_path / "course").mkdir()
    course = scratch_course(tmp_path / "course", [ASSIGNMENT])
    target = tmp_path / "written-by-the-student"
    notebook = completed_release(ASSIGNMENT)
    notebook.cells.append(nbformat.v4.new_code_cell(sleeper(target)))
    submit(course, "sly", ASSIGNMENT, notebook)
    result = gpt_course("review", ASSIGNMENT, "sly", "--course", course)
    assert result.returncode == 0, result.stderr
    assert not target.exists(), "the submission wrote on the host"
    executed = nbformat.read(CourseLayout(course).reports / "review" / "sly" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    printed = "".join(output.get("text", "") for output in executed.cells[-1].outputs)
    assert "not graded; sees the course: False" in printed, (
        printed
    )  # it ran, inside the sandbox, and saw nothing of the course
    assert "passed" in "".join(o.get("text", "") for cell in executed.cells for o in cell.get("outputs", []))
    # the control: run as the instructor would run it by hand, the same notebook writes on the host
    copy = tmp_path / "by-hand.ipynb"
    nbformat.write(notebook, copy)
    by_hand = subprocess.run(
        [sys.executable, "-m", "jupyter", "execute", str(copy)], capture_output=True, text=True, timeout=600
    )
    assert by_hand.returncode == 0 and target.read_text().startswith("ran as"), by_hand.stderr[-500:]


def test_review_refuses_an_unknown_student_in_one_line(tmp_path):
    (tmp_path / "course").mkdir()
    course = scratch_course(tmp_path / "course", [ASSIGNMENT])
    result = gpt_course("review", ASSIGNMENT, "nobody", "--course", course)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "no submitted notebook" in result.stderr
