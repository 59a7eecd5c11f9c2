"""IoT devices, status events and cup orders with planted failure laws.

Each device alternates online spells and repairs. An online spell ends in a failure drawn
from a Weibull proportional-hazards law on the time since the last renewal (installation or
repair), per device type, multiplied by exp(beta_cups * cups_per_day / 100 + model effect +
beta_age * age_years). A repair backlog (a share of failures wait long for a technician) is
calibrated so that the planted share of devices is offline at the snapshot. Short
connectivity blips go offline for minutes and are not failures. Devices of the flagship are
installed before the status log starts (left truncation; the registry keeps their last
service date). Cups are made on the store's online cup-making devices for every drink sold,
plus remakes; the planted cups-per-day covariate is the one an analyst can compute from the
cup log (found by a short fixed-point iteration, because cups move to the devices that
remain online).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceTypeTruth(_M):
    """The failure law of one device type (Weibull PH on days since last renewal)."""

    devices_per_store: float = Field(gt=0, description="expected devices of this type per store")
    makes_cups: bool = Field(description="cups are logged on devices of this type")
    cup_weight: float = Field(1.0, gt=0, description="relative share of cups a maker device gets")
    weibull_shape: float = Field(gt=0)
    weibull_scale_days: float = Field(gt=0, description="scale at cups 0, reference model, age 0")
    models: dict[str, float] = Field(description="model name -> log hazard ratio (reference 0)")


DEFAULT_TYPES = {
    "coffee_machine": DeviceTypeTruth(
        devices_per_store=6.0, makes_cups=True, cup_weight=1.6, weibull_shape=1.6,
        weibull_scale_days=24.0, models={"Eversys Cameo C2": 0.0, "Franke A1000": 0.45},
    ),
    "grinder": DeviceTypeTruth(
        devices_per_store=5.0, makes_cups=False, weibull_shape=1.9, weibull_scale_days=26.0,
        models={"Mahlkonig E65S": 0.0, "Mazzer Robur S": 0.35},
    ),
    "ice_maker": DeviceTypeTruth(
        devices_per_store=3.0, makes_cups=False, weibull_shape=1.25, weibull_scale_days=22.0,
        models={"Hoshizaki KM-515": 0.0, "Manitowoc NEO": 0.30},
    ),
    "dispenser": DeviceTypeTruth(
        devices_per_store=5.6, makes_cups=True, cup_weight=1.0, weibull_shape=1.4,
        weibull_scale_days=28.0, models={"Bunn Ultra-2": 0.0, "Cornelius Viper": 0.40},
    ),
}


class GenericFleetTruth(_M):
    """A second asset fleet (receipt printers and kiosks) delivered as a generic time-to-event extract."""

    n_units: int = Field(600, ge=10, description="units at seed scale")
    weibull_shape: dict[str, float] = Field(
        default_factory=lambda: {"receipt_printer": 1.5, "self_order_kiosk": 1.1}
    )
    weibull_scale_days: dict[str, float] = Field(
        default_factory=lambda: {"receipt_printer": 60.0, "self_order_kiosk": 90.0},
        description="scale at 150 prints a day and 50 % humidity",
    )
    beta_prints_per_day_per_100: float = 0.30
    beta_humidity_per_10pct: float = 0.20
    observation_days: float = 240.0
    truncated_share: float = Field(0.3, ge=0, le=1, description="units already in service when the log began")


class IoTTruth(_M):
    """Fleet size, failure laws, repairs, blips and cup logging of the IoT platform."""

    n_devices: int = Field(216, ge=1, description="devices at seed scale (scaled by the synth scale)")
    min_devices_per_store: int = Field(6, ge=2)
    types: dict[str, DeviceTypeTruth] = Field(default_factory=lambda: dict(DEFAULT_TYPES))
    beta_cups_per_100: float = Field(0.40, description="log hazard ratio per 100 cups a day")
    beta_age_per_year: float = Field(0.22, description="log hazard ratio per year of device age")
    refurbished_share: float = Field(0.3, ge=0, le=1, description="devices built 1-4 years before install")
    preinstall_days: tuple[float, float] = Field(
        (45.0, 300.0), description="flagship devices installed this many days before the log starts"
    )
    offline_share_at_snapshot: float = Field(0.57, gt=0, lt=1, description="calibrated repair backlog target")
    quick_repair_share: float = Field(0.55, ge=0, le=1)
    quick_repair_median_days: float = Field(1.2, gt=0)
    min_repair_hours: float = Field(8.0, gt=0, description="every real failure lasts at least this long")
    blip_rate_per_day: float = Field(0.08, ge=0, description="connectivity blips per online day")
    blip_median_minutes: float = Field(20.0, gt=0)
    blip_max_hours: float = Field(3.0, gt=0, description="blips are always shorter than this")
    heartbeat_share: float = Field(0.05, ge=0, description="redundant repeated status rows (per transition)")
    remake_rate: float = Field(0.068, ge=0, description="extra cups per drink sold (remakes)")
    production_minutes: tuple[float, float] = (1.0, 6.0)
    fixed_point_passes: int = Field(3, ge=1)
    generic_fleet: GenericFleetTruth = Field(default_factory=GenericFleetTruth)


# --------------------------------------------------------------------------------------
DAY_NS = 86_400 * 10**9


def _days(ts: pd.Series | pd.DatetimeIndex | np.ndarray, start: pd.Timestamp) -> np.ndarray:
    """Timestamps -> float days since ``start``."""
    values = pd.to_datetime(ts).to_numpy(dtype="datetime64[ns]").astype("int64")
    return (values - start.value) / DAY_NS


def _ts(days: np.ndarray, start: pd.Timestamp) -> pd.DatetimeIndex:
    """Float days since ``start`` -> timestamps rounded to the second."""
    ns = start.value + np.round(np.asarray(days, dtype="float64") * 86_400).astype("int64") * 10**9
    return pd.DatetimeIndex(ns.astype("datetime64[ns]"))


def _allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Integer split of ``total`` proportional to ``weights`` with a floor (largest remainder)."""
    n = len(weights)
    base = np.full(n, minimum)
    rest = total - base.sum()
    if rest <= 0:
        return base
    raw = weights / weights.sum() * rest
    out = np.floor(raw).astype(int)
    left = rest - out.sum()
    out[np.argsort(-(raw - out))[:left]] += 1
    return base + out


