"""Example tables for the generic analysis contracts, shipped inside the demo store.

The generic contracts (``generic_experiment``, ``generic_price_demand``,
``generic_time_to_event``, ``generic_transactions``) let a report run on data from anywhere; their example runs in
``params/`` read these tables from the demo store so ``make reports`` needs nothing else.
Each example comes from the simulator its analysis is tested against (known truth), except
the transaction log, which is the real CDNOW sample with its published model fit.
"""

from __future__ import annotations

import pandas as pd


def example_tables() -> dict[str, pd.DataFrame]:
    from luckin_lab.synth.cdnow import cdnow_transactions
    from luckin_lab.synth.experiment import simulate_experiment
    from luckin_lab.synth.price_panel import example_panel

    experiment, _ = simulate_experiment(n=30_000, seed=11, n_clusters=400)
    return {"generic_experiment": experiment, "generic_price_demand": example_panel(),
            "generic_transactions": cdnow_transactions()}
