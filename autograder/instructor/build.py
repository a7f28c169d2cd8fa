"""Generate the student and solution notebooks from the source notebooks.

``course/source/<NN_name>/<NN_name>.ipynb`` is the one source of each assignment: prose,
solutions between ``### BEGIN/END SOLUTION`` and tests, hidden ones between
``### BEGIN/END HIDDEN TESTS``. From it:

- ``course/release/<NN_name>/`` is what nbgrader's ``generate_assignment`` makes of it
  (solutions replaced by stubs, hidden tests removed);
- ``solutions/<NN_name>.ipynb`` keeps the solution code without markers, drops the hidden
  tests and is executed, outputs included.

Before that, the source's markdown cell tagged ``glossary`` is written from ``course/GLOSSARY.md``, the
course's one glossary (`autograder.instructor.glossary`).
"""

import copy
import functools
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.grading.protocol import HIDDEN_TESTS_REGION
from autograder.instructor.course_layout import CONFIG, CourseLayout, scratch_course
from autograder.instructor.errors import CourseError
from autograder.instructor.glossary import read_glossary, with_glossary
from autograder.instructor.nbgrader_process import failure_reason, nbgrader

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
SOLUTION_TIMEOUT = 600  # seconds per cell when executing a solution notebook


@dataclass(frozen=True)
class CourseTree:
    """A checkout of the course: ``course/`` (nbgrader's course directory) and ``solutions/`` under ``root``."""

    root: Path

    @property
    def course(self) -> Path:
        return self.root / "course"

    @functools.cached_property
    def layout(self) -> CourseLayout:
        return CourseLayout(self.course)

    def assignments(self) -> list[str]:
        """The assignment names, e.g. ``01_tokenization``, in order."""
        return self.layout.assignments()

    def source_path(self, assignment: str) -> Path:
        return self.layout.source(assignment) / f"{assignment}.ipynb"

    def release_path(self, assignment: str) -> Path:
        return self.layout.release(assignment) / f"{assignment}.ipynb"

    def solution_path(self, assignment: str) -> Path:
        return self.root / "solutions" / f"{assignment}.ipynb"

    @property
    def glossary_path(self) -> Path:
        return self.course / "GLOSSARY.md"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def write(notebook: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def normalized(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """No outputs, no execution counts, and only the metadata that means something."""
    notebook = copy.deepcopy(notebook)
    notebook.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for cell in notebook.cells:
        cell.metadata = {key: cell.metadata[key] for key in ("nbgrader", "tags") if key in cell.metadata}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def solution_notebook(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source with solution markers removed, hidden tests dropped and no nbgrader metadata."""
    notebook = normalized(source)
    cells = []
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "code":
            cell.source = HIDDEN_TESTS_REGION.sub("", SOLUTION_MARKER.sub("", cell.source)).rstrip("\n")
            if all(line.lstrip().startswith("#") for line in cell.source.splitlines()):
                continue  # nothing left but comments: a cell that only held hidden tests
        cells.append(cell)
    notebook.cells = cells
    return notebook


def release_notebook(tree: CourseTree, assignment: str) -> nbformat.NotebookNode:
    """Run nbgrader's generate_assignment in a scratch copy of the course; return the student notebook."""
    with scratch_course((tree.course / CONFIG).read_bytes(), prefix="gpt-course-build-") as course:
        shutil.copytree(tree.layout.source(assignment), course.source(assignment))
        result = nbgrader(course.root, "generate_assignment", assignment, "--force")
        if result.returncode != 0:
            raise CourseError(f"nbgrader generate_assignment {assignment} failed: {failure_reason(result.stderr)}")
        return read(course.release(assignment) / f"{assignment}.ipynb")


def execute(notebook: nbformat.NotebookNode, directory: Path) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel, with ``directory`` as the working directory."""
    client = NotebookClient(
        notebook,
        timeout=SOLUTION_TIMEOUT,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(directory)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:  # the solution is wrong: one line, not nbclient's traceback
        raise CourseError(
            f"a solution cell failed: {error.ename}: {' '.join(str(error.evalue).split())[:300]}"
        ) from None
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = merged_streams(cell.outputs)
    return notebook


def merged_streams(outputs: list) -> list:
    """Join consecutive prints to the same stream: how they were split into messages depends on timing."""
    merged = []
    for output in outputs:
        if merged and output.output_type == merged[-1].output_type == "stream" and output.name == merged[-1].name:
            merged[-1].text += output.text
        else:
            merged.append(output)
    return merged


def build(tree: CourseTree, names: list[str] | None = None, run_solutions: bool = True) -> None:
    """Normalize the sources and regenerate release and solution notebooks."""
    for assignment in names or tree.assignments():
        source = read(tree.source_path(assignment))
        if tree.glossary_path.is_file():
            source = with_glossary(source, assignment, read_glossary(tree.glossary_path))
        write(normalized(source), tree.source_path(assignment))
        print(f"{assignment}: generating the student notebook")
        write(release_notebook(tree, assignment), tree.release_path(assignment))
        solution = solution_notebook(source)
        if run_solutions:
            print(f"{assignment}: executing the solution notebook")
            execute(solution, tree.solution_path(assignment).parent)
        write(solution, tree.solution_path(assignment))
        print(f"{assignment}: done")
