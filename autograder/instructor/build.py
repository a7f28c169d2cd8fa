"""Generate the student and solution notebooks from the source notebooks.

An assignment is a folder ``course/source/<NN_name>/`` of one or more notebooks, each graded on its own: most hold
one, ``<NN_name>.ipynb``; 07 holds three (``07a_…``, ``07b_…``, ``07c_…``). A source notebook is the one source
of its part: prose, solutions between ``### BEGIN/END SOLUTION`` and tests, hidden ones between
``### BEGIN/END HIDDEN TESTS``. From it:

- ``course/release/<NN_name>/<notebook>.ipynb`` is what nbgrader's ``generate_assignment`` makes of it
  (solutions replaced by stubs, hidden tests removed);
- ``solutions/<notebook>.ipynb`` keeps the solution code without markers, drops the hidden
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

    def notebooks(self, assignment: str | None = None) -> list[str]:
        """The names (file stems) of ``assignment``'s source notebooks, or of every assignment's, in order."""
        assignments = [assignment] if assignment else self.assignments()
        return [path.stem for name in assignments for path in sorted(self.layout.source(name).glob("*.ipynb"))]

    def assignment_of(self, notebook: str) -> str:
        """The assignment whose source folder holds ``notebook``."""
        for assignment in self.assignments():
            if (self.layout.source(assignment) / f"{notebook}.ipynb").is_file():
                return assignment
        raise CourseError(f"no assignment has a notebook {notebook}")

    def source_path(self, notebook: str) -> Path:
        return self.layout.source(self.assignment_of(notebook)) / f"{notebook}.ipynb"

    def release_path(self, notebook: str) -> Path:
        return self.layout.release(self.assignment_of(notebook)) / f"{notebook}.ipynb"

    def solution_path(self, notebook: str) -> Path:
        return self.root / "solutions" / f"{notebook}.ipynb"

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


def release_notebooks(tree: CourseTree, assignment: str) -> dict[str, nbformat.NotebookNode]:
    """Run nbgrader's generate_assignment in a scratch copy of the course; return the student notebooks by name."""
    with scratch_course((tree.course / CONFIG).read_bytes(), prefix="gpt-course-build-") as course:
        shutil.copytree(tree.layout.source(assignment), course.source(assignment))
        result = nbgrader(course.root, "generate_assignment", assignment, "--force")
        if result.returncode != 0:
            raise CourseError(f"nbgrader generate_assignment {assignment} failed: {failure_reason(result.stderr)}")
        return {name: read(course.release(assignment) / f"{name}.ipynb") for name in tree.notebooks(assignment)}


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
    glossary = read_glossary(tree.glossary_path) if tree.glossary_path.is_file() else None
    for assignment in names or tree.assignments():
        notebooks = tree.notebooks(assignment)
        sources = {name: read(tree.source_path(name)) for name in notebooks}
        for name, source in sources.items():
            if glossary is not None:
                source = sources[name] = with_glossary(source, name, glossary)
            write(normalized(source), tree.source_path(name))
        print(f"{assignment}: generating the student notebooks")
        for name, release in release_notebooks(tree, assignment).items():
            write(release, tree.release_path(name))
        for name, source in sources.items():
            solution = solution_notebook(source)
            if run_solutions:
                print(f"{name}: executing the solution notebook")
                execute(solution, tree.solution_path(name).parent)
            write(solution, tree.solution_path(name))
        print(f"{assignment}: done")
