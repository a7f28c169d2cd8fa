"""pyproject.toml and environment.yml describe the same environment; torch is pinned."""

import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tools.checkout import TREE

REPO = TREE.root


def pyproject_requirements() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {str(Requirement(r)) for r in project["dependencies"] + project["optional-dependencies"]["test"]}


def conda_pip_requirements() -> tuple[set[str], list[str]]:
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    local = [line for line in pip if line.startswith("-")]
    return {str(Requirement(line)) for line in pip if not line.startswith("-")}, local


def test_environment_yml_matches_pyproject():
    requirements, local = conda_pip_requirements()
    assert requirements == pyproject_requirements()
    assert local == ["-c constraints.txt", "--editable ."]


def test_every_requirement_has_a_range():
    """Ranges, for installing into an environment of one's own; the exact versions: tests/test_constraints.py."""
    requirements = [Requirement(r) for r in pyproject_requirements()]
    assert all(r.specifier for r in requirements), [r.name for r in requirements if not r.specifier]
    assert str(next(r for r in requirements if r.name == "torch").specifier) == "<3,>=2.3"


def test_conda_python_matches_the_course():
    """conda's Python is the range ./course.sh accepts: the Pythons constraints.txt installs on
    (tests/test_python_versions.py), within pyproject.toml's requires-python."""
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    requires_python = SpecifierSet(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"])
    course = re.search(r'^SUPPORTED_PYTHON="([^"]+)"$', (REPO / "course.sh").read_text(), flags=re.MULTILINE).group(1)
    assert "python" + course in environment["dependencies"]
    assert requires_python == SpecifierSet(">=3.11,<3.15")
    assert course == ">=3.11.5,<3.15"
