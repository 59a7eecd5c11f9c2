"""The site-selection data path and report notebook on a small demo store built by the fixtures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from luckin_lab.reporting.params_models.site_selection import Params
from luckin_lab.reporting.testing import execute_notebook_small
from luckin_lab.sites.data import load_site_data, state_names, user_state_counts
from luckin_lab.sources import open_store


def test_site_data_counts_exclusions_and_matches_orders(small_store_uri):
    store = open_store(small_store_uri)
    data = load_site_data(store)
    ex = store.exclusions_frame()
    assert (ex.reason.str.contains("NZD") & (ex.rows > 0)).any()
    assert (ex.reason.str.contains("incomplete week") & (ex.rows > 0)).any()
    # flows add up to the completed USD revenue of the complete weeks, store by store
    o = store.load("orders")
    o = o[(o.currency == "USD") & (o.status == "completed")]
    days = (o.order_time.dt.normalize() - data.start).dt.days
    o = o[(days >= 0) & (days < 7 * data.n_weeks)]
    by_store = o.groupby("store_id").pay_amount.sum().reindex(data.stores.store_id).to_numpy()
    np.testing.assert_allclose(data.revenue.sum((0, 2)), by_store, rtol=1e-9)
    users = store.load("users")
    assert data.n_users.sum() == len(users) - 20  # engineering accounts left out
    # customer states: everyone registered is counted at the snapshot, and the "not yet
    # ordered" users there are exactly those without a completed USD order before the last week
    counts = data.state_counts()
    assert counts.shape == (len(data.cells), len(data.state_labels), data.n_weeks + 1)
    assert counts[:, :, -1].sum() == data.n_users.sum()
    cutoff = data.start + pd.Timedelta(days=7 * data.n_weeks)
    buyers = o[o.order_time < cutoff].user_id.unique()
    customers = users[~users.user_id.str.startswith("TEST")]
    assert counts[:, 0, -1].sum() == (~customers.user_id.isin(buyers)).sum()


def test_user_state_counts_by_hand():
    cohorts = pd.DataFrame({"cell_id": [10, 10, 11], "reg_week": [0, 1, -2],
                            "first_week": [2.0, np.nan, 0.0], "n_users": [3, 2, 1]})
    got = user_state_counts(cohorts, pd.Series([0, 1], index=[10, 11]), n_weeks=6, edges=(1, 4))
    assert state_names((1, 4)) == ["not yet ordered", "first order 1-3 weeks ago", "first order 4+ weeks ago"]
    # cell 10: 3 users registered week 0 ordering first in week 2, 2 users from week 1 never ordering
    np.testing.assert_array_equal(got[0, 0], [3, 5, 5, 2, 2, 2, 2])
    np.testing.assert_array_equal(got[0, 1], [0, 0, 0, 3, 3, 3, 0])
    np.testing.assert_array_equal(got[0, 2], [0, 0, 0, 0, 0, 0, 3])
    # cell 11: registered before week 0, first order in week 0
    np.testing.assert_array_equal(got[1].sum(0), np.ones(7))
    np.testing.assert_array_equal(got[1, 2], [0, 0, 0, 0, 1, 1, 1])


def test_params_need_a_limit():
    with pytest.raises(ValueError, match="k_sites or budget"):
        Params(k_sites=None, budget=None)
    with pytest.raises(ValueError):
        Params(unknown=1)


def test_notebook_runs_and_writes_headline_metrics(tmp_path, small_store_uri):
    results = execute_notebook_small("site_selection", tmp_path, small_store_uri, k_sites=3)
    metrics = json.loads((results / "metrics.json").read_text())
    assert len(metrics["chosen_sites"]) == 3
    assert metrics["portfolio_net_gain_monthly"] > 0
    assert metrics["portfolio_net_gain_monthly"] >= metrics["ranking_net_gain_monthly"] - 1.0
    assert metrics["r2_gbm_in_sample"] > metrics["r2_gbm_spatial_cv"]
    assert 0.5 < metrics["distance_decay"] < 4
    for name in ("candidate_scores", "cannibalization", "portfolio", "flagship_decomposition"):
        assert (results / f"{name}.csv").stat().st_size > 100
    scores = pd.read_csv(results / "candidate_scores.csv")
    assert set(metrics["chosen_sites"]) == set(scores.site_id[scores.chosen])
    np.testing.assert_allclose(scores.net_gain, scores.standalone_revenue - scores.cannibalized_revenue)
    executed = (tmp_path / "site_selection.ipynb").read_text()
    assert "Executive summary" in executed and "image/png" in executed
    assert "PosixPath" not in executed and "Traceback" not in executed  # no stray outputs
