"""CONTRIBUTING.md's recipes are true to the tree: every path they name exists, for every assignment where they
name one by its pattern (`<module>`, `NN_name`)."""

import importlib
import pkgutil
import re

import pytest

import autograder.checks
from autograder.checks.registry import EXERCISES
from tools.checkout import TREE

GUIDE = TREE.root / "CONTRIBUTING.md"
TOP_FOLDERS = ("autograder/", "tests/", "tools/", "course/", "benchmarks/", "solutions/")
PATH = re.compile(r"`([\w./<>-]+)`")


def named_paths() -> list[str]:
    return sorted({path for path in PATH.findall(GUIDE.read_text()) if path.startswith(TOP_FOLDERS)})


def checks_modules() -> list[str]:
    """The names of the checks modules that declare exercises (tokenization … gpt), one per assignment."""
    for module in pkgutil.iter_modules(autograder.checks.__path__):
        importlib.import_module(f"autograder.checks.{module.name}")
    return sorted({exercise.checks_module.rsplit(".", 1)[1] for exercise in EXERCISES.values()})


def test_the_guide_names_paths():
    assert len(named_paths()) > 20, named_paths()


@pytest.mark.parametrize("path", named_paths())
def test_every_path_the_guide_names_exists(path):
    expanded = [path]
    if "<module>" in path:
        expanded = [path.replace("<module>", module) for module in checks_modules()]
    if "NN_name" in path:
        expanded = [p.replace("NN_name", assignment) for p in expanded for assignment in TREE.assignments()]
    missing = [p for p in expanded if not (TREE.root / p).exists()]
    assert not missing, f"CONTRIBUTING.md names {path}, and the tree has no {', '.join(missing)}"