def _make_devices(
    rng: np.random.Generator, truth: IoTTruth, stores: pd.DataFrame, start: pd.Timestamp, scale: float
) -> pd.DataFrame:
    n_store = len(stores)
    n_total = max(int(round(truth.n_devices * scale)), truth.min_devices_per_store * n_store)
    per_store = _allocate(n_total, rng.gamma(8.0, 1.0, n_store), truth.min_devices_per_store)
    type_names = list(truth.types)
    makers = [t for t in type_names if truth.types[t].makes_cups]
    if not makers:
        raise ValueError("iot.types: at least one device type must have makes_cups: true")
    shares = np.array([truth.types[t].devices_per_store for t in type_names])
    shares = shares / shares.sum()
    rows = []
    for j, n in enumerate(per_store):
        # every store has one device of each type, the rest by the planted mix
        fixed = type_names[: min(n, len(type_names))]
        extra = rng.choice(type_names, size=n - len(fixed), p=shares)
        for dtype in [*fixed, *extra]:
            models = list(truth.types[dtype].models)
            rows.append((j, dtype, models[rng.integers(len(models))]))
    dev = pd.DataFrame(rows, columns=["store_idx", "device_type", "model"])
    dev["store_id"] = stores.store_id.to_numpy()[dev.store_idx]
    open_day = _days(stores.open_date, start)[dev.store_idx]
    lo, hi = truth.preinstall_days
    pre = open_day <= 0.5
    install = np.where(
        pre, -rng.uniform(lo, hi, len(dev)), open_day - rng.uniform(1.0, 6.0, len(dev))
    )
    install = np.where(~pre, np.maximum(install, 0.01), install)
    refurb = rng.random(len(dev)) < truth.refurbished_share
    built = install - np.where(refurb, rng.uniform(365, 4 * 365, len(dev)), rng.uniform(15, 120, len(dev)))
    dev["install_day"] = install
    dev["built_day"] = built
    dev["makes_cups"] = dev.device_type.map({t: truth.types[t].makes_cups for t in type_names})
    dev["cup_weight"] = np.where(
        dev.makes_cups,
        dev.device_type.map({t: truth.types[t].cup_weight for t in type_names}).to_numpy()
        * rng.lognormal(0.0, 0.45, len(dev)),
        0.0,
    )
    dev["log_hr_model"] = [truth.types[t].models[m] for t, m in zip(dev.device_type, dev.model, strict=True)]
    dev["shape"] = dev.device_type.map({t: truth.types[t].weibull_shape for t in type_names})
    dev["scale_days"] = dev.device_type.map({t: truth.types[t].weibull_scale_days for t in type_names})
    return dev


