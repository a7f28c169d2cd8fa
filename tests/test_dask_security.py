"""The Dask cluster that grades lets no other account in: `--workers N` listens with TLS and a certificate authority
made for the run, and `--scheduler` takes a real cluster's TLS files or refuses plain TCP off this machine."""

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

import distributed
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autograder.instructor.dask_cluster import cluster_client, scheduler_security
from autograder.instructor.errors import BadArgument

pytestmark = pytest.mark.dask

INTRUDER = "gpt-course-intruder"  # a second, real Unix account on the grading machine, as a student has one
# The course's interpreter may sit where other accounts cannot go (pyenv under /root): the intruder runs the system's
# Python of the same version with the course environment's packages, which any account can read.
SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
CONNECT = "import sys, distributed; distributed.Client(sys.argv[1], timeout=5); print('connected')"


@pytest.fixture(scope="module")
def intruder() -> pwd.struct_passwd:
    if os.geteuid() != 0:
        pytest.skip("making a second Unix account needs root (CI runs as root)")
    try:
        return pwd.getpwnam(INTRUDER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", INTRUDER], check=True)
        return pwd.getpwnam(INTRUDER)


@pytest.fixture(scope="module")
def packages() -> Iterator[str]:
    """Where the intruder finds distributed: the course environment's packages where any account may read them (a
    checkout under /work), else a world-readable copy of distributed and what it needs (a checkout under /root)."""
    purelib = Path(sysconfig.get_path("purelib"))
    if all(folder.stat().st_mode & stat.S_IXOTH for folder in [purelib, *purelib.parents]):
        yield str(purelib)
        return
    copy = Path(tempfile.mkdtemp(prefix="gpt-course-intruder-"))
    try:
        for name in _closure("distributed"):
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


def as_intruder(account: pwd.struct_passwd, packages: str, code: str, *args: str) -> subprocess.CompletedProcess:
    """Python ``code`` run by another account, with the course's packages but no keys of ours."""
    if not SYSTEM_PYTHON.is_file():
        pytest.skip(f"no {SYSTEM_PYTHON} for a second account to run")
    return subprocess.run(
        [str(SYSTEM_PYTHON), "-c", code, *args],
        user=account.pw_uid,
        group=account.pw_gid,
        extra_groups=[],
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": packages},
        cwd="/tmp",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_another_account_cannot_join_the_local_cluster(intruder, packages):
    with cluster_client(1, None, print) as client:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:"), address
        assert client.submit(sum, [1, 2], pure=False).result() == 3  # the instructor's own client works
        attempts = [
            as_intruder(intruder, packages, CONNECT, url) for url in (address, address.replace("tls://", "tcp://"))
        ]
    for attempt in attempts:
        assert attempt.returncode != 0 and "connected" not in attempt.stdout, (attempt.stdout, attempt.stderr[-500:])
        assert "Error" in attempt.stderr, attempt.stderr[-500:]  # refused by the cluster, not a broken interpreter


def test_the_intruder_gets_into_a_cluster_without_tls(intruder, packages):
    """The control: a LocalCluster on loopback with plain TCP, as `--workers N` was, lets the same account in."""
    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as cluster:
        attempt = as_intruder(intruder, packages, CONNECT, cluster.scheduler_address)
    assert attempt.stdout.strip() == "connected", attempt.stderr[-500:]


@pytest.mark.parametrize(
    "address, refusal",
    [
        ("tcp://10.0.0.5:8786", "refusing plain TCP"),
        ("10.0.0.5:8786", "refusing plain TCP"),
        ("tls://10.0.0.5:8786", "give --tls-ca-file, --tls-cert and --tls-key"),
    ],
)
def test_an_unauthenticated_remote_scheduler_is_refused(address, refusal):
    with pytest.raises(BadArgument, match=refusal):
        scheduler_security(address, ca_file=None, cert=None, key=None, insecure=False)


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "localhost:8786", "tcp://[::1]:8786"])
def test_plain_tcp_on_loopback_and_insecure_remote_are_taken(address):
    assert scheduler_security(address, ca_file=None, cert=None, key=None, insecure=False) is None
    assert scheduler_security("tcp://10.0.0.5:8786", ca_file=None, cert=None, key=None, insecure=True) is None


def test_tls_files_make_the_security_settings(tmp_path):
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    for path in files.values():
        path.write_text("not read until connecting")
    security = scheduler_security(
        "tls://10.0.0.5:8786", ca_file=files["ca"], cert=files["cert"], key=files["key"], insecure=False
    )
    assert security.require_encryption and security.tls_client_cert == str(files["cert"])
    with pytest.raises(BadArgument, match="--tls-key too"):
        scheduler_security("tls://10.0.0.5:8786", ca_file=files["ca"], cert=files["cert"], key=None, insecure=False)
    with pytest.raises(BadArgument, match="no such TLS file"):
        scheduler_security(
            "tls://10.0.0.5:8786", ca_file=files["ca"], cert=files["cert"], key=Path("/nowhere"), insecure=False
        )
