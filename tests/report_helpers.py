"""Test helpers (not part of the package): run a report notebook at small scale, a tiny sales store.

Analysis engineers call :func:`execute_notebook_small` in their tests; the report factory's
own tests also use :func:`write_tiny_sales_store`, a hand-checkable DuckDB store with the
``stores`` and ``orders`` tables (including NZD test-store orders and refunds).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from luckin_lab.paths import notebooks_dir
from luckin_lab.sources import write_duckdb

KERNEL = "python3"


def execute_notebook_small(
    notebook_name: str, tmp_path: Path, source_uri: str, **params: Any
) -> Path:
    """Execute ``notebooks/<notebook_name>`` with papermill against ``source_uri``.

    Returns the ``results_dir`` the notebook wrote to (``tmp_path/results``); the executed
    notebook is ``tmp_path/<notebook_name>``. A failing cell raises papermill's
    ``PapermillExecutionError`` naming the cell and the error.
    """
    import papermill

    from luckin_lab.reporting.execution import ReportKernelManager

    tmp_path = Path(tmp_path)
    results = tmp_path / "results"
    results.mkdir(parents=True, exist_ok=True)
    name = notebook_name if notebook_name.endswith(".ipynb") else f"{notebook_name}.ipynb"
    papermill.execute_notebook(
        str(notebooks_dir() / name),
        str(tmp_path / name),
        parameters={"source": source_uri, "results_dir": str(results), **params},
        kernel_name=KERNEL,
        progress_bar=False,
        kernel_manager_class=ReportKernelManager,  # encrypted transport: no kernel warning per run
    )
    return results


TINY_START = dt.date(2026, 1, 5)  # a Monday
TINY_LAST_DAY = dt.date(2026, 2, 7)  # a Saturday: the last week is incomplete on purpose


def tiny_sales_frames(seed: int = 7) -> dict[str, pd.DataFrame]:
    """``stores`` and ``orders`` frames that satisfy the contracts (5 weeks, 3 stores + NZD)."""
    rng = np.random.default_rng(seed)
    stores = pd.DataFrame({
        "store_id": [1, 2, 3, 99],
        "store_name": ["8th Ave (flagship)", "Union Square", "Flatiron", "Cook Islands Test"],
        "borough": ["Manhattan", "Manhattan", "Manhattan", "Cook Islands"],
        "lat": [40.7505, 40.7359, 40.7411, -21.2],
        "lon": [-73.9934, -73.9911, -73.9897, -159.8],
        "open_date": pd.to_datetime(["2025-06-01", "2025-07-20", "2026-01-21", "2025-05-01"]),
        "currency": ["USD", "USD", "USD", "NZD"],
        "is_test_store": [False, False, False, True],
        "open_hour": [7, 7, 7, 8],
        "close_hour": [20, 20, 19, 17],
        "cup_capacity_per_hour": [120.0, 90.0, 80.0, 10.0],
    })
    rows = []
    order_id = 1
    day = TINY_START
    while day <= TINY_LAST_DAY:
        for _, s in stores.iterrows():
            if pd.Timestamp(day) < s.open_date:
                continue
            n = {1: 30, 2: 18, 3: 12, 99: 2}[s.store_id] + int(rng.integers(0, 6))
            for _ in range(n):
                list_amount = float(rng.choice([4.95, 5.25, 9.90, 14.85]))
                discount = round(list_amount * float(rng.choice([0.0, 0.0, 0.1, 0.3])), 2)
                status = rng.choice(["completed"] * 18 + ["refunded", "cancelled"])
                rows.append({
                    "order_id": order_id,
                    "user_id": f"U{int(rng.integers(1, 400)):05d}",
                    "store_id": int(s.store_id),
                    "order_time": pd.Timestamp(day) + pd.Timedelta(minutes=int(rng.integers(420, 1140))),
                    "currency": s.currency,
                    "status": str(status),
                    "list_amount": list_amount,
                    "discount_amount": discount,
                    "pay_amount": round(list_amount - discount, 2),
                    "coupon_id": None,
                    "n_items": int(round(list_amount / 4.95)) or 1,
                })
                order_id += 1
        day += dt.timedelta(days=1)
    orders = pd.DataFrame(rows)
    orders["coupon_id"] = orders["coupon_id"].astype(object)
    return {"stores": stores, "orders": orders}


def write_tiny_sales_store(path: Path, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Write :func:`tiny_sales_frames` to a DuckDB file; returns the frames for expectations."""
    frames = tiny_sales_frames(seed)
    write_duckdb(path, frames)
    return frames


def page_one_text(html: str, start: str = "Executive summary", end: str = "Evidence") -> str:
    """The visible text of a rendered report's page one: from its summary heading to the next part.

    Tests check every figure in it against ``results/``, so a headline cannot drift from its table.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    text = " ".join(soup.get_text(" ").split())
    i = text.find(start)
    if i < 0:
        raise ValueError(f"report has no '{start}' heading")
    j = text.find(end, i + len(start))
    return text[i: j if j > 0 else None]