def _simulate_spells(
    truth: IoTTruth,
    dev: pd.DataFrame,
    cups_per_day: np.ndarray,
    u_fail: np.ndarray,
    u_repair: np.ndarray,
    u_kind: np.ndarray,
    long_mean: float,
    end: float,
) -> pd.DataFrame:
    """Renewal process per device: online spell -> failure -> repair -> ... until ``end``.

    Uses pre-drawn uniforms (common random numbers), so that repair calibration and the
    cups fixed point move the same failures rather than redraw them.
    """
    n, k_max = u_fail.shape
    shape = dev["shape"].to_numpy()
    scale = dev["scale_days"].to_numpy()
    lin = truth.beta_cups_per_100 * cups_per_day / 100.0 + dev.log_hr_model.to_numpy()
    t0 = dev.install_day.to_numpy().copy()
    built = dev.built_day.to_numpy()
    alive = np.ones(n, dtype=bool)
    q_med = truth.quick_repair_median_days
    min_rep = truth.min_repair_hours / 24.0
    out = []
    for k in range(k_max):
        if not alive.any():
            break
        age = (t0 - built) / 365.25
        mult = np.exp(lin + truth.beta_age_per_year * age)
        gap = scale * (-np.log(u_fail[:, k]) / mult) ** (1.0 / shape)
        fail = t0 + gap
        event = fail < end
        quick = u_kind[:, k] < truth.quick_repair_share
        rep_q = min_rep + q_med * np.exp(0.6 * _norm_ppf(u_repair[:, k]))
        rep_l = min_rep + -np.log(u_repair[:, k]) * long_mean
        repair = np.where(quick, rep_q, rep_l)
        idx = np.flatnonzero(alive)
        out.append(
            pd.DataFrame(
                {
                    "dev_idx": idx,
                    "spell": k,
                    "renewal_day": t0[idx],
                    "failure_day": np.where(event, fail, np.nan)[idx],
                    "repaired_day": np.where(event, fail + repair, np.nan)[idx],
                    "age_years": age[idx],
                    "hazard_multiplier": mult[idx],
                }
            )
        )
        nxt = fail + repair
        alive &= event & (nxt < end)
        t0 = np.where(alive, nxt, t0)
    if alive.any():
        raise RuntimeError("IoT simulation needs more spells per device; raise k_max")
    return pd.concat(out, ignore_index=True)


