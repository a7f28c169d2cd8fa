"""SanitizeOutputs and RemoveHandedInFiles on small notebooks and folders built in memory, as
test_nbgrader_plugins.py tests the other plug-ins: each way a submission put script into what the instructor opens
(issue 23), and what must stay (figures, tables, LaTeX, plain formatting; the course's own notebooks). Through real
nbgrader and a real browser: test_instructor_views.py."""

import copy
import io
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.grading.in_nbgrader.handed_in_files import RemoveHandedInFiles, remove_handed_in_files
from autograder.grading.in_nbgrader.limit_output_size import BLANK_PNG, REMOVED
from autograder.grading.in_nbgrader.sanitize_outputs import (
    SanitizeOutputs,
    clean_html,
    inert_svg,
    render_markdown,
    safe_markdown,
)
from tools.checkout import TREE

SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.I)  # a URL's scheme, as the URL standard reads it
IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.I)
RUNS_ITS_CONTENT = {
    "script",
    "style",
    "iframe",
    "frame",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "base",
    "meta",
    "link",
}


class _ActiveParts(HTMLParser):
    """What in a piece of HTML a browser would run or load with the page's rights: an element that runs its
    content, an event handler, a URL with any scheme but http(s), mailto or an image's data."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in RUNS_ITS_CONTENT:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}=")
            elif name in ("href", "src", "action", "formaction", "srcdoc", "data") and not safe_url(value or ""):
                self.found.append(f"{name}={value}")

    handle_startendtag = handle_starttag


def safe_url(value: str) -> bool:
    """A link or image source that acts with no rights of the page: http(s), mailto, an image's data, a fragment, or
    a path inside the page's own folder."""
    url = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", re.sub(r"[\t\n\r]", "", value))
    if scheme := SCHEME.match(url):
        return scheme[1].lower() in ("http", "https", "mailto") or bool(IMAGE_DATA.match(url))
    return not url.startswith(("/", "\\")) and ".." not in url.replace("\\", "/").split("/")


def active_parts(html: str) -> list[str]:
    parser = _ActiveParts()
    parser.feed(html)
    parser.close()
    return parser.found


def shown_html(notebook) -> str:
    """The HTML that formgrader's template puts into its page for a notebook's markdown cells and HTML-like outputs:
    markdown rendered by nbconvert's own renderer, ``text/html`` as it is."""
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(render_markdown(cell.source, cell.get("attachments")))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts += [data.get("text/html", ""), render_markdown(data.get("text/markdown", ""))]
            if "application/javascript" in data:
                parts.append(f"<script>{data['application/javascript']}</script>")  # nbconvert's data_javascript
    return "".join(parts)


def display(data: dict, kind="display_data"):
    return new_output(kind, data=data, **({"execution_count": 1} if kind == "execute_result" else {}))


def sanitized(*cells, metadata=None):
    """The notebook of ``cells`` after SanitizeOutputs (built without nbformat's validation: a submission's JSON is
    what the student wrote)."""
    notebook = nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": cells})
    notebook, _ = SanitizeOutputs().preprocess(notebook, {})
    return notebook


# ----------------------------------------------------------------------------- each route of issue 23

MARKER = "fetch('http://127.0.0.1:9/ran')"
HOSTILE_OUTPUTS = {
    "HTML with a script": {"text/html": f"<b>bold</b><script>{MARKER}</script>"},
    "HTML with img onerror": {"text/html": f'<img src="x" onerror="{MARKER}">'},
    "Javascript(...)": {"application/javascript": MARKER, "text/plain": "<IPython.core.display.Javascript object>"},
    "Markdown(...)": {"text/markdown": f'*hi* <img src=x onerror="{MARKER}">'},
    "_repr_html_ with svg onload": {"text/html": f'<svg onload="{MARKER}"><circle r="4"/></svg>'},
    "_repr_html_ with details ontoggle": {
        "text/html": f'<details open ontoggle="{MARKER}"><summary>s</summary></details>'
    },
    "an iframe's srcdoc": {"text/html": f"<iframe srcdoc='<script>{MARKER}</script>'></iframe>"},
    "an object and an embed": {"text/html": '<object data="javascript:x()"></object><embed src="javascript:x()">'},
    "a javascript: link": {"text/html": '<a href="jAvAsCrIpT:x()">x</a><a href=" java&#9;script:x()">y</a>'},
    "a data: page link": {"text/html": '<a href="data:text/html,<script>x()</script>">x</a>'},
    "a form": {"text/html": '<form action="javascript:x()"><button formaction="javascript:x()">go</button></form>'},
    "a refresh and a base": {
        "text/html": '<meta http-equiv="refresh" content="0;url=javascript:x()"><base href="//e">'
    },
    "a stylesheet": {"text/html": "<style>@import url(//evil/x.css); body{display:none}</style><p>text</p>"},
}
REMOVED_KINDS = {  # formgrader shows neither (an SVG as an <img>, where it runs nothing), JupyterLab may: removed
    "application/vnd.jupyter.widget-view+json": {"model_id": "x"},
    "image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg"><script>{MARKER}</script></svg>',
    "application/vnd.vegalite.v5+json": {"mark": "point"},
    "application/json": {"a": 1},
}


