"""The Dask cluster that grades lets no other account in: `--workers N` listens with TLS and a certificate authority
made for the run, and `--scheduler` takes a real cluster's TLS files or refuses plain TCP off this machine."""

import pwd
import subprocess
from collections.abc import Iterator
from pathlib import Path

import distributed
import pytest

from autograder.instructor.dask_cluster import cluster_client, scheduler_security
from autograder.instructor.errors import BadArgument
from tests.support import unix_accounts

pytestmark = pytest.mark.dask

INTRUDER = "gpt-course-intruder"  # a second, real Unix account on the grading machine, as a student has one
CONNECT = "import sys, distributed; distributed.Client(sys.argv[1], timeout=5); print('connected')"


@pytest.fixture(scope="module")
def intruder() -> pwd.struct_passwd:
    unix_accounts.require_root()
    return unix_accounts.make_account(INTRUDER)


@pytest.fixture(scope="module")
def packages() -> Iterator[str]:
    with unix_accounts.packages_for("distributed") as folder:
        yield folder


def as_intruder(account: pwd.struct_passwd, packages: str, code: str, *args: str) -> subprocess.CompletedProcess:
    """Python ``code`` run by another account, with the course's packages but no keys of ours."""
    return unix_accounts.run_as(account, ["-c", code, *args], home=Path("/tmp"), packages=packages)


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
