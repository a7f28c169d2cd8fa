"""Nothing a student controls is active where the instructor looks: every notebook nbgrader stores or renders is
cleaned of what a browser would run.

nbgrader's formgrader shows a submission in the instructor's Jupyter origin, through nbconvert templates that print
outputs and markdown as they are: a ``<script>`` or ``<img onerror>`` in an HTML output, a ``Javascript`` output, a
``Markdown`` output, an object's ``_repr_html_`` or raw HTML in a markdown cell ran there with the instructor's
cookies, the REST API and its terminals (issue 23). ``SanitizeOutputs`` runs where nbgrader writes a notebook:
``course/nbgrader_config.py`` puts it into ``Autograde.sanitize_preprocessors`` (the notebook nbgrader writes to
``autograded/`` before the kernel starts, left there if grading is killed), ``Autograde.autograde_preprocessors``
(the graded notebook, after execution) and ``GenerateFeedback.preprocessors`` (the feedback page).

The sanitizer is `nh3 <https://nh3.readthedocs.io>`_, the Python binding of the Rust crate Ammonia: an allow-list
sanitizer on a browser-grade HTML5 parser (html5ever), maintained, and what bleach's maintainers point to since they
deprecated bleach. What it does here:

- ``text/html`` outputs: cleaned by :func:`clean_html` (the tags, attributes, URL schemes and CSS properties below;
  ``<script>`` and ``<style>`` go with their content). Tables, images, lists and text formatting stay.
- ``text/markdown`` outputs and markdown cells: kept as written when they hold no raw HTML and their rendering (by
  nbconvert's own markdown renderer, the one formgrader and the feedback page use) is left as it is by the
  sanitizer: headings, lists, tables, code, LaTeX, images and links. Otherwise (raw HTML, a ``javascript:`` link,
  a mermaid block, which nbconvert copies into the page unescaped) the source is replaced by its rendering, cleaned,
  as one block of HTML (which markdown passes through), headed by a note that names what was removed.
- ``image/svg+xml``: kept when :func:`inert_svg` finds only drawing elements and no script, event handler, external
  reference or XML processing instruction; else removed.
- ``text/plain``, ``text/latex``, ``image/png``, ``image/jpeg`` and ``image/gif`` are kept as they are (nbconvert
  escapes text; LaTeX goes to MathJax, which formgrader loads with its ``Safe`` extension). Every other kind of output
  (``application/javascript``, widget views, ``application/json``, vendor formats) is removed, with a note in the
  output's ``text/plain``. Streams and errors are printed escaped by nbconvert and stay as they are.

Grades do not change: nbgrader scores a cell by its errors, which are kept. Idempotent: a cleaned notebook comes out
as it went in, so running in all three pipelines costs nothing more than the look.
"""

import re
import xml.etree.ElementTree as ElementTree
from html import escape
from html.parser import HTMLParser

import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.grading.in_nbgrader.limit_output_size import REMOVED

KEPT_AS_IS = frozenset({"text/plain", "text/latex", "image/png", "image/jpeg", "image/gif"})

# Ammonia's default allow-list (no script, style, svg, math, iframe, object, form or input), plus what nbconvert's
# markdown rendering and a pandas-like table use; `name` is left out (it would clobber the page's document.* names).
TAGS = frozenset(nh3.ALLOWED_TAGS)
ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
ATTRIBUTES["*"] = {"class", "id", "title", "lang", "dir", "style"}
for _tag, _names in {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "td": {"valign", "width", "nowrap"},
    "th": {"valign", "width", "nowrap"},
    "details": {"open"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
}.items():
    ATTRIBUTES.setdefault(_tag, set()).update(_names)
CONTENT_REMOVED = frozenset({"script", "style"})  # removed with their content, which is code, not text
URL_SCHEMES = frozenset({"http", "https", "mailto", "data"})  # data: only as an image (_url_filter)
STYLE_PROPERTIES = frozenset(
    {
        *("color", "background-color", "font-weight", "font-style", "font-size", "font-family", "line-height"),
        *("text-align", "vertical-align", "text-decoration", "text-indent", "white-space", "letter-spacing"),
        *("width", "height", "max-width", "max-height", "min-width", "min-height", "float", "clear"),
        *("border", "border-collapse", "border-spacing", "border-color", "border-style", "border-width"),
        *("border-top", "border-right", "border-bottom", "border-left", "table-layout", "caption-side"),
        *("padding", "padding-top", "padding-right", "padding-bottom", "padding-left"),
        *("margin", "margin-top", "margin-right", "margin-bottom", "margin-left"),
    }
)
IMAGE_DATA_URL = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]")
URL_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")


