"""Mutation testing of the checks: small deliberate bugs in the course's own solutions must fail them.

The catalogue (tools/catalogue/) holds the bugs someone thought of; this module makes the bugs nobody
thought of. For every graded exercise it takes the solution cell of the source notebook, changes one
thing at a time (an operator, an operand order, a dim, a constant, a transpose, a call; and the mistakes
that change something besides the result: an in-place operation on the caller's tensor, a copy left out,
``torch.no_grad()`` forgotten, ``generator=`` or ``device=`` dropped, a buffer left out of the state_dict, a seed
that resets the caller's random state) and runs the changed cell through the exercise's visible and hidden
check, in process, as tests/test_check_catalogue.py does. A mutant the checks pass either computes the same
thing (an equivalent mutant: allow-list it in tools/mutation_equivalents.toml with the reason) or is a bug
that the hidden cases miss.

Why not mutmut or cosmic-ray: both mutate the files of an importable package and run a test command
for every mutant. mutmut 3 mutates functions of .py files in a pytest project (it copies the tree to
mutants/ and runs pytest there); cosmic-ray starts the test command per mutant, and a fresh process that
imports torch and the checks takes about 1.6 s. Here the code under test is one notebook cell, not a file of
a package, and the tests are two function calls: exec-ing a mutated cell and calling the checks in process
costs about 20 ms per mutant on average over the course (under 2 ms for most exercises), 80 to 100 times less.

Only lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` are mutated: the rest of the cell
(signature, defaults, docstring, ``super().__init__()``) is handed out, the same for every student.
Messages inside f-strings are left alone too. A mutant is keyed by exercise, operator and the mutated
statement as ``ast.unparse`` writes it, which survives edits that move lines or change formatting.
"""

import ast
import contextlib
import copy
import dataclasses
import difflib
import importlib
import io
import json
import re
import signal
import tomllib
from collections.abc import Iterator
from pathlib import Path

from tools.catalogue import CATALOGUES
from tools.exercise_runner import run_visible_and_hidden, student_namespace

NOTEBOOKS = Path(__file__).resolve().parents[1] / "course" / "source"
EQUIVALENTS = Path(__file__).with_name("mutation_equivalents.toml")
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
CHECKS_IMPORT = re.compile(r"^from (?P<package>[\w.]+) import (?P<module>\w+) as check$", re.MULTILINE)
TIME_LIMIT_S = 20


@dataclasses.dataclass(frozen=True)
class Mutant:
    exercise: str
    operator: str
    line: int  # in the solution cell with the markers removed
    description: str
    mutated_line: str  # the changed statement as ast.unparse writes it
    source: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.exercise, self.operator, self.mutated_line


# ----------------------------------------------------------------------------- operators
# Each operator looks at one AST node and yields (description, replacement node) for every mutant it makes there.

SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Not: "not",
    ast.Invert: "~",
    ast.USub: "-",
}
NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)
ARITHMETIC_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div}
COMPARISON_SWAPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
REDUCTIONS = {"sum", "mean", "var", "std", "max", "min", "amax", "argmax", "argmin", "logsumexp", "cumsum"}
DIM_FUNCTIONS = REDUCTIONS | {"softmax", "log_softmax", "cat", "stack"}  # whose dim is an argument
MODULES = {"torch", "nn", "F", "functional", "linalg"}  # x.f(dim) is a method, torch.f(x, dim) a function
OTHER_DIMS = (-1, 0, -2)
TRANSPOSES = {"transpose", "t", "permute", "swapaxes"}
MINUS_INFINITY = {"float('-inf')", "-float('inf')", "-torch.inf", "-math.inf"}
IN_PLACE = {ast.Add: "add_", ast.Sub: "sub_", ast.Mult: "mul_", ast.Div: "div_"}
COPY_METHODS = {"clone", "copy"}
COPY_FUNCTIONS = {"list", "dict", "copy.copy", "copy.deepcopy"}
GRAD_OFF = {"no_grad", "inference_mode"}
OPENS_FUNCTION = "opens_function_body"  # the attribute that marks where `reseeded` inserts its seed


