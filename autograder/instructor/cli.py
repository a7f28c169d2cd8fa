"""The course's command line: the whole nbgrader workflow, one command per step.

  gpt-course build [NN_name ...] [--root DIR]        regenerate course/release and solutions from course/source
  gpt-course release NN_name --exchange DIR          generate the student version if needed, release it
  gpt-course collect NN_name --exchange DIR [--accounts FILE]
                                                     collect the newest submission of each student, taken only
                                                     when its files belong to the student's own account
  gpt-course collect NN_name --zip FILE              collect <student>_<anything>_<NN_name>.ipynb files from a zip
  gpt-course autograde NN_name [--workers N | --scheduler ADDRESS]
                                                     grade every submission, each in a sandbox with limits; several
                                                     at a time on Dask: N local processes, or a Dask cluster
  gpt-course feedback NN_name                        feedback HTML for every graded student, hidden tests hidden
  gpt-course review NN_name STUDENT                  run a student's submission in the grading sandbox, never as
                                                     you; the executed copy goes to reports/review/ to read
  gpt-course export --to FILE.csv                    one row of grades per student and assignment
  gpt-course report                                  score figure, pass rate per test, flagged submissions
  gpt-course selfgrade NN_name [NOTEBOOK] [--root DIR]
                                                     a learner grades their own notebook, as autograde would

Every command but build and selfgrade takes --course DIR (default: ./course when the working directory is
a checkout of the course, else the working directory); build and selfgrade take --root DIR, the checkout
(default: the working directory). A bad argument exits with status 2, a failed step with status 1, each
with one line that says why.
"""

import argparse
import os
import sys
from pathlib import Path

from autograder.grading.in_instructor.sandbox import GIB, Limits
from autograder.grading.untrusted_text import printable
from autograder.instructor import autograde, build, exchange, feedback, lms_zip, report, review, selfgrade
from autograder.instructor.course_layout import CONFIG, CourseLayout
from autograder.instructor.dask_cluster import SCHEDULER_VARIABLE, scheduler_security
from autograder.instructor.errors import BadArgument, CourseError
from autograder.instructor.gradebook import gradebook_exists


def _progress(line: str) -> None:
    """A line as each step is done, also when piped into a file; what a student named shows as text, not codes."""
    print(printable(line), flush=True)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except BadArgument as error:
        _fail(error, status=2)
    except CourseError as error:
        _fail(error, status=1)


