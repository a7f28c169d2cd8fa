"""What the instructor takes from the gradebook: the grades as CSV, and the class report (how the class
scored, which tests it struggles with, which submissions need a look)."""

import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the report is written to files; no display needed
import matplotlib.pyplot as plt

from autograder.grading.untrusted_text import spreadsheet_cell
from autograder.instructor import collect_problems
from autograder.instructor.course_layout import CourseLayout
from autograder.instructor.gradebook import open_gradebook
from autograder.instructor.nbgrader_process import run_nbgrader


def export_grades(course: Path, path: Path) -> int:
    """Write nbgrader's grade table (one row per student and assignment) to ``path``; return the rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run_nbgrader(course, "export", "--to", str(path.resolve()))
    with open(path, newline="") as file:
        return sum(1 for _ in csv.DictReader(file))


def gradebook_statistics(course: Path) -> dict:
    """Scores per assignment and pass rates per graded cell, from the gradebook."""
    scores, passes = {}, {}
    with open_gradebook(course) as gradebook:
        for assignment in gradebook.assignments:
            scores[assignment.name] = []
            for submission in assignment.submissions:
                scores[assignment.name].append((submission.student.id, submission.score, submission.max_score))
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        passed = grade.score is not None and grade.score >= grade.max_score
                        passes.setdefault((assignment.name, grade.name), []).append(passed)
    return {"scores": scores, "pass_rates": {key: sum(flags) / len(flags) for key, flags in passes.items()}}


def flagged(course: Path) -> list[dict]:
    """Submissions with a problem, from the outcome files that `gpt-course autograde` wrote and the collect reports
    that `gpt-course collect` wrote (a refused id, a submission in someone else's name, a link left out, a disputed
    time: status "not collected", "collected" or "older", no score)."""
    rows = []
    for path in sorted(CourseLayout(course).reports.glob("*-outcomes.csv")):
        with open(path, newline="") as file:
            for row in csv.DictReader(file):
                if json.loads(row["problems"]):
                    rows.append({"assignment": path.name.removesuffix("-outcomes.csv"), **row})
    for row in collect_problems.read(course):
        problem = f"collect: {row['source']}: {row['problem']}"
        rows.append(
            {**{key: row[key] for key in ("assignment", "student", "status")}, "problems": json.dumps([problem])}
        )
    return rows


def write_report(course: Path) -> list[Path]:
    """Write the score figure, the pass rates and the flagged submissions into ``course/reports``."""
    data, directory = gradebook_statistics(course), CourseLayout(course).reports
    directory.mkdir(exist_ok=True)
    figure_path, rates_path, flagged_path = (
        directory / name for name in ("scores.png", "pass_rates.csv", "flagged.csv")
    )

    assignments = sorted(data["scores"])
    fig, axes = plt.subplots(1, max(len(assignments), 1), figsize=(3.2 * max(len(assignments), 1), 2.8), squeeze=False)
    for ax, assignment in zip(axes[0], assignments):
        percentages = [100 * score / max_score for _, score, max_score in data["scores"][assignment] if max_score]
        ax.hist(percentages, bins=range(0, 101, 10), color="tab:blue")
        ax.set_title(f"{assignment} ({len(percentages)} students)", fontsize=9)
        ax.set_xlabel("score (%)")
    axes[0][0].set_ylabel("students")
    fig.tight_layout()
    fig.savefig(figure_path, dpi=100)
    plt.close(fig)

    with open(rates_path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["assignment", "test", "pass_rate"])
        for (assignment, test), rate in sorted(data["pass_rates"].items(), key=lambda item: item[1]):
            writer.writerow([assignment, test, f"{rate:.3f}"])

    with open(flagged_path, "w", newline="") as file:
        fields = ["assignment", "student", "status", "score", "max_score", "problems"]
        writer = csv.DictWriter(file, fieldnames=fields, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows({field: spreadsheet_cell(row.get(field, "")) for field in fields} for row in flagged(course))
    return [figure_path, rates_path, flagged_path]
