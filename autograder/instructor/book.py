"""The course as a static website: the executed solution notebooks as HTML pages, in the course's order, with
an index (the README's introduction, a table of contents) and the glossary. Nothing is executed: the pages
show the outputs committed in solutions/. The pages work offline: figures are embedded, formulas are MathML
(rendered by the browser itself, no MathJax), and no script is loaded from the web.

    python -m autograder.instructor.book [--root CHECKOUT] [--out DIRECTORY]     (./course.sh book)
"""

import argparse
import html
import re
import sys
from pathlib import Path

import jinja2
import mistune
import nbformat
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert import HTMLExporter

# nbconvert's lab template without what it would fetch from the web (require.js, MathJax, Mermaid, widgets).
TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block body_header -%}{{ super() }}<nav class="book-nav">{{ resources.book_nav }}</nav>{%- endblock body_header -%}
{%- block body_footer -%}<nav class="book-nav">{{ resources.book_nav }}</nav>{{ super() }}{%- endblock body_footer -%}
"""
STYLE = """<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; vertical-align: top; }
.book-nav { margin: 1rem 2rem; font-family: system-ui, sans-serif; }
</style>"""
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$([^$\n]+?)\$", re.DOTALL)
GLOSSARY, FITS_TOGETHER = "glossary.html", re.compile(r"^## How it fits together\b.*$", re.IGNORECASE | re.MULTILINE)


def with_mathml(markdown: str) -> str:
    """``$...$`` and ``$$...$$`` replaced by MathML, which markdown passes through as inline HTML."""

    def replace(match: re.Match) -> str:
        display = match.group(1) is not None
        return latex_to_mathml(match.group(1) if display else match.group(2), display="block" if display else "inline")

    return MATH.sub(replace, markdown)


def title(notebook) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def markdown_page(heading: str, body_html: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(heading)}</title>'
        f'{STYLE}</head><body><nav class="book-nav"><a href="index.html">Contents</a></nav>\n{body_html}\n</body></html>\n'
    )


def readme_parts(readme: str) -> tuple[str, str]:
    """The README's introduction (up to its first section) and its "How it fits together" section, if any."""
    introduction = readme.split("\n## ", 1)[0]
    found = FITS_TOGETHER.search(readme)
    if not found:
        return introduction, ""
    rest = readme[found.end() :]
    end = rest.find("\n## ")
    return introduction, readme[found.start() : found.end() + (end if end >= 0 else len(rest))]


def write_book(root: Path, out: Path) -> list[Path]:
    """Write the site into ``out``; return the pages written, the index first."""
    out.mkdir(parents=True, exist_ok=True)
    render = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])
    notebooks = sorted((root / "solutions").glob("[0-9][0-9]*_*.ipynb"))  # 01_…, 07a_…
    loaded = [nbformat.read(path, as_version=4) for path in notebooks]
    glossary = root / "course" / "GLOSSARY.md"
    pages = [out / "index.html"]

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"book.html.j2": TEMPLATE})],
        template_file="book.html.j2",
    )
    for number, (path, notebook) in enumerate(zip(notebooks, loaded)):
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                cell.source = with_mathml(cell.source)
        links = ['<a href="index.html">Contents</a>']
        if number:
            links.insert(
                0, f'<a href="{notebooks[number - 1].stem}.html">← {html.escape(title(loaded[number - 1]))}</a>'
            )
        if number + 1 < len(notebooks):
            links.append(f'<a href="{notebooks[number + 1].stem}.html">{html.escape(title(loaded[number + 1]))} →</a>')
        body, _ = exporter.from_notebook_node(
            notebook, resources={"metadata": {"name": title(notebook)}, "book_nav": " · ".join(links)}
        )
        pages.append(out / f"{path.stem}.html")
        pages[-1].write_text(body, encoding="utf-8")

    introduction, fits = readme_parts((root / "README.md").read_text(encoding="utf-8"))
    contents = "".join(
        f'<li><a href="{path.stem}.html">{html.escape(title(notebook))}</a></li>'
        for path, notebook in zip(notebooks, loaded)
    )
    index = render(introduction) + f"<h2>Contents</h2><ol>{contents}</ol>"
    if glossary.exists():
        index += f'<p><a href="{GLOSSARY}">Glossary / 术语表</a>: every term of the course, in English and Chinese.</p>'
        pages.append(out / GLOSSARY)
        pages[-1].write_text(markdown_page("Glossary", render(glossary.read_text(encoding="utf-8"))), encoding="utf-8")
    index += render(fits)
    pages[0].write_text(markdown_page("Build a GPT from scratch", index), encoding="utf-8")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.instructor.book", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout (default: this directory)")
    parser.add_argument("--out", type=Path, default=None, help="where to write the site (default: ROOT/build/book)")
    args = parser.parse_args(argv)
    if not (args.root / "solutions").is_dir():
        print(f"{args.root} has no solutions/ directory: pass the checkout with --root", file=sys.stderr)
        return 2
    pages = write_book(args.root, args.out or args.root / "build" / "book")
    print(f"wrote {len(pages)} pages; open {pages[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