def _fail(error: Exception, status: int) -> None:
    print(f"gpt-course: {error}", file=sys.stderr)
    sys.exit(status)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gpt-course", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    command = commands.add_parser("build", help="regenerate course/release and solutions from course/source")
    command.add_argument("assignments", nargs="*", help="e.g. 01_tokenization (default: all)")
    command.add_argument("--no-execute", action="store_true", help="write solutions without running them")
    command.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="the checkout holding course/source (default: the working directory)",
    )
    command.set_defaults(run=_build)

    command = _course_command(commands, "release", "generate the student version if needed, release it")
    command.add_argument(
        "--exchange", type=Path, required=True, help="nbgrader's exchange directory (created if missing)"
    )
    command.add_argument("--course-id", help="default: c.CourseDirectory.course_id of the course's nbgrader_config.py")
    command.set_defaults(run=_release)

    command = _course_command(commands, "collect", "collect submissions from the exchange or from an LMS zip")
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument("--exchange", type=Path, help="nbgrader's exchange directory")
    source.add_argument("--zip", type=Path, help="a zip of <student>_<anything>_<NN_name>.ipynb files")
    command.add_argument("--course-id", help="with --exchange; default: the course config's course id")
    command.add_argument(
        "--accounts",
        type=Path,
        help="with --exchange: a CSV of student,account rows, for ids that are not the name of the account that "
        "submits (an LMS's ids, a hub whose users share one account); default: the account named as the id",
    )
    command.set_defaults(run=_collect)

    command = _course_command(commands, "autograde", "check, repair and autograde every submission of an assignment")
    command.add_argument(
        "--notebook-timeout",
        type=float,
        default=autograde.NOTEBOOK_TIMEOUT,
        help=f"seconds per student (default {autograde.NOTEBOOK_TIMEOUT:g})",
    )
    command.add_argument("--cell-timeout", type=int, help="seconds per cell (default: the course config's)")
    command.add_argument(
        "--memory-gb",
        type=float,
        default=Limits.memory_bytes / GIB,
        help=f"memory of a student's processes together (default {Limits.memory_bytes / GIB:g})",
    )
    command.add_argument(
        "--processes",
        type=_positive,
        default=Limits.max_processes,
        help=f"processes and threads of a student together (default {Limits.max_processes})",
    )
    command.add_argument(
        "--disk-gb",
        type=float,
        default=Limits.disk_bytes / GIB,
        help="disk a student's kernel may write, in its folder and in /tmp each (default 1)",
    )
    command.add_argument(
        "--no-sandbox",
        action="store_true",
        help="grade without the operating-system sandbox (where none can start): the in-kernel guard only",
    )
    parallel = command.add_mutually_exclusive_group()
    parallel.add_argument(
        "--workers",
        type=_positive,
        help="students graded at a time on this machine, by a Dask LocalCluster of that many processes (default 1: "
        "one after the other in the course, as nbgrader does)",
    )
    parallel.add_argument(
        "--scheduler",
        help=f"grade on the Dask cluster whose scheduler is at this address, e.g. tls://10.0.0.5:8786 (default: "
        f"${SCHEDULER_VARIABLE} when set and --workers is not given)",
    )
    for option, what in (
        ("--tls-ca-file", "the certificate authority the cluster's scheduler and workers trust"),
        ("--tls-cert", "the instructor's certificate, signed by that authority"),
        ("--tls-key", "the instructor's private key"),
    ):
        command.add_argument(option, type=Path, help=f"with a tls:// --scheduler: {what} (as dask scheduler takes it)")
    command.add_argument(
        "--insecure",
        action="store_true",
        help="allow a plain tcp:// scheduler that is not on this machine (anyone who reaches it runs code as you)",
    )
    command.set_defaults(run=_autograde)

    command = _course_command(commands, "feedback", "write feedback HTML for every graded student")
    command.set_defaults(run=_feedback)

    command = _course_command(
        commands, "review", "run one student's submission in the grading sandbox and keep the executed copy"
    )
    command.add_argument("student", help="the student id whose submitted notebooks to run")
    command.set_defaults(run=_review)

    command = _course_command(commands, "export", "write the grades as CSV", takes_assignment=False)
    command.add_argument("--to", type=Path, required=True, help="the CSV file to write")
    command.set_defaults(run=_export)

    command = _course_command(
        commands, "report", "write the class report into the course's reports/", takes_assignment=False
    )
    command.set_defaults(run=_report)

    command = commands.add_parser("selfgrade", help="grade your own notebook as the instructor's autograde would")
    command.add_argument("assignment", help="e.g. 03_attention")
    command.add_argument(
        "notebook",
        type=Path,
        nargs="?",
        help="your notebook (default: the assignment's notebooks in my_notebooks/NN_name/ of the checkout)",
    )
    command.add_argument(
        "--root", type=Path, default=Path.cwd(), help="the checkout of the course (default: the working directory)"
    )
    command.add_argument(
        "--no-sandbox",
        action="store_true",
        help="grade without the operating-system sandbox (where none can start): the in-kernel guard only",
    )
    command.set_defaults(run=_selfgrade)
    return parser


def _course_command(commands, name: str, help: str, takes_assignment: bool = True) -> argparse.ArgumentParser:
    command = commands.add_parser(name, help=help)
    if takes_assignment:
        command.add_argument("assignment", help="e.g. 01_tokenization")
    command.add_argument(
        "--course",
        type=Path,
        default=_default_course(),
        help="the nbgrader course directory (default: ./course in a checkout, else .)",
    )
    return command


def _default_course() -> Path:
    """./course when run from a checkout of the course, else the working directory."""
    here = Path.cwd()
    return here / "course" if (here / "course" / "nbgrader_config.py").is_file() else here


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _check_course(args) -> None:
    """The course directory exists, and so does the assignment's source, when the command names one."""
    if not args.course.is_dir():
        raise BadArgument(f"{args.course} is not a course directory (no such directory)")
    if not (args.course / CONFIG).is_file():
        raise BadArgument(f"{args.course} is not a course directory (it has no nbgrader_config.py)")
    assignment = getattr(args, "assignment", None)
    layout = CourseLayout(args.course)
    if assignment is not None and not layout.source(assignment).is_dir():
        known = ", ".join(layout.assignments())
        raise BadArgument(
            f"unknown assignment {assignment!r}: no {layout.source(assignment)} (known: {known or 'none'})"
        )


def _build(args) -> None:
    tree = build.CourseTree(args.root)
    if not (tree.course / CONFIG).is_file() or not tree.layout.source(".").is_dir():
        raise BadArgument(f"{args.root} is not a checkout of the course (it has no course/{CONFIG} and source)")
    known = tree.assignments()
    unknown = sorted(set(args.assignments) - set(known))
    if unknown:
        raise BadArgument(f"unknown assignment(s) {', '.join(unknown)}; known: {', '.join(known)}")
    build.build(tree, args.assignments or None, run_solutions=not args.no_execute)


