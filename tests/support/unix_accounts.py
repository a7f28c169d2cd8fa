"""Real Unix accounts for tests of what one account can do to another's work (students on the grading machine).

Accounts are made with ``useradd`` (root only: a test that needs them skips otherwise) and removed by
:func:`remove_accounts`. Such an account runs the system's Python of the course's version with the course
environment's packages: where any account may read them (a checkout under /work), from the environment itself,
else from a world-readable copy of a distribution and everything it requires (a checkout under /root), removed
afterwards; as tests/test_dask_security.py does for distributed.
"""

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# The course's interpreter may sit where other accounts cannot go (pyenv under /root): the system's Python of the
# same version runs the accounts' code, with the course environment's packages on its path.
SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("making other Unix accounts needs root (CI runs as root)")
    if not SYSTEM_PYTHON.is_file():
        pytest.skip(f"no {SYSTEM_PYTHON} for other accounts to run")


def make_account(name: str) -> pwd.struct_passwd:
    """The account ``name``, made (no home, no login shell) unless it exists."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    return pwd.getpwnam(name)


def remove_accounts(names: list[str]) -> None:
    for name in names:
        subprocess.run(["userdel", name], check=False, capture_output=True)


@contextlib.contextmanager
def packages_for(distribution: str) -> Iterator[str]:
    """A folder any account may import ``distribution`` (and what it needs) from."""
    purelib = Path(sysconfig.get_path("purelib"))
    if all(folder.stat().st_mode & stat.S_IXOTH for folder in [purelib, *purelib.parents]):
        yield str(purelib)
        return
    copy = Path(tempfile.mkdtemp(prefix="gpt-course-packages-"))
    try:
        for name in _closure(distribution):
            for file in metadata.distribution(name).files or []:
                source = Path(file.locate())
                if source.is_file() and source.is_relative_to(purelib):
                    (copy / file).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(source, copy / file)
        for path in [copy, *copy.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield str(copy)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def run_as(
    account: pwd.struct_passwd, argv: list[str], *, home: Path, packages: str, timeout: float = 120
) -> subprocess.CompletedProcess:
    """``argv`` (after the system's Python) run by ``account`` in ``home``, with the course's packages, no keys and no
    groups of ours."""
    return subprocess.run(
        [str(SYSTEM_PYTHON), *argv],
        user=account.pw_uid,
        group=account.pw_gid,
        extra_groups=[],
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": packages, "LANG": "C.UTF-8"},
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def give(path: Path, account: pwd.struct_passwd) -> None:
    """``path`` and everything in it to ``account``."""
    for item in [path, *path.rglob("*")]:
        os.chown(item, account.pw_uid, account.pw_gid, follow_symlinks=False)


def _closure(name: str) -> set[str]:
    """``name`` and every distribution it requires here, markers evaluated."""
    found, todo = set(), [name]
    while todo:
        name = canonicalize_name(todo.pop())
        if name not in found:
            found.add(name)
            for line in metadata.distribution(name).requires or []:
                requirement = Requirement(line)
                if not requirement.marker or requirement.marker.evaluate({"extra": ""}):
                    todo.append(requirement.name)
    return found
