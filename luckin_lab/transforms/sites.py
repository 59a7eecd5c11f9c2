"""Raw orders to the grains the site-selection analysis needs, as Ibis expressions.

The input orders are the revenue orders of :func:`luckin_lab.transforms.sales.revenue_orders`
(completed USD orders of real stores; the rest counted as excluded there). Time is measured in whole days since the first store opened, so weeks
line up with opening dates and "weeks since opening" is exact.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from luckin_lab.transforms.clock import whole_seconds

SECONDS_PER_DAY = 86_400


def day_index(ts: ir.TimestampValue, start: dt.date) -> ir.IntegerValue:
    """Whole days between ``start`` (midnight) and ``ts``."""
    origin = ibis.timestamp(dt.datetime.combine(start, dt.time()))
    return (whole_seconds(ts) - whole_seconds(origin)) // SECONDS_PER_DAY


def cell_store_week(orders: ir.Table, users: ir.Table, start: dt.date) -> ir.Table:
    """Revenue and orders by the customer's home cell x store x week (week 0 starts at ``start``)."""
    o = orders.join(users.select("user_id", "home_cell_id"), "user_id")
    o = o.mutate(week=day_index(o.order_time, start) // 7)
    return (
        o.group_by(cell_id=o.home_cell_id, store_id=o.store_id, week=o.week)
        .aggregate(revenue=o.pay_amount.sum(), n_orders=o.count())
        .order_by(["cell_id", "store_id", "week"])
    )


def store_week(orders: ir.Table, start: dt.date) -> ir.Table:
    """Revenue, orders and active customers by store x week."""
    o = orders.mutate(week=day_index(orders.order_time, start) // 7)
    return (
        o.group_by("store_id", "week")
        .aggregate(revenue=o.pay_amount.sum(), n_orders=o.count(), n_customers=o.user_id.nunique())
        .order_by(["store_id", "week"])
    )


def store_month(orders: ir.Table) -> ir.Table:
    """Revenue, orders and active customers by store x calendar month."""
    o = orders.mutate(month=orders.order_time.truncate("M"))
    return (
        o.group_by("store_id", "month")
        .aggregate(revenue=o.pay_amount.sum(), n_orders=o.count(), n_customers=o.user_id.nunique())
        .order_by(["store_id", "month"])
    )


def users_per_cell(users: ir.Table, exclude_users: ir.Table | None = None) -> ir.Table:
    """Registered app users by home cell: the demand base of each cell."""
    u = users if exclude_users is None else users.anti_join(exclude_users, "user_id")
    return u.group_by(cell_id=u.home_cell_id).aggregate(n_users=u.count()).order_by("cell_id")


def test_store_only_users(orders: ir.Table, stores: ir.Table) -> ir.Table:
    """Users whose every order is at a test store (engineering accounts, not customers)."""
    test = stores.filter(stores.is_test_store | (stores.currency != "USD")).select("store_id")
    flagged = orders.left_join(test.mutate(_test=ibis.literal(1)), "store_id")
    per_user = flagged.group_by("user_id").aggregate(
        n=flagged.count(), n_test=flagged._test.fill_null(0).sum()
    )
    return per_user.filter(per_user.n == per_user.n_test).select("user_id")


def user_cohorts(orders: ir.Table, users: ir.Table, start: dt.date,
                 exclude_users: ir.Table | None = None) -> ir.Table:
    """Users by home cell x week registered x week of first order (null: never ordered).

    A customer's first order happens almost whatever the distance to a store, their later
    visits far less: how many people in a cell have not tried us yet is the cell's demand that
    a new store can still win, so the Huff fit needs it week by week.
    """
    u = users if exclude_users is None else users.anti_join(exclude_users, "user_id")
    first = orders.group_by("user_id").aggregate(first_time=orders.order_time.min())
    j = u.select("user_id", "home_cell_id", "register_time").left_join(first, "user_id")
    reg = ibis.least(j.register_time, j.first_time.fill_null(j.register_time))
    j = j.mutate(reg_week=day_index(reg, start) // 7, first_week=day_index(j.first_time, start) // 7)
    return (
        j.group_by(cell_id=j.home_cell_id, reg_week=j.reg_week, first_week=j.first_week)
        .aggregate(n_users=j.count())
        .order_by(["cell_id", "reg_week", "first_week"])
    )


def store_week_promo(orders: ir.Table, items: ir.Table, start: dt.date) -> ir.Table:
    """List value and promotion discount (not coupons) by store x week.

    A store's own promotions (an opening discount) raise its sales through price, not through
    pull on its neighbours' customers; the Huff fit needs that price level to tell the two apart.
    Coupons are left out: they follow the customer (welcome coupons to new customers), not the
    store's shelf price.
    """
    promo = items.group_by("order_id").aggregate(promo=items.promo_discount.sum())
    o = orders.select("order_id", "store_id", "order_time", "list_amount").join(promo, "order_id")
    o = o.mutate(week=day_index(o.order_time, start) // 7)
    return (
        o.group_by("store_id", "week")
        .aggregate(list_amount=o.list_amount.sum(), promo_discount=o.promo.sum())
        .order_by(["store_id", "week"])
    )
