"""A chain of regions (`synth --scale x<N>`): unique keys across regions, region 0 equal to the
single-market store, and each region's planted truth still what its tables show."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_synth import campaign_contrasts

from luckin_lab.contracts import all_contracts
from luckin_lab.sources import open_store
from luckin_lab.synth.chain import build_chain, chain_regions, key_domains, shift_keys

AS_OF = "2026-12-07"


def test_chain_scale_names():
    assert chain_regions("x16") == 16
    assert chain_regions("seed") is None and chain_regions("4") is None
    with pytest.raises(ValueError, match="1 to 9,999 regions"):
        chain_regions("x0")


def test_keys_shift_per_region_and_foreign_keys_follow():
    contracts = all_contracts()
    domains = key_domains(contracts)
    assert domains[("payments", "order_id")] == "orders.order_id"  # varchar order key
    assert domains[("experiment_assignments", "unit_id")] == "users.user_id"
    assert domains[("orders", "store_id")] == "stores.store_id"

    def shift(values, domain, region):
        return shift_keys(pd.Series(values), domain, region, contracts).tolist()

    assert shift([101, 999], "stores.store_id", 3) == [3101, 3999]
    assert shift([1_000_000_003], "orders.order_id", 2) == [21_000_000_003]
    assert shift(["9000000000", None], "orders.order_id", 1) == ["19000000000", None]
    assert shift(["U0000001", "TEST0001", None], "users.user_id", 12) == ["U00120000001", "TEST00120001", None]
    assert shift(["DEV-000001"], "iot_devices.device_id", 7) == ["DEV-0007000001"]
    assert shift(["PT0-0-1"], "promotions.promo_id", 1) == ["PT00010-0-1"]
    assert shift(["CMP-2025-12-WINBACK"], "experiments.experiment_id", 5) == ["CMP-2025-12-WINBACK"]
    assert shift(["U0000001"], "users.user_id", 0) == ["U0000001"]
    assert pd.Series(shift(["DEV-000001"], "iot_devices.device_id", 9_999)).str.match(
        contracts["iot_devices"].columns["device_id"].pattern).all()


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    out = tmp_path_factory.mktemp("chain")
    build_chain(out, regions=2, region_scale="small")
    return out


@pytest.mark.slow
def test_chain_validates_as_one_store_and_region_zero_is_the_single_store(chain, small_store_dir):
    """Every contract and foreign key holds across the chain (keys unique over regions);
    region 0's parts are the small store's tables, value for value; region 1 is its own draw."""
    doc = json.loads((chain / "chain.json").read_text())
    assert doc["regions"] == 2 and doc["stores"] == 22
    store = open_store(f"folder:{chain / 'parquet'}", as_of=AS_OF)
    for name in ("stores", "users", "orders", "order_items", "payments", "coupons",
                 "experiment_assignments", "iot_devices", "iot_cup_orders", "candidate_sites"):
        assert len(store.load(name)) == doc["rows"][name], name
    single = open_store(f"folder:{small_store_dir / 'parquet'}", as_of=AS_OF)
    for name in ("orders", "users", "iot_device_status"):
        part = pd.read_parquet(chain / "parquet" / name / "part-00000.parquet")
        whole = pd.read_parquet(small_store_dir / "parquet" / f"{name}.parquet")
        pd.testing.assert_frame_equal(part, whole, check_dtype=False)
        assert len(single.load(name)) == len(part)
    other = pd.read_parquet(chain / "parquet" / "orders" / "part-00001.parquet")
    assert other.order_id.min() > 10**10
    assert len(other) == pytest.approx(doc["rows"]["orders"] / 2, rel=0.05)  # same market, own draw


@pytest.mark.slow
def test_chain_keeps_each_regions_planted_campaign_truth(chain):
    """The chain-wide campaign: realised arm contrasts over both regions match the planted
    per-user truth of both regions (truth keys shifted like the tables')."""
    store = open_store(f"folder:{chain / 'parquet'}", as_of=AS_OF)
    planted = pd.concat([pd.read_parquet(chain / "regions" / r / "truth" / "uplift_users.parquet")
                         for r in ("r0000", "r0001")], ignore_index=True)
    z = campaign_contrasts(store, planted)
    assert len(z) == 9
    assert (z.z.abs() < 4).all(), z.to_string()