def swapped_operands(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, NON_COMMUTATIVE):
        yield f"a {SYMBOLS[type(node.op)]} b → b {SYMBOLS[type(node.op)]} a", ast.BinOp(node.right, node.op, node.left)


def arithmetic_swap(node):
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in ARITHMETIC_SWAPS:
        swapped = copy.copy(node)
        swapped.op = ARITHMETIC_SWAPS[type(node.op)]()
        yield f"{SYMBOLS[type(node.op)]} → {SYMBOLS[type(swapped.op)]}", swapped


def comparison_swap(node):
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swapped = copy.copy(node)
            swapped.ops = [*node.ops[:i], COMPARISON_SWAPS[type(op)](), *node.ops[i + 1 :]]
            yield f"{SYMBOLS[type(op)]} → {SYMBOLS[type(swapped.ops[i])]}", swapped


def off_by_one(node):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        for changed in (node.value + 1, node.value - 1):
            yield f"{node.value} → {changed}", _integer(changed)


def dim_change(node):
    if isinstance(node, ast.keyword) and node.arg == "dim" and (dim := _integer_value(node.value)) is not None:
        for other in OTHER_DIMS:
            if other != dim:
                yield f"dim={dim} → dim={other}", ast.keyword("dim", _integer(other))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DIM_FUNCTIONS:
        position = 1 if _is_function_form(node) else 0
        if len(node.args) > position and (dim := _integer_value(node.args[position])) is not None:
            for other in OTHER_DIMS:
                if other != dim:
                    changed = copy.copy(node)
                    changed.args = [*node.args[:position], _integer(other), *node.args[position + 1 :]]
                    yield f"positional dim {dim} → {other}", changed


def dropped_scaling(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv)):
        yield f"drop the divisor {ast.unparse(node.right)}", node.left
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        yield f"drop the factor {ast.unparse(node.right)}", node.left
        yield f"drop the factor {ast.unparse(node.left)}", node.right


def transpose(node):
    if isinstance(node, ast.Attribute) and node.attr in ("T", "mT"):
        yield f"drop .{node.attr}", node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TRANSPOSES:
        yield f"drop .{node.func.attr}(...)", node.func.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        yield "a @ b → a.mT @ b", ast.BinOp(_transposed(node.left), node.op, node.right)
        yield "a @ b → a @ b.mT", ast.BinOp(node.left, node.op, _transposed(node.right))
    if isinstance(node, ast.Call) and _called_name(node) == "copy_" and len(node.args) == 1:
        yield "copy_(x) → copy_(x.mT)", ast.Call(node.func, [_transposed(node.args[0])], node.keywords)


def removed_call(node):
    if (
        isinstance(node, ast.Call)
        and len(node.args) == 1
        and not node.keywords
        and not isinstance(node.args[0], ast.Starred)
    ):
        yield f"{ast.unparse(node.func)}(x) → x", node.args[0]


def changed_float(node):
    if isinstance(node, ast.Constant) and type(node.value) is float:
        value = node.value
        if value == 0:
            changed = [1.0]
        elif abs(value) < 1e-3:  # an epsilon: a hundred times larger
            changed = [value * 100]
        else:
            changed = [value * 2, value / 2]
        for other in changed:
            yield f"{value!r} → {other!r}", ast.Constant(other)


def keepdim(node):
    if isinstance(node, ast.keyword) and node.arg == "keepdim" and _is_constant(node.value, True):
        yield "keepdim=True → keepdim=False", ast.keyword("keepdim", ast.Constant(False))


def unbiased(node):
    if isinstance(node, ast.keyword) and node.arg == "unbiased" and _is_constant(node.value, False):
        yield "unbiased=False → unbiased=True", ast.keyword("unbiased", ast.Constant(True))


def boolean_flip(node):
    if isinstance(node, ast.Constant) and type(node.value) is bool:
        yield f"{node.value} → {not node.value}", ast.Constant(not node.value)