def _release(args) -> None:
    _check_course(args)
    exchange.release(args.course, args.assignment, args.exchange, course_id_override=args.course_id, progress=_progress)


def _collect(args) -> None:
    _check_course(args)
    for option in ("course_id", "accounts"):
        if args.zip and getattr(args, option):
            raise BadArgument(f"--{option.replace('_', '-')} goes with --exchange, not with --zip")
    if args.zip:
        students = lms_zip.collect_zip(args.course, args.assignment, args.zip, progress=_progress)
    else:
        students = exchange.collect(
            args.course,
            args.assignment,
            args.exchange,
            course_id_override=args.course_id,
            accounts=exchange.read_accounts(args.accounts) if args.accounts else None,
            progress=_progress,
        )
    print(
        f"{len(students)} submissions of {args.assignment} collected into {CourseLayout(args.course).submitted('*', args.assignment)}"
    )


def _autograde(args) -> None:
    _check_course(args)
    # the command line wins over the environment: --workers N grades on this machine
    scheduler = args.scheduler or (None if args.workers else os.environ.get(SCHEDULER_VARIABLE) or None)
    security = scheduler and scheduler_security(
        scheduler, ca_file=args.tls_ca_file, cert=args.tls_cert, key=args.tls_key, insecure=args.insecure
    )
    outcomes = autograde.autograde(
        args.course,
        args.assignment,
        notebook_timeout=args.notebook_timeout,
        cell_timeout=args.cell_timeout,
        memory_gb=args.memory_gb,
        workers=args.workers or 1,
        scheduler=scheduler,
        scheduler_security=security or None,
        sandboxed=not args.no_sandbox,
        max_processes=args.processes,
        disk_gb=args.disk_gb,
        progress=_progress,
    )
    outcomes_path = CourseLayout(args.course).reports / f"{args.assignment}-outcomes.csv"
    autograde.write_outcomes(outcomes, outcomes_path)
    for outcome in outcomes:
        score = f"{outcome.score:g} / {outcome.max_score:g}" if outcome.score is not None else "-"
        print(
            f"{printable(outcome.student):24s} {outcome.status:11s} {score:>12s}  {printable('; '.join(outcome.problems))}"
        )
    graded = sum(outcome.score is not None for outcome in outcomes)
    print(f"{graded} of {len(outcomes)} submissions graded; outcomes written to {outcomes_path}")


def _feedback(args) -> None:
    _check_course(args)
    pages = feedback.generate_feedback(args.course, args.assignment, progress=_progress)
    print(f"{len(pages)} feedback files written into {args.course / 'feedback'}; hidden tests checked absent")


def _review(args) -> None:
    _check_course(args)
    limits = Limits(wall_seconds=autograde.NOTEBOOK_TIMEOUT + autograde.HARD_LIMIT_MARGIN)
    written = review.review(args.course, args.assignment, args.student, limits=limits, progress=_progress)
    print(f"{len(written)} notebooks run in the sandbox; open them in JupyterLab: {printable(written[0].parent)}")


def _export(args) -> None:
    _check_course(args)
    _require_gradebook(args.course)
    rows = report.export_grades(args.course, args.to)
    print(f"wrote {rows} rows of grades (one per student and assignment) to {args.to}")


def _report(args) -> None:
    _check_course(args)
    _require_gradebook(args.course)
    for path in report.write_report(args.course):
        print(f"wrote {path}")


def _selfgrade(args) -> None:
    if args.notebook:
        notebooks = [args.notebook]
    else:  # where `./course.sh lab` copies the student notebooks: every one of the assignment's that is there
        folder = args.root / "my_notebooks" / args.assignment
        checkout = (args.root / "course" / CONFIG).is_file()  # if not, selfgrade says what the root lacks
        expected = build.CourseTree(args.root).notebooks(args.assignment) if checkout else []
        notebooks = [folder / f"{name}.ipynb" for name in expected if (folder / f"{name}.ipynb").is_file()]
        notebooks = notebooks or [folder / f"{(expected or [args.assignment])[0]}.ipynb"]  # missing: say which
    result = selfgrade.selfgrade(
        args.root, args.assignment, notebooks, sandboxed=not args.no_sandbox, progress=_progress
    )
    if result.score is None:
        raise CourseError(f"your notebook could not be graded: {'; '.join(result.problems)}")
    print(selfgrade.format_report(result))


def _require_gradebook(course: Path) -> None:
    if not gradebook_exists(course):
        raise CourseError(f"{course} has no gradebook yet: autograde first")


if __name__ == "__main__":
    main()
