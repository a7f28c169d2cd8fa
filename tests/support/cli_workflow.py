"""A course driven through `gpt-course`'s command line in this process, with students who fetch and submit
through nbgrader's exchange: what tests/test_cli.py and tests/test_postgres_gradebook.py share."""

import contextlib
import io
import os
import shutil
import subprocess
import sys

import nbformat

from autograder.instructor import build, exchange
from autograder.instructor.cli import main
from autograder.instructor.nbgrader_process import tool_environment
from tools.checkout import TREE
from tools.nbgrader_course import nbgrader

ASSIGNMENT = "03_attention"  # the quickest notebook to grade
COURSE_ID = exchange.course_id(TREE.course)


def gpt_course(*args) -> str:
    """Run the command line in this process; return what it printed."""
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        main([str(arg) for arg in args])
    return printed.getvalue()


def gpt_course_process(*args) -> subprocess.CompletedProcess:
    """Run the command line as its own process, as an instructor does (the Dask workers and exit status with it)."""
    return subprocess.run(
        [sys.executable, "-m", "autograder.instructor.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=tool_environment(),
        timeout=1200,
    )


def new_course(root, assignment=ASSIGNMENT):
    """A course directory as an instructor starts one: the config and one assignment's source."""
    root.mkdir(parents=True)
    shutil.copy(TREE.course / "nbgrader_config.py", root)
    shutil.copytree(TREE.course / "source" / assignment, root / "source" / assignment)
    return root


def fetch_work_submit(exchange_root, home, student, notebook, assignment=ASSIGNMENT):
    """What a student does, with nbgrader's commands: fetch the assignment, hand in ``notebook`` (or several:
    a dict of notebook name -> notebook; the others are handed in as fetched)."""
    home.mkdir(parents=True)
    options = ["--course", COURSE_ID, f"--Exchange.root={exchange_root}", f"--Exchange.cache={home / 'cache'}"]
    nbgrader(home, "fetch_assignment", assignment, *options)
    for name, worked in ({assignment: notebook} if isinstance(notebook, nbformat.NotebookNode) else notebook).items():
        build.write(worked, home / assignment / f"{name}.ipynb")
    nbgrader(home, "submit", assignment, "--student", student, *options)


def one_account_for(path, students):
    """The ``--accounts`` file for `gpt-course collect`: here one account (the tests') submits for every student."""
    path.write_text("".join(f"{student},{os.geteuid()}\n" for student in students))
    return path
