"""Keep whatever a submission outputs from bloating graded notebooks and feedback.

nbgrader's ``LimitOutput`` counts lines of printed text and of tracebacks, nothing else: a student who
prints a few lines of a million characters each, displays a 20 MB image or HTML page, makes 10,000
outputs in one cell, raises an exception with a 5 MB message or attaches a huge image to a markdown
cell leaves megabytes in the autograded notebook and in the feedback page. ``LimitOutputSize`` runs
after execution (``course/nbgrader_config.py`` puts it into ``Autograde.autograde_preprocessors``) and
caps, with a note that says what the grader removed:

- printed text (streams): ``max_chars`` per code cell;
- each display or result (any mime type): ``max_output_chars``; a larger one keeps only its
  ``text/plain`` (cut), so an image or a page is replaced by a line saying it was removed;
- each error: its name, message and traceback, cut to ``max_error_name``, ``max_error_value`` and
  ``max_traceback_chars``;
- the outputs of a code cell: ``max_outputs``, errors always kept;
- the attachments of a markdown or raw cell: ``max_attachment_chars`` per cell;
- everything but errors in the whole notebook: ``max_notebook_chars``, the largest removed first.

Grades do not change: nbgrader scores a test cell by whether its outputs hold an error, and every
error output stays, with its name and the start of its message. The notes are stdout, never stderr
(which would zero a test cell). The submitted notebook itself is left untouched.
"""

import json
import re

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

REMOVED = "removed by the grader"
BLANK_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="  # 1x1, clear
ENDS_OF_URL = (")", ">", " ", "\t", "\n", '"', "'")


class LimitOutputSize(NbGraderPreprocessor):
    max_chars = Integer(20_000, help="characters of printed output kept per code cell").tag(config=True)
    max_output_chars = Integer(500_000, help="characters of one display or result, all mime types").tag(config=True)
    max_outputs = Integer(100, help="outputs kept per code cell, besides its errors").tag(config=True)
    max_error_name = Integer(200, help="characters of an error's name").tag(config=True)
    max_error_value = Integer(2_000, help="characters of an error's message").tag(config=True)
    max_traceback_chars = Integer(20_000, help="characters of an error's traceback").tag(config=True)
    max_attachment_chars = Integer(500_000, help="characters of the attachments of one cell").tag(config=True)
    max_notebook_chars = Integer(1_000_000, help="characters of all outputs and attachments but errors").tag(
        config=True
    )

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        self._limit_notebook(nb)
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            self._limit_count(cell)
            left = self.max_chars
            for output in cell.outputs:
                if output.output_type == "stream":
                    output.text = _cut(output.text, left)
                    left = max(0, left - len(output.text))
                elif output.output_type in ("display_data", "execute_result"):
                    self._limit_rich(output)
                elif output.output_type == "error":
                    self._limit_error(output)
        for name, attachment in (cell.get("attachments") or {}).items():
            if not isinstance(attachment, dict) or not attachment:  # nbconvert fails on it
                cell.attachments[name] = {"image/png": BLANK_PNG}
        if cell.cell_type in ("markdown", "raw") and "attachment:" in cell.source:
            cell.source = _without_dangling_references(cell.source, cell.get("attachments"))
        if cell.get("attachments") and _size(cell.attachments) > self.max_attachment_chars:
            names, left = [], _size(cell.attachments)
            for name in sorted(cell.attachments, key=lambda name: -_size(cell.attachments[name])):
                if left <= self.max_attachment_chars:
                    break
                names.append(name)
                left -= _size(cell.attachments[name])
            _remove_attachments(cell, names)
        return cell, resources

    def _limit_count(self, cell):
        kept, others, dropped, note_at = [], 0, 0, 0
        for output in cell.outputs:
            if output.output_type == "error" or others < self.max_outputs:
                others += output.output_type != "error"
                kept.append(output)
            else:
                note_at = note_at if dropped else len(kept)
                dropped += 1
        if dropped:
            kept.insert(note_at, _note(f"… {dropped:,} more outputs {REMOVED}\n"))
            cell.outputs = kept

    def _limit_rich(self, output):
        markdown = output.get("data", {}).get("text/markdown")
        if isinstance(markdown, str) and "attachment:" in markdown:
            output.data["text/markdown"] = _without_dangling_references(markdown, {})
        size = _size(output.get("data", {})) + _size(output.get("metadata", {}))
        if size > self.max_output_chars:
            kinds = ", ".join(sorted(kind for kind in output.get("data", {}) if kind != "text/plain")) or "text/plain"
            note = f"[{kinds} output of {size:,} characters {REMOVED}]"
            text = output.get("data", {}).get("text/plain", "")
            text = text if isinstance(text, str) else ""
            output.data = {"text/plain": f"{_cut(text, self.max_output_chars // 2)}\n{note}" if text else note}
            output.metadata = {}

    def _limit_error(self, output):
        output.ename = _cut(str(output.get("ename", "")), self.max_error_name)
        output.evalue = _cut(str(output.get("evalue", "")), self.max_error_value)
        lines = [_cut(str(line), self.max_error_value) for line in output.get("traceback", [])]
        if sum(map(len, lines)) > self.max_traceback_chars:  # the last lines say what went wrong: keep those
            kept, left = [], self.max_traceback_chars
            for line in reversed(lines):
                if len(line) > left:
                    break
                kept.insert(0, line)
                left -= len(line)
            lines = [f"… {len(lines) - len(kept):,} traceback lines {REMOVED}", *kept]
        output.traceback = lines

    def _limit_notebook(self, nb):
        """Past ``max_notebook_chars`` in all, remove the largest outputs and attachments (one note per cell)
        until under it, then shorten the largest errors to their name and message."""
        pieces, errors = [], []  # (size, cell, output or attachment name)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                (errors if output.output_type == "error" else pieces).append((_output_size(output), cell, output))
            for name, attachment in (cell.get("attachments") or {}).items():
                pieces.append((_size(attachment), cell, name))
        total = sum(size for size, _, _ in pieces + errors)
        outputs, attachments = {}, {}  # id(cell) -> what to remove from it
        for size, cell, piece in sorted(pieces, key=lambda piece: -piece[0]):
            if total <= self.max_notebook_chars:
                break
            (attachments if isinstance(piece, str) else outputs).setdefault(id(cell), (cell, []))[1].append(piece)
            total -= size
        for cell, removed in outputs.values():
            note = f"[{len(removed):,} outputs of {sum(map(_output_size, removed)):,} characters {REMOVED}: "
            note += "the notebook's outputs are too large]\n"
            first = min(cell.outputs.index(output) for output in removed)
            gone = set(map(id, removed))
            cell.outputs = [output for output in cell.outputs if id(output) not in gone]
            cell.outputs.insert(first, _note(note))
        for cell, names in attachments.values():
            _remove_attachments(cell, names)
        for size, _, error in sorted(errors, key=lambda piece: -piece[0]):
            if total <= self.max_notebook_chars:
                break
            error.evalue = _cut(error.evalue, 200)
            error.traceback = [f"{error.ename}: {error.evalue}"]
            total -= size - _output_size(error)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… {len(text) - limit:,} more characters cut by the grader\n"


