"""What a Chinese-speaking learner finds in every notebook: a 中文导读 under the title, 延伸阅读 after the Summary,
and in 01 the course map of the study notes."""

import re

import pytest

from autograder.instructor import build, glossary
from tools.checkout import TREE

ASSIGNMENTS = TREE.assignments()
NOTEBOOKS = TREE.notebooks()
CJK = re.compile(r"[\u3400-\u9fff]")


def versions(notebook):
    """The source, student and solution versions of a notebook."""
    return [build.read(path) for path in (TREE.source_path(notebook), TREE.release_path(notebook))] + [
        build.read(TREE.solution_path(notebook))
    ]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_chinese_guide_follows_the_title(name):
    for notebook in versions(name):
        title, guide = notebook.cells[0], notebook.cells[1]
        assert title.cell_type == "markdown" and title.source.startswith("# Assignment ")
        assert guide.cell_type == "markdown"
        assert "zh-guide" in guide.metadata.get("tags", []) or guide.source.startswith("**中文导读**")
        sentences = [s for s in re.split(r"[。！？]", guide.source) if CJK.search(s)]
        assert 3 <= len(sentences) <= 5, f"three or four sentences of Chinese, got {len(sentences)}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_summary_ends_with_further_reading_in_both_languages(name):
    for notebook in versions(name):
        summary = next(c for c in notebook.cells if c.cell_type == "markdown" and c.source.startswith("## Summary"))
        reading = summary.source.split("**Further reading / 延伸阅读**")
        assert len(reading) == 2, "the Summary ends with **Further reading / 延伸阅读**"
        rows = [line for line in reading[1].splitlines() if line.startswith("| ")][1:]
        assert len(rows) >= 3
        for row in rows:
            english, chinese = glossary.table_cells(row)
            assert english and CJK.search(chinese), row
        assert "http" not in reading[1], "plain references: nothing to follow or download"


def test_the_first_notebook_maps_the_course():
    cells = build.read(TREE.source_path(ASSIGNMENTS[0])).cells
    course_map = next(c.source for c in cells if c.cell_type == "markdown" and c.source.startswith("## The course map"))
    steps = ["拆词", "发身份证", "聊天室里讨论上下文", "用最后一个词的身份证去词库匹配", "生成下一个词，循环往复"]
    assert " → ".join(steps) in course_map
    rows = [glossary.table_cells(line) for line in course_map.splitlines() if line.startswith("| ")][1:]
    assert [row[1] for row in rows] == steps
    assert all(re.search(r"\b0[1-7]\b", row[-1]) for row in rows), "each step names the notebooks that build it"
