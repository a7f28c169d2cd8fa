"""constraints.txt: the exact versions the course is tested with, the whole requirement closure of
pyproject.toml's dependencies and its ``test`` extra, as installed in the running environment.

    python -m tools.constraints        # rewrite constraints.txt from this environment (after a tested upgrade)
"""

import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tools.checkout import TREE

CONSTRAINTS = TREE.root / "constraints.txt"
HEADER = """\
# The exact versions the course is tested with: the requirement closure of pyproject.toml (with [test]).
#   pip install -c constraints.txt -e '.[test]'     (what ./course.sh setup and .ci/run do)
# pyproject.toml keeps ranges, for `pip install .` into an environment of your own.
# Regenerate from a tested environment with `python -m tools.constraints`; tests/test_constraints.py checks it.
"""


def project_requirements() -> list[Requirement]:
    project = tomllib.loads((TREE.root / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def installed_closure() -> dict[str, str]:
    """Every distribution the project's requirements pull in here, markers evaluated, with its installed version."""
    pins: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    todo = [(requirement, "") for requirement in project_requirements()]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        distribution = metadata.distribution(requirement.name)
        name = canonicalize_name(requirement.name)
        # The public version: torch's "2.13.0+cpu" build is pinned as 2.13.0, which PyPI's builds also match.
        pins[name] = Version(distribution.version).public
        for wanted in ["", *sorted(requirement.extras)]:
            if (name, wanted) not in seen:
                seen.add((name, wanted))
                todo += [(Requirement(r), wanted) for r in distribution.requires or []]
    return dict(sorted(pins.items()))


def read_pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def render(pins: dict[str, str]) -> str:
    return HEADER + "".join(f"{name}=={version}\n" for name, version in pins.items())


if __name__ == "__main__":
    CONSTRAINTS.write_text(render(installed_closure()))
    print(f"wrote {CONSTRAINTS}")
