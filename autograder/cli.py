"""The course's command line: ``gpt-course build`` (more instructor commands to come)."""

import argparse

from autograder import build


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gpt-course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="regenerate course/release and solutions from course/source")
    build_parser.add_argument("assignments", nargs="*", help="e.g. 01_tokenization (default: all)")
    build_parser.add_argument("--no-execute", action="store_true", help="write solutions without running them")
    args = parser.parse_args(argv)
    if args.command == "build":
        known = build.assignments()
        unknown = sorted(set(args.assignments) - set(known))
        if unknown:
            parser.error(f"unknown assignment(s) {', '.join(unknown)}; known: {', '.join(known)}")
        build.build(args.assignments or None, run_solutions=not args.no_execute)


if __name__ == "__main__":
    main()
