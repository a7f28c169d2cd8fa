"""A course whose gradebook is on PostgreSQL (``c.CourseDirectory.db_url``), against a real server that the test
starts: release, collect, autograde one at a time and on Dask workers, export and report work, and the grades
are those of the same class on SQLite."""

import csv

import pytest

from tests.support.cli_workflow import ASSIGNMENT, fetch_work_submit, gpt_course, new_course, one_account_for
from tests.support.postgres_server import PostgresServer, unavailable
from tools.catalogue.notebook_bugs import CLASSIC_BUGS
from tools.nbgrader_course import cell_scores, completed_release, exported_grades

STUDENTS = ("full", "buggy")
pytestmark = [
    pytest.mark.nbgrader,
    pytest.mark.sandbox,
    pytest.mark.dask,
    pytest.mark.postgres,
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]


@pytest.fixture(scope="module")
def server():
    started = PostgresServer()
    yield started
    started.stop()


def released_and_collected(root, db_url: str | None = None):
    """A course (on the gradebook ``db_url``, else nbgrader's SQLite file) released, submitted to and collected."""
    course, exchange_root = new_course(root / "course"), root / "exchange"
    if db_url:
        with open(course / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    gpt_course("release", ASSIGNMENT, "--course", course, "--exchange", exchange_root)
    cell, bug, _ = CLASSIC_BUGS[ASSIGNMENT]
    notebooks = {"full": completed_release(ASSIGNMENT), "buggy": completed_release(ASSIGNMENT, {cell: bug})}
    for student, notebook in notebooks.items():
        fetch_work_submit(exchange_root, root / "home" / student, student, notebook)
    accounts = one_account_for(root / "accounts.csv", notebooks)
    gpt_course("collect", ASSIGNMENT, "--course", course, "--exchange", exchange_root, "--accounts", accounts)
    return course


def grades(course) -> dict:
    """Everything the gradebook and the outcomes say about the class."""
    with open(course / "reports" / f"{ASSIGNMENT}-outcomes.csv", newline="") as file:
        outcomes = {row["student"]: row for row in csv.DictReader(file)}
    return {
        "exported": exported_grades(course),
        "cells": {student: cell_scores(course, ASSIGNMENT, student) for student in STUDENTS},
        "outcomes": outcomes,
    }


@pytest.fixture(scope="module")
def graded(server, tmp_path_factory):
    """The class on SQLite graded one at a time; on PostgreSQL one at a time, then again on two Dask workers."""
    on_sqlite = released_and_collected(tmp_path_factory.mktemp("sqlite"))
    gpt_course("autograde", ASSIGNMENT, "--course", on_sqlite)
    course = released_and_collected(tmp_path_factory.mktemp("postgres"), server.create_database("gpt_course"))
    printed = {"sequential": gpt_course("autograde", ASSIGNMENT, "--course", course)}
    results = {"sqlite": grades(on_sqlite), "sequential": grades(course)}
    printed["workers"] = gpt_course("autograde", ASSIGNMENT, "--course", course, "--workers", "2")
    results["workers"] = grades(course)
    printed["export"] = gpt_course("export", "--course", course, "--to", course / "grades.csv")
    printed["report"] = gpt_course("report", "--course", course)
    return course, results, printed


def test_nothing_is_written_to_a_sqlite_file(graded):
    course, _, printed = graded
    assert not (course / "gradebook.db").exists()
    assert "scoring 2 executed submissions in postgresql+psycopg://postgres@127.0.0.1:" in printed["workers"]


@pytest.mark.parametrize("run", ["sequential", "workers"])
def test_grades_on_postgres_equal_those_on_sqlite(graded, run):
    _, results, _ = graded
    assert results[run] == results["sqlite"]
    full, max_score = results["sqlite"]["exported"][(ASSIGNMENT, "full")]
    assert full == max_score > results["sqlite"]["exported"][(ASSIGNMENT, "buggy")][0]


def test_export_and_report_read_the_postgres_gradebook(graded):
    course, _, printed = graded
    assert "wrote 2 rows of grades" in printed["export"]
    with open(course / "reports" / "pass_rates.csv", newline="") as file:
        rates = list(csv.DictReader(file))
    assert rates and all(row["assignment"] == ASSIGNMENT for row in rates)
    assert min(float(row["pass_rate"]) for row in rates) == 0.5  # the buggy student's failed checks
    assert (course / "reports" / "scores.png").is_file()
