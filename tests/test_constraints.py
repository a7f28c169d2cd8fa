"""constraints.txt pins the exact versions the course is tested with; pyproject.toml keeps ranges for installing
into an environment of one's own. The pins cover every requirement, satisfy its range, and are what this
environment runs (regenerate with `python -m tools.constraints`)."""

import pytest
from packaging.utils import canonicalize_name

from tools.checkout import TREE
from tools.constraints import CONSTRAINTS, installed_closure, project_requirements, read_pins

PINS = read_pins(CONSTRAINTS.read_text())


@pytest.mark.parametrize("requirement", project_requirements(), ids=str)
def test_every_requirement_is_pinned_within_its_range(requirement):
    if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
        pytest.skip(f"{requirement.name} is not for this platform")
    pin = PINS.get(canonicalize_name(requirement.name))
    assert pin is not None, f"constraints.txt has no pin for {requirement.name}"
    assert requirement.specifier.contains(pin, prereleases=True), f"{requirement.name}=={pin} is outside {requirement}"


def test_the_pins_are_this_environments_requirement_closure():
    installed = installed_closure()
    stale = {name: (PINS.get(name), version) for name, version in installed.items() if PINS.get(name) != version}
    unused = sorted(set(PINS) - set(installed))
    assert not stale and not unused, (
        f"constraints.txt differs from what is installed (pinned, installed): {stale}; pinned but not required: "
        f"{unused}. After testing the installed versions, run `python -m tools.constraints`."
    )


def test_torch_is_pinned_to_the_cpu_wheel_the_course_is_tested_with():
    assert PINS["torch"] == "2.13.0"


def test_setup_installs_with_the_constraints():
    assert "pip install --quiet -c constraints.txt -e '.[test]'" in (TREE.root / "course.sh").read_text()
    assert "./course.sh test" in (TREE.root / ".ci" / "run").read_text()  # CI sets up through course.sh
