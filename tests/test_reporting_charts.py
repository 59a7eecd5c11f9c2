"""House chart rules: partial periods hollow/dashed, readable ticks with units, legends off the data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from luckin_lab.reporting import charts, nb


@pytest.fixture(scope="module")
def weeks():
    nb.setup()
    w = pd.date_range("2026-01-05", periods=6, freq="W-MON")
    df = pd.DataFrame({"week": w, "revenue": [70e3, 72e3, 75e3, 74e3, 78e3, 40e3],
                       "orders": [14e3, 14.2e3, 15e3, 15e3, 15.2e3, 8e3]})
    return df.assign(aov=df.revenue / df.orders)


PANELS = {"revenue": ("Revenue (USD per week)", "money"), "orders": ("Orders per week", "int"),
          "aov": ("Average order value (USD)", "money2")}


def test_house_helpers_follow_the_house_rules(weeks):
    partial = weeks.week == weeks.week.max()
    fig = charts.trend_panels(weeks, "week", PANELS, partial=partial)
    assert charts.house_problems(fig, partial_x=[weeks.week.max()]) == []
    # the partial week is its own dashed + hollow artists, and the solid line stops before it
    for ax in fig.axes:
        solid = [ln for ln in ax.get_lines() if ln.get_gid() != charts.PARTIAL_GID]
        assert pd.Timestamp(max(solid[0].get_xdata())) == weeks.week.iloc[-2]
        part = [ln for ln in ax.get_lines() if ln.get_gid() == charts.PARTIAL_GID]
        assert {ln.get_linestyle() for ln in part} >= {"--"}
        assert any(ln.get_markerfacecolor() == "white" for ln in part)
    assert fig.legends and not any(ax.get_legend() for ax in fig.axes)  # legend outside every axis
    long = pd.concat([weeks.assign(store=s, revenue=weeks.revenue / (i + 1)) for i, s in enumerate("ABCDE")],
                     ignore_index=True)
    fig2 = charts.small_multiples(long, "week", "revenue", "store", "USD / week",
                                  partial=long.week == weeks.week.max())
    assert charts.house_problems(fig2, partial_x=[weeks.week.max()]) == []
    plt.close("all")


def test_house_check_catches_the_old_mistakes(weeks):
    # the old store chart: every store drawn solid through the partial week (reads as a 30 % fall)
    long = weeks.assign(store="8th Ave")
    fig = charts.small_multiples(long, "week", "revenue", "store", "USD / week")
    assert any("solid line runs through a partial period" in p
               for p in charts.house_problems(fig, partial_x=[weeks.week.max()]))
    # a legend over the data, an axis with one tick label and no unit
    fig2, ax = plt.subplots()
    ax.plot([0.0, 1.0, 2.0], [0.0, 1.0, 2.0], label="hazard")  # passes through the centre
    ax.set_yticks([1.0])  # the printer-fleet axis labelled only "1"
    ax.set_title("Hazard")
    ax.legend(loc="center")
    problems = charts.house_problems(fig2)
    assert any("legend covers data" in p for p in problems)
    assert any("y axis has fewer than two readable tick labels" in p for p in problems)
    assert any("no unit" in p for p in problems)
    plt.close("all")
