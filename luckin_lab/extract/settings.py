"""Connection settings of a MySQL source: from environment variables or the git-ignored
``.luckin_lab.local.yaml``, never from params files, mapping files or notebooks.

Environment variables win over the local file, so a scheduler can inject secrets without a
file on disk. For a source named ``company``::

    LUCKIN_LAB_COMPANY_HOST, LUCKIN_LAB_COMPANY_PORT, LUCKIN_LAB_COMPANY_USER,
    LUCKIN_LAB_COMPANY_PASSWORD, LUCKIN_LAB_COMPANY_QUERY_TIMEOUT (seconds),
    LUCKIN_LAB_COMPANY_CONNECT_TIMEOUT (seconds), LUCKIN_LAB_COMPANY_SSL_CA (file)

and ``LUCKIN_LAB_PII_KEY`` (the key for ``--pii hash``). The local file has the same fields::

    sources:
      company: {host: replica.internal, port: 3306, user: ds_reader, password: "...",
                query_timeout_s: 300}
    pii_key: "..."
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from luckin_lab.extract.errors import SettingsError
from luckin_lab.paths import ROOT

LOCAL_CONFIG = ".luckin_lab.local.yaml"
_FIELDS_FROM_ENV = {
    "HOST": "host",
    "PORT": "port",
    "USER": "user",
    "PASSWORD": "password",
    "QUERY_TIMEOUT": "query_timeout_s",
    "CONNECT_TIMEOUT": "connect_timeout_s",
    "SSL_CA": "ssl_ca",
}


class ConnectionSettings(BaseModel):
    """Where and as whom to connect; the password is a SecretStr so it never prints."""

    model_config = ConfigDict(extra="forbid")

    source: str
    host: str
    port: int = Field(3306, ge=1, le=65535)
    user: str
    password: SecretStr = SecretStr("")
    connect_timeout_s: float = Field(10.0, gt=0)
    query_timeout_s: float = Field(300.0, gt=0, description="per SELECT, enforced by the server")
    ssl_ca: str | None = None

    def where(self) -> str:
        return f"{self.host}:{self.port}"


def local_config_path() -> Path:
    return Path(os.environ.get("LUCKIN_LAB_LOCAL_CONFIG", ROOT / LOCAL_CONFIG))


def _read_local(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise SettingsError(f"{path} is not valid YAML: {err}") from None
    if not isinstance(doc, dict):
        raise SettingsError(f"{path} must be a mapping with a 'sources' section")
    return doc


def env_prefix(source: str) -> str:
    return "LUCKIN_LAB_" + re.sub(r"[^A-Za-z0-9]", "_", source).upper() + "_"


def load_settings(
    source: str, env: Mapping[str, str] | None = None, config_path: Path | None = None
) -> ConnectionSettings:
    """Settings of ``source``: local file first, then environment variables on top."""
    env = os.environ if env is None else env
    path = config_path or local_config_path()
    raw = dict((_read_local(path).get("sources") or {}).get(source) or {})
    prefix = env_prefix(source)
    for suffix, name in _FIELDS_FROM_ENV.items():
        if prefix + suffix in env:
            raw[name] = env[prefix + suffix]
    missing = [f for f in ("host", "user") if not raw.get(f)]
    if missing:
        names = ", ".join(prefix + f.upper() for f in missing)
        raise SettingsError(
            f"no {' and '.join(missing)} configured for source '{source}': set {names} "
            f"(and {prefix}PASSWORD) in the environment, or add sources.{source} to {path} "
            "(git-ignored). Connection settings are never read from params or mapping files."
        )
    try:
        return ConnectionSettings(source=source, **raw)
    except ValidationError as err:
        raise SettingsError(f"bad connection settings for source '{source}': {err}") from None


def pii_key(env: Mapping[str, str] | None = None, config_path: Path | None = None) -> bytes | None:
    """The secret key for hashing PII (``LUCKIN_LAB_PII_KEY`` or ``pii_key`` in the local file)."""
    env = os.environ if env is None else env
    value = env.get("LUCKIN_LAB_PII_KEY") or _read_local(config_path or local_config_path()).get("pii_key")
    return str(value).encode() if value else None
