"""Timing and peak memory measured in fresh processes, so one benchmark cannot warm another."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_CHILD = """
import json, resource, time, importlib, sys
mod, fn, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
f = getattr(importlib.import_module(mod), fn)
t0 = time.perf_counter()
extra = f(**kwargs) or {}
elapsed = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("__BENCH__" + json.dumps({"seconds": elapsed, "peak_mb": peak_mb, "extra": extra}))
"""


@dataclass
class Measurement:
    median_s: float
    runs_s: list[float]
    peak_mb: float
    extra: dict


def measure(module: str, function: str, repeats: int = 3, timeout: float | None = None,
            **kwargs) -> Measurement:
    """Run ``module.function(**kwargs)`` ``repeats`` times in fresh interpreters; report medians.

    ``timeout`` (seconds per run): past it the run and everything it started (e.g. Spark's
    JVM) is killed and ``TimeoutError`` raised.
    """
    runs, peaks, extra = [], [], {}
    for _ in range(repeats):
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, module, function, json.dumps(kwargs)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise TimeoutError(f"{module}.{function} did not finish within {timeout:,.0f} s") from None
        if proc.returncode != 0:
            raise RuntimeError(f"{module}.{function} failed:\n{stderr[-3000:]}")
        line = [ln for ln in stdout.splitlines() if ln.startswith("__BENCH__")][-1]
        rec = json.loads(line[len("__BENCH__"):])
        runs.append(rec["seconds"])
        peaks.append(rec["peak_mb"])
        extra = rec["extra"]
    return Measurement(statistics.median(runs), runs, max(peaks), extra)


def alt_truth_store(name: str, truth_yaml: str, scale: str = "seed") -> Path:
    """A demo store built once from a second truth file, under benchmarks/out/<name>/."""
    from luckin_lab.paths import ROOT

    out = ROOT / "benchmarks" / "out" / name
    if not (out / "store.duckdb").exists():
        out.mkdir(parents=True, exist_ok=True)
        truth = out.parent / f"{name}.yaml"
        truth.write_text(truth_yaml)
        subprocess.run([str(Path(sys.executable).parent / "luckin-lab"), "synth", "--scale", scale,
                        "--truth", str(truth), "--out", str(out)], check=True)
    return out / "store.duckdb"
