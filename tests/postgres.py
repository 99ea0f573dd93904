"""A throwaway PostgreSQL server for tests: `initdb` in a temp folder, on a free port.

Uses the Debian package `postgresql` (`.ci/run` installs it). PostgreSQL refuses to run
as root, so under root the server runs as the `postgres` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.app_server import free_port


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


@contextmanager
def server() -> Iterator[str]:
    """Start PostgreSQL in a new temp folder; yields a connection URL; stops and removes
    it after. (Not pytest's tmp_path: its parents are private to the user running
    the tests, and the server may run as another.)"""
    bin_dir = binaries()
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="smabot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb: "cannot be run as root"
        as_user = ["runuser", "-u", "postgres", "--"]
        os.chmod(root, 0o777)
    data, port = root / "pgdata", free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, cwd="/")

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "smabot", "-A", "trust")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=50"
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(root / "pg.log"),
        "-w",
        "start",
    )
    try:
        yield f"postgresql://smabot@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
