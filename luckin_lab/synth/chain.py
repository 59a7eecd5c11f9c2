"""A chain of thousands of stores: the demo market repeated as regions, written in chunks.

``luckin-lab synth --scale x16`` builds 16 regions, each a whole demo market (11 stores and
the NZD test store, their customers, orders, devices, candidate sites) simulated with its own
seed (``seed + region``) from the same planted truth, so every region carries the truth the
tests know. Region 0 is exactly the single-market store of that seed. Regions are built one
at a time, checked against the contracts and appended to ``parquet/<table>/part-<region>.parquet``
(a folder of parts per table, which ``folder:`` and ``spark:folder/`` read), then dropped:
the generator's memory is one region's, however long the chain.

Keys stay unique across the chain: integer keys are shifted per region (stores by 1,000,
every other integer key by 10^10), text keys get the region as four digits after their
letters (``U0000001`` -> ``U00010000001`` in region 1; ``DEV-000001`` -> ``DEV-0001000001``),
and foreign keys follow their key. Experiments are chain-wide: one design run in every region.
Each region's planted truth is written to ``regions/r<NNNN>/`` with its keys shifted the same way.
"""

from __future__ import annotations

import gc
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from luckin_lab.contracts import Contract, all_contracts, validate

STORE_STRIDE = 1_000  # region r's stores are 1000 r + 101 ... (and 1000 r + 999, the test store)
KEY_STRIDE = 10**10  # every other integer key: 10^10 r + its region-0 value
SHARED_KEYS = {"experiments.experiment_id"}  # one campaign / price test run chain-wide
EXTRA_KEYS = {("experiment_assignments", "unit_id"): "users.user_id"}  # randomized users
_ARROW = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string(), "bool": pa.bool_(),
          "datetime": pa.timestamp("us"), "date": pa.timestamp("us")}
_CHAIN = re.compile(r"^x(\d+)$")


def chain_regions(scale: str) -> int | None:
    """``x16`` -> 16 regions; None for a single-market scale (small, seed, large, a number)."""
    m = _CHAIN.match(str(scale))
    if not m:
        return None
    n = int(m.group(1))
    if not 1 <= n <= 9_999:
        raise ValueError(f"a chain has 1 to 9,999 regions, not {n} (scale '{scale}')")
    return n


def key_domains(contracts: dict[str, Contract]) -> dict[tuple[str, str], str]:
    """(table, column) -> the key it holds (``table.column`` of the key's home)."""
    out = dict(EXTRA_KEYS)
    for name, c in contracts.items():
        if c.generic:
            continue
        for col, spec in c.columns.items():
            if spec.references:
                out[(name, col)] = spec.references
            elif spec.unique or c.primary_key == [col]:
                out[(name, col)] = f"{name}.{col}"
    return out


def shift_keys(series: pd.Series, domain: str, region: int, contracts: dict[str, Contract]) -> pd.Series:
    """The key values of ``region``: integers shifted, text tagged; shared keys unchanged."""
    if region == 0 or domain in SHARED_KEYS:
        return series
    table, col = domain.split(".")
    offset = (STORE_STRIDE if domain == "stores.store_id" else KEY_STRIDE) * region
    if pd.api.types.is_numeric_dtype(series):
        return series + offset
    if contracts[table].columns[col].type == "int64":  # an integer key stored as text (varchar)
        ints = pd.to_numeric(series, errors="raise").astype("Int64") + offset
        return ints.astype(str).where(series.notna(), None).astype(object)
    tag = f"{region:04d}"
    return series.where(series.isna(), series.astype(str).str.replace(r"^(\D*)", rf"\g<1>{tag}", regex=True))


def region_tables(tables: dict[str, pd.DataFrame], region: int,
                  contracts: dict[str, Contract]) -> dict[str, pd.DataFrame]:
    """One region's contract tables with chain-unique keys (generic examples only in region 0)."""
    domains = key_domains(contracts)
    out = {}
    for name, frame in tables.items():
        c = contracts.get(name)
        if c is None:
            raise ValueError(f"synth table '{name}' has no contract")
        if region and (c.generic or name == "experiments"):
            continue  # written once: the examples, and the chain-wide experiments
        frame = frame.copy()
        for col in frame.columns:
            if (name, col) in domains:
                frame[col] = shift_keys(frame[col], domains[(name, col)], region, contracts)
        if name == "stores" and region:
            frame["store_name"] = frame.store_name + f" · region {region}"
        out[name] = frame
    return out


