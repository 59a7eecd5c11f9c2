"""Keeping secrets out of parameters, notebooks and run records.

Database passwords live in the environment. A ``sql:`` source URI names them as ``${VAR}``
placeholders; :func:`expand_env` is called only by the store-opening code inside the kernel,
so the expanded value is never written into an executed notebook or a run record.
"""

from __future__ import annotations

import os
import re

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_URL_CREDENTIALS = re.compile(r"(://[^/:@\s]+):([^@\s]*)@")
_QUERY_PASSWORD = re.compile(r"(?:password|passwd|pwd)=([^&\s]+)", re.I)


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


def has_literal_password(text: str) -> bool:
    """True when a URI carries a password that is not a ``${VAR}`` placeholder."""
    found = [m.group(2) for m in _URL_CREDENTIALS.finditer(text)]
    found += _QUERY_PASSWORD.findall(text)
    return any(p and not _VAR.fullmatch(p) for p in found)


def redact(uri: str) -> str:
    """The URI with any password replaced by ``***`` (placeholders are kept: they are not secret)."""
    def _mask(m: re.Match) -> str:
        password = m.group(2)
        return m.group(0) if _VAR.fullmatch(password) else f"{m.group(1)}:***@"

    return _URL_CREDENTIALS.sub(_mask, uri)
