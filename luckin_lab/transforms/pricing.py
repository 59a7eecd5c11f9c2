"""Raw sales and promotions -> the price-demand panel (Ibis, executed by the store's engine).

One row per store x group (category or product) x customer segment x period (day or week),
including cells where nothing sold (quantity 0, price = the price on offer), because leaving
them out would drop exactly the cells where a high price killed demand. Columns follow the
``generic_price_demand`` contract plus the demo's instrument and controls:

* ``price``: reference list price x (paid / list) of the units sold; on offer where none sold;
* ``test_discount`` / ``log_test_factor``: the randomized price-test depth, ln(1 - depth) (the
  instrument: drawn at random per store, category and day, independent of demand);
* ``planned_discount`` / ``log_planned_factor``: marketing's tactical depth (a control: it was
  set on expected demand, so it is what confounds the naive regression).
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from luckin_lab.sources import DataStore
from luckin_lab.transforms.sales import revenue_orders

Grain = Literal["category", "product"]
Period = Literal["day", "week"]
_TRUNC = {"day": "D", "week": "W"}


def sales_orders(store: DataStore) -> ir.Table:
    """Revenue orders (one definition: :func:`luckin_lab.transforms.sales.revenue_orders`)."""
    orders = revenue_orders(store)
    return orders.select(*store.table("orders").columns)


def demand_panel(store: DataStore, grain: Grain = "category", period: Period = "day") -> ir.Table:
    """The store x group x segment x period demand panel as an Ibis expression."""
    if grain not in ("category", "product"):
        raise ValueError(f"grain must be 'category' or 'product', got {grain!r}")
    if period not in _TRUNC:
        raise ValueError(f"period must be 'day' or 'week', got {period!r}")
    unit = _TRUNC[period]
    orders = sales_orders(store)
    items = store.table("order_items")
    products = store.table("products")
    users = store.table("users")
    promos = store.table("promotions")
    gkey = "category" if grain == "category" else "product_name"

    lines = (
        items.join(orders.select("order_id", "store_id", "user_id", "order_time"), "order_id")
        .join(products.select("product_id", "product_name", "category",
                              unit_cost=products.unit_cost), "product_id")
        .join(users.select("user_id", "segment"), "user_id")
    )
    lines = lines.mutate(group=lines[gkey], period=lines.order_time.truncate(unit))
    sales = lines.group_by(["store_id", "group", "segment", "period"]).aggregate(
        quantity=lines.quantity.sum().cast("float64"),
        paid=(lines.paid_price * lines.quantity).sum(),
        listed=(lines.list_price * lines.quantity).sum(),
    )
    # reference price and cost of a group: unit-weighted over its sales (menu mean if none)
    sold = lines.group_by("group").aggregate(
        sold_list=(lines.list_price * lines.quantity).sum() / lines.quantity.sum(),
        sold_cost=(lines.unit_cost * lines.quantity).sum() / lines.quantity.sum(),
    )
    menu = products.group_by(group=products[gkey]).aggregate(
        menu_list=products.list_price.mean(), menu_cost=products.unit_cost.mean()
    )
    reference = menu.left_join(sold, "group")
    reference = reference.select(
        group=reference.group,
        list_price=reference.sold_list.fill_null(reference.menu_list),
        unit_cost=reference.sold_cost.fill_null(reference.menu_cost),
    )

    # promotions: one store x category x day cell per open day, both kinds side by side
    day_cells = promos.group_by(["store_id", "category", promos.date.truncate("D").name("day")]).aggregate(
        test=promos.depth.max(where=promos.promo_type == "price_test").fill_null(0.0),
        planned=promos.depth.max(where=promos.promo_type == "tactical").fill_null(0.0),
    )
    day_cells = day_cells.mutate(period=day_cells.day.truncate(unit))
    cells = day_cells.group_by(["store_id", "category", "period"]).aggregate(
        log_test_factor=(1 - day_cells.test).ln().mean(),
        log_planned_factor=(1 - day_cells.planned).ln().mean(),
        offer_ratio=((1 - day_cells.test) * (1 - day_cells.planned)).mean(),
    )
    _count_unmatched(store, lines, cells, unit)
    groups = products.select("category", group=products[gkey]).distinct()
    segments = users.select("segment").distinct()
    grid = cells.join(groups, "category").cross_join(segments)

    panel = grid.left_join(sales, ["store_id", "group", "segment", "period"])
    panel = panel.select(
        [c for c in panel.columns if not c.endswith("_right")]
    ).join(reference, "group")
    panel = panel.mutate(quantity=panel.quantity.fill_null(0.0))
    price = ibis.ifelse(
        panel.quantity > 0,
        panel.list_price * panel.paid / panel.listed,
        panel.list_price * panel.offer_ratio,
    )
    store_key = panel.store_id.cast("string")
    return panel.select(
        unit=store_key.concat("|", panel.group),
        market=store_key,
        group=panel.group,
        category=panel.category,
        segment=panel.segment,
        period=panel.period,
        price=price,
        list_price=panel.list_price,
        unit_cost=panel.unit_cost,
        quantity=panel.quantity,
        test_discount=1 - panel.log_test_factor.exp(),
        log_test_factor=panel.log_test_factor,
        planned_discount=1 - panel.log_planned_factor.exp(),
        log_planned_factor=panel.log_planned_factor,
    ).order_by(["unit", "segment", "period"])


def _count_unmatched(store: DataStore, lines: ir.Table, cells: ir.Table, unit: str) -> None:
    """Units sold in a store x category x period without a promotions record are left out: count them."""
    sold = lines.mutate(period=lines.order_time.truncate(unit))
    lost = sold.anti_join(cells, ["store_id", "category", "period"])
    n = lost.quantity.sum().execute()
    if n and n > 0:
        store.exclude("order_items", "units sold on a store-category-day without a promotions record", int(n))


def weekly_order_value(store: DataStore) -> ir.Table:
    """Orders, average order value and discount share per week (completed USD orders)."""
    orders = sales_orders(store)
    o = orders.mutate(week=orders.order_time.truncate("W"))
    return o.group_by("week").aggregate(
        orders=o.count(),
        aov=o.pay_amount.mean(),
        list_aov=o.list_amount.mean(),
        discount_share=o.discount_amount.sum() / o.list_amount.sum(),
    ).order_by("week")
