"""How many small bugs in the course's solutions the checks catch: the mutation score per exercise.

    python -m benchmarks.mutation_score [--assignments 03_attention 05_causal_attention ...]
                                        [--exercises name ...] [--time-limit 20] [--survivors PATH]

Every solution cell of the source notebooks is mutated one change at a time (tools/mutation.py lists the
operators) and each mutant runs through the exercise's visible and hidden check. The script prints, per
exercise, the mutants, how many the checks killed (timeouts included), how many survived and how many
survived as allow-listed equivalents (tools/mutation_equivalents.toml), then the totals, the same counts per
operator (the kind of mistake), and every survivor, grouped by operator. A survivor is either an equivalent mutant to allow-list with its reason, or a bug the hidden
cases miss. The script measures: it exits 0 whatever the score.
"""

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from tools.mutation import NOTEBOOKS, OPERATORS, TIME_LIMIT_S, mutation_run

COLUMNS = ("mutants", "killed", "timeout", "survived", "equivalent")
ROW = "{:<24}{:<28}" + "{:>11}" * len(COLUMNS) + "{:>8}"
OPERATOR_COLUMNS = ("mutants", "killed", "survived", "equivalent")
OPERATOR_ROW = "{:<24}" + "{:>11}" * len(OPERATOR_COLUMNS) + "{:>8}"


def counts(result) -> tuple[int, ...]:
    """Mutants, killed (timeouts included), of those timeouts, survived, equivalent."""
    return (
        len(result.outcomes),
        result.count("killed", "timeout", "allowed but killed"),
        result.count("timeout"),
        result.count("survived"),
        result.count("equivalent"),
    )


def operator_counts(results) -> dict[str, tuple[int, int, int, int]]:
    """Mutants, killed (timeouts and allow-listed ones the checks fail included), survived and equivalent, per
    operator that made at least one mutant, in the order of tools.mutation.OPERATORS."""
    statuses = {}
    for result in results:
        for mutant, status in result.outcomes:
            statuses.setdefault(mutant.operator, []).append(status)
    return {
        operator: (
            len(found),
            sum(status in ("killed", "timeout", "allowed but killed") for status in found),
            found.count("survived"),
            found.count("equivalent"),
        )
        for operator in OPERATORS
        if (found := statuses.get(operator))
    }


def score(row) -> str:
    mutants, killed, *_, equivalent = row
    return f"{killed / (mutants - equivalent):.0%}" if mutants > equivalent else "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    assignments = sorted({notebook.parent.name for notebook in NOTEBOOKS.glob("*/*.ipynb")})
    parser.add_argument(
        "--assignments", nargs="*", choices=assignments, help="folder names, e.g. 03_attention (default: all)"
    )
    parser.add_argument("--exercises", nargs="*", help="exercise names (grade ids); default: all")
    parser.add_argument("--time-limit", type=int, default=TIME_LIMIT_S, help="seconds per mutant, then it is killed")
    parser.add_argument("--survivors", type=Path, help="also write the survivors to this file")
    args = parser.parse_args(argv)

    print(ROW.format("", "exercise", *COLUMNS, "score"))
    start, results, totals = time.perf_counter(), [], {}
    for result in mutation_run(args.assignments, args.exercises, args.time_limit):
        exercise = result.exercise
        results.append(result)
        if result.solution_failures:
            print(
                ROW.format(exercise.assignment, exercise.name, *["-"] * len(COLUMNS), "-"),
                "the solution itself fails:",
                result.solution_failures[0].splitlines()[0],
            )
            continue
        row = counts(result)
        totals[exercise.assignment] = tuple(map(sum, zip(totals.get(exercise.assignment, (0,) * len(row)), row)))
        print(ROW.format(exercise.assignment, exercise.name, *row, score(row)), flush=True)
    wall_s = time.perf_counter() - start

    print()
    for assignment, row in totals.items():
        print(ROW.format(assignment, "(assignment total)", *row, score(row)))
    everything = tuple(map(sum, zip(*totals.values()))) if totals else (0,) * len(COLUMNS)
    print(ROW.format("", "TOTAL", *everything, score(everything)))
    print(f"wall time {wall_s:.0f} s")

    print(f"\n{OPERATOR_ROW.format('operator', *OPERATOR_COLUMNS, 'score')}")
    for operator, row in operator_counts(results).items():
        print(OPERATOR_ROW.format(operator, *row, score(row)))

    survivors = sorted(
        (
            (result.exercise, mutant, status)
            for result in results
            for mutant, status in result.outcomes
            if status in ("survived", "allowed but killed")
        ),
        key=lambda survivor: list(OPERATORS).index(survivor[1].operator),  # stable: notebook order within one
    )
    lines = []
    for operator, group in itertools.groupby(survivors, key=lambda survivor: survivor[1].operator):
        lines.append(f"[{operator}]")
        lines += [
            f"  {exercise.assignment} {mutant.exercise} line {mutant.line}: {mutant.description}"
            f"\n      {mutant.mutated_line}"
            + ("\n      (allow-listed as equivalent, yet the checks fail it)" if status == "allowed but killed" else "")
            for exercise, mutant, status in group
        ]
    print(f"\n{len(survivors)} survivor(s)" + (", by operator:" if survivors else ""))
    print("\n".join(lines))
    if args.survivors:
        args.survivors.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
