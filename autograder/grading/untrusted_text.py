"""Text a student controls, made harmless where the instructor reads it: a terminal and a spreadsheet.

Student ids, file names, timestamps, printed outputs and failure messages come from submissions. In a terminal,
control characters rewrite the screen (an escape sequence can show a blank notebook as 18/18, hide a line or set
the window's title); in a CSV opened by a spreadsheet, a field that starts with ``=`` is a live formula and a
carriage return starts a forged row. Everything of a student's that the course prints or exports passes here.
"""

import unicodedata

# what spreadsheets read as the start of a formula (OWASP's list; its tab and carriage return are escaped before)
FORMULA_STARTS = ("=", "+", "-", "@")


def printable(text: object, limit: int | None = None) -> str:
    """``text`` with every control, format and line- or paragraph-separator character shown as its escape
    (``\\x1b``, ``\\u202e``); newlines too, unless the text is ours to lay out. Cut to ``limit`` characters."""
    shown = "".join(_escaped(char) for char in str(text))
    return shown if limit is None or len(shown) <= limit else shown[: limit - 1] + "…"


def printable_lines(text: object) -> str:
    """Like :func:`printable`, keeping the text's own line breaks (a multi-line failure message)."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


def _escaped(char: str) -> str:
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return char.encode("unicode_escape").decode("ascii")
    return char


def spreadsheet_cell(text: object) -> str:
    """A CSV field that a spreadsheet shows as the text it is: control characters escaped, and a field that would
    start a formula prefixed with an apostrophe."""
    shown = printable(text)
    return "'" + shown if shown.startswith(FORMULA_STARTS) else shown
