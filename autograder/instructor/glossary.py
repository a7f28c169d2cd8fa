"""The course's one glossary, ``course/GLOSSARY.md``, and the table each notebook shows of it.

Each row gives a term in English and Chinese, its meaning and the notebooks that use it (the first introduces
it); the build writes every source notebook's cell tagged ``glossary`` from it (``with_glossary``).
"""

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.instructor.errors import CourseError

GLOSSARY_TAG = "glossary"  # the markdown cell of a source notebook that the build writes from course/GLOSSARY.md
GLOSSARY_HEADING = (
    "**Glossary / 术语表** (from `course/GLOSSARY.md`, which lists every term of the course"
    " and the notebook that introduces it)"
)


@dataclass(frozen=True)
class Term:
    """A row of ``course/GLOSSARY.md``; ``notebooks`` are notebook numbers (``03``, ``07b``: what a notebook's name
    starts with), the first introduces the term."""

    english: str
    chinese: str
    meaning: str
    notebooks: tuple[str, ...]


def table_cells(line: str) -> list[str]:
    """The cells of a markdown table row; an escaped ``\\|`` stays inside its cell."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])]


def read_glossary(path: Path) -> list[Term]:
    """The rows of the glossary's table, in order."""
    rows = [table_cells(line) for line in path.read_text().splitlines() if line.startswith("|")][2:]
    return [
        Term(english, chinese, meaning, tuple(n.strip() for n in numbers.split(",")))
        for english, chinese, meaning, numbers in rows
    ]


def notebook_number(notebook: str) -> str:
    """What the glossary calls a notebook: its name up to the first underscore (``03``, ``07b``)."""
    return notebook.split("_")[0]


def glossary_cell_source(terms: list[Term], notebook: str) -> str:
    """One notebook's glossary: the terms introduced in it or listed for it, in the glossary's order."""
    rows = [f"| {t.english} | {t.chinese} | {t.meaning} |" for t in terms if notebook_number(notebook) in t.notebooks]
    return "\n".join([GLOSSARY_HEADING, "", "| English | 中文 | Meaning |", "|---|---|---|", *rows])


def with_glossary(notebook: nbformat.NotebookNode, name: str, terms: list[Term]) -> nbformat.NotebookNode:
    """The notebook with its cell tagged ``glossary`` written from ``terms``; a notebook without one gets one
    after its title (and its 中文导读)."""
    notebook = copy.deepcopy(notebook)
    cells = [cell for cell in notebook.cells if GLOSSARY_TAG in cell.metadata.get("tags", [])]
    if len(cells) > 1:
        raise CourseError(f"{name}: {len(cells)} cells are tagged {GLOSSARY_TAG!r}; keep one")
    if not cells:
        cells = [nbformat.v4.new_markdown_cell(metadata={"tags": [GLOSSARY_TAG]}, id=GLOSSARY_TAG)]
        after_guide = len(notebook.cells) > 1 and "zh-guide" in notebook.cells[1].metadata.get("tags", [])
        notebook.cells.insert(2 if after_guide else 1, cells[0])
    cells[0].source = glossary_cell_source(terms, name)
    return notebook
