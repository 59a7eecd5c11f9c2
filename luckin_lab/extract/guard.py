"""The SELECT-only guard: every statement the extract composes passes here before it may
reach the server; anything that is not one plain, lock-free SELECT is refused locally.

The read replica account should also hold SELECT grants only and the session is set read
only (see :mod:`luckin_lab.extract.connection`); the guard is the first of the three locks,
and the only one that works even when the other two were set up wrong.

MySQL and MariaDB *execute* the text of ``/*! ... */`` and ``/*M! ... */`` comments, and
MySQL's idea of where a ``--`` comment starts differs from a parser's, so the guard refuses
every comment rather than trying to read past it: the extract never writes one.
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.mysql import MySQL

from luckin_lab.extract.errors import NotSelectError

# Functions that read files, take or wait for locks, stall the server or have side effects.
_FORBIDDEN_FUNCTIONS = frozenset({
    "LOAD_FILE", "SLEEP", "BENCHMARK",
    "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "IS_FREE_LOCK", "IS_USED_LOCK",
    "MASTER_POS_WAIT", "SOURCE_POS_WAIT", "MASTER_GTID_WAIT", "WAIT_FOR_EXECUTED_GTID_SET",
    "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS", "SYS_EXEC", "SYS_EVAL", "NEXTVAL", "SETVAL", "LASTVAL",
})
# Any other function whose name says it waits, locks or sleeps is refused too.
_FORBIDDEN_PATTERN = re.compile(r"WAIT|LOCK|SLEEP|BENCHMARK")
# Functions the parser does not know are allowed only from this read-only list: an unknown
# name may be a stored function, and stored functions can write.
_KNOWN_READ_ONLY = frozenset({
    "VERSION", "DATABASE", "SCHEMA", "CURRENT_USER", "USER", "CONNECTION_ID", "FOUND_ROWS",
    "IFNULL", "UNIX_TIMESTAMP", "FROM_UNIXTIME", "CONVERT_TZ", "CRC32", "MD5", "SHA1", "SHA2",
    "HEX", "UNHEX", "FIELD", "DATE_FORMAT",
})
_SELECT_TYPES = (exp.Select, exp.Union, exp.Intersect, exp.Except)
_WRITES = (exp.Command, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter,
           exp.Set, exp.Merge)
_EXECUTABLE_COMMENT = re.compile(r"/\*\s*(M!|!|\+)", re.I)
MAX_DEPTH = 32  # parentheses: far beyond any statement the extract writes, within the parser's stack


def _short(sql: str) -> str:
    one_line = " ".join(sql.split())
    return one_line if len(one_line) <= 120 else one_line[:117] + "..."


def _check_tokens(sql: str) -> None:
    """Refusals that must happen before parsing: comments, user variables, OUTFILE, depth."""
    if _EXECUTABLE_COMMENT.search(sql):
        raise NotSelectError(
            f"refused an executable comment (/*! ... */, /*M! ... */ or a /*+ hint */: MySQL "
            f"runs its text): {_short(sql)!r}")
    try:
        tokens = MySQL().tokenizer_class().tokenize(sql)
    except sqlglot.errors.SqlglotError as err:
        raise NotSelectError(f"refused a statement that could not be read: {_short(sql)!r} "
                             f"({str(err).splitlines()[0]})") from None
    depth = 0
    types = sqlglot.tokens.TokenType
    for tok in tokens:
        if tok.comments:
            raise NotSelectError(f"refused a statement with a comment (the extract never sends "
                                 f"one; MySQL may execute it): {_short(sql)!r}")
        if tok.token_type == types.COLON_EQ:
            raise NotSelectError(f"refused a user-variable assignment (:=): {_short(sql)!r}")
        if tok.token_type in (types.VAR, types.INTO) and tok.text.upper() in ("OUTFILE", "DUMPFILE"):
            raise NotSelectError(f"refused SELECT ... INTO {tok.text.upper()} (writes a file): "
                                 f"{_short(sql)!r}")
        if tok.token_type == types.L_PAREN:
            depth += 1
            if depth > MAX_DEPTH:
                raise NotSelectError(f"refused a statement nested deeper than {MAX_DEPTH} levels: "
                                     f"{_short(sql)!r}")
        elif tok.token_type == types.R_PAREN:
            depth -= 1


def _function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).upper()


def check_select_only(sql: str) -> exp.Expression:
    """Parse ``sql`` (MySQL dialect) and return it if it is exactly one read-only SELECT.

    Refused: several statements, anything that is not a SELECT (INSERT, UPDATE, DELETE, DDL,
    SET, CALL, LOAD DATA ...), comments (MySQL executes ``/*! */``), SELECT ... INTO (a
    variable, OUTFILE, DUMPFILE), FOR UPDATE / LOCK IN SHARE MODE, user-variable assignment,
    functions that sleep, lock, wait or have side effects, functions the guard does not know,
    and nesting deeper than :data:`MAX_DEPTH`. SQL that cannot be parsed is refused too.
    """
    _check_tokens(sql)
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
    except RecursionError:
        raise NotSelectError(f"refused a statement too deeply nested to check: {_short(sql)!r}") from None
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
        if isinstance(node, exp.PropertyEQ):
            raise NotSelectError(f"refused a user-variable assignment (:=): {_short(sql)!r}")
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name in _FORBIDDEN_FUNCTIONS or _FORBIDDEN_PATTERN.search(name):
                raise NotSelectError(f"refused function {name}() in a SELECT: {_short(sql)!r}")
            if isinstance(node, exp.Anonymous) and name not in _KNOWN_READ_ONLY:
                raise NotSelectError(
                    f"refused function {name}(), which the guard does not know as read-only "
                    f"(it may be a stored function that writes): {_short(sql)!r}")
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            raise NotSelectError(f"refused a stored function call: {_short(sql)!r}")
        if isinstance(node, _WRITES):
            raise NotSelectError(f"refused a nested {node.key.upper()}: {_short(sql)!r}")
    return tree
