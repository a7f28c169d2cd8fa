"""Find code in a submission that reaches for the machinery of grading, for an instructor to read.

The grading kernel refuses the direct ways of changing what the tests use (`autograder.grading.in_kernel.guard`);
the indirect ways (a module's ``__dict__``, ``sys.modules``, ctypes, ``exec`` of a built string)
need names that the exercises never need. Finding one flags the submission; it costs no points.
"""

import ast

import nbformat

NAMES = {  # builtins and modules that course exercises never need
    "exec",
    "eval",
    "compile",
    "globals",
    "vars",
    "setattr",
    "delattr",
    "__import__",
    "__builtins__",
    "builtins",
    "ctypes",
    "gc",
    "importlib",
    "inspect",
    "subprocess",
    "_posixsubprocess",  # starts programs without the audit event that subprocess raises
    "mock",
    "get_ipython",  # IPython's hooks, events and transformers decide what a test cell runs
    "threading",  # a thread or a timer can change things after the grader put them back
    "_thread",
    "signal",
    "atexit",
    "TorchFunctionMode",  # a torch mode sees, and may change, every torch call of the checks
    "TorchDispatchMode",
}
ATTRIBUTES = {  # attributes that course exercises never need
    "__dict__",
    "__class__",
    "__code__",
    "__globals__",
    "__builtins__",
    "__subclasses__",
    "__closure__",
    "__setattr__",
    "__delattr__",
    "settrace",
    "setprofile",
    "_getframe",
    "f_globals",
    "f_locals",
    "f_back",
    "system",
    "in_kernel",  # the package of the kernel's guard
    "input_transformers_post",
    "input_transformers_cleanup",
    "input_transformer_manager",
    "ast_transformers",
    "events",
    "showtraceback",
    "set_custom_exc",
    "custom_exceptions",
    "excepthook",
    "displayhook",
    "setitimer",
    "alarm",
    "__torch_function__",
    "__torch_dispatch__",
    "hooked",  # what torch marks its own wrapper of an optimizer's step with (the guard lets that one stand)
    "__wrapped__",
}
DEFINITIONS = {"__torch_function__", "__torch_dispatch__"}  # methods that make an object intercept torch calls


def reaching_code(notebook: nbformat.NotebookNode, handed_out: nbformat.NotebookNode | None = None) -> list[str]:
    """One line per student cell that changes an imported module's attributes, imports the course's
    own package, or uses one of NAMES or ATTRIBUTES.

    Every code cell is read, whatever its metadata says (a student can mark any cell locked): only a cell whose
    source is that of a locked cell of the ``handed_out`` notebook (the course's own code, which nbgrader puts back
    anyway) is left out. A cell too deeply nested to read (Python's parser recursion, on a 5,000-term sum, say) is
    flagged, never raised: one student's notebook cannot stop the scan of the class."""
    ours = {cell.source for cell in handed_out.cells if _locked(cell)} if handed_out else set()
    cells = [(index, cell) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    trees, found = {}, []
    for index, cell in cells:
        try:
            trees[index] = ast.parse(cell.source)
        except SyntaxError:
            continue  # it fails when it runs, and scores zero there
        except (RecursionError, MemoryError, ValueError) as error:  # too deep or too large for the parser
            found.append(f"for review: {_name(cell, index)} could not be read ({type(error).__name__})")
    imported = {name for tree in trees.values() for name in _imported_names(tree)}
    for index, cell in cells:
        if index not in trees or cell.source in ours:
            continue
        try:
            findings = sorted(set(_findings(trees[index], imported)))
        except (RecursionError, MemoryError) as error:
            findings = [f"could not be read ({type(error).__name__})"]
        if findings:
            found.append(f"for review: {_name(cell, index)} {', '.join(findings)}")
    return found


def _locked(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("locked"))


def _name(cell, index: int) -> str:
    return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", f"cell {index}"))


def _imported_names(tree) -> set[str]:
    return {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }


def _findings(tree, imported: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root(target) in imported:
                    yield f"changes {ast.unparse(target)}"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            yield from (f"imports {module}" for module in modules if _reaching_import(module))
        elif isinstance(node, ast.Name) and node.id in NAMES:
            yield f"uses {node.id}"
        elif isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:
            yield f"uses .{node.attr}"
        elif isinstance(node, ast.Attribute) and ast.unparse(node) == "sys.modules":
            yield "uses sys.modules"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in DEFINITIONS:
            yield f"defines {node.name}"


def _reaching_import(module: str) -> bool:
    """The course's own package (but not the materials that notebooks load), or one of NAMES."""
    root = module.split(".")[0]
    return root in NAMES or (root == "autograder" and not module.startswith("autograder.materials"))


def _root(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None
