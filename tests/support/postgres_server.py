"""A PostgreSQL server of the test's own: the system's initdb and pg_ctl (Debian's package ``postgresql``) on a
data directory in a fresh temporary folder, listening on loopback at a free port and on a unix socket in that
folder, every connection trusted. PostgreSQL refuses to run as root: as root it runs as the ``postgres``
user, through runuser."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.support.loopback import free_port

START_SECONDS = 60


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's newest /usr/lib/postgresql/<version>/bin."""
    if initdb := shutil.which("initdb"):
        return Path(initdb).parent
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    return found[-1].parent if found else None


def unavailable() -> str | None:
    """Why no server can start here, or None."""
    if binaries() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
    if os.geteuid() == 0 and not (shutil.which("runuser") and _postgres_user()):
        return "running as root, and no postgres user and runuser to run PostgreSQL as another user"
    return None


def _postgres_user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


class PostgresServer:
    def __init__(self):
        # in the system's /tmp, which the postgres user can traverse (pytest's folders are root's alone)
        self.folder = Path(tempfile.mkdtemp(prefix="gpt-course-postgres-", dir="/tmp"))
        self.port = free_port()
        self._as_owner = []
        if os.geteuid() == 0:
            user = _postgres_user()
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as_owner = ["runuser", "-u", "postgres", "--"]
        data, bin_directory = self.folder / "data", binaries()
        self._run(bin_directory / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run(
            bin_directory / "pg_ctl", "-D", data, "-l", self.folder / "server.log", "-o", options,
            "-w", "-t", str(START_SECONDS), "start",
        )  # fmt: skip
        self._pg_ctl = [bin_directory / "pg_ctl", "-D", data]

    def _run(self, *argv) -> None:
        result = subprocess.run(
            [*self._as_owner, *map(str, argv)], capture_output=True, text=True, timeout=START_SECONDS * 2
        )
        log = self.folder / "server.log"
        assert result.returncode == 0, f"{argv[0]} failed:\n{result.stdout}{result.stderr}" + (
            log.read_text() if log.is_file() else ""
        )

    def create_database(self, name: str) -> str:
        """A new, empty database; its SQLAlchemy URL (the psycopg 3 driver)."""
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run(*self._pg_ctl, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
