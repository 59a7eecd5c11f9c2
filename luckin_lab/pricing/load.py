"""Getting a panel: built from the demo store's raw tables, or read as a generic panel.

The generic example (a simulated panel with planted elasticities,
:func:`luckin_lab.synth.price_panel.example_panel`) ships inside the demo store as the
``generic_price_demand`` table (:mod:`luckin_lab.synth.examples`), so the example report goes
through exactly the path a real extract takes: contract validation, panel checks, estimation.
"""

from __future__ import annotations

import pandas as pd

from luckin_lab.pricing.panel import PanelSpec, check_panel
from luckin_lab.sources import DataStore
from luckin_lab.transforms.pricing import Grain, Period, demand_panel

GENERIC_TABLE = "generic_price_demand"
DEMO_SPEC = PanelSpec(instruments=("log_test_factor",), controls=("log_planned_factor",))


def load_demo_panel(
    store: DataStore, grain: Grain = "category", period: Period = "day"
) -> tuple[pd.DataFrame, PanelSpec]:
    """The store x group x segment x period panel of the raw sales tables, with its spec."""
    panel = store.execute(demand_panel(store, grain, period))
    panel["period"] = pd.to_datetime(panel["period"])
    check_panel(panel, DEMO_SPEC, table=f"demand panel ({grain} x {period})")
    return panel, DEMO_SPEC


def load_generic_panel(
    store: DataStore, instruments: list[str], controls: list[str] | None = None,
) -> tuple[pd.DataFrame, PanelSpec]:
    """A panel from elsewhere, validated by the generic contract, with the named columns."""
    spec = PanelSpec(instruments=tuple(instruments), controls=tuple(controls or ()))
    panel = store.load(GENERIC_TABLE)
    check_panel(panel, spec, table=GENERIC_TABLE)
    return panel, spec
