"""Keeping secrets out of parameters, notebooks, run records, logs and the terminal.

Database passwords live in the environment. A ``sql:`` source URI names them as ``${VAR}``
placeholders; :func:`expand_env` is called only by the store-opening code inside the kernel.
Whatever a library then puts in an error message (the expanded URL, a token in a query
string), :func:`redact` is the one layer every output path goes through: run records, the
executed notebook, the CLI's messages, log lines and uncaught tracebacks.

``redact(text)`` takes arbitrary text, not only a bare URI. It masks

- URL passwords (``scheme://user:pw@``, ``scheme://:pw@``),
- secret-named query or key=value parameters (``password=``, ``access_token=``,
  ``credentials_base64=``, ``private_key=``, ``api_key=``, ...),
- the values of secret environment variables wherever they appear (the ones a source URI
  references plus every variable whose name says password/secret/token/key/credential),
  plain or URL-encoded.

``${VAR}`` placeholders are kept: a placeholder is not a secret.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# scheme://[user]:password@ : the password may be empty-user (``://:pw@``); stop at @ / space
_URL_CREDENTIALS = re.compile(r"(://[^/:@\s'\"]*):([^@\s'\"/]*)@")
_SECRET_NAMES = (
    r"password|passwd|pwd|pass|secret|client_secret|token|access_token|refresh_token|id_token"
    r"|auth_token|api_?key|apikey|access_key|secret_key|private_key|private_key_id"
    r"|credentials?|credentials_base64|credentials_json|sig|signature|sas|session_token"
)
# name=value in a query string, a DSN or a log line (value up to &, ;, space or a quote)
_SECRET_PARAM = re.compile(rf"(?i)\b((?:{_SECRET_NAMES}))=([^&;\s'\"]+)")
_SECRET_ENV_NAME = re.compile(r"(?i)(pass|_pw$|secret|token|api_?key|private_key|credential)")
_MIN_SECRET_LEN = 4  # shorter values would mask ordinary words


def referenced_env(uri: str) -> list[str]:
    """Names of the ``${VAR}`` placeholders in a URI."""
    return _VAR.findall(uri)


def expand_env(uri: str) -> str:
    """Replace ``${VAR}`` placeholders from the environment; a missing variable is an error."""
    missing = [name for name in referenced_env(uri) if name not in os.environ]
    if missing:
        raise KeyError(
            f"source URI references environment variable(s) {missing} that are not set; "
            "export them in the environment of the scheduler (never in a params file)"
        )
    return _VAR.sub(lambda m: os.environ[m.group(1)], uri)


def secret_forms(text: str) -> list[str]:
    """What kinds of literal secret ``text`` carries (empty when none), never the values.

    ``${VAR}`` placeholders do not count: they are how a secret should be written.
    """
    found = []
    for m in _URL_CREDENTIALS.finditer(text):
        if m.group(2) and not _VAR.fullmatch(m.group(2)):
            found.append("a password in the URL (user:password@)")
    for m in _SECRET_PARAM.finditer(text):
        if not _VAR.fullmatch(m.group(2)):
            found.append(f"a '{m.group(1).lower()}=' value")
    return sorted(set(found))


def has_literal_password(text: str) -> bool:
    """True when ``text`` carries a secret that is not a ``${VAR}`` placeholder."""
    return bool(secret_forms(text))


def secret_values(names: Iterable[str] = ()) -> list[str]:
    """Values to mask: the named environment variables plus every secret-named one."""
    keys = set(names) | {k for k in os.environ if _SECRET_ENV_NAME.search(k)}
    values = {os.environ[k] for k in keys if len(os.environ.get(k, "")) >= _MIN_SECRET_LEN}
    encoded = {form for v in values for form in (quote(v, safe=""), quote_plus(v))}
    return sorted(values | encoded, key=len, reverse=True)  # longest first: no partial masks


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every secret replaced by ``***`` (``extra``: more values to mask)."""
    return _redact(text, _masked_values(extra))


def redact_value(value: Any, extra: Iterable[str] = ()) -> Any:
    """:func:`redact` applied to every string inside dicts, lists and tuples (a copy)."""
    values = _masked_values(extra)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return _redact(v, values)
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return type(v)(walk(x) for x in v)
        return v

    return walk(value)


def redact_in_place(doc: Any, extra: Iterable[str] = (), skip_keys: tuple[str, ...] = ()) -> None:
    """Redact every string inside nested dicts/lists in place (e.g. a notebook node).

    Keys starting with one of ``skip_keys`` are left alone (base64 images are not text).
    """
    values = _masked_values(extra)
    stack = [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, v in list(items):
            if isinstance(key, str) and skip_keys and key.startswith(skip_keys):
                continue
            if isinstance(v, str):
                clean = _redact(v, values)
                if clean is not v:
                    node[key] = clean
            elif isinstance(v, dict | list):
                stack.append(v)


def _masked_values(extra: Iterable[str]) -> list[str]:
    values = {v for v in extra if isinstance(v, str) and len(v) >= _MIN_SECRET_LEN}
    values |= {form for v in list(values) for form in (quote(v, safe=""), quote_plus(v))}
    return sorted(values | set(secret_values()), key=len, reverse=True)


def _redact(text: str, values: list[str]) -> str:
    if not isinstance(text, str) or not text:
        return text
    original = text
    for value in values:
        if value in text:
            text = text.replace(value, MASK)

    def _url(m: re.Match) -> str:
        password = m.group(2)
        keep = not password or password == MASK or _VAR.fullmatch(password)
        return m.group(0) if keep else f"{m.group(1)}:{MASK}@"

    def _param(m: re.Match) -> str:
        return m.group(0) if _VAR.fullmatch(m.group(2)) or m.group(2) == MASK else f"{m.group(1)}={MASK}"

    if "://" in text:
        text = _URL_CREDENTIALS.sub(_url, text)
    if "=" in text:
        text = _SECRET_PARAM.sub(_param, text)
    return original if text == original else text


_previous_factory = None


def install_log_redaction() -> None:
    """Redact every log record this process creates, whatever logger or handler emits it.

    A record factory sees each record once, at creation, so no handler can print the raw
    message; a traceback attached to the record is formatted and redacted here too.
    """
    global _previous_factory
    if _previous_factory is not None:
        return
    _previous_factory = logging.getLogRecordFactory()
    base = _previous_factory

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return record
        record.msg, record.args = redact(message), ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
