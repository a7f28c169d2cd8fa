"""Grading on Dask gives the grades, cell scores and outcomes of grading one at a time: on a LocalCluster
(`--workers 2`) and on a cluster of `dask scheduler` and `dask worker` processes on loopback (`--scheduler`),
one of whose workers is killed while it grades. A student whose workers all die is reported, not dropped; a
worker of another course version is refused; a scheduler that cannot be reached is one line and status 2."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from autograder.instructor import build
from autograder.instructor.cli import main
from autograder.instructor.parallel_execution import STAGED
from tests.support.dask_cluster import LoopbackCluster, kill_tree
from tests.support.loopback import free_port
from tools.catalogue.notebook_bugs import CLASSIC_BUGS
from tools.checkout import TREE
from tools.nbgrader_course import cell_scores, completed_release, exported_grades, scratch_course, submit

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox, pytest.mark.dask]

ASSIGNMENT = "03_attention"  # the quickest notebook to grade
STUDENTS = ("full", "blank", "buggy", "not_json")
RUNS = ("local", "cluster")
GRADING_SECONDS = 600  # the longest a class of four may take on a loaded 2-core machine


def gpt_course(*args: str, environment: dict[str, str] | None = None) -> subprocess.Popen:
    """The command line in a process of its own, as an instructor runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "autograder.instructor.cli", *args],
        env={**os.environ, **(environment or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=GRADING_SECONDS)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def outcomes(course: Path) -> dict[str, dict]:
    with open(course / "reports" / f"{ASSIGNMENT}-outcomes.csv", newline="") as file:
        return {row["student"]: row for row in csv.DictReader(file)}


@pytest.fixture
def cluster(tmp_path):
    started = []

    def start(workers: int = 0, scheduler_environment: dict[str, str] | None = None) -> LoopbackCluster:
        started.append(LoopbackCluster(tmp_path / f"cluster-{len(started)}", scheduler_environment))
        for _ in range(workers):
            started[-1].add_worker()
        return started[-1]

    yield start
    for each in started:
        each.stop()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The same class graded one at a time, on a LocalCluster of two, and on a loopback cluster of two
    `dask worker`s, one of which is killed while it grades."""
    sequential = scratch_course(tmp_path_factory.mktemp("sequential"), [ASSIGNMENT])
    cell, bug, _ = CLASSIC_BUGS[ASSIGNMENT]
    submit(sequential, "full", ASSIGNMENT, completed_release(ASSIGNMENT))
    submit(sequential, "blank", ASSIGNMENT, build.read(TREE.release_path(ASSIGNMENT)))
    submit(sequential, "buggy", ASSIGNMENT, completed_release(ASSIGNMENT, {cell: bug}))
    broken = sequential / "submitted" / "not_json" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')
    courses = {run: shutil.copytree(sequential, tmp_path_factory.mktemp(run) / "course") for run in RUNS}
    main(["autograde", ASSIGNMENT, "--course", str(sequential)])
    local = finish(gpt_course("autograde", ASSIGNMENT, "--course", str(courses["local"]), "--workers", "2"))
    assert local.returncode == 0, local.stderr
    cluster, grading = LoopbackCluster(tmp_path_factory.mktemp("loopback")), None
    try:
        cluster.add_worker()
        cluster.add_worker()
        grading = gpt_course(
            "autograde", ASSIGNMENT, "--course", str(courses["cluster"]), "--scheduler", cluster.address
        )
        left_running = cluster.kill_a_worker_while_it_grades(grading, GRADING_SECONDS)
        result = finish(grading)
        assert left_running is not None, f"grading ended before a worker could be killed:\n{result.stderr}"
    finally:
        if grading and grading.poll() is None:  # failed before it finished
            kill_tree(psutil.Process(grading.pid))
        cluster.stop()
    for process in left_running:  # gone with their worker (test_a_student_whose_workers_all_die_is_reported)
        kill_tree(process)
    assert result.returncode == 0, result.stderr
    return sequential, courses, result, local


def test_the_class_gets_its_expected_grades(graded):
    sequential, *_ = graded
    grades = exported_grades(sequential)
    max_score = grades[(ASSIGNMENT, "full")][1]
    assert grades[(ASSIGNMENT, "full")][0] == max_score > 0
    assert grades[(ASSIGNMENT, "blank")][0] == grades[(ASSIGNMENT, "not_json")][0] == 0
    assert 0 < grades[(ASSIGNMENT, "buggy")][0] < max_score
    assert outcomes(sequential)["not_json"]["status"] == "not graded"


@pytest.mark.parametrize("run", RUNS)
def test_exported_grades_are_equal(graded, run):
    sequential, courses, *_ = graded
    assert exported_grades(courses[run]) == exported_grades(sequential)


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("student", STUDENTS)
def test_cell_scores_are_equal(graded, run, student):
    sequential, courses, *_ = graded
    assert cell_scores(courses[run], ASSIGNMENT, student) == cell_scores(sequential, ASSIGNMENT, student)


@pytest.mark.parametrize("run", RUNS)
def test_outcomes_are_equal(graded, run):
    sequential, courses, *_ = graded
    assert outcomes(courses[run]) == outcomes(sequential)
    assert set(outcomes(courses[run])) == set(STUDENTS)


@pytest.mark.parametrize("run", RUNS)
def test_what_grading_wrote_in_the_logs_comes_back(graded, run):
    """nbgrader's log of each student, and whatever grading writes beside it, reach the instructor's course."""
    sequential, courses, *_ = graded
    logs = Path("reports") / "logs" / ASSIGNMENT
    assert sorted(path.name for path in (courses[run] / logs).iterdir()) == sorted(
        path.name for path in (sequential / logs).iterdir()
    )
    assert "Autograding" in (courses[run] / logs / "full.log").read_text()


def test_autograded_notebooks_are_where_nbgrader_puts_them(graded):
    sequential, courses, *_ = graded
    for course in (sequential, *courses.values()):
        assert sorted(path.parent.name for path in (course / "autograded").glob(f"*/{ASSIGNMENT}")) == [
            "blank",
            "buggy",
            "full",
        ]
        assert not (course / STAGED).exists()


def test_each_student_gets_one_progress_line(graded):
    _, _, result, _ = graded
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert sorted(line.split("]")[1].split(":")[0].strip() for line in lines) == sorted(STUDENTS)
    assert all("executed in" in line for line in lines), lines


def test_a_local_cluster_starts_and_ends_without_warnings(graded):
    """Its workers, forked from a fork server, neither warn that their main module was imported before nor get
    killed for outliving the nanny's patience at close (which spawned workers did on a loaded machine)."""
    *_, local = graded
    for warning in ("RuntimeWarning", "still alive after", "Traceback"):
        assert warning not in local.stderr, local.stderr


def test_a_student_whose_workers_all_die_is_reported(tmp_path, cluster):
    """Past Dask's retry limit (here none) the student is not graded, worker lost, and the rest goes on."""
    (tmp_path / "course").mkdir()
    course = scratch_course(tmp_path / "course", [ASSIGNMENT])
    submit(course, "full", ASSIGNMENT, completed_release(ASSIGNMENT))
    loopback = cluster(1, {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    grading = gpt_course("autograde", ASSIGNMENT, "--course", str(course), "--scheduler", loopback.address)
    left_running = loopback.kill_a_worker_while_it_grades(grading, GRADING_SECONDS)
    result = finish(grading)
    assert left_running is not None, f"grading ended before its worker could be killed:\n{result.stderr}"
    _, still_running = psutil.wait_procs(left_running, timeout=60)  # nbgrader dies with its worker, its kernel after
    for process in still_running:
        kill_tree(process)
    assert not still_running, f"the killed worker's nbgrader or kernel kept running: {still_running}"
    assert result.returncode == 0, result.stderr
    outcome = outcomes(course)["full"]
    assert outcome["status"] == "not graded"
    (problem,) = json.loads(outcome["problems"])
    assert problem.startswith("not graded: worker lost: 1 Dask workers died while grading it"), problem
    assert "worker lost" in (course / "reports" / "logs" / ASSIGNMENT / "full.log").read_text()


def test_a_worker_of_another_course_version_is_refused(tmp_path, cluster):
    other = tmp_path / "other"
    shutil.copytree(TREE.root / "autograder", other / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "autograder" / "checks" / "__init__.py", "a") as changed:
        changed.write("# another version of the checks\n")
    loopback = cluster()
    loopback.add_worker({"PYTHONPATH": str(other)})
    (tmp_path / "course").mkdir()
    course = scratch_course(tmp_path / "course", [ASSIGNMENT])
    submit(course, "full", ASSIGNMENT, completed_release(ASSIGNMENT))
    result = finish(gpt_course("autograde", ASSIGNMENT, "--course", str(course), "--scheduler", loopback.address))
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("gpt-course: refused Dask workers, this machine runs gpt-from-scratch-course"), line
    assert "install the same course version there" in line
    assert not (course / "autograded").exists()


def test_a_scheduler_that_cannot_be_reached_is_one_line_and_status_2(tmp_path):
    course = scratch_course(tmp_path, [ASSIGNMENT])
    submit(course, "full", ASSIGNMENT, completed_release(ASSIGNMENT))
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    grading = gpt_course(
        "autograde",
        ASSIGNMENT,
        "--course",
        str(course),
        "--scheduler",
        address,
        environment={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"},
    )
    result = finish(grading)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"gpt-course: cannot reach the Dask scheduler at {address!r}: Timed out trying to connect to {address} after 3 s"
    ]
