"""`synth --scale x<N>`: a chain of N seed-size regions written region by region.

The generator holds one region at a time, so its peak memory should not grow with the
number of regions: the target is the peak at 4 regions within 1.2x of the peak at 1.
"""

from __future__ import annotations

import json
import tempfile

from benchmarks.measure import measure


def synthesize_chain(regions: int, region_scale: str) -> dict:
    from luckin_lab.synth.chain import build_chain

    with tempfile.TemporaryDirectory() as d:
        done = build_chain(d, regions, region_scale)
        size = json.dumps(done["rows"])
    return {"orders": done["rows"]["orders"], "stores": done["stores"], "rows": size}


def run(quick: bool = False) -> list[dict]:
    region_scale = "small" if quick else "seed"
    sizes = [1, 2] if quick else [1, 4]
    ms = {n: measure("benchmarks.bench_chain", "synthesize_chain", repeats=1, regions=n,
                     region_scale=region_scale) for n in sizes}
    ref = ms[sizes[0]]
    rows = []
    for n, m in ms.items():
        ratio = m.peak_mb / ref.peak_mb
        last = n == sizes[-1]
        rows.append(dict(
            benchmark=f"synth chain ({region_scale} regions), peak memory", variant=f"x{n}",
            median_s=m.median_s, peak_mb=m.peak_mb, ratio=ratio,
            target=f"peak <= 1.2x x{sizes[0]}'s" if last else "reference", met=ratio <= 1.2 if last else None,
            notes=f"{m.extra['stores']:,} stores, {m.extra['orders']:,} orders; one run; "
                  "ratio = peak memory vs the smallest chain"))
    return rows
