"""The SELECT-only guard: every statement the extract composes passes here before it may
reach the server; anything that is not one plain, lock-free SELECT is refused locally.

The read replica account should also hold SELECT grants only and the session is set read
only (see :mod:`luckin_lab.extract.connection`); the guard is the first of the three locks,
and the only one that works even when the other two were set up wrong.
"""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp

from luckin_lab.extract.errors import NotSelectError

# Functions that read files, take locks, stall the server or have side effects.
_FORBIDDEN_FUNCTIONS = frozenset(
    {"LOAD_FILE", "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "SLEEP", "BENCHMARK",
     "SYS_EXEC", "SYS_EVAL", "NEXTVAL", "SETVAL", "LASTVAL", "MASTER_POS_WAIT"}
)
_SELECT_TYPES = (exp.Select, exp.Union, exp.Intersect, exp.Except)


def _short(sql: str) -> str:
    one_line = " ".join(sql.split())
    return one_line if len(one_line) <= 120 else one_line[:117] + "..."


def check_select_only(sql: str) -> exp.Expression:
    """Parse ``sql`` (MySQL dialect) and return it if it is exactly one read-only SELECT.

    Refused: several statements, anything that is not a SELECT (INSERT, UPDATE, DELETE, DDL,
    SET, CALL, LOAD DATA ...), SELECT ... INTO, SELECT ... FOR UPDATE / LOCK IN SHARE MODE,
    and functions with side effects. SQL that cannot be parsed is refused too.
    """
    log = logging.getLogger("sqlglot")
    level = log.level
    log.setLevel(logging.ERROR)  # "falling back to parsing as a Command" is our refusal, not noise
    try:
        statements = [s for s in sqlglot.parse(sql, read="mysql") if s is not None]
    except sqlglot.errors.SqlglotError as err:
        raise NotSelectError(
            f"refused to send a statement that could not be parsed as one SELECT: {_short(sql)!r} "
            f"({str(err).splitlines()[0]})"
        ) from None
    finally:
        log.setLevel(level)
    if len(statements) != 1:
        raise NotSelectError(
            f"refused to send {len(statements)} statements in one call; only a single SELECT is "
            f"allowed: {_short(sql)!r}"
        )
    tree = statements[0]
    if not isinstance(tree, _SELECT_TYPES):
        raise NotSelectError(
            f"refused to send a statement of type {tree.key.upper()}; the extract only ever sends "
            f"SELECT to the source: {_short(sql)!r}"
        )
    for node in tree.walk():
        if isinstance(node, exp.Into):
            raise NotSelectError(f"refused SELECT ... INTO (writes data): {_short(sql)!r}")
        if isinstance(node, exp.Lock):
            raise NotSelectError(f"refused a locking read (FOR UPDATE / SHARE): {_short(sql)!r}")
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).upper()
            if name in _FORBIDDEN_FUNCTIONS:
                raise NotSelectError(f"refused function {name}() in a SELECT: {_short(sql)!r}")
        if isinstance(node, exp.Command | exp.Insert | exp.Update | exp.Delete | exp.Create
                      | exp.Drop | exp.Alter | exp.Set):
            raise NotSelectError(f"refused a nested {node.key.upper()}: {_short(sql)!r}")
    return tree
