"""One glossary, course/GLOSSARY.md: every notebook's table is generated from it, and no notebook names a term otherwise."""

import re

import pytest

from autograder.instructor import build, glossary
from tools.checkout import TREE

NOTEBOOKS = TREE.notebooks()
TERMS = glossary.read_glossary(TREE.glossary_path)
BY_ENGLISH = {term.english.lower(): term for term in TERMS}
CJK = re.compile(r"[\u3400-\u9fff]")
PARENTHESES = re.compile(r"[(（]([^()（）\n]+)[)）]")

# The terms the issue asked for, with their standard Chinese names.
REQUIRED = {
    "token": "词元",
    "tokenization": "分词",
    "embedding": "嵌入",
    "unembedding": "解嵌入",
    "position embedding": "位置嵌入",
    "self-attention": "自注意力",
    "causal mask": "因果掩码",
    "multi-head attention": "多头注意力",
    "MLP (multilayer perceptron)": "多层感知机",
    "residual connection": "残差连接",
    "layer normalization": "层归一化",
    "weight tying": "权重绑定",  # not 权重共享, which is a CNN's weight sharing
    "autoregressive": "自回归",
    "next-token prediction": "下一个词元预测",
    "backpropagation": "反向传播",
    "gradient descent": "梯度下降",
    "cross-entropy": "交叉熵",
    "temperature": "温度",
    "greedy decoding": "贪心解码",
    "pretraining": "预训练",
    "fine-tuning": "微调",
    "instruction fine-tuning": "指令微调",
    "context length": "上下文长度",
    "the dog-planet language": "汪星语",
    "logits": "未归一化的对数概率",
    "bigram model": "二元语法模型",
    "exact match": "精确匹配",
}


def plain(text: str) -> str:
    return text.strip().strip("*`").strip()


def term_ending(text: str) -> glossary.Term | None:
    """The longest glossary term that ``text`` ends with, as a whole word ("special token", not "token")."""
    text = plain(text).lower()
    endings = [
        term
        for english, term in BY_ENGLISH.items()
        if text.endswith(english) and not text[: len(text) - len(english)][-1:].isalnum()
    ]
    return max(endings, key=lambda term: len(term.english), default=None)


def other_names(text: str) -> list[str]:
    """Each place where ``text`` gives a glossary term a Chinese name other than the glossary's.

    Three forms are read: "English (中文)", "中文（English）" and a table row "| English | 中文 |".
    """
    wrong = []
    for line in text.splitlines():
        for match in PARENTHESES.finditer(line):
            inside, before = plain(match[1]), line[: match.start()].rstrip(" *`")
            if CJK.search(inside) and (term := term_ending(before)) and inside != term.chinese:
                wrong.append(f"{term.english} ({inside}) instead of ({term.chinese})")
            term = BY_ENGLISH.get(inside.lower())
            if term and before and CJK.match(before[-1]) and not before.endswith(term.chinese):
                wrong.append(f"…{before[-8:]}（{inside}） instead of {term.chinese}（{inside}）")
        if line.lstrip().startswith("|"):
            cells = glossary.table_cells(line.strip())
            term = BY_ENGLISH.get(plain(cells[0]).lower())
            if term and len(cells) > 1 and CJK.search(cells[1]) and plain(cells[1]) != term.chinese:
                wrong.append(f"| {cells[0]} | {cells[1]} | instead of {term.chinese}")
    return wrong


def glossary_cells(path):
    return [cell for cell in build.read(path).cells if glossary.GLOSSARY_TAG in cell.metadata.get("tags", [])]


def test_no_english_term_twice():
    english = [term.english.lower() for term in TERMS]
    assert not {name for name in english if english.count(name) > 1}


def test_every_row_is_complete_and_names_existing_notebooks():
    numbers = [glossary.notebook_number(name) for name in NOTEBOOKS]
    for term in TERMS:
        assert term.english and CJK.search(term.chinese) and term.meaning, term
        assert term.notebooks and set(term.notebooks) <= set(numbers), term
        assert list(term.notebooks) == sorted(term.notebooks), f"{term.english}: the introducing notebook comes first"
    assert {number for term in TERMS for number in term.notebooks} == set(numbers), "every notebook has terms"


def test_the_issues_terms_have_their_standard_names():
    assert {english: BY_ENGLISH[english.lower()].chinese for english in REQUIRED if english.lower() in BY_ENGLISH} == (
        REQUIRED
    )
    assert len(TERMS) >= len(REQUIRED) + 53 - 9  # and the notebooks' earlier 53 terms (9 of them among the above)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_glossary_table_is_what_the_file_gives(notebook):
    expected = [(t.english, t.chinese, t.meaning) for t in TERMS if glossary.notebook_number(notebook) in t.notebooks]
    for path in (TREE.source_path(notebook), TREE.release_path(notebook), TREE.solution_path(notebook)):
        cells = glossary_cells(path)
        assert len(cells) == 1, f"{path.name}: one markdown cell tagged {glossary.GLOSSARY_TAG!r}"
        assert cells[0].source == glossary.glossary_cell_source(TERMS, notebook), (
            "stale glossary: run ./course.sh build"
        )
        rows = [glossary.table_cells(line) for line in cells[0].source.splitlines() if line.startswith("|")][2:]
        assert [tuple(row) for row in rows] == expected


# Names the notebooks once used for glossary terms, in running Chinese (中文导读, 任务 lines) where no English follows.
SUPERSEDED = {"狗星语": "汪星语", "二元模型": "二元语法模型", "权重共享": "权重绑定", "完全匹配": "精确匹配"}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_chinese_prose_uses_a_superseded_name(notebook):
    markdown = "\n".join(
        cell.source for cell in build.read(TREE.source_path(notebook)).cells if cell.cell_type == "markdown"
    )
    assert [f"{old} instead of {new}" for old, new in SUPERSEDED.items() if old in markdown] == []
    assert all(new in {term.chinese for term in TERMS} for new in SUPERSEDED.values())


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_notebook_names_a_term_otherwise(notebook):
    markdown = [cell.source for cell in build.read(TREE.source_path(notebook)).cells if cell.cell_type == "markdown"]
    assert [name for text in markdown for name in other_names(text)] == []


def test_the_scan_finds_other_names():
    assert other_names("a **token** (令牌) and a special token (特殊词元)") == ["token (令牌) instead of (词元)"]
    assert other_names("让每个标记（token）环顾四周；词元（token）") == [
        "…让每个标记（token） instead of 词元（token）"
    ]
    assert other_names("| dropout | 丢弃 |\n| logits | 对数几率 |") == [
        "| dropout | 丢弃 | instead of 随机失活",
        "| logits | 对数几率 | instead of 未归一化的对数概率",
    ]
    assert other_names("随机失活（dropout）, **Causal attention** (因果注意力), a query (查询)") == []