def _url_filter(element: str, attribute: str, value: str) -> str | None:
    """What Ammonia's scheme check lets through, narrowed: ``data:`` only as an image's source, and a relative URL
    only within the page's own folder (no ``/…``, ``//host``, ``\\`` or ``..``: formgrader serves the submission's
    folder, and an image that loaded ``/logout`` or an API path would act with the instructor's cookies)."""
    if attribute not in ("href", "src", "cite"):
        return value
    # as a browser reads it: tabs and line breaks anywhere, and C0 controls and spaces around it, do not count
    url = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", re.sub(r"[\t\n\r]", "", value)).lower()
    if url.startswith("#"):
        return value
    if scheme := URL_SCHEME.match(url):
        if scheme[1] == "data":
            return value if element == "img" and attribute == "src" and IMAGE_DATA_URL.match(url) else None
        return value if scheme[1] in URL_SCHEMES else None
    path = re.split(r"[?#]", url, maxsplit=1)[0].replace("%2e", ".")  # a browser reads %2e%2e as ..
    if url.startswith("/") or "\\" in url or ".." in path.split("/"):
        return None
    return value


def clean_html(html: str) -> str:
    """``html`` with only the allowed tags, attributes, URLs and CSS properties (nh3, Ammonia's allow-list)."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(CONTENT_REMOVED),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=_url_filter,
        url_schemes=set(URL_SCHEMES),
        filter_style_properties=set(STYLE_PROPERTIES),
        strip_comments=True,
        link_rel=None,  # links stay as written: a rel added to each would make every markdown link "changed"
    )


# ----------------------------------------------------------------------------- markdown


class _EscapingRenderer(IPythonRenderer):
    """nbconvert's renderer with raw HTML escaped, mermaid blocks included (nbconvert copies them unescaped)."""

    def block_mermaidjs(self, code: str) -> str:
        return self.block_code(code)


def render_markdown(source: str, attachments=None, *, raw_html: bool = True) -> str:
    """``source`` as nbconvert's HTML exporter renders a markdown cell (``raw_html``) or with its raw HTML escaped."""
    attachments = {
        name: attachment
        for name, attachment in (attachments or {}).items()
        if isinstance(attachment, dict) and attachment and all(isinstance(data, str) for data in attachment.values())
    }
    renderer = (IPythonRenderer if raw_html else _EscapingRenderer)(escape=not raw_html, attachments=attachments)
    return MarkdownWithMath(renderer=renderer).render(source)


def safe_markdown(source: str, attachments=None) -> str:
    """``source`` itself when it renders to nothing the sanitizer would change; else its cleaned rendering as HTML."""
    try:
        rendered = render_markdown(source, attachments)
        has_raw_html = rendered != render_markdown(source, attachments, raw_html=False)
    except Exception:  # nbconvert cannot render it (a missing attachment): formgrader could not either; show the text
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", source)), default=0))
        return f"{fence}\n{source}\n{fence}"
    cleaned = clean_html(rendered)
    if not has_raw_html and _structure(rendered) == _structure(cleaned):
        return source
    if _as_one_line(cleaned) == source:  # already what this function returns
        return source
    return f"<div>{_as_one_line(_with_note(cleaned, removed_by_cleaning(rendered, cleaned)))}</div>"


