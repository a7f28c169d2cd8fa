"""`gpt-course` drives the whole nbgrader workflow: release to an exchange, students fetch and submit with
nbgrader's own commands, collect (from the exchange or an LMS zip), autograde, feedback, export, report;
bad input ends with one line that says why."""

import csv
import io
import shutil
import stat
import zipfile

import pytest

from autograder.instructor import build, lms_zip
from autograder.instructor.cli import main
from tests.support.cli_workflow import (
    ASSIGNMENT,
    COURSE_ID,
    fetch_work_submit,
    gpt_course,
    new_course,
    one_account_for,
)
from tools.catalogue.notebook_bugs import CLASSIC_BUGS
from tools.checkout import TREE
from tools.nbgrader_course import cell_scores, completed_release

pytestmark = [pytest.mark.nbgrader, pytest.mark.sandbox]

POINTS_PER_EXERCISE = 3  # a visible test (1 point) and a hidden one (2 points)


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    root = tmp_path_factory.mktemp("workflow")
    course, exchange_root, grades = new_course(root / "course"), root / "exchange", root / "grades.csv"
    printed = {"release": gpt_course("release", ASSIGNMENT, "--course", course, "--exchange", exchange_root)}
    cell, bug, _ = CLASSIC_BUGS[ASSIGNMENT]
    fetch_work_submit(exchange_root, root / "home" / "full", "full", completed_release(ASSIGNMENT))
    fetch_work_submit(exchange_root, root / "home" / "buggy", "buggy", completed_release(ASSIGNMENT, {cell: bug}))
    accounts = one_account_for(root / "accounts.csv", ["full", "buggy"])
    printed["collect"] = gpt_course(
        "collect", ASSIGNMENT, "--course", course, "--exchange", exchange_root, "--accounts", accounts
    )
    printed["autograde"] = gpt_course("autograde", ASSIGNMENT, "--course", course)
    printed["feedback"] = gpt_course("feedback", ASSIGNMENT, "--course", course)
    printed["export"] = gpt_course("export", "--course", course, "--to", grades)
    printed["report"] = gpt_course("report", "--course", course)
    return course, exchange_root, grades, printed


