"""DuckDB and Spark local[2] on the same Parquet as the data grow: validation and the marts.

Sizes: the small, seed and large single-market stores (`synth --parquet`) and a chain of 16
seed-size markets (`synth --scale x16`, 176 stores). Each cell runs in a fresh process on the
same Parquet folder (`folder:` for DuckDB, `spark:folder/` for Spark):

- `validation`: every company contract table the store holds, checked as `luckin-lab validate`
  does (contract, foreign keys);
- `marts`: the transform calls of tests/engine_parity.py (revenue orders, store weeks, customer
  profiles, failure spells, demand panels, campaign frames, site cells), each executed to pandas;
  the tables they read are validated on first use, so this includes their validation.

Peak memory is the process tree's (the Python driver plus Spark's JVM), sampled every 0.2 s;
a run past ``MEMORY_CAP_MB`` or ``CELL_TIMEOUT_S`` is stopped and reported as such. Spark gets a 6 GB driver heap
(local mode runs the executors in the driver). The issue's target: validation's peak at 16x
seed within 1.5x of its seed peak, on both engines.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.measure import measure

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "engines"
SIZES = {"small": "small", "seed": "seed", "large": "large", "16x seed": "x16"}
ENGINES = ("duckdb", "spark")
MEMORY_CAP_MB = 12_000
CELL_TIMEOUT_S = float(os.environ.get("BENCH_ENGINES_TIMEOUT_S", 1800))  # per run
SPARK_CONF = "spark.driver.memory=6g"


def store_folder(size: str) -> Path:
    """The Parquet folder of a size, built once under benchmarks/out/engines/."""
    scale = SIZES[size]
    out = OUT / scale
    folder = out / "parquet"
    done = out / ("chain.json" if scale.startswith("x") else "manifest.json")
    if not done.exists() and out.exists():
        raise RuntimeError(f"{out} is being built or its build was interrupted (no {done.name}); "
                           "wait for it, or remove it to rebuild")
    if not done.exists():
        cmd = [str(Path(sys.executable).parent / "luckin-lab"), "synth", "--scale", scale, "--out", str(out)]
        subprocess.run(cmd + ([] if scale.startswith("x") else ["--parquet"]), check=True)
    return folder


def _uri(engine: str, folder: str) -> str:
    return f"spark:folder/{folder}" if engine == "spark" else f"folder:{folder}"


class _TreePeak:
    """Peak resident memory of this process and its children (Spark's JVM), with a cap."""

    def __init__(self, cap_mb: float) -> None:
        import psutil

        self.proc, self.cap, self.peak = psutil.Process(), cap_mb, 0.0
        threading.Thread(target=self._watch, daemon=True).start()

    def _rss_mb(self) -> float:
        total = self.proc.memory_info().rss
        for child in self.proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except Exception:  # noqa: BLE001 - a child that just ended
                pass
        return total / 2**20

    def _watch(self) -> None:
        while True:
            self.peak = max(self.peak, self._rss_mb())
            if self.peak > self.cap:
                sys.stderr.write(f"MEMORY CAP: process tree passed {self.cap:,.0f} MB; stopped\n")
                sys.stderr.flush()
                os._exit(3)
            time.sleep(0.2)


def validation(engine: str, folder: str) -> dict:
    from luckin_lab.contracts import all_contracts
    from luckin_lab.sources import open_store

    peak = _TreePeak(MEMORY_CAP_MB)
    store = open_store(_uri(engine, folder))
    names = [n for n, c in all_contracts().items() if not c.generic and store.has(n)]
    for name in names:
        store.table(name)
    rows = sum(t["rows"] for t in store.fingerprint()["tables"].values())
    return {"tables": len(names), "rows": rows, "tree_peak_mb": peak.peak}


def marts(engine: str, folder: str) -> dict:
    sys.path.insert(0, str(HERE.parent / "tests"))
    import engine_parity

    from luckin_lab.sources import open_store

    peak = _TreePeak(MEMORY_CAP_MB)
    store = open_store(_uri(engine, folder))
    calls = engine_parity.transform_calls()
    out_rows = 0
    for call in calls.values():
        result = call(store)
        out_rows += len(result) if hasattr(result, "__len__") else 1
    return {"calls": len(calls), "out_rows": out_rows, "tree_peak_mb": peak.peak}


def _cell(part: str, engine: str, size: str, repeats: int) -> dict:
    try:
        m = measure("benchmarks.bench_engines", part, repeats=repeats, timeout=CELL_TIMEOUT_S,
                    engine=engine, folder=str(store_folder(size)))
    except TimeoutError:
        return {"failed": f"stopped after {CELL_TIMEOUT_S / 60:.0f} min"}
    except RuntimeError as err:
        why = "memory cap" if "MEMORY CAP" in str(err) else str(err).strip().splitlines()[-1][:160]
        return {"failed": why}
    return {"s": m.median_s, "mb": m.extra["tree_peak_mb"], "extra": m.extra, "runs": len(m.runs_s)}


def run(quick: bool = False) -> Iterator[dict]:
    """Every size, or ``BENCH_ENGINES_SIZES="seed,16x seed"`` (each size is its own benchmark,
    so a re-run replaces only its rows; growth is against seed, so re-run seed with it);
    ``BENCH_ENGINES_PARTS=validation`` re-measures validation only, ``BENCH_ENGINES_ENGINES=duckdb``
    one engine (the other's rows of those sizes are then absent). Rows are yielded as they are
    measured, so a long run shows its progress."""
    os.environ.setdefault("LUCKIN_LAB_SPARK_MASTER", "local[2]")
    os.environ.setdefault("LUCKIN_LAB_SPARK_CONF", SPARK_CONF)
    sizes = ["small"] if quick else list(SIZES)
    chosen = os.environ.get("BENCH_ENGINES_SIZES")
    if chosen:
        sizes = [s for s in sizes if s in chosen.split(",")]
    parts = os.environ.get("BENCH_ENGINES_PARTS", "validation,marts").split(",")
    engines = [e for e in ENGINES if e in os.environ.get("BENCH_ENGINES_ENGINES", ",".join(ENGINES))]
    got: dict = {}
    for size in sizes:
        for part in parts:
            for engine in engines:
                repeats = 3 if size == "small" and not quick else 1
                load = os.getloadavg()[0]
                got[(part, engine, size)] = cell = _cell(part, engine, size, repeats)
                cell["load"] = load
                yield _row(part, engine, size, cell, got)


def _row(part: str, engine: str, size: str, cell: dict, got: dict) -> dict:
    bench = f"engines: {part} · {size}"
    variant = engine
    if "failed" in cell:
        return dict(benchmark=bench, variant=variant, median_s=None, peak_mb=None, ratio=None,
                    target="", met=False if part == "validation" and size == "16x seed" else None,
                    notes=f"did not finish: {cell['failed']}; load {cell['load']:.1f}")
    duck = got.get((part, "duckdb", size), {})
    ratio = cell["s"] / duck["s"] if engine == "spark" and "s" in duck else (1.0 if engine == "duckdb" else None)
    e = cell["extra"]
    what = (f"{e['tables']} tables, {e['rows']:,} rows" if part == "validation"
            else f"{e['calls']} transform calls, {e['out_rows']:,} rows out")
    target, met, extra = "", None, ""
    seed = got.get((part, engine, "seed"), {})
    if size != "seed" and "mb" in seed:
        growth = cell["mb"] / seed["mb"]
        extra = f"; peak {growth:.2f}x seed's"
        if part == "validation" and size == "16x seed":
            target, met = "peak <= 1.5x seed's", growth <= 1.5
    return dict(benchmark=bench, variant=variant, median_s=cell["s"], peak_mb=cell["mb"], ratio=ratio,
                target=target, met=met,
                notes=f"{what}; ratio = time vs DuckDB at this size; {cell['runs']} run(s), "
                      f"load {cell['load']:.1f} at start{extra}")
