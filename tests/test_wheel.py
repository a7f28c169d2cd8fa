"""The package builds into a wheel without warnings, the wheel carries the course's data sets and its license, and
it works installed non-editable: imported from another directory, with no checkout on the path, it loads the
stories."""

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile

import pytest
import setuptools

from tools.checkout import TREE

PACKAGE = TREE.root / "autograder"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Built from a copy of what the wheel needs, so the checkout gets no build/ or egg-info."""
    scratch = tmp_path_factory.mktemp("wheel")
    source = scratch / "source"
    shutil.copytree(PACKAGE, source / "autograder", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(TREE.root / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", scratch / "dist", source],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (scratch / "dist").glob("*.whl")
    return path, built.stdout + built.stderr


def test_the_build_prints_no_warnings(wheel):
    _, output = wheel
    assert "warning" not in output.lower(), output


def test_the_wheel_holds_every_data_file_and_the_license(wheel):
    path, _ = wheel
    data = sorted(
        str(file.relative_to(TREE.root))
        for file in PACKAGE.rglob("*")
        if file.is_file() and file.suffix not in (".py", ".pyc") and "__pycache__" not in file.parts
    )
    assert "autograder/materials/data/stories.txt" in data
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        (metadata,) = (name for name in names if name.endswith(".dist-info/METADATA"))
        fields = archive.read(metadata).decode()
    assert [name for name in data if name not in names] == []
    assert not any(name.startswith(("tests/", "tools/", "benchmarks/", "course/", "solutions/")) for name in names)
    assert "License-Expression: MIT" in fields.splitlines()
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)


def test_the_checkouts_own_packages_stay_out_of_the_wheel():
    """The wheel above is built from a copy of autograder/ alone; here pyproject.toml's package discovery, run on the
    checkout itself, finds autograder's packages and none of tools/, tests/ or benchmarks/ (importable from the root)."""
    found = tomllib.loads((TREE.root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = setuptools.find_namespace_packages(where=TREE.root, include=found["include"])
    assert "autograder.grading.in_nbgrader" in packages
    assert {name.split(".")[0] for name in packages} == {"autograder"}, packages


def test_the_installed_wheel_loads_the_stories_without_a_checkout(wheel, tmp_path):
    path, _ = wheel
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, path],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # -S: no site-packages processing, so the editable install's path entry for the checkout is not read; the
    # environment's own site-packages are given explicitly, after the installed wheel.
    program = (
        "import os, sys, autograder; from autograder.materials import data; "
        f"assert {str(TREE.root)!r} not in [os.path.abspath(entry) for entry in sys.path], sys.path; "
        f"assert autograder.__file__.startswith({str(target)!r}), autograder.__file__; "
        "stories = data.load_stories(); assert len(stories) > 500_000 and len(data.load_messages()) == 2000; "
        "print(len(stories))"
    )
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]),
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "tiktoken"),
    }
    ran = subprocess.run(
        [sys.executable, "-S", "-c", program], cwd=elsewhere, env=environment, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    assert int(ran.stdout) > 500_000