def test_release_generates_and_releases_into_a_new_sticky_exchange(workflow):
    course, exchange_root, _, printed = workflow
    assert stat.S_IMODE(exchange_root.stat().st_mode) == 0o1777  # anyone adds, only an entry's owner moves it
    assert stat.S_IMODE((exchange_root / COURSE_ID / "inbound").stat().st_mode) == 0o3733
    assert (exchange_root / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert (course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert "generating the student version" in printed["release"] and "released 03_attention to" in printed["release"]


def test_collect_takes_each_students_submission_from_the_exchange(workflow):
    course, _, _, printed = workflow
    for student in ("full", "buggy"):
        assert (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
        assert f"Collecting submission: {student} {ASSIGNMENT}" in printed["collect"]
    assert "2 submissions of 03_attention collected" in printed["collect"]


def test_autograde_prints_a_line_per_student_as_it_goes(workflow):
    _, _, _, printed = workflow
    assert "[1/2] buggy: graded in" in printed["autograde"] and "[2/2] full: graded in" in printed["autograde"]
    assert "2 of 2 submissions graded" in printed["autograde"]


def test_exported_grades_are_the_expected_scores(workflow):
    course, _, grades, printed = workflow
    with open(grades, newline="") as file:
        rows = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(file)}
    max_score = rows["full"][1]
    assert max_score > 0
    assert rows == {"full": (max_score, max_score), "buggy": (max_score - POINTS_PER_EXERCISE, max_score)}
    assert {
        grade_id for grade_id, score in cell_scores(course, ASSIGNMENT, "buggy").items() if score == 0
    } == CLASSIC_BUGS[ASSIGNMENT][2]
    assert "wrote 2 rows of grades" in printed["export"]


def test_feedback_shows_the_failure_but_no_hidden_test(workflow):
    course, _, _, printed = workflow
    html = (course / "feedback" / "buggy" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "softmax_naive (hidden)" in html  # the hidden check's own message
    source_cells = build.read(TREE.source_path(ASSIGNMENT)).cells
    hidden_regions = [
        cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
        for cell in source_cells
        if "### BEGIN HIDDEN TESTS" in cell.source
    ]
    hidden_code = [line.strip() for region in hidden_regions for line in region.splitlines() if line.strip()]
    assert hidden_code and not [line for line in hidden_code if line in html]
    assert "2 feedback files written" in printed["feedback"]


def test_feedback_that_would_show_hidden_tests_is_refused_and_removed(workflow, tmp_path, capsys):
    course = shutil.copytree(workflow[0], tmp_path / "course")
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text().replace("c.GenerateFeedback.preprocessors =", "nbgraders_default ="))
    with pytest.raises(SystemExit) as exit_status:
        main(["feedback", ASSIGNMENT, "--course", str(course)])
    assert exit_status.value.code == 1 and "showed hidden tests" in capsys.readouterr().err
    assert not list((course / "feedback").glob("*/*/*.html"))


def test_report_is_written(workflow):
    course, _, _, printed = workflow
    for name in ("scores.png", "pass_rates.csv", "flagged.csv"):
        assert (course / "reports" / name).is_file() and name in printed["report"]


def test_collect_from_an_lms_zip(tmp_path):
    course = new_course(tmp_path / "course")
    shutil.copytree(TREE.course / "release" / ASSIGNMENT, course / "release" / ASSIGNMENT)  # as released
    student_version = TREE.release_path(ASSIGNMENT).read_text()
    with zipfile.ZipFile(tmp_path / "download.zip", "w") as archive:
        archive.writestr(f"ann_4711_assignsubmission_file_{ASSIGNMENT}.ipynb", student_version)
        archive.writestr(f"week3/ben_{ASSIGNMENT}.ipynb", student_version)
        archive.writestr(f"cem_{ASSIGNMENT}.ipynb", '{"cells": [')
        archive.writestr("notes.txt", "not a submission")
    printed = gpt_course("collect", ASSIGNMENT, "--course", course, "--zip", tmp_path / "download.zip")
    for student in ("ann", "ben", "cem"):
        assert (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert "skipped notes.txt" in printed and "3 submissions of 03_attention collected" in printed
    assert "cem: 03_attention.ipynb is not a valid notebook" in printed


def test_an_assignment_of_several_notebooks_goes_through_the_exchange_and_an_lms_zip(tmp_path):
    """07 is three notebooks: release hands out all three, a student's submission carries all three (the ones
    left untouched too), and an LMS zip's files are filed by notebook, whichever of them a student uploaded."""
    course, exchange_root = new_course(tmp_path / "course", "07_gpt"), tmp_path / "exchange"
    names = TREE.notebooks("07_gpt")
    assert len(names) == 3
    gpt_course("release", "07_gpt", "--course", course, "--exchange", exchange_root)
    fetch_work_submit(
        exchange_root, tmp_path / "home" / "ann", "ann", {names[1]: completed_release(names[1])}, "07_gpt"
    )
    gpt_course(
        "collect",
        "07_gpt",
        "--course",
        course,
        "--exchange",
        exchange_root,
        "--accounts",
        one_account_for(tmp_path / "accounts.csv", ["ann"]),
    )
    submitted = course / "submitted" / "ann" / "07_gpt"
    assert sorted(path.stem for path in submitted.glob("*.ipynb")) == names
    assert build.read(submitted / f"{names[1]}.ipynb").cells == completed_release(names[1]).cells

    with zipfile.ZipFile(tmp_path / "download.zip", "w") as archive:
        for name in names:
            archive.writestr(f"ben_4711_assignsubmission_file_{name}.ipynb", TREE.release_path(name).read_text())
        archive.writestr(f"cem_{names[2]}.ipynb", TREE.release_path(names[2]).read_text())
    gpt_course("collect", "07_gpt", "--course", course, "--zip", tmp_path / "download.zip")
    assert sorted(path.stem for path in (course / "submitted" / "ben" / "07_gpt").glob("*.ipynb")) == names
    assert [path.stem for path in (course / "submitted" / "cem" / "07_gpt").glob("*.ipynb")] == [names[2]]


@pytest.fixture
def course(tmp_path):
    return new_course(tmp_path / "course")


def not_a_zip(course):
    (course / "download.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    return ["collect", ASSIGNMENT, "--zip", course / "download.zip"]


def submission_without_gradebook(course):
    student_version = build.read(TREE.release_path(ASSIGNMENT))
    build.write(student_version, course / "submitted" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return ["autograde", ASSIGNMENT, "--workers", "2"]


def malformed_source(course):
    (course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [')
    return ["release", ASSIGNMENT, "--exchange", course.parent / "exchange"]


@pytest.mark.parametrize(
    "command, status, message",
    [
        (
            lambda course: ["feedback", ASSIGNMENT, "--course", course.parent / "missing"],
            2,
            "is not a course directory",
        ),
        (
            lambda course: ["release", "99_nothing", "--exchange", course.parent / "exchange"],
            2,
            "unknown assignment '99_nothing'",
        ),
        (not_a_zip, 2, "is not a readable zip file"),
        (lambda course: ["collect", ASSIGNMENT, "--zip", course / "missing.zip"], 2, "no zip file"),
        (malformed_source, 1, "03_attention.ipynb is not a valid notebook (NotJSONError"),
        (lambda course: ["collect", ASSIGNMENT, "--exchange", course.parent / "missing"], 2, "no exchange directory"),
        (submission_without_gradebook, 1, "has no gradebook yet: generate 03_attention first"),
        (lambda course: ["feedback", ASSIGNMENT], 1, "autograde first"),
        (lambda course: ["export", "--to", course / "grades.csv"], 1, "no gradebook yet"),
    ],
    ids=[
        "missing course",
        "unknown assignment",
        "unreadable zip",
        "missing zip",
        "malformed notebook",
        "missing exchange",
        "autograde before generating",
        "feedback before grading",
        "export before grading",
    ],
)
def test_bad_input_exits_with_one_line_that_says_why(course, capsys, command, status, message):
    args = [str(arg) for arg in command(course)]
    if "--course" not in args:
        args += ["--course", str(course)]
    with pytest.raises(SystemExit) as exit_status:
        main(args)
    error = capsys.readouterr().err
    assert exit_status.value.code == status and message in error
    assert error.count("\n") == 1 and error.startswith("gpt-course: ")


def hostile_lms_zip(path, student_version, outside):
    """A download in which some students' entries try to break the collection or pose as someone else."""
    newer, older = student_version.replace("Assignment", "Newer", 1), student_version.replace("Assignment", "Older", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(name, data, date_time=(2026, 3, 1, 12, 0, 0), **attributes):
            info = zipfile.ZipInfo(name, date_time)
            for key, value in attributes.items():
                setattr(info, key, value)
            archive.writestr(info, data, compress_type=attributes.get("compress_type", zipfile.ZIP_DEFLATED))

        add(f"ann_4711_assignsubmission_file_{ASSIGNMENT}.ipynb", newer, (2026, 3, 2, 9, 0, 0))
        add(f"ann_4711_assignsubmission_file_bob_{ASSIGNMENT}.ipynb", older)  # ann's upload named bob_...: ann's
        add(f"ben_4712_assignsubmission_file_{ASSIGNMENT}.ipynb", older)  # the same name twice, the same date:
        add(f"ben_4712_assignsubmission_file_{ASSIGNMENT}.ipynb", newer)  # the later in the zip is taken
        add(f"cem_4713_assignsubmission_file_/dan_{ASSIGNMENT}.ipynb", student_version)  # in cem's folder: cem's
        add(f"{outside}/eve_{ASSIGNMENT}.ipynb", student_version)  # absolute
        add(f"../eve_{ASSIGNMENT}.ipynb", student_version)
        add(f"fay_{ASSIGNMENT}.ipynb", "/etc/passwd", external_attr=(stat.S_IFLNK | 0o777) << 16)
        nested = io.BytesIO()
        with zipfile.ZipFile(nested, "w") as inner:
            inner.writestr(f"gus_{ASSIGNMENT}.ipynb", student_version)
        add("gus_4714_assignsubmission_file_work.zip", nested.getvalue())
        add(f"hal_{ASSIGNMENT}.ipynb", nested.getvalue())  # a zip named as a notebook
        with archive.open(f"ivy_{ASSIGNMENT}.ipynb", "w", force_zip64=True) as bomb:  # 100 MiB, 100 kB zipped
            for _ in range(100):
                bomb.write(bytes(1 << 20))
        with archive.open(f"jo_{ASSIGNMENT}.ipynb", "w") as bomb:  # 20 MiB, 1,000 to 1
            for _ in range(20):
                bomb.write(bytes(1 << 20))
        add(f"kim_{ASSIGNMENT}.ipynb", "KIM" * 1000, compress_type=zipfile.ZIP_STORED)  # damaged below
        add(f"lee_{ASSIGNMENT}.ipynb\x1b[2J", student_version)  # a terminal escape in the name
        add(f".._{ASSIGNMENT}.ipynb", student_version)
        add(f"-rf_{ASSIGNMENT}.ipynb", student_version)
    path.write_bytes(path.read_bytes().replace(b"KIM" * 1000, b"MIK" * 1000))
    return newer


@pytest.mark.filterwarnings("ignore:Duplicate name")  # two entries of one name, as a download may hold
def test_collect_from_a_hostile_lms_zip_collects_the_others(tmp_path):
    course = new_course(tmp_path / "course")
    shutil.copytree(TREE.course / "release" / ASSIGNMENT, course / "release" / ASSIGNMENT)
    outside = tmp_path / "outside"
    newer = hostile_lms_zip(tmp_path / "download.zip", TREE.release_path(ASSIGNMENT).read_text(), outside)
    printed = gpt_course("collect", ASSIGNMENT, "--course", course, "--zip", tmp_path / "download.zip")
    assert sorted(path.name for path in (course / "submitted").iterdir()) == ["ann", "ben", "cem"]
    for student in ("ann", "ben"):
        assert (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text() == newer
    assert "3 submissions of 03_attention collected" in printed
    assert not outside.exists() and not (tmp_path / f"eve_{ASSIGNMENT}.ipynb").exists()
    assert not list(course.glob(".gpt-course-zip-*"))
    skipped = {line.split(": ", 1)[0][len("skipped ") :]: line for line in printed.splitlines() if "skipped" in line}
    expected = {
        f"ann_4711_assignsubmission_file_bob_{ASSIGNMENT}.ipynb": (
            f"ann's 03_attention.ipynb is taken from ann_4711_assignsubmission_file_{ASSIGNMENT}.ipynb (newer)"
        ),
        f"ben_4712_assignsubmission_file_{ASSIGNMENT}.ipynb": "(as old, later in the zip)",
        f"{outside}/eve_{ASSIGNMENT}.ipynb": "unsafe name",
        f"../eve_{ASSIGNMENT}.ipynb": "unsafe name",
        f"fay_{ASSIGNMENT}.ipynb": "a symbolic link",
        "gus_4714_assignsubmission_file_work.zip": "a nested archive: not extracted",
        f"hal_{ASSIGNMENT}.ipynb": "an archive, not a notebook",
        f"ivy_{ASSIGNMENT}.ipynb": "declares 104,857,600 bytes, more than the cap of 67,108,864",
        f"jo_{ASSIGNMENT}.ipynb": "compressed 1,028 to 1, more than 200 to 1",
        f"kim_{ASSIGNMENT}.ipynb": "damaged or unreadable (Bad CRC-32",
        f"lee_{ASSIGNMENT}.ipynb\\x1b[2J": "not named <student>_<anything>_03_attention.ipynb",
        f".._{ASSIGNMENT}.ipynb": "refused: the student id '..' holds more than ASCII letters, digits and _ . - @",
        f"-rf_{ASSIGNMENT}.ipynb": "refused: the student id '-rf' holds more than",
    }
    assert set(skipped) == set(expected)
    for name, reason in expected.items():
        assert reason in skipped[name], skipped[name]
    assert "\x1b" not in printed
    with open(course / "reports" / f"{ASSIGNMENT}-collect.csv", newline="") as file:  # for flagged.csv
        recorded = {row["source"].removeprefix("'"): row for row in csv.DictReader(file)}
    not_recorded = {f"ann_4711_assignsubmission_file_bob_{ASSIGNMENT}.ipynb", f"lee_{ASSIGNMENT}.ipynb\\x1b[2J"}
    assert set(recorded) == set(expected) - not_recorded - {f"ben_4712_assignsubmission_file_{ASSIGNMENT}.ipynb"}
    assert (
        recorded[f"-rf_{ASSIGNMENT}.ipynb"]["student"] == "'-rf"
        and recorded[f"fay_{ASSIGNMENT}.ipynb"]["student"] == "fay"
    )


def test_the_zips_caps_cost_only_the_entries_past_them(tmp_path):
    course = new_course(tmp_path / "course")
    shutil.copytree(TREE.course / "release" / ASSIGNMENT, course / "release" / ASSIGNMENT)
    student_version = TREE.release_path(ASSIGNMENT).read_text()
    with zipfile.ZipFile(tmp_path / "download.zip", "w") as archive:
        for student in ("ann", "ben", "cem", "dan", "eve"):
            archive.writestr(f"{student}_{ASSIGNMENT}.ipynb", student_version)
    printed = []
    limits = lms_zip.ZipLimits(entries=4, total_bytes=int(2.5 * len(student_version.encode())))
    students = lms_zip.collect_zip(course, ASSIGNMENT, tmp_path / "download.zip", printed.append, limits)
    assert students == ["ann", "ben"] == sorted(path.name for path in (course / "submitted").iterdir())
    assert "skipped 1 entries after the first 4: too many" in printed
    for student in ("cem", "dan"):
        assert f"skipped {student}_{ASSIGNMENT}.ipynb: the extracted files would pass the cap of" in "\n".join(printed)
