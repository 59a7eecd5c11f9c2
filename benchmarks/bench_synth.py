"""Synthesis time and peak memory per scale (target at seed scale: < 30 s and < 3 GB)."""

from __future__ import annotations

import tempfile

from benchmarks.measure import measure


def synthesize(scale: str) -> dict:
    from luckin_lab.synth.build import build_store

    with tempfile.TemporaryDirectory() as d:
        summary = build_store(d, scale=scale)
    return {"orders": summary["rows"]["orders"]}


def run(quick: bool = False) -> list[dict]:
    rows = []
    scales = ["small"] if quick else ["small", "seed", "large"]
    for scale in scales:
        m = measure("benchmarks.bench_synth", "synthesize", repeats=1 if scale == "large" else 3,
                    scale=scale)
        target = "< 30 s, < 3,072 MB" if scale == "seed" else ""
        met = (m.median_s < 30 and m.peak_mb < 3072) if scale == "seed" else None
        rows.append(dict(benchmark="synth", variant=scale, median_s=m.median_s, peak_mb=m.peak_mb,
                         ratio=None, target=target, met=met,
                         notes=f"{m.extra['orders']:,} orders; build + validate + write DuckDB"))
    return rows
