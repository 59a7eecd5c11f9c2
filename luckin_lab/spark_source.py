"""Spark sources: the contract tables read through a SparkSession, for data past one machine.

``spark:folder/<dir>`` reads a folder of Parquet files (or folders of Parquet parts) named
after the contract tables, exactly like ``folder:``; ``spark:catalog/<db>`` reads the tables
of a catalog database (Hive metastore, Unity, Glue); ``open_store(session=spark)`` uses a
session a notebook already holds. Which cluster runs the work is Spark's own business: the
master URL and settings come from ``LUCKIN_LAB_SPARK_MASTER`` / ``LUCKIN_LAB_SPARK_CONF`` or
from ``spark-defaults.conf`` (``$SPARK_CONF_DIR``), so the same source string points at a
laptop or a cluster. Without either, Spark runs locally on two cores (``local[2]``).

pyspark is an optional extra (``pip install '.[spark]'``) and needs a Java runtime
(Debian: ``openjdk-17-jre-headless``); both are checked here with a message saying so.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import ibis

DEFAULT_MASTER = "local[2]"
_SETTINGS = {  # quiet, small local defaults; spark-defaults or LUCKIN_LAB_SPARK_CONF override
    "spark.ui.showConsoleProgress": "false",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
}


class SparkUnavailable(RuntimeError):
    """pyspark or Java is missing: the message says what to install."""


def spark_available() -> str | None:
    """None when Spark can start here, else the reason it cannot (for skips and errors)."""
    try:
        import pyspark  # noqa: F401
    except ModuleNotFoundError:
        return "pyspark is not installed (pip install '.[spark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime (Debian: apt-get install openjdk-17-jre-headless)"
    return None


def spark_defaults() -> dict[str, str]:
    """Settings of ``spark-defaults.conf`` in ``$SPARK_CONF_DIR`` (or ``$SPARK_HOME/conf``)."""
    folder = os.environ.get("SPARK_CONF_DIR") or (
        os.environ.get("SPARK_HOME") and str(Path(os.environ["SPARK_HOME"]) / "conf"))
    path = Path(folder) / "spark-defaults.conf" if folder else None
    if path is None or not path.is_file():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, value = (re.split(r"\s*[=:\s]\s*", line, maxsplit=1) + [""])[:2]
            out[key] = value
    return out


def _env_settings() -> dict[str, str]:
    """``LUCKIN_LAB_SPARK_CONF="spark.executor.memory=8g,spark.sql.shuffle.partitions=200"``."""
    text = os.environ.get("LUCKIN_LAB_SPARK_CONF", "")
    pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
    bad = [p[0] for p in pairs if len(p) != 2]
    if bad:
        raise ValueError(f"LUCKIN_LAB_SPARK_CONF: {bad} are not key=value settings")
    return {k.strip(): v.strip() for k, v in pairs}


def spark_session() -> Any:
    """The active SparkSession, or a new one configured from the environment.

    Master: ``LUCKIN_LAB_SPARK_MASTER``, else ``spark.master`` of spark-defaults.conf, else
    ``local[2]``. Settings: this module's quiet defaults, then spark-defaults.conf (Spark
    reads it itself), then ``LUCKIN_LAB_SPARK_CONF``.
    """
    reason = spark_available()
    if reason:
        raise SparkUnavailable(f"cannot open a Spark source: {reason}")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    defaults = spark_defaults()
    builder = SparkSession.builder.appName("luckin-lab")
    master = os.environ.get("LUCKIN_LAB_SPARK_MASTER") or defaults.get("spark.master") or DEFAULT_MASTER
    builder = builder.master(master)
    for key, value in {**{k: v for k, v in _SETTINGS.items() if k not in defaults},
                       **_env_settings()}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def connect(session: Any | None = None) -> ibis.BaseBackend:
    """An Ibis backend over ``session`` (default: :func:`spark_session`)."""
    return ibis.pyspark.connect(session if session is not None else spark_session())


def open_spark(location: str, session: Any | None = None) -> tuple[ibis.BaseBackend, dict[str, str], str | None]:
    """``folder/<dir>`` or ``catalog/<db>``: the backend, table name -> engine name, database."""
    kind, _, where = location.partition("/")
    if kind == "folder" and where:
        con = connect(session)
        return con, _register_folder(con, Path(where)), None
    if kind == "catalog" and where:
        con = connect(session)
        try:
            names = con.list_tables(database=where)
        except Exception as err:
            raise ValueError(f"Spark catalog has no database '{where}' ({type(err).__name__}); "
                             f"databases: {con.list_databases()}") from None
        return con, {t: t for t in names}, where
    if kind == "session" and not where and session is not None:
        con = connect(session)
        return con, {t: t for t in con.list_tables()}, None
    raise ValueError(f"unknown Spark source 'spark:{location}'; use spark:folder/<dir> "
                     "(Parquet files named after the contract tables) or spark:catalog/<database>")


def instant_columns(con: ibis.BaseBackend, table: str, database: str | None = None) -> frozenset[str]:
    """Columns Spark stores as instants (``TIMESTAMP``, i.e. with local time zone).

    Ibis shows them as plain timestamps, read in the session's zone (UTC); the contract's
    timezone rule converts them to store-local wall-clock time, as it does for a
    timezone-aware column on DuckDB. ``TIMESTAMP_NTZ`` columns (naive Parquet) are wall-clock
    time already.
    """
    from pyspark.sql.types import TimestampType

    name = f"{database}.{table}" if database else table
    schema = con._session.table(name).schema
    return frozenset(f.name for f in schema.fields if isinstance(f.dataType, TimestampType))


def _register_folder(con: ibis.BaseBackend, folder: Path) -> dict[str, str]:
    """Each table's Parquet file or folder of parts as a temporary view with a unique name,
    so two stores in one session never see each other's tables."""
    from luckin_lab.sources import SourceError, check_folder

    candidates = check_folder(folder)
    csv = sorted(f.name for (f,) in candidates.values() if f.suffix == ".csv")
    if csv:
        raise SourceError(f"spark:folder reads Parquet only; {folder} holds CSV files {csv}: "
                          "read them with folder:, or convert them to Parquet")
    token = uuid.uuid4().hex[:8]
    views = {}
    for name, (f,) in candidates.items():
        view = f"{name}_{token}"
        con.read_parquet(str(f.resolve()), table_name=view)
        views[name] = view
    return views
