"""A read-only session on the source over SQLAlchemy + PyMySQL.

Three locks keep the replica safe: every statement this code composes goes through
:func:`~luckin_lab.extract.guard.check_select_only` before it is sent; the session is set
``TRANSACTION READ ONLY`` with a server-side statement timeout (MariaDB
``max_statement_time``, MySQL ``max_execution_time``), which are the only non-SELECT
statements sent, from a fixed template; and the account should hold SELECT grants only.
Driver errors become :mod:`~luckin_lab.extract.errors` with the host, user and table named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from luckin_lab.extract.errors import (
    ExtractError,
    SourceAuthError,
    SourceSchemaError,
    SourceTimeout,
    SourceUnreachable,
)
from luckin_lab.extract.guard import check_select_only
from luckin_lab.extract.settings import ConnectionSettings, env_prefix

# MySQL / MariaDB error codes we explain (client 2xxx, server 1xxx / 3xxx / 4xxx)
_UNREACHABLE = {2002, 2003, 2005, 2006}
_AUTH = {1044, 1045, 1142, 1143, 1227, 1698}
_MISSING = {1049, 1054, 1146}
_TIMEOUT = {1969, 3024, 2013}


def _code(err: BaseException) -> int | None:
    orig = getattr(err, "orig", err)
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _driver_message(err: BaseException) -> str:
    orig = getattr(err, "orig", err)
    args = getattr(orig, "args", ())
    return str(args[1]) if len(args) > 1 else str(orig)


def quote(identifier: str) -> str:
    """Backtick-quote a plain identifier (mapping identifiers are checked to be plain)."""
    return "`" + identifier.replace("`", "``") + "`"


class ReadOnlySession:
    """One read-only session; use ``with ReadOnlySession(settings) as s: s.select(...)``."""

    def __init__(self, settings: ConnectionSettings):
        self.settings = settings
        self.server_version = ""
        self._conn: sa.Connection | None = None
        connect_args: dict[str, Any] = {
            "connect_timeout": max(1, int(round(settings.connect_timeout_s))),
            # client-side backstop if the server-side timeout is not honoured
            "read_timeout": int(settings.query_timeout_s) + 30,
            "write_timeout": 60,
            "charset": "utf8mb4",
        }
        if settings.ssl_ca:
            connect_args["ssl"] = {"ca": settings.ssl_ca}
        url = URL.create(
            "mysql+pymysql",
            username=settings.user,
            password=settings.password.get_secret_value() or None,
            host=settings.host,
            port=settings.port,
        )
        self.engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)

    # -- session ------------------------------------------------------------------------
    def __enter__(self) -> ReadOnlySession:
        try:
            self._conn = self.engine.connect()
        except sa.exc.DBAPIError as err:
            raise self._translate(err, context="connecting") from None
        version = self.select("SELECT VERSION()")[1][0][0]
        self.server_version = str(version)
        self._configure_session()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
        self.engine.dispose()

    @property
    def is_mariadb(self) -> bool:
        return "mariadb" in self.server_version.lower()

    def _configure_session(self) -> None:
        """Read-only transactions and a server-side timeout: fixed statements, no input."""
        timeout = float(self.settings.query_timeout_s)
        if self.is_mariadb:
            setup = [f"SET SESSION max_statement_time = {timeout:.3f}"]
        else:
            setup = [f"SET SESSION max_execution_time = {int(timeout * 1000)}"]
        setup.append("SET SESSION TRANSACTION READ ONLY")
        assert self._conn is not None
        try:
            for stmt in setup:
                self._conn.exec_driver_sql(stmt)
            self._conn.rollback()  # end the implicit transaction so READ ONLY applies from here
        except sa.exc.DBAPIError as err:
            raise self._translate(err, context="setting up the read-only session") from None

    # -- queries ------------------------------------------------------------------------
    def select(
        self, sql: str, params: Mapping[str, Any] | None = None, context: str = ""
    ) -> tuple[list[str], Sequence[tuple]]:
        """Run one guarded SELECT; returns (column names, rows as tuples)."""
        check_select_only(sql)
        if self._conn is None:
            raise ExtractError("the session is closed; use ReadOnlySession as a context manager")
        try:
            result = self._conn.execute(sa.text(sql), dict(params or {}))
            names = list(result.keys())
            rows = [tuple(r) for r in result.fetchall()]
            self._conn.rollback()  # no long-lived snapshot transaction on the replica
            return names, rows
        except sa.exc.DBAPIError as err:
            raise self._translate(err, context=context) from None

    def _translate(self, err: sa.exc.DBAPIError, context: str) -> ExtractError:
        s = self.settings
        code = _code(err)
        msg = _driver_message(err)
        where = f" while {context}" if context else ""
        prefix = env_prefix(s.source)
        if code in _UNREACHABLE or (code is None and "connect" in msg.lower()):
            return SourceUnreachable(
                f"cannot reach the MySQL server of source '{s.source}' at {s.where()}{where}: "
                f"{msg} (check {prefix}HOST / {prefix}PORT, VPN and firewall)"
            )
        if code in _AUTH:
            return SourceAuthError(
                f"the server at {s.where()} refused user '{s.user}'{where}: {msg} "
                f"(check {prefix}USER / {prefix}PASSWORD and the account's SELECT grants)"
            )
        if code in _MISSING:
            return SourceSchemaError(f"source '{s.source}' at {s.where()}{where}: {msg}")
        if code in _TIMEOUT:
            return SourceTimeout(
                f"a query on source '{s.source}'{where} ran longer than the per-query timeout of "
                f"{s.query_timeout_s:g} s ({msg}); raise {prefix}QUERY_TIMEOUT or lower chunk_rows"
            )
        return ExtractError(f"source '{s.source}' at {s.where()}{where}: MySQL error {code}: {msg}")
