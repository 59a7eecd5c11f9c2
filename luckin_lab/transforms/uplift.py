"""Raw campaign tables -> one row per randomized user: pre-campaign features and outcomes (Ibis).

The issue time of each unit is its ``assigned_time``; features use only orders before it
(no leakage) and outcomes only orders in [issue, issue + window). Orders are the revenue
orders of :func:`luckin_lab.transforms.sales.revenue_orders` (completed, USD, real stores;
the rest is counted as excluded there). Item lines give the margin: paid_price x quantity
minus unit_cost x quantity, where paid_price already nets the coupon discount.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from luckin_lab.sources import DataStore
from luckin_lab.transforms.clock import days_between
from luckin_lab.transforms.sales import revenue_orders

OUTCOMES = ["purchase", "n_orders", "revenue", "margin", "discount"]
NUMERIC_FEATURES = [
    "tenure_days", "n_orders_prior", "n_orders_30d", "n_orders_90d", "recency_days",
    "customer_age_days", "spend_prior", "avg_order_value", "promo_share", "n_stores",
    "n_coupons_prior", "n_coupons_redeemed_prior",
    # the coupon acts on the user's current occasion rate: recent rates, recency against the
    # user's own order gap (still active or lapsed), and how close the nearest store is
    "order_rate_prior", "order_rate_30d", "order_rate_90d", "recency_gap_ratio",
    "has_prior_order", "home_store_km", "stores_within_1km", "store_access",
]
KM_PER_DEG_LAT = 111.0
KM_PER_DEG_LON_NYC = 84.1  # 111 km x cos(40.75 deg): flat-earth distances within the city
CATEGORICAL_FEATURES = ["segment", "acquisition_channel", "home_store", "favourite_category"]


def experiment_window_days(store: DataStore, experiment_id: str) -> int:
    """The outcome window registered for the experiment, in days."""
    exp = store.execute(store.table("experiments").filter(
        lambda t: t.experiment_id == experiment_id))
    if exp.empty:
        known = store.execute(store.table("experiments").select("experiment_id"))["experiment_id"]
        raise KeyError(f"experiment '{experiment_id}' not in table 'experiments'; "
                       f"known: {sorted(known)}")
    row = exp.iloc[0]
    if row["unit"] != "user":
        raise ValueError(f"experiment '{experiment_id}' randomizes unit '{row['unit']}', "
                         "the campaign frame needs user-level randomization")
    return int(row["outcome_window_days"])


def campaign_units(store: DataStore, experiment_id: str) -> ir.Table:
    """Randomized users of the experiment with issue time and window end."""
    window = experiment_window_days(store, experiment_id)
    a = store.table("experiment_assignments")
    a = a.filter(a.experiment_id == experiment_id)
    users = store.table("users")
    n_all = int(store.execute(a.count()))
    if n_all == 0:
        raise ValueError(f"experiment_assignments has no rows for experiment '{experiment_id}'")
    units = a.join(users, a.unit_id == users.user_id).select(
        unit_id=a.unit_id, arm=a.arm, cluster_id=a.cluster_id, issue_time=a.assigned_time,
        window_end=a.assigned_time + ibis.interval(days=window), register_time=users.register_time,
        segment=users.segment, acquisition_channel=users.acquisition_channel,
    )
    n_known = int(store.execute(units.count()))
    if n_known < n_all:
        store.exclude("experiment_assignments",
                      f"{experiment_id}: unit_id not a known user", n_all - n_known)
    return units


def order_lines(store: DataStore) -> ir.Table:
    """Revenue orders with their margin and coupon discount (one row per order)."""
    items = store.table("order_items")
    products = store.table("products").select("product_id", "category", "unit_cost")
    li = items.join(products, "product_id")
    per_order = li.group_by("order_id").aggregate(
        margin=(li.paid_price * li.quantity - li.unit_cost * li.quantity).sum(),
        coupon_discount=(li.coupon_discount * li.quantity).sum(),
    )
    o = revenue_orders(store).select("order_id", "user_id", "store_id", "order_time",
                                     "pay_amount", "list_amount", "discount_amount")
    return o.join(per_order, "order_id", how="left").mutate(
        margin=lambda t: t.margin.fill_null(0.0),
        coupon_discount=lambda t: t.coupon_discount.fill_null(0.0),
    )


def home_proximity(store: DataStore, units: ir.Table) -> ir.Table:
    """Distance from each unit's home cell to the stores open at issue (km), per unit.

    Store choice falls with distance, so a user far from every store buys less often and a
    coupon moves them differently. Cells x stores is small (~10^4 pairs).
    """
    users = store.table("users").select("user_id", "home_cell_id")
    cells = store.table("location_features").select("cell_id", "lat", "lon")
    stores = store.table("stores")
    stores = stores.filter(stores.currency == "USD").select(
        s_lat=stores.lat, s_lon=stores.lon, open_date=stores.open_date)
    u = units.select("unit_id", "issue_time").join(users, units.unit_id == users.user_id)
    u = u.join(cells, u.home_cell_id == cells.cell_id)
    pairs = u.cross_join(stores).filter(lambda t: t.open_date.cast("timestamp") <= t.issue_time)
    km = (((pairs.lat - pairs.s_lat) * KM_PER_DEG_LAT) ** 2
          + ((pairs.lon - pairs.s_lon) * KM_PER_DEG_LON_NYC) ** 2).sqrt()
    pairs = pairs.mutate(km=km)
    return pairs.group_by("unit_id").aggregate(
        home_store_km=pairs.km.min(),
        stores_within_1km=(pairs.km < 1.0).sum(),
        store_access=(-pairs.km).exp().sum(),
    )


def most_frequent(t: ir.Table, key: str, col: str, name: str) -> ir.Table:
    """Each key's most frequent value, ties to the smallest: unlike ``mode()``, the same every run."""
    counts = t.group_by([key, col]).aggregate(_n=t.count())
    w = ibis.window(group_by=counts[key], order_by=[ibis.desc(counts._n), counts[col]])
    ranked = counts.mutate(_rank=ibis.row_number().over(w))
    return ranked.filter(ranked._rank == 0).select(key, **{name: ranked[col]})


