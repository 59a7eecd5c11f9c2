"""The Ibis demand panel against a hand-built store whose every number is computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from luckin_lab.pricing.load import load_demo_panel
from luckin_lab.sources import open_store
from luckin_lab.transforms.pricing import demand_panel

D1, D2 = pd.Timestamp("2025-09-01"), pd.Timestamp("2025-09-02")


def _tables() -> dict[str, pd.DataFrame]:
    stores = pd.DataFrame({
        "store_id": [101, 999], "store_name": ["8th Ave", "Rarotonga test"],
        "borough": ["Manhattan", "Cook Islands"], "lat": [40.75, -21.2], "lon": [-73.99, -159.8],
        "open_date": [pd.Timestamp("2025-06-01")] * 2, "currency": ["USD", "NZD"],
        "is_test_store": [False, True], "open_hour": [7, 0], "close_hour": [20, 24],
        "cup_capacity_per_hour": [100.0, 10.0],
    })
    products = pd.DataFrame({
        "product_id": ["P1", "P2", "P3"], "product_name": ["Latte", "Americano", "Bagel"],
        "category": ["Fresh Coffee", "Fresh Coffee", "Food"], "list_price": [5.0, 4.0, 3.0],
        "unit_cost": [1.5, 1.0, 1.2], "is_drink": [True, True, False],
        "launch_date": [pd.Timestamp("2025-06-01")] * 3,
    })
    users = pd.DataFrame({
        "user_id": ["U1", "U2"], "register_time": [pd.Timestamp("2025-06-02")] * 2,
        "home_cell_id": [1, 2], "segment": ["loyal", "price_sensitive"],
        "acquisition_channel": ["organic", "referral"], "phone": [None, None], "email": [None, None],
    })
    promotions = pd.DataFrame({
        "promo_id": ["T1", "X1", "T2", "X2", "T3", "X3", "T4", "X4"],
        "store_id": [101] * 8,
        "category": ["Fresh Coffee"] * 4 + ["Food"] * 4,
        "date": [D1, D1, D2, D2, D1, D1, D2, D2],
        "depth": [0.1, 0.2, 0.1, 0.0, 0.1, 0.3, 0.1, 0.1],
        "promo_type": ["tactical", "price_test"] * 4,
        "experiment_id": [None, "PT"] * 4,
    })
    orders = pd.DataFrame({
        "order_id": [1, 2, 3, 4, 5], "user_id": ["U1", "U1", "U2", "U2", "U1"],
        "store_id": [101, 101, 101, 101, 999],
        "order_time": [D1 + pd.Timedelta(hours=8), D1 + pd.Timedelta(hours=9),
                       D2 + pd.Timedelta(hours=8), D2 + pd.Timedelta(hours=10),
                       D1 + pd.Timedelta(hours=8)],
        "currency": ["USD", "USD", "USD", "USD", "NZD"],
        "status": ["completed", "completed", "completed", "cancelled", "completed"],
        "list_amount": [9.0, 5.0, 5.0, 4.0, 8.0], "discount_amount": [2.52, 1.4, 0.5, 0.4, 0.0],
        "pay_amount": [6.48, 3.6, 4.5, 3.6, 8.0], "coupon_id": [None] * 5, "n_items": [2, 1, 1, 1, 1],
    })
    items = pd.DataFrame({
        "item_id": [1, 2, 3, 4, 5, 6], "order_id": [1, 1, 2, 3, 4, 5],
        "product_id": ["P1", "P2", "P1", "P1", "P2", "P1"], "quantity": [1, 1, 1, 1, 1, 1],
        "list_price": [5.0, 4.0, 5.0, 5.0, 4.0, 8.0],
        "promo_discount": [1.4, 1.12, 1.4, 0.5, 0.4, 0.0], "coupon_discount": [0.0] * 6,
        "paid_price": [3.6, 2.88, 3.6, 4.5, 3.6, 8.0], "promo_id": ["X1", "X1", "X1", "X2", "X2", None],
    })
    return dict(stores=stores, products=products, users=users, promotions=promotions,
                orders=orders, order_items=items)


@pytest.fixture()
def tiny_store(tmp_path):
    for name, df in _tables().items():
        df.to_parquet(tmp_path / f"{name}.parquet", index=False)
    return open_store(f"folder:{tmp_path}")


def test_daily_category_panel_matches_hand_computation(tiny_store):
    panel = demand_panel(tiny_store, "category", "day").to_pandas()
    # 1 store x 2 categories x 2 segments x 2 days, zero cells included
    assert len(panel) == 8
    fc = panel[(panel.group == "Fresh Coffee")].set_index(["segment", "period"])
    # reference list price of Fresh Coffee: units sold at 5, 4, 5, 5 -> 4.75
    assert fc.list_price.iloc[0] == pytest.approx(4.75)
    assert fc.unit_cost.iloc[0] == pytest.approx((1.5 * 3 + 1.0) / 4)
    loyal1 = fc.loc[("loyal", D1)]
    assert loyal1.quantity == 3
    assert loyal1.price == pytest.approx(4.75 * (3.6 + 2.88 + 3.6) / 14.0)
    assert loyal1.test_discount == pytest.approx(0.2)
    assert loyal1.log_test_factor == pytest.approx(np.log(0.8))
    assert loyal1.planned_discount == pytest.approx(0.1)
    ps2 = fc.loc[("price_sensitive", D2)]
    assert ps2.quantity == 1  # the cancelled Americano is not a sale
    assert ps2.price == pytest.approx(4.75 * 4.5 / 5.0)
    # nothing sold: quantity 0 at the price on offer
    ps1 = fc.loc[("price_sensitive", D1)]
    assert ps1.quantity == 0
    assert ps1.price == pytest.approx(4.75 * 0.9 * 0.8)
    food = panel[panel.group == "Food"]
    assert food.quantity.sum() == 0
    assert panel.unit.iloc[0].startswith("101|")


def test_exclusions_are_counted(tiny_store):
    demand_panel(tiny_store, "category", "day").to_pandas()
    ex = tiny_store.exclusions_frame().set_index("reason").rows
    assert ex.filter(like="NZD").iloc[0] == 1
    assert ex.filter(like="cancelled").iloc[0] == 1


def test_weekly_product_panel(tiny_store):
    panel = demand_panel(tiny_store, "product", "week").to_pandas()
    # 3 products x 2 segments x 1 week
    assert len(panel) == 6
    latte = panel[(panel.group == "Latte") & (panel.segment == "loyal")].iloc[0]
    assert latte.quantity == 2
    assert latte.list_price == pytest.approx(5.0)
    assert latte.log_test_factor == pytest.approx((np.log(0.8) + np.log(1.0)) / 2)


def test_load_demo_panel_checks_and_types(tiny_store):
    panel, spec = load_demo_panel(tiny_store, grain="category", period="day")
    assert spec.instruments == ("log_test_factor",)
    assert panel.quantity.dtype == float
    assert pd.api.types.is_datetime64_any_dtype(panel.period)


def test_weekly_order_value(tiny_store):
    from luckin_lab.transforms.pricing import weekly_order_value

    w = weekly_order_value(tiny_store).to_pandas()
    assert len(w) == 1
    # completed USD orders 1, 2, 3: pay 6.48, 3.6, 4.5
    assert w.orders.iloc[0] == 3
    assert w.aov.iloc[0] == pytest.approx((6.48 + 3.6 + 4.5) / 3)
    assert w.discount_share.iloc[0] == pytest.approx((2.52 + 1.4 + 0.5) / 19.0)
