"""The course's command line.

  gpt-course build [NN_name ...]              regenerate course/release and solutions from course/source
  gpt-course autograde NN_name [--course DIR] grade every submission with time and memory limits,
                                              one outcome line per student
  gpt-course report [--course DIR]            score figure, pass rate per test, flagged submissions
"""

import argparse
import sys
from pathlib import Path

from autograder import build, grading, report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gpt-course", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="regenerate course/release and solutions from course/source")
    build_parser.add_argument("assignments", nargs="*", help="e.g. 01_tokenization (default: all)")
    build_parser.add_argument("--no-execute", action="store_true", help="write solutions without running them")
    grade_parser = commands.add_parser("autograde", help="check, repair and autograde every submission of an assignment")
    grade_parser.add_argument("assignment", help="e.g. 01_tokenization")
    grade_parser.add_argument("--course", type=Path, default=build.REPO / "course", help="the nbgrader course directory")
    grade_parser.add_argument("--notebook-timeout", type=float, default=600, help="seconds per student (default 600)")
    grade_parser.add_argument("--cell-timeout", type=int, help="seconds per cell (default: the course config's)")
    grade_parser.add_argument("--memory-gb", type=float, default=4, help="address space per process (default 4)")
    report_parser = commands.add_parser("report", help="write the class report into the course's reports/")
    report_parser.add_argument("--course", type=Path, default=build.REPO / "course", help="the nbgrader course directory")
    args = parser.parse_args(argv)

    if args.command == "build":
        known = build.assignments()
        unknown = sorted(set(args.assignments) - set(known))
        if unknown:
            parser.error(f"unknown assignment(s) {', '.join(unknown)}; known: {', '.join(known)}")
        build.build(args.assignments or None, run_solutions=not args.no_execute)
    elif not (args.course / "nbgrader_config.py").is_file():
        parser.error(f"{args.course} is not a course directory (it has no nbgrader_config.py)")
    elif args.command == "report":
        if not (args.course / "gradebook.db").is_file():
            sys.exit(f"gpt-course: {args.course} has no gradebook yet: autograde first")
        for path in report.write_report(args.course):
            print(f"wrote {path}")
    elif args.command == "autograde":
        if not (args.course / "source" / args.assignment).is_dir():
            parser.error(f"unknown assignment {args.assignment!r}: no {args.course / 'source' / args.assignment}")
        try:
            outcomes = grading.autograde(args.course, args.assignment, notebook_timeout=args.notebook_timeout,
                                         cell_timeout=args.cell_timeout, memory_gb=args.memory_gb)
        except FileNotFoundError as error:
            sys.exit(f"gpt-course: {error}")
        outcomes_path = args.course / "reports" / f"{args.assignment}-outcomes.csv"
        grading.write_outcomes(outcomes, outcomes_path)
        for outcome in outcomes:
            score = f"{outcome.score:g} / {outcome.max_score:g}" if outcome.score is not None else "-"
            print(f"{outcome.student:24s} {outcome.status:11s} {score:>12s}  {'; '.join(outcome.problems)}")
        graded = sum(outcome.score is not None for outcome in outcomes)
        print(f"{graded} of {len(outcomes)} submissions graded; outcomes written to {outcomes_path}")


if __name__ == "__main__":
    main()