def shift_truth_frame(frame: pd.DataFrame, region: int, contracts: dict[str, Contract]) -> pd.DataFrame:
    """A truth frame's keys as the chain's tables hold them (columns named like a key)."""
    by_name = {col: dom for (table, col), dom in key_domains(contracts).items() if dom == f"{table}.{col}"}
    frame = frame.copy()
    for col in frame.columns:
        if col in by_name:
            frame[col] = shift_keys(frame[col], by_name[col], region, contracts)
    return frame


def _arrow(frame: pd.DataFrame, contract: Contract, schema: pa.Schema | None) -> pa.Table:
    """A chunk as Arrow with one schema for every part: microsecond timestamps, and columns
    with no values typed as their contract says (so all parts of a table agree)."""
    t = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for f in t.schema:
        spec = contract.columns.get(f.name)
        typ = f.type
        if pa.types.is_null(typ) and spec is not None:
            typ = _ARROW[spec.type]
        elif pa.types.is_timestamp(typ):
            typ = pa.timestamp("us", tz=typ.tz)
        fields.append(pa.field(f.name, typ))
    t = t.cast(pa.schema(fields), safe=False)
    if schema is not None and t.schema != schema:
        try:
            t = t.cast(schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as err:
            raise ValueError(f"table '{contract.table}': a chunk's columns {t.schema} do not match "
                             f"the first chunk's {schema}: {err}") from None
    return t


def build_chain(out: Path, regions: int, region_scale: str | float = "seed",
                truth_path: Path | None = None, seed: int | None = None,
                progress: Callable[[str], None] | None = None) -> dict:
    """Write ``out/parquet/<table>/part-<r>.parquet``, ``out/regions/r<NNNN>/truth*`` and
    ``out/chain.json``; one region in memory at a time. Returns rows per table and seconds."""
    from luckin_lab.synth.build import build_tables, write_truth
    from luckin_lab.synth.truth import load_truth

    t0 = time.perf_counter()
    step = progress or (lambda _: None)
    truth = load_truth(truth_path)
    base_seed = truth.seed if seed is None else seed
    out = Path(out)
    pq_dir = out / "parquet"
    contracts = all_contracts()
    schemas: dict[str, pa.Schema] = {}
    rows: dict[str, int] = {}
    stores = 0
    for r in range(regions):
        step(f"region {r + 1} of {regions}: synthesizing")
        tables, derived, frames = build_tables(truth, region_scale, base_seed + r)
        step(f"region {r + 1} of {regions}: validating and writing")
        for name, frame in region_tables(tables, r, contracts).items():
            validate(frame, contracts[name])
            t = _arrow(frame, contracts[name], schemas.get(name))
            schemas.setdefault(name, t.schema)
            (pq_dir / name).mkdir(parents=True, exist_ok=True)
            pq.write_table(t, pq_dir / name / f"part-{r:05d}.parquet")
            rows[name] = rows.get(name, 0) + t.num_rows
        stores += int((~tables["stores"].is_test_store).sum())
        frames = {k: shift_truth_frame(v, r, contracts) for k, v in frames.items()}
        write_truth(out / "regions" / f"r{r:04d}", truth, region_scale, base_seed + r, derived, frames)
        del tables, derived, frames
        gc.collect()
    seconds = time.perf_counter() - t0
    doc = {"regions": regions, "region_scale": region_scale, "seed": base_seed,
           "region_seeds": f"seed + region (region 0 is the single-market store of seed {base_seed})",
           "stores": stores, "store_stride": STORE_STRIDE, "key_stride": KEY_STRIDE,
           "text_key_tag": "region as 4 digits after the key's leading letters",
           "shared_keys": sorted(SHARED_KEYS), "rows": rows, "seconds": seconds,
           "note": "Evaluation code only may read regions/*/truth*: analyses never do."}
    (out / "chain.json").write_text(json.dumps(doc, indent=2))
    return {"rows": rows, "seconds": seconds, "stores": stores}