def masked_fill_zero(node):
    if (
        isinstance(node, ast.Call)
        and _called_name(node) in ("masked_fill", "masked_fill_")
        and len(node.args) == 2
        and ast.unparse(node.args[1]) in MINUS_INFINITY
    ):
        yield (
            "masked_fill(mask, -inf) → masked_fill(mask, 0)",
            ast.Call(node.func, [node.args[0], ast.Constant(0.0)], []),
        )


def removed_statement(node):
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield f"drop the call {ast.unparse(node.value.func)}(...)", ast.Pass()


def dropped_unary(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert, ast.USub)):
        yield f"drop {SYMBOLS[type(node.op)]}", node.operand


# The mistakes students make that change something besides the result: the caller's arguments, grad mode, the
# device, the random state. Their results are often right; the checks' contracts are what catches them.


def in_place_arithmetic(node):
    # a.sub_(b) for a - b: the in-place method changes the caller's tensor (or a parameter) as well.
    if isinstance(node, ast.BinOp) and type(node.op) in IN_PLACE and isinstance(node.left, (ast.Name, ast.Attribute)):
        method = IN_PLACE[type(node.op)]
        yield (
            f"a {SYMBOLS[type(node.op)]} b → a.{method}(b)",
            ast.Call(ast.Attribute(node.left, method, ast.Load()), [node.right], []),
        )


def sort_in_place(node):
    # x.sort() for sorted(x): the caller's list is sorted too.
    if _is_call_of_one(node, "sorted", keywords=True) and isinstance(node.func, ast.Name):
        (listed,) = node.args
        sorting = ast.Call(ast.Attribute(listed, "sort", ast.Load()), [], node.keywords)
        yield "sorted(x) → (x.sort(), x)[1]", ast.Subscript(ast.Tuple([sorting, listed], ast.Load()), ast.Constant(1))


def removed_copy(node):
    # The copy left out: x.clone(), x.copy(), list(x), copy.deepcopy(x) and x[:] become x, the caller's own object,
    # which the code then changes (or which a later change of the caller's changes).
    if _is_method_call(node, COPY_METHODS):
        yield f"x.{node.func.attr}() → x", node.func.value
    if isinstance(node, ast.Call) and ast.unparse(node.func) in COPY_FUNCTIONS and _is_call_of_one(node):
        yield f"{ast.unparse(node.func)}(x) → x", node.args[0]
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) and _is_whole(node.slice):
        yield "x[:] → x", node.value


def graph_kept(node):
    # torch.no_grad() forgotten (the body runs with grad mode on and builds a graph), or .detach() left out.
    if isinstance(node, ast.With):
        for index, item in enumerate(node.items):
            if _called_name_of(item.context_expr) not in GRAD_OFF or item.optional_vars is not None:
                continue
            name = ast.unparse(item.context_expr)
            if len(node.items) == 1:
                yield f"with {name}: → the body without it", ast.If(ast.Constant(True), node.body, [])
            else:
                kept = copy.copy(node)
                kept.items = [*node.items[:index], *node.items[index + 1 :]]
                yield f"drop {name} from the with", kept
    if _is_method_call(node, {"detach"}):
        yield "x.detach() → x", node.func.value


def dropped_generator(node):
    # generator= left out: the call draws from the global random state instead of the generator it was given.
    yield from _without_keyword(node, "generator")


def dropped_device(node):
    # device= left out: the tensor is made on the CPU whatever device the input is on.
    yield from _without_keyword(node, "device")


def buffer_not_persistent(node):
    # persistent=False on a buffer that belongs in the state_dict: checkpoints lose it.
    if (
        _called_name_of(node) == "register_buffer"
        and len(node.args) == 2
        and not any(keyword.arg == "persistent" for keyword in node.keywords)
    ):
        changed = copy.copy(node)
        changed.keywords = [*node.keywords, ast.keyword("persistent", ast.Constant(False))]
        yield "register_buffer(name, t) → register_buffer(name, t, persistent=False)", changed


