"""The one rule for a student id, checked at every door: the exchange's inbound folder, an LMS zip, the command line.

A student id becomes a folder name (``submitted/<student>/``), a gradebook key, an argument of nbgrader's command
line, a row of the exported grades and a line on the instructor's terminal. So it is held to a strict character
set: ASCII letters and digits and ``_ . - @``, starting with a letter or a digit (not an option ``-x``, a hidden
folder ``.x``, ``..`` or a spreadsheet formula), at most :data:`MAX_LENGTH` characters. Anything else (markup, a
formula, a carriage return, a terminal escape, a shell expansion, nbgrader's separator ``+``, a non-ASCII look-alike)
is refused with one line and never stored.
"""

import re

from autograder.grading.untrusted_text import printable
from autograder.instructor.errors import BadArgument

MAX_LENGTH = 100
ALLOWED = "ASCII letters, digits and _ . - @, starting with a letter or digit"
_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.@-]{{0,{MAX_LENGTH - 1}}}")


def id_problem(student: str, what: str = "student id") -> str | None:
    """Why ``student`` is not an allowed student id (or another name held to the same rule, ``what``: the course
    id), in a few words; None when it is one."""
    if not student:
        return f"an empty {what}"
    if len(student) > MAX_LENGTH:
        return f"a {what} of {len(student):,} characters (at most {MAX_LENGTH})"
    if not _ID.fullmatch(student):
        return f"the {what} {shown(student)} holds more than {ALLOWED}"
    return None


def is_student_id(student: str) -> bool:
    return id_problem(student) is None


def checked_id(student: str, where: str) -> str:
    """``student`` when it is an allowed id, else BadArgument (one line naming ``where`` it came from)."""
    if problem := id_problem(student):
        raise BadArgument(f"{where}: {problem}")
    return student


def shown(student: str) -> str:
    """A refused id as the instructor sees it: quoted, control characters as escapes, cut to 60 characters."""
    return f"'{printable(student, 60)}'"