@pytest.mark.parametrize("kind", ["display_data", "execute_result"])
@pytest.mark.parametrize("route", HOSTILE_OUTPUTS)
def test_no_output_keeps_anything_active(route, kind):
    output = display(copy.deepcopy(HOSTILE_OUTPUTS[route]), kind)
    assert active_parts(shown_html(new_notebook(cells=[new_code_cell(outputs=[copy.deepcopy(output)])])))
    notebook = sanitized(new_code_cell(outputs=[output]))
    assert active_parts(shown_html(notebook)) == []


@pytest.mark.parametrize("kind", REMOVED_KINDS)
def test_other_kinds_of_output_are_removed(kind):
    (cell,) = sanitized(new_code_cell(outputs=[display({kind: REMOVED_KINDS[kind], "text/plain": "shown"})])).cells
    assert cell.outputs[0].data == {"text/plain": f"shown\n[{kind} output {REMOVED}]"}


def test_what_was_removed_is_named_where_it_was():
    (cell,) = sanitized(
        new_code_cell(
            outputs=[display(HOSTILE_OUTPUTS["HTML with a script"]), display(HOSTILE_OUTPUTS["Javascript(...)"])]
        )
    ).cells
    html, script = cell.outputs
    assert html.data == {"text/html": f"<p><em>[{REMOVED}: &lt;script&gt;]</em></p><b>bold</b>"}
    assert script.data == {
        "text/plain": f"<IPython.core.display.Javascript object>\n[application/javascript output {REMOVED}]"
    }
    (only_script,) = sanitized(new_code_cell(outputs=[display({"application/javascript": MARKER})])).cells
    assert only_script.outputs[0].data == {"text/plain": f"[application/javascript output {REMOVED}]"}


HOSTILE_MARKDOWN = {
    "img onerror": f'Answer: <img src=x onerror="{MARKER}">',
    "script": f"Answer\n\n<script>{MARKER}</script>\n\nmore",
    "details ontoggle": f'<details open ontoggle="{MARKER}"><summary>Answer</summary>text</details>',
    "markdown javascript: link": "[the answer](javascript:x())",
    "a link with a tab in its scheme": '<a href="java&#9;script:x()">the answer</a>',
    "an entity-encoded javascript: link": "[the answer](&#106;avascript:x())",
    "an HTML javascript: link": '<a href="JAVASCRIPT:x()">the answer</a>',
    "a mermaid block (copied unescaped by nbconvert)": f'```mermaid\n</pre><img src=x onerror="{MARKER}">\n```',
    "an image loading an API path": "![x](/api/terminals) <img src='../../logout'>",
    "an svg": f'<svg><animate onbegin="{MARKER}"/></svg>',
    "a comment hiding a tag": f'<!--><img src=x onerror="{MARKER}">-->',
}


@pytest.mark.parametrize("route", HOSTILE_MARKDOWN)
def test_no_markdown_cell_keeps_anything_active(route):
    cell = new_markdown_cell(HOSTILE_MARKDOWN[route])
    before = shown_html(new_notebook(cells=[copy.deepcopy(cell)]))
    # Python's HTML parser reads "<!-->" as the start of a comment; a browser, as a whole one: the <img> is live
    assert active_parts(before) or (route == "a comment hiding a tag" and "<img src=x onerror" in before)
    notebook = sanitized(cell)
    assert active_parts(shown_html(notebook)) == []  # the sanitizer's output is plain, well-formed HTML
    if "answer" in cell.source:
        assert "answer" in visible_text(shown_html(notebook))


