"""Autograde a simulated class one student at a time and with parallel workers; compare time and grades.

    python -m benchmarks.grade_class [--students 30] [--assignments NN_name ...] [--workers N] [--compare-sandbox]

Student i hands in, for every assignment (default: every one with a classic bug in
tools/catalogue/notebook_bugs.py), the solution (i % 3 == 0), the untouched student notebook
(i % 3 == 1) or the classic bug (i % 3 == 2). Two copies of one course grade the class with
`autograde.autograde`: one at a time, and with ``--workers`` at a time. The script prints seconds
per submission for both, wall-clock and CPU (on a machine shared with other work the wall-clock
speed-up depends on the cores left free), and exits 1 unless the outcomes, the exported grades and
every cell's score are equal. CPU counts the processes this one waited for (nbgrader's), in one-at-a-time runs
only: a sandboxed kernel is killed after its last cell, and a killed process's children report their
CPU time to nobody, so the kernels' CPU is not in it; a LocalCluster's workers are children of Dask's
fork server, which outlives the class (`autograder.instructor.parallel_execution`), so theirs is not
either (n/a).

For each assignment it then prints where a submission's seconds went, per phase of one student's grading
(`autograder.instructor.nbgrader_process.PHASES`, from the ``<student>.timings.json`` that grading writes
beside each student's log): the median over the class and the total, for both runs side by side, then the
seconds outside the students' nbgrader processes, before the first started (repairs, the tamper scan, starting
workers) and after the last ended (the ``--no-execute`` scoring pass of a parallel run, the gradebook records).
Under two workers each phase takes longer than alone: the two share the cores.

With ``--compare-sandbox`` the second copy is graded one at a time too, but without the operating-system
sandbox (`autograder.grading.in_instructor.sandbox`), and the script prints the sandbox's overhead; the outcomes are
compared without the line that says a student was graded without one.

With ``--compare-defences`` the second copy is graded one at a time too, sandboxed, but without what the pipeline
around the kernel gained against hostile submissions (:func:`defences_off`): no notebook caps, no sanitizing of what
nbgrader stores, no removal of handed-in files, and, grading as root, the kernel mapped to root's uid as before
rather than a uid of its own. The guard's check of the files a notebook opens runs inside the kernel and cannot be
left out there: the script times it apart, per ``open``, and prints it beside the rest.
"""

import argparse
import contextlib
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.grading.in_instructor import sandbox
from autograder.instructor import autograde, build
from autograder.instructor.nbgrader_process import PHASES
from tools.catalogue.notebook_bugs import CLASSIC_BUGS
from tools.checkout import TREE
from tools.nbgrader_course import cell_scores, completed_release, exported_grades, scratch_course, submit_every_notebook

KINDS = ("correct", "blank", "buggy")


def hand_in(course: Path, assignments: list[str], students: dict[str, str]) -> None:
    """Submit each student's kind of notebook (student id -> kind) for every assignment."""
    for assignment in assignments:
        cell, bug, _ = CLASSIC_BUGS[assignment]
        versions = {
            "correct": completed_release,
            "blank": lambda name: build.read(TREE.release_path(name)),
            "buggy": functools.partial(completed_release, replacements={cell: bug}),
        }
        for student, kind in students.items():
            submit_every_notebook(course, student, assignment, versions[kind])


def grade(
    course: Path, assignment: str, workers: int, sandboxed: bool = True
) -> tuple[float, float | None, list, dict]:
    """Grade every submission; return wall-clock seconds, CPU seconds of nbgrader (None with workers: not
    measurable here), the outcomes and where the seconds went (:func:`breakdown`)."""
    began, cpu_start = time.time(), children_cpu_seconds()
    outcomes = autograde.autograde(course, assignment, workers=workers, sandboxed=sandboxed)
    ended = time.time()
    seconds = breakdown(course, assignment, began, ended)
    cpu = children_cpu_seconds() - cpu_start if workers == 1 else None
    return ended - began, cpu, [without_note(o) for o in outcomes], seconds


