"""A real PostgreSQL server for the sweep tests, started in a temporary folder on a free
loopback port (never mocked): `initdb`, `pg_ctl start`, `createdb`, and `pg_ctl stop` at
teardown. Run as root (CI's containers), the server runs as the `postgres` user, which
PostgreSQL insists on."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(root: Path) -> Iterator[str]:
    """A database URL on a fresh server under `root`; the server stops on exit."""
    initdb, pg_ctl, createdb = binary("initdb"), binary("pg_ctl"), binary("createdb")
    assert initdb and pg_ctl and createdb, "PostgreSQL's initdb/pg_ctl are not installed (Debian: apt-get install postgresql)"
    prefix: list[str] = []
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:  # PostgreSQL refuses to run as root
        user = "postgres"
        prefix = ["runuser", "-u", user, "--"]
    root.mkdir(parents=True, exist_ok=True)
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if prefix:
        entry = pwd.getpwnam(user)
        for p in (root, sock):
            os.chown(p, entry.pw_uid, entry.pw_gid)
        root.chmod(0o755)
        for parent in root.parents:  # the server must reach its folder
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)
    port = _free_port()
    subprocess.run([*prefix, initdb, "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
    subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True, timeout=90)
    try:
        subprocess.run([*prefix, createdb, "-h", "127.0.0.1", "-p", str(port), "-U", user, "sweeps"], check=True, capture_output=True, timeout=60)
        yield f"postgresql://{user}@127.0.0.1:{port}/sweeps"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
