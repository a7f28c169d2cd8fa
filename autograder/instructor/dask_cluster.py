"""The Dask cluster that grades: a LocalCluster of single-threaded worker processes on this machine, forked from a
fork server, or a client of an existing cluster (`dask scheduler` and `dask worker` on other machines,
dask-jobqueue on Slurm, dask-kubernetes). What runs on it is `grading_task`; which workers may is `worker_vetting`.
"""

import contextlib
import ipaddress
import multiprocessing
import shutil
import sys
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import dask
import distributed
from distributed.security import Security

from autograder.grading.in_instructor import sandbox
from autograder.instructor.errors import BadArgument

SCHEDULER_VARIABLE = "GPT_COURSE_SCHEDULER"  # the Dask scheduler's address, when --scheduler is not given
# A LocalCluster's worker, forked from a fork server that imported the instructor's main module (FORK_SERVER_PRELOAD),
# runs that module again as its own __mp_main__, as multiprocessing does for every child: runpy's warning that the
# module was imported before is true and harmless here (its definitions are made twice, its main block never runs)
warnings.filterwarnings("ignore", r"'[\w.]+' found in sys.modules after import of package", RuntimeWarning, "runpy")


def scheduler_security(
    address: str, *, ca_file: Path | None, cert: Path | None, key: Path | None, insecure: bool
) -> Security | None:
    """The TLS settings to reach the scheduler at ``address`` with (None: plain TCP), or BadArgument.

    A cluster started as ``dask scheduler --tls-ca-file … --tls-cert … --tls-key …`` (a ``tls://`` address) is
    reached with the instructor's certificate signed by that authority. Plain TCP authenticates nobody: whoever can
    reach the port can run code on the scheduler, in the instructor's name. It is taken on loopback (this machine's
    accounts: the README says so) or where ``insecure`` says the network is the instructor's alone."""
    files = {"--tls-ca-file": ca_file, "--tls-cert": cert, "--tls-key": key}
    if any(files.values()):
        if missing := [option for option, path in files.items() if path is None]:
            raise BadArgument(f"TLS to the Dask scheduler needs {', '.join(missing)} too")
        if unreadable := [str(path) for path in files.values() if not path.is_file()]:
            raise BadArgument(f"no such TLS file: {', '.join(unreadable)}")
        if not address.startswith("tls://"):
            raise BadArgument(f"TLS files were given, but the scheduler's address {address!r} is not tls://")
        return Security(
            tls_ca_file=str(ca_file), tls_client_cert=str(cert), tls_client_key=str(key), require_encryption=True
        )
    if address.startswith("tls://"):
        raise BadArgument(f"{address} is a TLS scheduler: give --tls-ca-file, --tls-cert and --tls-key")
    host = urllib.parse.urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    if not insecure and not _loopback(host):
        raise BadArgument(
            f"refusing plain TCP to the Dask scheduler at {address}: anyone who reaches it can run code as you; "
            "start it with TLS (dask scheduler --tls-ca-file, --tls-cert, --tls-key) and pass the same options, "
            "or say --insecure on a network that is yours alone"
        )
    return None


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@contextlib.contextmanager
def cluster_client(
    workers: int, scheduler: str | None, progress: Callable[[str], None], security: Security | None = None
) -> Iterator[distributed.Client]:
    """A client of the cluster at ``scheduler`` (with ``security``, :func:`scheduler_security`), else of a
    LocalCluster of ``workers`` single-threaded processes.

    The LocalCluster listens on loopback only, and with TLS and a certificate authority made for this run alone
    (`distributed.security.Security.temporary`, held in this process's memory and handed to its workers): no other
    account on the machine can connect to it and run code as the instructor. It runs no dashboard: that needs
    bokeh, which the course does not install, and would open a port on the instructor's machine for every run. A
    cluster's own dashboard is printed when its page answers."""
    if scheduler is None:
        security = Security.temporary()
        with (
            dask.config.set({"distributed.worker.multiprocessing-method": _start_method()}),  # also for restarts
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",  # reachable from this machine only
                dashboard_address=None,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # its health page: any free port, not 8787
                preload=[__name__],  # for dask_teardown
                security=security,
            ) as cluster,
            distributed.Client(cluster, security=security) as client,
        ):
            yield client
        return
    try:
        client = distributed.Client(scheduler, security=security)
    except (OSError, ValueError, TypeError) as error:  # unreachable, or not an address
        raise BadArgument(f"cannot reach the Dask scheduler at {scheduler!r}: {error}") from None
    with client:
        if _answers(client.dashboard_link):
            progress(f"Dask dashboard: {client.dashboard_link}")
        yield client


FORK_SERVER_PRELOAD = (  # what a LocalCluster's workers import before they are forked, in this order
    "autograder.instructor.nbgrader_main",  # first: keeps rfc3987-syntax out of nbgrader's imports (0.9 s of CPU)
    "distributed",
    "autograder.instructor.grading_task",  # the tasks' module, with nbgrader, SQLAlchemy and the sandbox
    __name__,  # this module, the workers' Dask preload (dask_teardown)
    "autograder.instructor.cli",  # what the gpt-course script, a worker's main module then, imports
)


def _start_method() -> str:
    """How a LocalCluster's nannies start their workers: forked from a fork server that imports what the tasks need
    once per instructor's process, for every class it grades. Dask's default, spawn, starts each worker as a new
    Python that imports it all again (two workers' start and environment check: 9 s at load 3 on the course's
    2-core machine, 1.5 s forked, 0.2 s for the next class), and that ends with Python's teardown of every module
    it loaded (2.4 s for two; under heavier load past the nanny's 4 s: "Worker process still alive after 4.0
    seconds, killing"), where a forked one ends with os._exit (0.05 s). Spawn where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        context = distributed.utils.get_mp_context()  # Dask sets its own preload list on its first call: replaced
    # ``python -m module``: the module that each worker imports again as its main module, and what it imports
    main = getattr(getattr(sys.modules["__main__"], "__spec__", None), "name", "")
    own_main = [main] if main and not main.endswith("__main__") else []  # (``pytest.__main__`` would run pytest)
    context.set_forkserver_preload([*FORK_SERVER_PRELOAD, *own_main])  # no effect once the fork server runs
    return "forkserver"


def dask_teardown(worker: distributed.Worker) -> None:
    """Called by Dask as a LocalCluster's worker closes: remove the font list that the sandbox built for its kernels
    (`autograder.grading.in_instructor.sandbox.matplotlib_cache`), whose exit handler a forked process, ending with os._exit,
    never runs."""
    if sandbox.matplotlib_cache.cache_info().currsize and (font_list := sandbox.matplotlib_cache()):
        shutil.rmtree(font_list.parent, ignore_errors=True)  # the folder it made: the configuration folder's parent


def _answers(link: str | None) -> bool:
    """Whether the dashboard's page answers: the scheduler's web server runs also where its dashboard does not
    (``--no-dashboard``, or no bokeh installed)."""
    if not link:
        return False
    try:
        with urllib.request.urlopen(link, timeout=3):
            return True
    except (OSError, ValueError):  # refused, timed out, 404 (HTTPError), no web server at all
        return False