def campaign_frame(store: DataStore, experiment_id: str) -> ir.Table:
    """One row per randomized user: unit_id, arm, cluster_id, features, outcomes."""
    units = campaign_units(store, experiment_id)
    orders = order_lines(store)
    uo = units.select("unit_id", "issue_time", "window_end").join(
        orders, units.unit_id == orders.user_id)
    during = uo.filter((uo.order_time >= uo.issue_time) & (uo.order_time < uo.window_end))
    outs = during.group_by("unit_id").aggregate(
        n_orders=during.count(),
        revenue=during.pay_amount.sum(),
        margin=during.margin.sum(),
        discount=during.coupon_discount.sum(),
    )
    feats = unit_features(store, units)
    f = units.select("unit_id", "arm", "cluster_id", "issue_time").left_join(
        outs, "unit_id").drop("unit_id_right")
    f = f.left_join(feats, "unit_id").drop("unit_id_right")
    zero = ibis.literal(0)
    f = f.mutate(
        purchase=(f.n_orders.fill_null(zero) > 0).cast("int64"),
        n_orders=f.n_orders.fill_null(zero).cast("int64"),
        revenue=f.revenue.fill_null(0.0),
        margin=f.margin.fill_null(0.0),
        discount=f.discount.fill_null(0.0),
    )
    return f.select("unit_id", "arm", "cluster_id", "issue_time", *OUTCOMES, *NUMERIC_FEATURES,
                    *CATEGORICAL_FEATURES).order_by("unit_id")