def reseeded(node):
    # torch.manual_seed(0) at the top of a function, "for reproducibility": it resets the caller's random state,
    # and every call draws the same numbers. Made in cells that use torch, before the first statement that
    # students write in each function body (see _mark_function_openings).
    if getattr(node, OPENS_FUNCTION, False):
        seed = ast.Expr(
            ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "manual_seed", ast.Load()), [ast.Constant(0)], [])
        )
        yield "torch.manual_seed(0) at the top of the function", [seed, node]


# Specific operators first: a mutant that two operators make is counted once, under the first.
OPERATORS = {
    operator.__name__: operator
    for operator in [
        keepdim,
        unbiased,
        masked_fill_zero,
        dim_change,
        transpose,
        swapped_operands,
        arithmetic_swap,
        comparison_swap,
        dropped_scaling,
        in_place_arithmetic,
        sort_in_place,
        removed_copy,
        graph_kept,
        dropped_generator,
        dropped_device,
        buffer_not_persistent,
        reseeded,
        removed_call,
        removed_statement,
        dropped_unary,
        off_by_one,
        changed_float,
        boolean_flip,
    ]
}


def _integer(value: int) -> ast.expr:
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))


def _integer_value(node) -> int | None:
    """The value of an integer literal such as ``1`` or ``-2``; None for anything else."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _integer_value(node.operand)
        return None if value is None else -value
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _is_constant(node, value) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _called_name(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)


def _is_function_form(call: ast.Call) -> bool:
    """torch.softmax(x, dim) rather than x.softmax(dim). (Python's own max(a, b) and sum(xs) take no dim.)"""
    owner = call.func.value
    return (isinstance(owner, ast.Name) and owner.id in MODULES) or (
        isinstance(owner, ast.Attribute) and owner.attr in MODULES
    )


def _transposed(node: ast.expr) -> ast.expr:
    return ast.Attribute(node, "mT", ast.Load())


def _called_name_of(node) -> str | None:
    return _called_name(node) if isinstance(node, ast.Call) else None


def _is_method_call(node, names) -> bool:
    """x.name() with no arguments, for one of ``names``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
        and not node.args
        and not node.keywords
    )


def _is_call_of_one(node, name: str | None = None, keywords: bool = False) -> bool:
    """A call with one positional argument (and no keywords unless ``keywords``), of ``name`` if given."""
    return (
        isinstance(node, ast.Call)
        and (name is None or _called_name(node) == name)
        and len(node.args) == 1
        and not isinstance(node.args[0], ast.Starred)
        and (keywords or not node.keywords)
    )


def _without_keyword(node, name: str):
    if isinstance(node, ast.Call) and any(keyword.arg == name for keyword in node.keywords):
        changed = copy.copy(node)
        changed.keywords = [keyword for keyword in node.keywords if keyword.arg != name]
        yield f"drop {name}=", changed


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and type(statement.value.value) is str
    )


def _is_whole(part: ast.Slice) -> bool:
    return part.lower is None and part.upper is None and part.step is None


def _mark_function_openings(tree: ast.AST, lines: set[int] | None) -> None:
    """Mark the first statement on ``lines`` of every function body, where ``reseeded`` inserts its seed; only
    where the cell uses torch (a tokenizer's student does not seed torch)."""
    if not any(isinstance(node, ast.Name) and node.id == "torch" for node in ast.walk(tree)):
        return
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            written = [
                statement
                for statement in function.body
                if (lines is None or statement.lineno in lines) and not _is_docstring(statement)
            ]
            if written:
                setattr(written[0], OPENS_FUNCTION, True)


# ----------------------------------------------------------------------------- the mutator


def mutants(exercise: str, source: str, lines: set[int] | None = None) -> list[Mutant]:
    """Every distinct mutant of ``source`` that compiles, made at nodes on ``lines`` (default: all lines)."""
    tree = ast.parse(source)
    _mark_function_openings(tree, lines)
    original = ast.unparse(tree)
    seen, found = {original}, []
    for place, node in _mutable_nodes(tree, lines):
        for name, operator in OPERATORS.items():
            for description, replacement in operator(node):
                mutated = _unparse_with(tree, place, replacement)
                if mutated not in seen and _compiles(mutated):
                    seen.add(mutated)
                    changed_line = _changed_line(original, mutated)
                    found.append(Mutant(exercise, name, node.lineno, description, changed_line, mutated))
    return found


def _mutable_nodes(tree: ast.AST, lines: set[int] | None):
    """(place, node) for every node on ``lines`` outside f-strings; place is (parent, field, index or None)."""
    in_f_strings = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for inner in ast.walk(node)}
    for parent in list(ast.walk(tree)):
        for field, value in ast.iter_fields(parent):
            for index, node in enumerate(value) if isinstance(value, list) else [(None, value)]:
                on_lines = lines is None or getattr(node, "lineno", None) in lines
                if isinstance(node, ast.AST) and id(node) not in in_f_strings and on_lines:
                    yield (parent, field, index), node


def _unparse_with(tree: ast.AST, place: tuple, replacement: ast.AST) -> str:
    """The source of ``tree`` with the node at ``place`` replaced (by the nodes of a list: inserted in its place,
    where the node is one of a list, a statement of a body); the tree is left as it was."""
    parent, field, index = place
    value = getattr(parent, field)
    if index is None:
        setattr(parent, field, replacement)
    else:
        replacements = replacement if isinstance(replacement, list) else [replacement]
        setattr(parent, field, [*value[:index], *replacements, *value[index + 1 :]])
    try:
        return ast.unparse(tree)
    finally:
        setattr(parent, field, value)


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec")
    except SyntaxError:
        return False
    return True


def _changed_line(original: str, mutated: str) -> str:
    """The mutated statement. Each mutant changes one node, and ast.unparse writes every simple statement, and
    every compound statement's header, on one line: the line that differs. A mutant that inserts statements
    (``reseeded``) is written as the inserted lines and the line they come before."""
    old_lines, new_lines = original.splitlines(), mutated.splitlines()
    if len(old_lines) != len(new_lines):
        matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
        return " / ".join(
            f"{new.strip()}  # before {old_lines[i1].strip() if i1 < len(old_lines) else 'the end'}"
            for tag, i1, _, j1, j2 in matcher.get_opcodes()
            if tag == "insert"
            for new in new_lines[j1:j2]
        )
    changed = [(old.strip(), new.strip()) for old, new in zip(old_lines, new_lines) if old != new]
    return " / ".join(f"pass  # instead of {old}" if new == "pass" else new for old, new in changed)


# ----------------------------------------------------------------------------- exercises and the runner


@dataclasses.dataclass(frozen=True)
class Exercise:
    assignment: str  # the folder of its notebook, e.g. "03_attention"
    name: str  # the grade_id of the solution cell
    checks_module: str  # what the notebook's setup cell imports as `check`
    source: str  # the solution cell, markers removed
    solution_lines: frozenset[int]  # the lines between the markers, where students write code
    prelude: str  # the catalogue's COMMON, then the notebook's earlier solution cells

    def mutants(self) -> list[Mutant]:
        return mutants(self.name, self.source, set(self.solution_lines))


def exercises(assignments=None, names=None) -> list[Exercise]:
    """The graded exercises of the source notebooks, in notebook order.

    Each runs after the catalogue's COMMON and the earlier solution cells of its notebook, as in the
    notebook itself: COMMON alone lacks helpers that later cells use (03's all_context_vectors calls
    attention_weights, 06's MultiHeadAttentionSDPA subclasses MultiHeadAttention)."""
    found = []
    for notebook in sorted(NOTEBOOKS.glob("*/*.ipynb")):
        assignment = notebook.parent.name
        if assignments and assignment not in assignments:
            continue
        prelude = CATALOGUES[assignment].COMMON
        cells = json.loads(notebook.read_text())["cells"]
        checks_module = _checks_module(cells)
        for cell in cells:
            grading = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code" or not grading.get("solution"):
                continue
            source, solution_lines = _without_markers("".join(cell["source"]))
            if not names or grading["grade_id"] in names:
                found.append(Exercise(assignment, grading["grade_id"], checks_module, source, solution_lines, prelude))
            prelude += "\n" + source
    return found


def _checks_module(cells) -> str:
    """The module that the notebook imports as ``check``, e.g. ``autograder.checks.attention``."""
    for cell in cells:
        if cell["cell_type"] == "code" and (found := CHECKS_IMPORT.search("".join(cell["source"]))):
            return f"{found['package']}.{found['module']}"
    raise LookupError("no cell imports the checks as `check`")


def _without_markers(cell: str) -> tuple[str, frozenset[int]]:
    kept, solution_lines, inside = [], set(), False
    for line in cell.splitlines():
        if SOLUTION_MARKER.match(line):
            inside = "BEGIN" in line
            continue
        kept.append(line)
        if inside:
            solution_lines.add(len(kept))
    return "\n".join(kept) + "\n", frozenset(solution_lines)


class MutantTimeout(BaseException):
    """Raised by the alarm. A BaseException, so that the checks' ``except Exception`` lets it through."""


def run_source(exercise: Exercise, source: str, time_limit_s: int = TIME_LIMIT_S) -> list[str]:
    """Failure messages of the exercise's visible and hidden check on ``source`` run after the prelude.
    An exception while defining the variant, or one that escapes the checks, is a failure too."""

    def on_alarm(signal_number, frame):
        raise MutantTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(time_limit_s)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            variant = student_namespace(exercise.prelude + "\n" + source)[exercise.name]
            return run_visible_and_hidden(importlib.import_module(exercise.checks_module), exercise.name, variant)
    except MutantTimeout:
        return [f"timed out after {time_limit_s} s"]
    except Exception as error:
        return [f"{type(error).__name__}: {error}"]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@dataclasses.dataclass
class ExerciseResult:
    exercise: Exercise
    solution_failures: list[str]  # the unmutated solution's: when not empty, no mutant was run
    outcomes: list[tuple[Mutant, str]]  # "killed", "timeout", "survived", "equivalent" or "allowed but killed"

    def count(self, *statuses: str) -> int:
        return sum(status in statuses for _, status in self.outcomes)


def load_equivalents(path: Path = EQUIVALENTS) -> dict[tuple[str, str, str], str]:
    """Allow-listed mutants, (exercise, operator, mutated line) -> why they compute the same thing."""
    with open(path, "rb") as file:
        entries = tomllib.load(file).get("equivalent", [])
    return {(entry["exercise"], entry["operator"], entry["line"]): entry["reason"] for entry in entries}


def run_exercise(exercise: Exercise, equivalents: dict, time_limit_s: int = TIME_LIMIT_S) -> ExerciseResult:
    """Run every mutant of the exercise. Allow-listed mutants run too: one the checks fail is reported,
    since either the checks reject a correct program or the allow-list's reason is wrong."""
    solution_failures = run_source(exercise, exercise.source, time_limit_s)
    if solution_failures:
        return ExerciseResult(exercise, solution_failures, [])
    outcomes = []
    for mutant in exercise.mutants():
        failures = run_source(exercise, mutant.source, time_limit_s)
        allowed = mutant.key in equivalents
        if failures:
            status = "allowed but killed" if allowed else "timeout" if failures[0].startswith("timed out") else "killed"
        else:
            status = "equivalent" if allowed else "survived"
        outcomes.append((mutant, status))
    return ExerciseResult(exercise, [], outcomes)


def mutation_run(
    assignments=None, names=None, time_limit_s: int = TIME_LIMIT_S, progress=None
) -> Iterator[ExerciseResult]:
    """Results exercise by exercise; ``progress(exercise)`` is called before each."""
    equivalents = load_equivalents()
    for exercise in exercises(assignments, names):
        if progress:
            progress(exercise)
        yield run_exercise(exercise, equivalents, time_limit_s)