def test_a_hostile_markdown_cell_keeps_its_formatting_and_says_what_was_removed():
    source = '## My answer\n\nThe weights **sum to one**: $\\sum_j a_{ij} = 1$.\n\n<img src=x onerror="x()">'
    (cell,) = sanitized(new_markdown_cell(source)).cells
    assert cell.source.startswith(f"<div><p><em>[{REMOVED}: onerror=]</em></p><h2 id=")
    shown = render_markdown(cell.source)
    assert "<strong>sum to one</strong>" in shown and "$\\sum_j a_{ij} = 1$" in shown and '<img src="x">' in shown


def test_a_javascript_in_a_markdown_output_and_raw_html_in_markdown_are_cleaned_alike():
    hostile = HOSTILE_MARKDOWN["details ontoggle"]
    code, prose = sanitized(
        new_code_cell(outputs=[display({"text/markdown": hostile})]), new_markdown_cell(hostile)
    ).cells
    assert code.outputs[0].data["text/markdown"] == prose.source == safe_markdown(hostile)


def test_output_fields_that_nbconvert_would_use_as_urls_are_removed():
    output = display({"image/png": BLANK_PNG, "text/plain": "<Figure>"})
    output.metadata = {"filenames": {"image/png": "/logout"}, "image/png": {"width": 300}}
    output["svg_filename"] = "javascript:x()"
    unknown = {"output_type": "unknown", "data": {"text/html": "<script>x()</script>"}}
    cell = nbformat.from_dict(
        {"cell_type": "code", "metadata": {}, "source": "", "execution_count": "<b>1</b>", "outputs": [output, unknown]}
    )
    (shown,) = sanitized(cell).cells
    kept = display({"image/png": BLANK_PNG, "text/plain": "<Figure>"})
    kept.metadata = {"image/png": {"width": 300}}
    assert shown.outputs == [kept]
    assert shown.execution_count is None


def test_widget_state_in_the_notebooks_metadata_is_removed():
    notebook = sanitized(metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {}}, "kernelspec": {}})
    assert notebook.metadata == {"kernelspec": {}}


# ----------------------------------------------------------------------------- what stays


def figure_outputs() -> list:
    """A plotted matplotlib figure as the inline backend shows it (PNG and its text), and as SVG."""
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"backend": "agg"}):
        figure, axes = plt.subplots(figsize=(2, 2))
        axes.plot([0, 1, 4]), axes.imshow([[0, 1], [1, 0]]), axes.set_title("attention <weights> & more")
        png, svg = io.BytesIO(), io.StringIO()
        figure.savefig(png, format="png"), figure.savefig(svg, format="svg")
        plt.close(figure)
    import base64

    return [
        display({"image/png": base64.b64encode(png.getvalue()).decode(), "text/plain": "<Figure size 200x200>"}),
        display({"image/svg+xml": svg.getvalue(), "text/plain": "<Figure size 200x200>"}),
    ]


PANDAS_TABLE = """<div>
<style scoped>
    .dataframe tbody tr th:only-of-type { vertical-align: middle; }
</style>
<table border="1" class="dataframe">
  <thead>
    <tr style="text-align: right;"><th></th><th>token</th><th>weight</th></tr>
  </thead>
  <tbody>
    <tr><th>0</th><td>我</td><td>0.25</td></tr>
    <tr><th>1</th><td>&lt;unk&gt;</td><td>0.75</td></tr>
  </tbody>
</table>
</div>"""


def test_figures_plain_text_and_latex_are_kept_as_they_are():
    outputs = [
        *figure_outputs(),
        display({"text/latex": "$\\mathrm{softmax}(x)_i = e^{x_i} / \\sum_j e^{x_j}$", "text/plain": "softmax"}),
        display({"image/jpeg": "/9j/4AAQ", "text/plain": "<PIL.Image>"}, "execute_result"),
        new_output("stream", name="stdout", text="<script>not HTML: printed text, escaped by nbconvert</script>\n"),
        new_output("error", ename="CheckFailure", evalue="<b>rows</b>", traceback=["<b>rows</b>"]),
    ]
    (cell,) = sanitized(new_code_cell(outputs=copy.deepcopy(outputs))).cells
    assert cell.outputs == outputs
    assert inert_svg(outputs[1].data["image/svg+xml"])