def unit_features(store: DataStore, units: ir.Table) -> ir.Table:
    """Each unit's history before its ``issue_time`` as the campaign's features: one row per unit.

    ``units`` needs unit_id (a user id), issue_time, register_time, segment and
    acquisition_channel. The campaign frame uses it at each coupon's issue; the customer
    report at today, to score current customers with models learned on the campaign.
    """
    orders = order_lines(store)
    uo = units.select("unit_id", "issue_time").join(orders, units.unit_id == orders.user_id)

    before = uo.filter(uo.order_time < uo.issue_time)
    age = days_between(before.issue_time, before.order_time)
    before = before.mutate(age=age)
    feats = before.group_by("unit_id").aggregate(
        n_orders_prior=before.count(),
        n_orders_30d=(before.age < 30).sum(),
        n_orders_90d=(before.age < 90).sum(),
        recency_days=before.age.min(),
        customer_age_days=before.age.max(),
        spend_prior=before.pay_amount.sum(),
        list_prior=before.list_amount.sum(),
        promo_prior=before.discount_amount.sum(),
        n_stores=before.store_id.nunique(),
    ).join(most_frequent(before, "unit_id", "store_id", "home_store"), "unit_id", how="left")

    items = store.table("order_items").select("order_id", "product_id", "quantity")
    cats = store.table("products").select("product_id", "category")
    bi = before.select("unit_id", "order_id").join(items, "order_id").join(cats, "product_id")
    fav = most_frequent(bi, "unit_id", "category", "favourite_category")

    coupons = store.table("coupons")
    uc = units.select("unit_id", "issue_time").join(coupons, units.unit_id == coupons.user_id)
    uc = uc.filter(uc.issue_time_right < uc.issue_time)
    coup = uc.group_by("unit_id").aggregate(
        n_coupons_prior=uc.count(),
        n_coupons_redeemed_prior=(uc.status == "redeemed").sum(),
    )

    f = units
    prox = home_proximity(store, units)
    for i, part in enumerate([feats, fav, coup, prox]):
        f = f.left_join(part, "unit_id", rname=f"{{name}}_{i}").drop(f"unit_id_{i}")
    tenure = days_between(f.issue_time, f.register_time)
    zero = ibis.literal(0)
    n_prior = f.n_orders_prior.fill_null(zero).cast("float64")
    history = f.customer_age_days.fill_null(0.0)  # days since the first order
    recency = f.recency_days.fill_null(tenure)  # no order yet: days since registering
    own_gap = history / ibis.greatest(n_prior - 1.0, 1.0)
    return f.select(
        "unit_id",
        tenure_days=tenure.cast("float64"),
        n_orders_prior=f.n_orders_prior.fill_null(zero).cast("float64"),
        n_orders_30d=f.n_orders_30d.fill_null(zero).cast("float64"),
        n_orders_90d=f.n_orders_90d.fill_null(zero).cast("float64"),
        recency_days=recency.cast("float64"),
        customer_age_days=f.customer_age_days.fill_null(0.0),
        spend_prior=f.spend_prior.fill_null(0.0),
        avg_order_value=(f.spend_prior / f.n_orders_prior.nullif(0)).fill_null(0.0),
        promo_share=(f.promo_prior / f.list_prior.nullif(0.0)).fill_null(0.0),
        n_stores=f.n_stores.fill_null(zero).cast("float64"),
        n_coupons_prior=f.n_coupons_prior.fill_null(zero).cast("float64"),
        n_coupons_redeemed_prior=f.n_coupons_redeemed_prior.fill_null(zero).cast("float64"),
        order_rate_prior=n_prior / ibis.greatest(history, 7.0),
        order_rate_30d=f.n_orders_30d.fill_null(zero) / ibis.greatest(ibis.least(history, 30.0), 7.0),
        order_rate_90d=f.n_orders_90d.fill_null(zero) / ibis.greatest(ibis.least(history, 90.0), 7.0),
        recency_gap_ratio=(recency / ibis.greatest(own_gap, 1.0)).cast("float64"),
        has_prior_order=(n_prior > 0).cast("float64"),
        home_store_km=f.home_store_km.fill_null(99.0),
        stores_within_1km=f.stores_within_1km.fill_null(zero).cast("float64"),
        store_access=f.store_access.fill_null(0.0),
        segment=f.segment,
        acquisition_channel=f.acquisition_channel,
        home_store=f.home_store.cast("string").fill_null("none"),
        favourite_category=f.favourite_category.fill_null("none"),
    )


def campaign_features(store: DataStore, user_ids: pd.Series, as_of: dt.date) -> ir.Table:
    """The campaign's features for ``user_ids`` as of the end of ``as_of`` (as if a coupon were
    issued at midnight after it): models learned on a past campaign score customers today."""
    ids = ibis.memtable(pd.DataFrame({"unit_id": user_ids.to_numpy()}))
    users = store.table("users")
    issue = ibis.timestamp(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()))
    units = ids.join(users, ids.unit_id == users.user_id).select(
        unit_id=ids.unit_id, issue_time=issue, register_time=users.register_time,
        segment=users.segment, acquisition_channel=users.acquisition_channel)
    return unit_features(store, units)
