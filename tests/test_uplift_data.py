"""Building the experiment frame: the campaign transform (vs independent SQL) and the generic contract path."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from luckin_lab.contracts import ContractViolation
from luckin_lab.sources import open_store
from luckin_lab.synth.experiment import simulate_experiment, write_example
from luckin_lab.uplift.data import from_campaign, from_generic

CAMPAIGN = "CMP-2025-12-WINBACK"


def test_campaign_frame_matches_independent_sql(small_store_uri):
    store = open_store(small_store_uri)
    exp = from_campaign(store, CAMPAIGN)
    f = exp.frame.set_index("unit_id")
    con = duckdb.connect(small_store_uri.split(":", 1)[1], read_only=True)
    sql = f"""
      with u as (select unit_id, assigned_time t0 from experiment_assignments
                 where experiment_id = '{CAMPAIGN}'),
      o as (select o.* from orders o join stores s using (store_id)
            where o.currency = 'USD' and o.status = 'completed' and not s.is_test_store),
      m as (select i.order_id, sum(i.paid_price * i.quantity - p.unit_cost * i.quantity) margin,
                   sum(i.coupon_discount * i.quantity) disc
            from order_items i join products p using (product_id) group by 1)
      select u.unit_id,
        count(*) filter (where o.order_time >= u.t0 and o.order_time < u.t0 + interval 14 day) n_win,
        coalesce(sum(m.margin) filter (where o.order_time >= u.t0 and o.order_time < u.t0 + interval 14 day), 0) margin,
        coalesce(sum(m.disc) filter (where o.order_time >= u.t0 and o.order_time < u.t0 + interval 14 day), 0) disc,
        count(o.order_id) filter (where o.order_time < u.t0) n_prior
      from u left join o on o.user_id = u.unit_id left join m on m.order_id = o.order_id
      group by 1"""
    ref = con.sql(sql).df().set_index("unit_id").reindex(f.index)
    assert len(f) == con.sql(f"select count(*) from experiment_assignments where experiment_id='{CAMPAIGN}'").fetchone()[0]
    np.testing.assert_array_equal(f["n_orders"], ref["n_win"])
    np.testing.assert_array_equal(f["purchase"], (ref["n_win"] > 0).astype(int))
    np.testing.assert_allclose(f["margin"], ref["margin"], atol=1e-6)
    np.testing.assert_allclose(f["discount"], ref["disc"], atol=1e-6)
    np.testing.assert_array_equal(f["n_orders_prior"], ref["n_prior"])
    # no leakage: recency is measured before issue
    assert (f["recency_days"] > 0).all()
    # only the coupon arms get a discount; the control arm pays full price
    assert f.loc[f["arm"] == exp.control, "discount"].eq(0).all()
    assert exp.arms == ["off10", "off20", "off30"] and exp.depths["off30"] == pytest.approx(0.3)
    assert exp.window_days == 14
    ex = store.exclusions_frame()
    assert ex["reason"].str.contains("NZD").any()


def test_unknown_campaign_is_named(small_store_uri):
    with pytest.raises(KeyError, match="NO-SUCH"):
        from_campaign(open_store(small_store_uri), "NO-SUCH")


def test_generic_folder_store_with_clusters(tmp_path):
    write_example(tmp_path, n=3_000)
    exp = from_generic(open_store(f"folder:{tmp_path}"), value="margin", cost="discount")
    assert exp.cluster == "cluster_id" and exp.control == "control"
    assert exp.arms == ["off10", "off20", "off30"]
    assert "segment" in exp.categorical and "frequency" in exp.numeric
    assert "margin" not in exp.covariates and "discount" not in exp.covariates
    assert exp.features().shape == (3_000, len(exp.covariates))


def test_generic_contract_errors_are_clear():
    frame, _ = simulate_experiment(n=500, seed=1)
    with pytest.raises(ContractViolation, match="outcome"):
        from_generic(frame.drop(columns="outcome"))
    with pytest.raises(ValueError, match="control arm 'ctrl'"):
        from_generic(frame, control="ctrl")
    with pytest.raises(KeyError, match="value column 'gross'"):
        from_generic(frame, value="gross")
    bad = frame.assign(cluster_id=pd.Series(["c1"] * 499 + [None]))
    with pytest.raises(ValueError, match="cluster_id.*1 unit"):
        from_generic(bad)
    dup = pd.concat([frame, frame.head(2)])
    with pytest.raises(ContractViolation, match="unit_id"):
        from_generic(dup)