def _norm_ppf(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(np.clip(u, 1e-12, 1 - 1e-12))


def _offline_at(spells: pd.DataFrame, day: float, installed: np.ndarray) -> np.ndarray:
    """Per device: offline at ``day`` (failed and not yet repaired)."""
    down = (spells.failure_day <= day) & (spells.repaired_day > day)
    off = np.zeros(len(installed), dtype=bool)
    off[spells.dev_idx[down].to_numpy()] = True
    return off[installed]


def _online_bounds(spells: pd.DataFrame, n_dev: int, lo: float, hi: float) -> list[np.ndarray]:
    """Sorted [start, end, start, end, ...] online spell bounds per device, clipped to [lo, hi]."""
    s = spells.renewal_day.clip(lower=lo).to_numpy()
    e = spells.failure_day.fillna(hi).clip(upper=hi).to_numpy()
    keep = e > s
    order = np.lexsort((s[keep], spells.dev_idx.to_numpy()[keep]))
    di = spells.dev_idx.to_numpy()[keep][order]
    pairs = np.column_stack([s[keep][order], e[keep][order]])
    splits = np.searchsorted(di, np.arange(n_dev + 1))
    return [pairs[splits[d] : splits[d + 1]].ravel() for d in range(n_dev)]


def _route_cups(
    rng: np.random.Generator,
    dev: pd.DataFrame,
    bounds: list[np.ndarray],
    item_store: np.ndarray,
    item_day: np.ndarray,
) -> np.ndarray:
    """Device index per drink (-1 when no cup-making device of the store was online)."""
    out = np.full(len(item_day), -1, dtype=np.int64)
    u = rng.random(len(item_day))
    makers = dev.index[dev.makes_cups].to_numpy()
    store_of = dev.store_idx.to_numpy()
    weight = dev.cup_weight.to_numpy()
    for j in np.unique(store_of[makers]):
        devs = makers[store_of[makers] == j]
        items = np.flatnonzero(item_store == j)
        if len(items) == 0:
            continue
        t = item_day[items]
        w = np.empty((len(items), len(devs)))
        for c, d in enumerate(devs):
            pos = np.searchsorted(bounds[d], t, side="right")
            w[:, c] = (pos % 2 == 1) * weight[d]
        cum = np.cumsum(w, axis=1)
        total = cum[:, -1]
        pick = (cum < (u[items] * total)[:, None]).sum(axis=1)
        ok = total > 0
        out[items[ok]] = devs[np.minimum(pick[ok], len(devs) - 1)]
    return out


def _usage(
    dev: pd.DataFrame,
    bounds: list[np.ndarray],
    cup_dev: np.ndarray,
    cup_store: np.ndarray,
    store_open_days: np.ndarray,
) -> np.ndarray:
    """Cups per day as the analysis computes it: makers per online day; support devices the
    store's cups per open day shared by the devices of their type in the store."""
    n = len(dev)
    online_days = np.array([np.sum(b[1::2] - b[0::2]) if len(b) else 0.0 for b in bounds])
    logged = cup_dev >= 0
    dev_cups = np.bincount(cup_dev[logged], minlength=n).astype(float)
    store_cups = np.bincount(cup_store[logged], minlength=len(store_open_days)).astype(float)
    per_store_day = store_cups / np.maximum(store_open_days, 1.0)
    n_same = dev.groupby(["store_idx", "device_type"]).device_type.transform("size").to_numpy()
    support = per_store_day[dev.store_idx.to_numpy()] / n_same
    maker = dev_cups / np.maximum(online_days, 1.0)
    return np.where(dev.makes_cups.to_numpy(), maker, support)


def _calibrate_long_repair(
    truth: IoTTruth, dev: pd.DataFrame, cups: np.ndarray, draws: tuple, end: float
) -> float:
    """Mean wait of a backlogged repair such that the planted share is offline at ``end``."""
    installed = np.arange(len(dev))
    lo, hi = 0.5, 2000.0
    for _ in range(40):
        mid = np.sqrt(lo * hi)
        sp = _simulate_spells(truth, dev, cups, *draws, long_mean=mid, end=end)
        share = _offline_at(sp, end, installed).mean()
        if share < truth.offline_share_at_snapshot:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1.01:
            break
    return float(np.sqrt(lo * hi))


def _status_events(
    rng: np.random.Generator, truth: IoTTruth, dev: pd.DataFrame, spells: pd.DataFrame, end: float
) -> tuple[pd.DataFrame, int]:
    """The status log: starts at max(install, 0); failures, repairs, blips, heartbeats."""
    log_start = np.maximum(dev.install_day.to_numpy(), 0.0)
    d = spells.dev_idx.to_numpy()
    ev_dev, ev_day, ev_on = [], [], []
    # initial row: status at the log start
    off0 = np.zeros(len(dev), dtype=bool)
    pre = spells[(spells.failure_day <= 0) & (spells.repaired_day > 0)]
    off0[pre.dev_idx.to_numpy()] = True
    off0 &= dev.install_day.to_numpy() < 0
    ev_dev.append(np.arange(len(dev)))
    ev_day.append(log_start)
    ev_on.append(~off0)
    fail = spells.failure_day.to_numpy()
    rep = spells.repaired_day.to_numpy()
    m = np.isfinite(fail) & (fail > log_start[d])
    ev_dev.append(d[m])
    ev_day.append(fail[m])
    ev_on.append(np.zeros(m.sum(), dtype=bool))
    m = np.isfinite(rep) & (rep > log_start[d]) & (rep < end)
    ev_dev.append(d[m])
    ev_day.append(rep[m])
    ev_on.append(np.ones(m.sum(), dtype=bool))
    # blips inside observed online spells
    s = np.maximum(spells.renewal_day.to_numpy(), log_start[d])
    e = np.where(np.isfinite(fail), fail, end)
    length = np.clip(e - s, 0, None)
    n_blip = rng.poisson(truth.blip_rate_per_day * length)
    bd = np.repeat(np.arange(len(spells)), n_blip)
    dur = np.minimum(
        truth.blip_median_minutes / 1440.0 * rng.lognormal(0.0, 0.8, len(bd)),
        0.95 * truth.blip_max_hours / 24.0,
    )
    at = s[bd] + rng.random(len(bd)) * length[bd]
    ok = at + dur < e[bd] - 1e-3
    bd, at, dur = bd[ok], at[ok], dur[ok]
    ev_dev += [d[bd], d[bd]]
    ev_day += [at, at + dur]
    ev_on += [np.zeros(len(bd), dtype=bool), np.ones(len(bd), dtype=bool)]
    log = pd.DataFrame(
        {"dev_idx": np.concatenate(ev_dev), "day": np.concatenate(ev_day), "online": np.concatenate(ev_on)}
    )
    # heartbeats: the platform repeats the current status now and then
    hb = log.sample(frac=truth.heartbeat_share, random_state=int(rng.integers(2**31)))
    hb = hb.assign(day=hb.day + rng.uniform(0.01, 0.2, len(hb)))
    hb = hb[hb.day < end]
    log = pd.concat([log, hb], ignore_index=True).sort_values(["dev_idx", "day"], kind="stable")
    # a heartbeat must not land after the next transition: keep its status equal to the previous row's
    prev = log.groupby("dev_idx").online.shift()
    is_hb = log.index >= len(log) - len(hb)
    log.loc[is_hb & prev.notna(), "online"] = prev[is_hb & prev.notna()].astype(bool)
    return log.reset_index(drop=True), int(len(bd))


def synthesize_iot(
    rng: np.random.Generator,
    truth: IoTTruth,
    stores: pd.DataFrame,
    drink_items: pd.DataFrame,
    start: pd.Timestamp,
    snapshot: pd.Timestamp,
    scale: float,
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Return ({table name: frame}, truth dict). ``drink_items`` has store_id, order_id, product_id, order_time."""
    start, snapshot = pd.Timestamp(start), pd.Timestamp(snapshot)
    end = _days(pd.Series([snapshot]), start)[0]
    real = stores
    if "is_test_store" in stores.columns:
        real = stores[~stores.is_test_store.astype(bool)]
    real = real.reset_index(drop=True)
    dev = _make_devices(rng, truth, real, start, scale)
    n = len(dev)
    store_open = np.maximum(_days(real.open_date, start), 0.0)
    store_open_days = end - store_open

    k_max = 80
    draws = (rng.random((n, k_max)), rng.random((n, k_max)), rng.random((n, k_max)))
    # drinks of stores with devices
    pos = pd.Index(real.store_id).get_indexer(drink_items.store_id)
    items = drink_items[pos >= 0]
    item_store = pos[pos >= 0]
    item_day = _days(items.order_time, start) + rng.uniform(*truth.production_minutes, len(items)) / 1440.0
    n_remake = int(round(truth.remake_rate * len(items)))
    remake_src = rng.choice(len(items), size=n_remake, replace=False) if len(items) else np.array([], int)
    cup_src = np.concatenate([np.arange(len(items)), remake_src])
    cup_day = np.concatenate([item_day, item_day[remake_src] + rng.uniform(2, 8, n_remake) / 1440.0])
    cup_store = item_store[cup_src]
    cup_remake = np.arange(len(cup_src)) >= len(items)
    keep = cup_day < end
    cup_src, cup_day, cup_store, cup_remake = (
        cup_src[keep], cup_day[keep], cup_store[keep], cup_remake[keep]
    )
    route_seed = int(rng.integers(2**31))

    # fixed point: the planted usage is what the analysis will measure from the cup log
    expected_online = 1.0 - truth.offline_share_at_snapshot / 2
    cups = _usage(
        dev, [np.array([0.0, 1.0])] * n, np.zeros(len(cup_store), np.int64), cup_store, store_open_days
    )
    maker = dev.makes_cups.to_numpy()
    w_share = dev.cup_weight / dev.groupby("store_idx").cup_weight.transform("sum")
    per_store_day = np.bincount(cup_store, minlength=len(real)) / np.maximum(store_open_days, 1.0)
    cups = np.where(maker, per_store_day[dev.store_idx] * w_share / expected_online, cups)
    gaps = []
    for _ in range(truth.fixed_point_passes):
        planted = cups
        long_mean = _calibrate_long_repair(truth, dev, planted, draws, end)
        spells = _simulate_spells(truth, dev, planted, *draws, long_mean=long_mean, end=end)
        bounds = _online_bounds(spells, n, 0.0, end)
        cup_dev = _route_cups(np.random.default_rng(route_seed), dev, bounds, cup_store, cup_day)
        cups = _usage(dev, bounds, cup_dev, cup_store, store_open_days)
        gaps.append(float(np.median(np.abs(cups - planted) / np.maximum(planted, 1.0))))

    # ---- tables -------------------------------------------------------------------
    dev["device_id"] = [f"DEV-{i:06d}" for i in range(1, n + 1)]
    before = spells[spells.renewal_day <= 0].groupby("dev_idx").renewal_day.max()
    last_service = pd.Series(np.nan, index=dev.index)
    pre = dev.install_day.to_numpy() < 0
    last_service.loc[before.index] = before
    last_service[~pre] = np.nan
    devices = pd.DataFrame(
        {
            "device_id": dev.device_id,
            "store_id": dev.store_id.astype("int64"),
            "device_type": dev.device_type,
            "model": dev.model,
            "makes_cups": dev.makes_cups.astype(bool),
            "install_time": _ts(dev.install_day, start),
            "manufacture_date": _ts(np.floor(dev.built_day), start),
            "last_service_time": pd.Series(_ts(last_service.fillna(0).to_numpy(), start)).where(
                last_service.notna().to_numpy()
            ),
            "firmware": np.where(rng.random(n) < 0.5, "4.2.1", "4.3.0"),
        }
    )
    log, n_blips = _status_events(rng, truth, dev, spells, end)
    status = pd.DataFrame(
        {
            "event_id": np.arange(1, len(log) + 1, dtype="int64"),
            "device_id": dev.device_id.to_numpy()[log.dev_idx],
            "event_time": _ts(log.day, start),
            "status": np.where(log.online, "online", "offline"),
        }
    )
    logged = cup_dev >= 0
    order = np.argsort(cup_day[logged], kind="stable")
    src = cup_src[logged][order]
    cup_orders = pd.DataFrame(
        {
            "cup_id": np.arange(1, logged.sum() + 1, dtype="int64"),
            "device_id": dev.device_id.to_numpy()[cup_dev[logged][order]],
            "store_id": real.store_id.to_numpy()[cup_store[logged][order]].astype("int64"),
            "order_id": items.order_id.to_numpy()[src].astype("int64").astype(str),
            "product_id": items.product_id.to_numpy()[src],
            "made_time": _ts(cup_day[logged][order], start),
            "is_remake": cup_remake[logged][order],
        }
    )

    # ---- truth ----------------------------------------------------------------------
    offline = _offline_at(spells, end, np.arange(n))
    spells_out = spells.assign(
        device_id=dev.device_id.to_numpy()[spells.dev_idx],
        renewal_time=_ts(spells.renewal_day, start),
        failure_time=pd.Series(_ts(spells.failure_day.fillna(0), start)).where(spells.failure_day.notna().to_numpy()),
    ).drop(columns=["dev_idx"])
    dev_truth = pd.DataFrame(
        {
            "device_id": dev.device_id,
            "device_type": dev.device_type,
            "model": dev.model,
            "weibull_shape": dev["shape"],
            "weibull_scale_days": dev.scale_days,
            "log_hr_model": dev.log_hr_model,
            "planted_cups_per_day": planted,
            "measured_cups_per_day": cups,
            "built_day": dev.built_day,
            "install_day": dev.install_day,
            "log_hr_without_age": truth.beta_cups_per_100 * planted / 100 + dev.log_hr_model,
            "offline_at_snapshot": offline,
            "n_failures_in_window": spells.assign(f=spells.failure_day.between(0, end))
            .groupby("dev_idx").f.sum().reindex(range(n), fill_value=0).to_numpy(),
        }
    )
    generic, generic_truth = synthesize_generic_fleet(rng, truth.generic_fleet, scale)
    tables = {
        "iot_devices": devices,
        "iot_device_status": status,
        "iot_cup_orders": cup_orders.drop(columns=["is_remake"]),
        "generic_time_to_event": generic,
    }
    truth_dict = {
        "n_devices": n,
        "offline_share_at_snapshot": float(offline.mean()),
        "long_repair_mean_days": long_mean,
        "n_failures_in_window": int(dev_truth.n_failures_in_window.sum()),
        "n_blips": n_blips,
        "n_cups": int(len(cup_orders)),
        "n_cups_unlogged_no_online_device": int((~logged).sum()),
        "n_remakes": int(cup_orders.is_remake.sum()),
        "cups_fixed_point_median_rel_gap": gaps,
        "beta_cups_per_100": truth.beta_cups_per_100,
        "beta_age_per_year": truth.beta_age_per_year,
        "types": {k: v.model_dump() for k, v in truth.types.items()},
        "time_scale": "days since last renewal (installation or repair); age in years at renewal",
        "generic_fleet": generic_truth,
        "iot_devices_frame": dev_truth,
        "iot_spells_frame": spells_out,
    }
    return tables, truth_dict


def synthesize_generic_fleet(
    rng: np.random.Generator, g: GenericFleetTruth, scale: float
) -> tuple[pd.DataFrame, dict]:
    """Receipt printers and kiosks as a generic time-to-event extract (start, stop, event, covariates).

    Times are days since the last renewal; units already in service when the log began
    enter late (start > 0); repaired units start new spells.
    """
    n = max(int(round(g.n_units * scale)), 150)
    kinds = list(g.weibull_shape)
    kind = rng.choice(kinds, size=n)
    prints = rng.gamma(4.0, 40.0, n)
    humidity = rng.uniform(30, 70, n)
    # effects centred at 150 prints a day and 50 % humidity (where the scale applies)
    lin = (
        g.beta_prints_per_day_per_100 * (prints - 150) / 100
        + g.beta_humidity_per_10pct * (humidity - 50) / 10
    )
    shape = np.array([g.weibull_shape[k] for k in kind])
    scale_d = np.array([g.weibull_scale_days[k] for k in kind])
    trunc = rng.random(n) < g.truncated_share
    # calendar position of the log window for each unit: [0, T]; renewal at -a for truncated
    t0 = np.where(trunc, -rng.uniform(5, 120, n), rng.uniform(0, 0.5 * g.observation_days, n))
    rows = []
    alive = np.ones(n, dtype=bool)
    for _ in range(200):
        if not alive.any():
            break
        gap = scale_d * (-np.log(rng.random(n)) / np.exp(lin)) ** (1 / shape)
        fail = t0 + gap
        obs_from = np.maximum(t0, 0.0)
        seen = alive & (fail > obs_from)
        stop = np.minimum(fail, g.observation_days)
        idx = np.flatnonzero(seen)
        rows.append(
            pd.DataFrame(
                {
                    "u": idx,
                    "start": (obs_from - t0)[idx],
                    "stop": (stop - t0)[idx],
                    "event": (fail <= g.observation_days)[idx],
                }
            )
        )
        nxt = fail + rng.exponential(3.0, n)
        alive &= nxt < g.observation_days
        t0 = np.where(alive, nxt, t0)
    ep = pd.concat(rows, ignore_index=True)
    ep = ep[ep.stop > ep.start].sort_values(["u", "start"], kind="stable")
    frame = pd.DataFrame(
        {
            "unit_id": [f"PRN-{u:05d}" for u in ep.u],
            "start": ep.start.round(4).to_numpy(),
            "stop": ep.stop.round(4).to_numpy(),
            "event": ep.event.astype("int64").to_numpy(),
            "asset_type": kind[ep.u],
            "prints_per_day": prints[ep.u].round(1),
            "humidity_pct": humidity[ep.u].round(1),
        }
    ).reset_index(drop=True)
    return frame, {
        "n_units": n,
        "n_spells": len(frame),
        "n_events": int(frame.event.sum()),
        **g.model_dump(),
    }
