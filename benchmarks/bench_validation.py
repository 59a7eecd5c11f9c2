"""Contract validation of a whole store: time and peak memory, for any store URI and scale.

Issue 19: validation must run inside the engine, so its peak memory stays flat as the data
grow. :func:`validation` opens a store, validates every contract table it holds (checks,
foreign keys) and computes the data fingerprint, in the calling process; run it through
:func:`benchmarks.measure.measure` (fresh interpreters, medians, peak RSS) or
:func:`measure_validation`, e.g. for the scale benchmark::

    from benchmarks.bench_validation import measure_validation
    measure_validation("spark:folder/data/demo/x16/parquet", repeats=1)

On Spark the engine is a JVM beside Python: its peak resident memory is reported apart
(``jvm_peak_mb``), since the driver's RSS alone would hide it.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.measure import Measurement, measure
from luckin_lab.paths import demo_store_dir


def _jvm_peak_mb() -> float | None:
    """Peak resident memory (VmHWM) of this process's Java children (Spark's driver JVM)."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(os.getpid()) and "java" in fields.get("Name", ""):
            peaks.append(int(fields.get("VmHWM", "0 kB").split()[0]) / 1024)
    return max(peaks) if peaks else None


def validation(source: str, tables: list[str] | None = None, as_of: str | None = None) -> dict:
    """Validate every contract table ``source`` holds (or ``tables``) and fingerprint them."""
    from luckin_lab.contracts import all_contracts
    from luckin_lab.sources import open_store

    store = open_store(source, as_of=as_of)
    names = tables or [t for t in all_contracts() if store.has(t)]
    for name in names:
        store.table(name)
    fp = store.fingerprint()
    out = {"tables": len(names), "rows": sum(t["rows"] for t in fp["tables"].values()),
           "fingerprint": fp["sha256_16"]}
    jvm = _jvm_peak_mb()
    if jvm is not None:
        out["jvm_peak_mb"] = jvm
    return out


def measure_validation(source: str, repeats: int = 3, tables: list[str] | None = None,
                       as_of: str | None = None) -> Measurement:
    """Median seconds and peak RSS (MB) of :func:`validation` in fresh processes."""
    return measure(__name__, "validation", repeats, source=source, tables=tables, as_of=as_of)


def run(quick: bool) -> list[dict]:
    from luckin_lab.synth.build import build_store

    rows = []
    scales = ("small",) if quick else ("small", "seed")
    ref = None
    for scale in scales:
        db = demo_store_dir(scale) / "store.duckdb"
        if not db.exists():
            build_store(db.parent, scale=scale)
        load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start"
        m = measure_validation(f"duckdb:{db}", repeats=1 if quick else 3)
        ref = ref or m
        rows.append(dict(
            benchmark="validation (DuckDB)", variant=f"{scale}: every contract table + fingerprint",
            median_s=m.median_s, peak_mb=m.peak_mb,
            ratio=m.peak_mb / ref.peak_mb if ref is not m else None, reference=scales[0],
            target="peak memory flat as the data grow", met=None,
            notes=f"{m.extra['rows']:,} rows in {m.extra['tables']} tables; ratio = peak MB vs "
                  f"{scales[0]}; {load}"))
    return rows
