"""Do the hidden checks pass every correct answer whatever a grading run's secret is?

Each grading run mixes a secret of its own into the hidden checks' seeds (`autograder.grading.in_kernel.hidden_seeds`), so a
hidden check meets inputs nobody chose: one whose tolerance holds at the seed a notebook names but not at others
would fail a correct answer now and then. This runs every exercise's solution (from the source notebooks) and every
valid alternative of the catalogue through its visible and hidden check under many secrets, and prints how often
each failed (it should be never), with the first failure of each.

    python -m benchmarks.seed_stability [--secrets 300] [--assignments 03_attention ...]
"""

import argparse
import collections
import contextlib
import io
import time

from autograder.grading.in_kernel import hidden_seeds
from tools import mutation
from tools.catalogue import CATALOGUES
from tools.exercise_runner import run_visible_and_hidden, student_namespace


def candidates(assignments):
    """(label, checks module, exercise, make the object under test) for every solution and valid alternative."""
    for exercise in mutation.exercises(assignments):
        namespace = student_namespace(exercise.prelude + "\n" + exercise.source)
        yield f"{exercise.assignment} {exercise.name} (solution)", exercise.checks_module, exercise.name, namespace
    for assignment, catalogue in CATALOGUES.items():
        if assignments and assignment not in assignments:
            continue
        for index, (name, source) in enumerate(catalogue.VALID):
            namespace = student_namespace(catalogue.COMMON + source)
            yield f"{assignment} {name} (valid #{index})", catalogue.checks.__name__, name, namespace


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=300)
    parser.add_argument("--assignments", nargs="*")
    args = parser.parse_args(argv)
    failed, first, began = collections.Counter(), {}, time.monotonic()
    rows = 0
    with contextlib.redirect_stderr(io.StringIO()):
        for label, module, name, namespace in candidates(args.assignments):
            checks = __import__(module, fromlist=["*"])
            rows += 1
            for k in range(args.secrets):
                hidden_seeds.use_secret(f"seed-stability-{k}")
                with contextlib.redirect_stdout(io.StringIO()):
                    failures = run_visible_and_hidden(checks, name, namespace[name])
                if failures:
                    failed[label] += 1
                    first.setdefault(label, failures[0])
    hidden_seeds.use_secret("")
    print(f"{rows} solutions and valid alternatives x {args.secrets} secrets: {time.monotonic() - began:.0f} s")
    for label, count in sorted(failed.items()):
        print(f"{label}: failed under {count} of {args.secrets} secrets; first: {first[label][:400]}")
    print(f"failures: {sum(failed.values())}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
