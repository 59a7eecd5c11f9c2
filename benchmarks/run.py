"""`make bench`: run every benchmarks/bench_*.py and write benchmarks/RESULTS.md.

Each bench module defines ``run(quick: bool) -> list[dict]`` with keys: benchmark, variant,
median_s, peak_mb, reference (variant name or ""), ratio (vs reference, same run), target,
met (bool or None) and notes. Medians over repeated fresh-process runs; ratios compare
approaches measured side by side in the same run because these machines are noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ["benchmark", "variant", "median_s", "peak_mb", "ratio", "target", "met", "notes"]


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", help="run only bench modules whose name contains this")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    rows: list[dict] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and args.only not in path.stem:
            continue
        mod = importlib.import_module(f"benchmarks.{path.stem}")
        print(f"== {path.stem}", flush=True)
        for row in mod.run(quick=args.quick):
            print("  ", {k: row.get(k) for k in COLUMNS}, flush=True)
            rows.append(row)
    out = HERE / ("RESULTS.quick.md" if args.quick else "RESULTS.md")
    existing = {}
    if args.only and out.exists():
        # keep other modules' rows when only some were re-run
        for line in out.read_text().splitlines():
            if line.startswith("| ") and not line.startswith("| benchmark") and "---" not in line:
                cells = [c.strip() for c in line.strip("|").split("|")]
                existing[(cells[0], cells[1])] = line
    lines = [
        "# Benchmark results",
        "",
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Medians over fresh-process repeats; `ratio` is "
        "against the reference approach measured in the same run.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    new = {}
    for r in rows:
        new[(str(r["benchmark"]), str(r["variant"]))] = (
            "| " + " | ".join(_fmt(r.get(c)) for c in COLUMNS) + " |"
        )
    # a re-run benchmark replaces all its old rows (a variant may have been renamed)
    rerun = {b for b, _ in new}
    merged = {**{k: v for k, v in existing.items() if k[0] not in rerun}, **new}
    lines += [merged[k] for k in sorted(merged)]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