def test_a_pandas_like_table_keeps_its_cells_borders_and_alignment():
    (cell,) = sanitized(new_code_cell(outputs=[display({"text/html": PANDAS_TABLE}, "execute_result")])).cells
    shown = cell.outputs[0].data["text/html"]
    assert ".dataframe" not in shown and REMOVED not in shown  # pandas' own <style> goes, without a note
    assert '<table border="1" class="dataframe">' in shown and '<tr style="text-align:right">' in shown
    assert "<td>我</td>" in shown and "<td>&lt;unk&gt;</td>" in shown and shown.count("<th>") == 5


HONEST_MARKDOWN = [
    "# Attention\n\nThe *scores* become **weights**: $a_{ij} = \\frac{e^{s_{ij}}}{\\sum_k e^{s_{ik}}}$, and $x < y$.",
    "> A quote, then a list:\n\n1. one\n2. two\n\n- three",
    "| token | id |\n|:--|--:|\n| `<|endoftext|>` | 50256 |",
    "```python\nif a < b and c > d:\n    print('<b>')\n```",
    "$$\n\\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\left(\\frac{QK^T}{\\sqrt{d_k}}\\right)V\n$$",
    "See [the paper](https://arxiv.org/abs/1706.03762), ![a figure](figure.png) and <https://pytorch.org>.",
    "An image pasted into the cell: ![plot](attachment:plot.png)",
]


@pytest.mark.parametrize("source", HONEST_MARKDOWN)
def test_markdown_without_raw_html_is_kept_as_written(source):
    cell = new_markdown_cell(source, attachments={"plot.png": {"image/png": BLANK_PNG}})
    assert sanitized(copy.deepcopy(cell)).cells == [cell]


def test_plain_html_formatting_in_markdown_is_kept():
    source = '<b>bold</b> <sub>i</sub> <details><summary>Hint</summary>Use <code>softmax</code>.</details> <img src="fig.png" width="200">'
    shown = render_markdown(sanitized(new_markdown_cell(source)).cells[0].source)
    for kept in ("<b>bold</b>", "<sub>i</sub>", "<details><summary>Hint</summary>", '<img src="fig.png" width="200">'):
        assert kept in shown
    assert REMOVED not in shown


def test_sanitizing_twice_changes_nothing_more():
    cells = [
        new_markdown_cell(source)
        for source in [*HOSTILE_MARKDOWN.values(), *HONEST_MARKDOWN[:-1], "<b>x</b>\n\n<pre>\nline\n\nline</pre>"]
    ]
    cells.append(new_code_cell(outputs=[display(data) for data in HOSTILE_OUTPUTS.values()]))
    once = sanitized(*copy.deepcopy(cells))
    assert sanitized(*copy.deepcopy(once.cells)) == once


def test_a_markdown_cell_nbconvert_cannot_render_is_shown_as_its_text():
    (cell,) = sanitized(new_markdown_cell("![x](attachment:gone.png) <img src=x onerror=x()>")).cells
    assert cell.source == "```\n![x](attachment:gone.png) <img src=x onerror=x()>\n```"
    assert active_parts(render_markdown(cell.source)) == []