def breakdown(course: Path, assignment: str, began: float, ended: float) -> dict[str, list[float]]:
    """Seconds per phase, one figure per student; and, one figure each, the seconds before the first student's
    nbgrader process and after the last one's."""
    logs = autograde.log_directory(course, assignment)
    timings = [json.loads(path.read_text()) for path in sorted(logs.glob("*.timings.json"))]
    seconds = {phase: [timing["seconds"][phase] for timing in timings] for phase in PHASES}
    seconds["one student's grading"] = [sum(timing["seconds"].values()) for timing in timings]
    seconds["before the first student"] = [min(timing["began"] for timing in timings) - began]
    seconds["after the last student"] = [ended - max(timing["ended"] for timing in timings)]
    return seconds


def print_breakdown(assignment: str, runs: list[tuple[str, dict[str, list[float]]]]) -> None:
    """Median and total seconds per phase, the runs side by side (phases that took no time left out)."""
    title = f"where {assignment}'s seconds went"
    print(f"  {title:40s}" + "".join(f"{name + ': median':>22s} {'total':>8s}" for name, _ in runs))
    for phase in runs[0][1]:
        figures = [(statistics.median(seconds[phase]), sum(seconds[phase])) for _, seconds in runs]
        if not any(total for _, total in figures):
            continue
        whole_class = len(runs[0][1][phase]) == 1  # one figure for the class: no median
        cells = [f"{'' if whole_class else f'{median:.2f}':>22s} {total:8.2f}" for median, total in figures]
        print(f"    {phase:38s}" + "".join(cells))


def grade_second(course: Path, assignment: str, args) -> tuple[float, float, list, dict]:
    """The second copy: with ``--workers`` at a time, or one at a time without the sandbox (``--compare-sandbox``) or
    without the defences around the kernel (``--compare-defences``)."""
    with defences_off() if args.compare_defences else contextlib.nullcontext():
        return grade(course, assignment, workers=args.workers, sandboxed=not args.compare_sandbox)


WITHOUT_DEFENCES = """
# appended by benchmarks/grade_class.py --compare-defences: nbgrader stores what the kernel showed, as it was
c.Autograde.sanitize_preprocessors = [p for p in c.Autograde.sanitize_preprocessors
                                      if p not in (SanitizeOutputs, RemoveHandedInFiles)]
c.Autograde.autograde_preprocessors = [p for p in c.Autograde.autograde_preprocessors if p is not SanitizeOutputs]
"""


def without_defences(course: Path) -> None:
    """Make the copy ``course`` configure nbgrader without the course's sanitizing and handed-in-file removal."""
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(WITHOUT_DEFENCES)


@contextlib.contextmanager
def defences_off():
    """While grading: no notebook is over a cap, and a kernel graded as root runs as root's uid (the way before)."""
    over_cap, kernel_uid = autograde.over_cap, sandbox._kernel_uid
    autograde.over_cap, sandbox._kernel_uid = (lambda path: None), (lambda: None)
    try:
        yield
    finally:
        autograde.over_cap, sandbox._kernel_uid = over_cap, kernel_uid


OPENS = """
import os, sys, time
open('probe.txt', 'w').close()
if sys.argv[1] == 'guarded':
    from autograder.grading.in_kernel import guard
    guard.install()
began = time.perf_counter()
for _ in range(20000):
    open('probe.txt').close()
print((time.perf_counter() - began) / 20000 * 1e6)
"""


def microseconds_per_open(guarded: bool) -> float:
    """What one ``open`` of a file in the notebook's folder costs in a kernel's Python, with the guard or without."""
    with tempfile.TemporaryDirectory() as folder:
        program = [sys.executable, "-c", OPENS, "guarded" if guarded else "plain"]
        return float(subprocess.run(program, cwd=folder, capture_output=True, text=True, check=True).stdout)


def without_note(outcome: autograde.Outcome) -> autograde.Outcome:
    """The outcome less the line that says it was graded without a sandbox: the rest must not depend on it."""
    problems = [problem for problem in outcome.problems if not problem.startswith("graded without a sandbox")]
    return autograde.Outcome(outcome.student, outcome.score, outcome.max_score, problems)


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished child processes and theirs
    return usage.ru_utime + usage.ru_stime