def _with_note(cleaned: str, removed: list[str]) -> str:
    """``cleaned`` headed by a note that names what was ``removed`` (escaped, and the whole cleaned once more)."""
    if not removed:
        return cleaned
    return clean_html(f"<p><em>[{escape(REMOVED)}: {escape(', '.join(removed))}]</em></p>{cleaned}")


def _as_one_line(html: str) -> str:
    """``html`` on one line, its line breaks as character references: markdown passes a block of HTML through as it
    is up to the first blank line, and a line that starts with ``<div>`` is such a block."""
    return re.sub(r"\r\n?|\n", "&#10;", html.strip())


class _Structure(HTMLParser):
    """Tags, attributes (values decoded, sorted) and text of an HTML fragment, spelling aside."""

    VOID = frozenset({"area", "br", "col", "hr", "img", "wbr", "input", "source", "track", "embed", "meta", "link"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        values = sorted((name, _normal_value(name, value)) for name, value in attrs)
        self.events.append(("<", tag, tuple(values)))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in self.VOID:
            self.events.append(("/", tag))

    def handle_data(self, data):
        if self.events and self.events[-1][0] == "text":
            self.events[-1] = ("text", self.events[-1][1] + data)
        else:
            self.events.append(("text", data))

    def handle_comment(self, data):
        self.events.append(("!", data))

    handle_decl = handle_pi = unknown_decl = handle_comment


def _normal_value(name: str, value: str | None) -> str:
    value = value or ""
    return re.sub(r"\s+", "", value).rstrip(";") if name == "style" else value


def _structure(html: str) -> list[tuple]:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    return parser.events


# What the note after a cleaning names, when removed: code and what loads or submits something. (Only for the
# note: what is kept is decided by the allow-list above.) A pandas table's <style scoped> is not worth a note.
NOTED_TAGS = frozenset(
    {
        *("script", "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "svg", "math", "template"),
        *("form", "input", "button", "select", "textarea", "base", "meta", "link", "noscript", "audio", "video"),
    }
)
NOTED_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "srcdoc", "xlink:href", "background", "poster"})


def removed_by_cleaning(before: str, after: str) -> list[str]:
    """The code-like tags (``<script>``) and attributes (``onerror=``, a ``javascript:`` ``href=``) of ``before``
    that ``after`` lacks, for the note."""

    def named(html):
        tags, attributes = {}, {}
        for event in _structure(html):
            if event[0] == "<":
                tags[event[1]] = tags.get(event[1], 0) + 1
                for name, _ in event[2]:
                    attributes[name] = attributes.get(name, 0) + 1
        return tags, attributes

    (tags, attributes), (kept_tags, kept_attributes) = named(before), named(after)
    removed_tags = [tag for tag, count in tags.items() if count > kept_tags.get(tag, 0) and tag in NOTED_TAGS]
    removed_attributes = [
        name
        for name, count in attributes.items()
        if count > kept_attributes.get(name, 0) and (name.startswith("on") or name in NOTED_ATTRIBUTES)
    ]
    return [f"<{tag}>" for tag in sorted(removed_tags)] + [f"{name}=" for name in sorted(removed_attributes)]


# ----------------------------------------------------------------------------- SVG

SVG = "http://www.w3.org/2000/svg"
METADATA_NAMESPACES = frozenset(  # what matplotlib writes into <metadata>: RDF, Creative Commons, Dublin Core
    {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://creativecommons.org/ns#",
        "http://purl.org/dc/elements/1.1/",
    }
)
SVG_ELEMENTS = frozenset(
    {
        *("svg", "g", "defs", "desc", "title", "metadata", "style", "symbol", "use", "switch"),
        *("path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath", "image"),
        *("clipPath", "mask", "pattern", "marker", "linearGradient", "radialGradient", "stop", "filter"),
        *("feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feFlood", "feGaussianBlur", "feMerge"),
        *("feMergeNode", "feOffset", "feFuncR", "feFuncG", "feFuncB", "feFuncA", "feMorphology", "feTile"),
    }
)
XML_DECLARATION = re.compile(r"\s*<\?xml\s[^>]*\?>")
EXTERNAL_DOCTYPE = re.compile(r'\s*<!DOCTYPE\s+svg\s+PUBLIC\s+"[^"<>\[\]]*"\s+"[^"<>\[\]]*"\s*>')  # matplotlib's


def inert_svg(svg: str) -> bool:
    """Whether ``svg`` is drawing alone: SVG's drawing elements (and RDF metadata), no event handler, no reference but
    to its own ids or to an embedded image, no entity, no processing instruction (an XSLT stylesheet), no DOCTYPE but
    the external one matplotlib writes (never fetched: the XML parser reads no DTD)."""
    body = svg
    for allowed in (XML_DECLARATION, EXTERNAL_DOCTYPE):  # in this order, once each; a DOCTYPE with entities is not
        body = allowed.sub("", body, count=1) if allowed.match(body) else body
    if "<?" in body or re.search(r"<!(?!--|\[CDATA\[)", body):
        return False
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, ValueError):
        return False
    for element in root.iter():
        namespace, name = _split_name(element.tag)
        if not (namespace == SVG and name in SVG_ELEMENTS) and namespace not in METADATA_NAMESPACES:
            return False
        for attribute, value in element.attrib.items():
            _, attribute_name = _split_name(attribute)
            if attribute_name.lower().startswith("on"):
                return False
            if attribute_name == "href" and not (value.startswith("#") or IMAGE_DATA_URL.match(value.strip())):
                return False
    return True