def _size(value) -> int:
    """Characters that ``value`` (an output's data or metadata, attachments) takes in the notebook."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(key) + _size(item) for key, item in value.items())
    if isinstance(value, list):
        return sum(_size(item) for item in value)
    return len(json.dumps(value, default=str))


def _output_size(output) -> int:
    if output.output_type == "stream":
        return len(output.get("text", ""))
    if output.output_type == "error":
        return len(output.ename) + len(output.evalue) + sum(map(len, output.traceback))
    return _size(output.get("data", {})) + _size(output.get("metadata", {}))


def _note(text: str):
    return new_output("stream", name="stdout", text=text)


def _remove_attachments(cell, names: list[str]) -> None:
    """Put a blank image in place of each of ``names``: nbconvert fails on a reference to a missing attachment."""
    size = sum(_size(cell.attachments[name]) for name in names)
    cell.attachments.update({name: {"image/png": BLANK_PNG} for name in names})
    listed = ", ".join(names)
    listed = listed if len(listed) <= 200 else listed[:199] + "…"
    cell.source += f"\n\n[{len(names):,} attachments of {size:,} characters {REMOVED}: {listed}]"


def _without_dangling_references(markdown: str, attachments) -> str:
    """``markdown`` with each ``attachment:`` reference to no attachment made a plain (broken) link.

    nbconvert's HTML export, and so ``generate_feedback``, fails on an image that names a missing
    attachment, also in a markdown output of a code cell (which has none).
    """
    names = sorted((name for name in attachments or {} if name), key=len, reverse=True)

    def resolves(match):
        rest = markdown[match.end() :]
        return any(rest.startswith(name) and rest[len(name) : len(name) + 1] in ("", *ENDS_OF_URL) for name in names)

    return re.sub("attachment:", lambda match: match[0] if resolves(match) else "attachment-removed:", markdown)