def per_submission(figures: list[float | None], submissions: int) -> str:
    """Wall-clock and CPU seconds, one at a time and in parallel, per submission."""
    shown = [f"{figure / submissions:.2f}" if figure is not None else "n/a" for figure in figures]
    return "{:>18s} {:>6s} {:>18s} {:>6s}".format(*shown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    gradable = [assignment for assignment in TREE.assignments() if assignment in CLASSIC_BUGS]
    parser.add_argument("--assignments", nargs="+", default=gradable, choices=gradable)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    compare = parser.add_mutually_exclusive_group()
    compare.add_argument(
        "--compare-sandbox", action="store_true", help="grade the second copy one at a time without the sandbox"
    )
    compare.add_argument(
        "--compare-defences",
        action="store_true",
        help="grade the second copy one at a time without the defences around the kernel",
    )
    args = parser.parse_args()
    one_to_one = args.compare_sandbox or args.compare_defences
    if one_to_one:
        args.workers = 1
    students = {f"{KINDS[i % 3]}{i:02d}": KINDS[i % 3] for i in range(args.students)}
    first, second = ("1 at a time", f"{args.workers} workers")
    if args.compare_sandbox:
        first, second = ("sandboxed", "no sandbox")
    elif args.compare_defences:
        first, second = ("defended", "without defences")
    print(
        f"{args.students} students x {len(args.assignments)} assignments, {second}, "
        f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}"
    )

    with tempfile.TemporaryDirectory(prefix="grade-class-") as scratch:
        (Path(scratch) / "sequential").mkdir()
        sequential = scratch_course(Path(scratch) / "sequential", args.assignments)
        hand_in(sequential, args.assignments, students)
        parallel = shutil.copytree(sequential, Path(scratch) / "parallel")
        if args.compare_defences:
            without_defences(parallel)
        totals, equal = [0.0] * 4, True
        print(
            f"{'seconds per submission':24s} {first + ': wall':>18s} {'CPU':>6s} "
            f"{f'{second}: wall':>18s} {'CPU':>6s}  same outcomes"
        )
        for index, assignment in enumerate(args.assignments):
            second_first = one_to_one and index % 2  # alternate which goes first: the machine's load drifts
            if second_first:
                parallel_wall, parallel_cpu, parallel_outcomes, parallel_seconds = grade_second(
                    parallel, assignment, args
                )
            wall, cpu, outcomes, seconds = grade(sequential, assignment, workers=1)
            if not second_first:
                parallel_wall, parallel_cpu, parallel_outcomes, parallel_seconds = grade_second(
                    parallel, assignment, args
                )
            figures = (wall, cpu, parallel_wall, parallel_cpu)
            totals = [
                None if None in (total, figure) else total + figure
                for total, figure in zip(totals, figures, strict=True)
            ]
            same = parallel_outcomes == outcomes
            equal &= same
            for one, other in zip(outcomes, parallel_outcomes, strict=True):
                if one != other:
                    print(f"  {assignment} {one.student}: {first}: {one}\n  {' ' * len(assignment)} {second}: {other}")
            print(f"{assignment:24s} {per_submission(figures, len(students))}  {same}")
            print_breakdown(assignment, [(first, seconds), (second, parallel_seconds)])
            sys.stdout.flush()
        same_cells = all(
            cell_scores(parallel, assignment, student) == cell_scores(sequential, assignment, student)
            for assignment in args.assignments
            for student in students
        )
        same_grades = exported_grades(parallel) == exported_grades(sequential)
    submissions = len(students) * len(args.assignments)
    print(f"{'all':24s} {per_submission(totals, submissions)}")
    comparison = f"speed-up {totals[0] / totals[2]:.2f}x"
    if args.compare_sandbox or args.compare_defences:  # both runs one at a time: CPU is measured in both
        overhead = (
            f"overhead {(totals[0] - totals[2]) / submissions:+.2f} s per submission: "
            f"{100 * (totals[0] / totals[2] - 1):+.1f}% wall-clock, {100 * (totals[1] / totals[3] - 1):+.1f}% CPU"
        )
    if args.compare_sandbox:
        comparison = f"sandbox {overhead}"
    elif args.compare_defences:
        guarded, plain = microseconds_per_open(guarded=True), microseconds_per_open(guarded=False)
        comparison = f"defences {overhead}; in the kernel, an open costs {guarded:.1f} µs guarded, {plain:.1f} µs plain"
    print(
        f"{comparison} over {submissions} submissions; "
        f"exported grades equal: {same_grades}; cell scores equal: {same_cells}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    sys.exit(0 if equal and same_cells and same_grades else 1)


if __name__ == "__main__":
    main()