def _split_name(name: str) -> tuple[str, str]:
    return tuple(name[1:].split("}", 1)) if name.startswith("{") else ("", name)


# ----------------------------------------------------------------------------- the preprocessor


def _text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return None


def clean_output(output) -> None:
    """Keep, clean or remove each kind of data of a display or result (module docstring), in place."""
    data, kept, dropped = output.get("data") or {}, {}, []
    for mime, value in data.items():
        text = _text(value)
        if text is not None and mime in KEPT_AS_IS:
            kept[mime] = text
        elif text is not None and mime == "text/html":
            cleaned = clean_html(text)
            kept[mime] = _with_note(cleaned, removed_by_cleaning(text, cleaned))
        elif text is not None and mime == "text/markdown":
            kept[mime] = safe_markdown(text)
        elif text is not None and mime == "image/svg+xml" and inert_svg(text):
            kept[mime] = text
        else:
            dropped.append(mime)
    if dropped:
        note = f"[{', '.join(sorted(dropped))} output {REMOVED}]"
        kept["text/plain"] = f"{kept['text/plain']}\n{note}" if "text/plain" in kept else note
    output["data"] = kept
    metadata = output.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("filenames", None)  # nbconvert would use them as image URLs
    for key in list(output):
        if key not in ("output_type", "data", "metadata", "execution_count"):
            del output[key]


class SanitizeOutputs(NbGraderPreprocessor):
    """Clean every output and markdown cell of what a browser would run (module docstring)."""

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        nb.metadata.pop("widgets", None)  # widget state: nbconvert would load the widget manager's scripts for it
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "markdown":
            cell.source = safe_markdown(cell.source, cell.get("attachments"))
        elif cell.cell_type == "code":
            outputs = []
            for output in cell.get("outputs", []):
                if output.get("output_type") in ("display_data", "execute_result"):
                    clean_output(output)
                elif output.get("output_type") not in ("stream", "error"):
                    continue
                outputs.append(output)
            cell.outputs = outputs
            if not isinstance(cell.get("execution_count"), int) or isinstance(cell.execution_count, bool):
                cell.execution_count = None
        return cell, resources
