"""The effect of each deliberate change to nbgrader's defaults, on a real autograde run."""

import nbformat
import pytest
from traitlets.config import Config

from autograder.instructor import build
from tools.checkout import TREE
from tools.nbgrader_course import cell_scores, nbgrader, submit

pytestmark = [pytest.mark.nbgrader]

TESTS = {
    "warns": "import sys, warnings\nwarnings.warn('a deprecation the student cannot fix')\n"
    "print('progress 50%', file=sys.stderr)",
    "grading_env": "import os\nassert os.environ['NBGRADER_EXECUTION'] == 'autograde'",
    "deleted_by_student": "assert 1 + 1 == 2",
    "fails": "assert False, 'a real failure still scores zero'",
}


def course_config() -> Config:
    config = Config()
    exec((TREE.course / "nbgrader_config.py").read_text(), {"get_config": lambda: config})
    return config


def test_per_cell_time_limit_is_a_minute():
    assert course_config().Execute.timeout == 60


def test_config_effects_on_autograde(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text((TREE.course / "nbgrader_config.py").read_text())
    cells = [
        nbformat.v4.new_code_cell(
            source,
            id=grade_id,
            metadata={
                "nbgrader": {
                    "grade": True,
                    "grade_id": grade_id,
                    "locked": True,
                    "points": 1,
                    "schema_version": 3,
                    "solution": False,
                    "task": False,
                }
            },
        )
        for grade_id, source in TESTS.items()
    ]
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": build.KERNELSPEC})
    build.write(notebook, tmp_path / "source" / "config" / "config.ipynb")
    nbgrader(tmp_path, "generate_assignment", "config")

    submission = build.read(tmp_path / "release" / "config" / "config.ipynb")
    submission.cells = [c for c in submission.cells if c.metadata["nbgrader"]["grade_id"] != "deleted_by_student"]
    submit(tmp_path, "student", "config", submission)
    nbgrader(tmp_path, "autograde", "config")

    assert cell_scores(tmp_path, "config", "student") == {
        "warns": 1.0,  # stderr alone does not zero a cell
        "grading_env": 1.0,  # notebooks can tell that they are being graded
        "deleted_by_student": 1.0,  # put back and graded, not left for manual grading
        "fails": 0.0,
    }
