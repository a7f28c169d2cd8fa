"""How long each solution notebook takes to execute as ``./course.sh build`` runs it, and its slowest cells.

    python -m benchmarks.notebook_times [NOTEBOOK ...] [--grading]    # default: assignment 07's notebooks

Each notebook's solution version (`autograder.instructor.build.solution_notebook`) runs in a fresh kernel with one
torch thread, in a temporary folder (its checkpoints go there), one after another; the figures are printed side by
side at the end: wall seconds per notebook and the three slowest cells of each.
"""

import argparse
import os
import tempfile
import time
from datetime import datetime

from nbclient import NotebookClient

from autograder.instructor import build
from tools.checkout import TREE


def cell_seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    return (
        datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))
    ).total_seconds()


def time_notebook(name: str) -> tuple[float, list[tuple[float, str]]]:
    """Wall seconds of the whole run, and (seconds, first line) of every code cell."""
    notebook = build.solution_notebook(build.read(TREE.source_path(name)))
    with tempfile.TemporaryDirectory(prefix="gpt-course-timing-") as folder:
        client = NotebookClient(
            notebook, timeout=build.SOLUTION_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": folder}}
        )
        start = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - start
    cells = [
        (cell_seconds(cell), cell.source.splitlines()[0][:60]) for cell in notebook.cells if cell.cell_type == "code"
    ]
    return wall, cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", default=TREE.notebooks("07_gpt"), help="e.g. 07b_pretraining")
    parser.add_argument("--grading", action="store_true", help="run as nbgrader grades (NBGRADER_EXECUTION set)")
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = "1"  # as ./course.sh build: kernels inherit it
    if args.grading:
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    results = {}
    for name in args.notebooks:
        results[name] = time_notebook(name)
        print(f"{name}: {results[name][0]:.0f} s", flush=True)
    print(f"\n{'notebook':<24}{'wall s':>8}  slowest cells (s)")
    for name, (wall, cells) in results.items():
        slowest = ", ".join(f"{seconds:.0f} {line!r}" for seconds, line in sorted(cells, reverse=True)[:3])
        print(f"{name:<24}{wall:>8.0f}  {slowest}")
    print(f"{'all':<24}{sum(wall for wall, _ in results.values()):>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
