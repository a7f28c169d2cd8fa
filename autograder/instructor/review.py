"""Look at what a submission does without running it as yourself: `gpt-course review NN_name STUDENT`.

A notebook can tell that it is being graded (``NBGRADER_EXECUTION``, the sandbox's marks) and keep still; run by the
instructor to see why it scored as it did (``jupyter execute``, the default kernel), it acts with the instructor's
rights. Review runs the student's notebooks in the grading sandbox under the same limits (its own kernelspec: the
notebook's folder a private copy, no network, nothing of the course visible), without ``NBGRADER_EXECUTION``, and
writes the executed notebooks, cleaned of anything a browser would run, into ``reports/review/<student>/<assignment>/``
to read in JupyterLab. Nothing of the student's runs outside the sandbox; what it writes stays there.
"""

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autograder.grading.in_instructor import sandbox
from autograder.grading.in_nbgrader.sanitize_outputs import SanitizeOutputs
from autograder.grading.launcher import sandbox_launch
from autograder.instructor.course_layout import CourseLayout
from autograder.instructor.errors import BadArgument, CourseError
from autograder.instructor.student_ids import checked_id

CELL_TIMEOUT = 60  # seconds per cell, as the course's config grades


def review(
    course: Path,
    assignment: str,
    student: str,
    *,
    limits: sandbox.Limits,
    progress: Callable[[str], None] = lambda line: None,
) -> list[Path]:
    """Run ``student``'s submitted notebooks of ``assignment`` in the grading sandbox; return the executed copies."""
    layout = CourseLayout(course)
    submitted = layout.submitted(checked_id(student, "review"), assignment)
    notebooks = sorted(path for path in submitted.glob("*.ipynb") if path.is_file() and not path.is_symlink())
    if not notebooks:
        raise BadArgument(f"no submitted notebook of {assignment} for {student} in {submitted}")
    if reason := sandbox.available():
        raise CourseError(f"{reason}; review needs the grading sandbox")
    target = layout.reports / "review" / student / assignment
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="gpt-course-review-") as scratch:
        folder = Path(scratch) / "notebooks"  # what the kernel sees as its folder: the notebooks alone, copied
        folder.mkdir()
        for notebook in notebooks:
            shutil.copyfile(notebook, folder / notebook.name)
        for notebook in notebooks:
            progress(f"{student}: running {notebook.name} in the sandbox")
            executed = _execute_sandboxed(folder / notebook.name, Path(scratch) / "kernel", limits)
            executed, _ = SanitizeOutputs().preprocess(executed, {})
            nbformat.write(executed, target / notebook.name)
            written.append(target / notebook.name)
            progress(f"{student}: wrote {target / notebook.name}")
    return written


def _execute_sandboxed(path: Path, directory: Path, limits: sandbox.Limits) -> nbformat.NotebookNode:
    """The notebook at ``path``, every cell run in a sandboxed kernel of its own (errors kept, as grading does)."""
    notebook = nbformat.read(path, as_version=4)
    name = sandbox.write_kernelspec(directory, path.parent, limits)
    manager = KernelManager(
        kernel_name=name,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(directory / "kernels")]),
        transport="ipc",  # the kernel has no network: it talks over sockets in the runtime folder both sides see
        connection_file=str(directory / "runtime" / "kernel.json"),
    )
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except (CellTimeoutError, DeadKernelError) as error:  # what ran is kept; the reason is the last output
        notebook.cells.append(nbformat.v4.new_markdown_cell(f"**Review stopped:** {type(error).__name__}"))
    finally:
        with contextlib.suppress(Exception):
            manager.shutdown_kernel(now=True)
        sandbox_launch.cleanup(name)
    return notebook
