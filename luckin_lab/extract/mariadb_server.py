"""A throwaway MariaDB server for tests and local trials of the extract.

Debian's ``mariadb-server`` package (``apt-get install mariadb-server``) is enough: the
server is initialised in a temporary data directory, listens on a free local port and a
private socket, logs every statement to a general log (so tests can prove what reached it)
and is stopped by :meth:`MariaDBServer.stop`. Nothing touches a system-wide MariaDB.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pymysql

_SEARCH = [os.environ.get("PATH", ""), "/usr/sbin", "/usr/libexec", "/usr/local/sbin"]


class MariaDBUnavailable(RuntimeError):
    """No MariaDB/MySQL server binaries on this machine, or the server would not start."""


def _which(*names: str) -> str | None:
    path = os.pathsep.join(_SEARCH)
    for name in names:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


def find_binaries() -> tuple[str, str]:
    server = _which("mariadbd", "mysqld")
    install = _which("mariadb-install-db", "mysql_install_db")
    if not server or not install:
        raise MariaDBUnavailable(
            "no MariaDB server found (mariadbd / mariadb-install-db); install Debian's "
            "mariadb-server package: apt-get install -y mariadb-server"
        )
    return server, install


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MariaDBServer:
    """A running private server: TCP on 127.0.0.1:port for clients, a socket for the admin."""

    workdir: Path
    port: int
    process: subprocess.Popen
    host: str = "127.0.0.1"

    @property
    def socket(self) -> Path:
        return self.workdir / "mysqld.sock"

    @property
    def general_log(self) -> Path:
        return self.workdir / "general.log"

    def admin(self, database: str | None = None) -> pymysql.Connection:
        """root over the private socket (install-db's root has no password on the socket)."""
        return pymysql.connect(unix_socket=str(self.socket), user="root", database=database,
                               autocommit=True, charset="utf8mb4", local_infile=True)

    def create_reader(self, user: str, password: str, databases: list[str]) -> None:
        """A SELECT-only account, as the company's read replica would give the team."""
        con = self.admin()
        try:
            with con.cursor() as cur:
                cur.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (user, password))
                for db in databases:
                    cur.execute(f"GRANT SELECT ON `{db}`.* TO %s@'%%'", (user,))
        finally:
            con.close()

    def statements_of(self, user: str) -> list[str]:
        """Every statement the server received from ``user`` (from the general log)."""
        threads: set[str] = set()
        out: list[str] = []
        line_re = re.compile(r"^(?:\d{6}\s+[\d:]+)?\s*(\d+)\s+(Connect|Query|Execute|Prepare|Quit|Init DB"
                             r"|Field List|Statistics|Ping|Change user)\s?(.*)$")
        for raw in self.general_log.read_text(errors="replace").splitlines():
            m = line_re.match(raw.strip("\n"))
            if not m:
                continue
            thread, command, arg = m.groups()
            if command == "Connect" and arg.split("@", 1)[0] == user:
                threads.add(thread)
            elif command in ("Query", "Execute", "Prepare") and thread in threads:
                out.append(arg.strip())
        return out

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(workdir: Path, timeout_s: float = 60.0) -> MariaDBServer:
    """Initialise a data directory under ``workdir`` and start a server on a free port."""
    server_bin, install_bin = find_binaries()
    workdir = Path(workdir)
    datadir = workdir / "data"
    workdir.mkdir(parents=True, exist_ok=True)
    user = ["--user=root"] if os.geteuid() == 0 else []  # mariadbd refuses root without it
    # a private temp dir: the shared /tmp has been seen to lose the bootstrap's temp tables
    tmpdir = workdir / "tmp"
    tmpdir.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    for _attempt in range(2):
        shutil.rmtree(datadir, ignore_errors=True)
        init = subprocess.run(
            [install_bin, "--no-defaults", f"--datadir={datadir}", "--auth-root-authentication-method=normal",
             "--skip-test-db", f"--tmpdir={tmpdir}", *user],
            capture_output=True, text=True, timeout=120, check=False, env=env,
        )
        if init.returncode == 0:
            break
    else:
        raise MariaDBUnavailable(f"{install_bin} failed twice: {init.stderr.strip()[-800:]}")
    port = free_port()
    args = [
        server_bin, "--no-defaults", f"--datadir={datadir}", f"--tmpdir={tmpdir}", f"--socket={workdir / 'mysqld.sock'}",
        f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={workdir / 'mysqld.pid'}",
        f"--log-error={workdir / 'error.log'}", "--skip-log-bin", "--skip-name-resolve",
        "--innodb-buffer-pool-size=256M", "--innodb-log-file-size=256M", "--innodb-flush-log-at-trx-commit=0",
        "--max-allowed-packet=64M", "--local-infile=1", "--innodb-doublewrite=0", "--general-log=1", f"--general-log-file={workdir / 'general.log'}",
        *user,
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env=env)
    server = MariaDBServer(workdir, port, proc)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (workdir / "error.log")
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            raise MariaDBUnavailable(f"mariadbd exited with status {proc.returncode}: {tail}")
        try:
            server.admin().close()
            return server
        except pymysql.err.OperationalError:
            time.sleep(0.2)
    server.stop()
    raise MariaDBUnavailable(f"mariadbd did not accept connections within {timeout_s:g} s")
