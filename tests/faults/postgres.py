"""A throwaway PostgreSQL cluster for the fault tests: restarted at will, never the shared one.

It runs as the ``postgres`` OS user when the tests run as root (initdb refuses root), on a free
loopback port, in a private temporary directory, with fsync off.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.db import connection


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    def __init__(self):
        bindir = _bindir()
        if bindir is None:
            message = "needs the PostgreSQL server binaries (initdb, pg_ctl)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="pmh-faults-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        try:
            if self.as_postgres:
                shutil.chown(self.base, "postgres")
            self._server(
                "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync",
            )  # fmt: skip
            self.pg_ctl("start", "-l", self.base / "server.log", "-o", self._options())
        except BaseException:
            shutil.rmtree(self.base, ignore_errors=True)
            raise

    def _options(self) -> str:
        return f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"

    def _server(self, tool: str, *args) -> None:
        command = [str(self.bindir / tool), *map(str, args)]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, timeout=60, check=False)
        if done.returncode:
            server_log = self.base / "server.log"
            log = server_log.read_text(errors="replace")[-2000:] if server_log.exists() else ""
            raise AssertionError(f"{tool} failed: {done.stderr.decode(errors='replace')}\n{log}")

    def pg_ctl(self, action: str, *args) -> None:
        self._server("pg_ctl", action, "-D", self.data, "-w", "-s", *args)

    def restart(self, mode: str = "fast") -> None:
        """Stop (closing every session) and start again on the same port."""
        self.pg_ctl("restart", "-m", mode, "-l", self.base / "server.log", "-o", self._options())

    def url(self, name: str = "pmh") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def copy_of_test_database(self, name: str = "pmh") -> str:
        """A copy of the test database as it is now (schema and committed rows)."""
        db = connection.settings_dict
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        dump = subprocess.Popen(
            [
                str(self.bindir / "pg_dump"), "-Fc", "-h", db["HOST"] or "127.0.0.1",
                "-p", str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"],
            ],
            stdout=subprocess.PIPE,
            env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
        )  # fmt: skip
        subprocess.run(
            [str(self.bindir / "pg_restore"), "--no-owner", "-d", self.url(name)],
            stdin=dump.stdout,
            check=True,
            capture_output=True,
            timeout=60,
        )
        assert dump.wait(timeout=60) == 0, "pg_dump failed"
        return self.url(name)

    def query(self, sql: str, *params, name: str = "pmh"):
        with psycopg.connect(self.url(name), autocommit=True) as conn:
            return conn.execute(sql, params).fetchone()

    def destroy(self) -> None:
        try:
            self.pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