@pytest.mark.parametrize(
    "svg",
    [
        '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="x()"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:x()"><rect/></a></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="javascript:x()"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:l="http://www.w3.org/1999/xlink"><use l:href="//e/x.svg#a"/></svg>',
        '<?xml version="1.0"?><?xml-stylesheet href="x.xsl" type="text/xsl"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        '<!DOCTYPE svg [<!ENTITY a "&#60;script&#62;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&a;</text></svg>',
        "<svg><rect/></svg>",  # no SVG namespace: not an image a browser draws
        "not XML",
    ],
)
def test_an_svg_that_is_more_than_a_drawing_is_removed(svg):
    assert not inert_svg(svg)
    (cell,) = sanitized(new_code_cell(outputs=[display({"image/svg+xml": svg, "text/plain": "<Figure>"})])).cells
    assert cell.outputs[0].data == {"text/plain": f"<Figure>\n[image/svg+xml output {REMOVED}]"}


# ----------------------------------------------------------------------------- the course's own notebooks


def visible_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


COURSE_NOTEBOOKS = sorted(TREE.root.glob("solutions/*.ipynb")) + sorted(TREE.root.glob("course/release/*/*.ipynb"))


@pytest.mark.parametrize("path", COURSE_NOTEBOOKS, ids=lambda path: str(path.relative_to(TREE.root)))
def test_nothing_the_course_shows_is_lost(path):
    """Every output of the course's executed solutions (20 figures as PNG with their text, printed text) comes out
    as it went in; so does every markdown cell without raw HTML; the one with raw HTML shows the same text."""
    original = nbformat.read(path, as_version=4)
    notebook, _ = SanitizeOutputs().preprocess(copy.deepcopy(original), {})
    assert [cell.get("outputs") for cell in notebook.cells] == [cell.get("outputs") for cell in original.cells]
    for before, after in zip(original.cells, notebook.cells, strict=True):
        if before.source == after.source:
            continue
        assert before.cell_type == "markdown", before.source
        shown = render_markdown(before.source)
        assert shown != render_markdown(before.source, raw_html=False)  # only raw HTML makes a cell change
        assert visible_text(render_markdown(after.source)) == visible_text(shown)


def test_the_course_notebooks_have_figures_to_keep():
    """The check above runs over real figures: the solutions show PNGs."""
    pngs = [
        output
        for path in COURSE_NOTEBOOKS
        for cell in nbformat.read(path, as_version=4).cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(pngs) >= 20


# ----------------------------------------------------------------------------- handed-in files


def test_only_the_assignments_files_stay_beside_the_graded_notebook(tmp_path):
    source, folder = tmp_path / "source" / "03_attention", tmp_path / "autograded" / "ann" / "03_attention"
    for path, text in {
        source / "03_attention.ipynb": "{}",
        source / "data" / "tokens.txt": "the assignment's own data",
        folder / "03_attention.ipynb": "{}",
        folder / "timestamp.txt": "2026-12-07 10:00:00",
        folder / "data" / "tokens.txt": "the instructor's copy, put back by nbgrader",
        folder / "notes.html": f"<script>{MARKER}</script>",
        folder / "plot.svg": "<svg/>",
        folder / "pages" / "index.htm": "<script></script>",
        folder / "data" / "extra.xhtml": "<script></script>",
    }.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (folder / "link.html").symlink_to(folder / "notes.html")
    (folder / "linked").symlink_to(folder / "pages", target_is_directory=True)
    removed = remove_handed_in_files(folder, source)
    assert removed == ["data/extra.xhtml", "link.html", "linked", "notes.html", "pages/index.htm", "plot.svg"]
    left = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*"))
    assert left == ["03_attention.ipynb", "data", "data/tokens.txt", "timestamp.txt"]
    assert remove_handed_in_files(folder, source) == []


def test_the_preprocessor_finds_the_folders_through_nbgraders_converter(tmp_path):
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import LoggingConfigurable

    class Converter(LoggingConfigurable):  # what nbgrader's Autograde holds, as the exporter's parent
        coursedir = None

    converter = Converter()
    converter.coursedir = CourseDirectory(root=str(tmp_path))
    folder = Path(converter.coursedir.format_path("autograded", "ann", "03_attention"))
    folder.mkdir(parents=True)
    (folder / "notes.html").write_text("<script></script>")
    exporter = LoggingConfigurable(parent=converter)
    resources = {"nbgrader": {"student": "ann", "assignment": "03_attention"}}
    RemoveHandedInFiles(parent=exporter).preprocess(new_notebook(), resources)
    assert not (folder / "notes.html").exists()
    with pytest.raises(RuntimeError, match="runs in nbgrader autograde"):
        RemoveHandedInFiles().preprocess(new_notebook(), resources)


def test_what_is_kept_passes_the_sanitizer_unchanged():
    """The allow-list keeps what nbconvert's markdown writes: a heading's anchor, highlighted code, a table's
    alignment, an image from the submission's folder."""
    for source in HONEST_MARKDOWN[:-1]:
        shown = render_markdown(source)
        assert active_parts(shown) == [] and visible_text(clean_html(shown)) == visible_text(shown)
