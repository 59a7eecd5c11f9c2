"""The CDNOW sample (Fader, Hardie and Lee 2005) as a ``generic_transactions`` table.

2,357 customers who first bought at the CDNOW music store in the first quarter of 1997, with
every purchase to June 1998. It is the data set the buy-till-you-die models were published
on (BG/NBD: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, in weeks, fitted to the first 39
weeks), shipped inside the ``lifetimes`` package, so the customer report's generic example
runs on real data with a published answer.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd


def cdnow_transactions() -> pd.DataFrame:
    """customer_id, timestamp, amount (USD): one row per transaction of the CDNOW sample."""
    path = resources.files("lifetimes.datasets") / "CDNOW_sample.txt"
    with resources.as_file(path) as p:
        raw = pd.read_csv(p, sep=r"\s+", header=None,
                          names=["customer_id", "master_id", "date", "cds", "amount"])
    return pd.DataFrame({
        "customer_id": raw["customer_id"].astype(str),
        "timestamp": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"),
        "amount": raw["amount"].astype(float),
    })
