"""pyproject.toml and environment.yml describe the same environment; torch is pinned."""

import tomllib

import yaml
from packaging.requirements import Requirement

from tests.checkout import TREE

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
    assert local == ["--editable ."]


def test_every_requirement_has_a_tested_range_and_torch_is_pinned():
    requirements = [Requirement(r) for r in pyproject_requirements()]
    assert all(r.specifier for r in requirements), [r.name for r in requirements if not r.specifier]
    assert str(next(r for r in requirements if r.name == "torch").specifier) == "==2.13.0"


def test_conda_python_matches_the_package():
    """conda's Python is the range pip accepts (tests/test_python_versions.py checks the range resolves)."""
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    requires_python = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires_python == ">=3.11,<3.15"
    assert "python" + requires_python in environment["dependencies"]
