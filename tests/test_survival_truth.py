"""Seed-size recovery of the planted IoT failure laws (slow: a 216-device fleet, all models)."""

from __future__ import annotations

import pytest

from luckin_lab.survival.truth_eval import evaluate
from luckin_lab.synth.iot_toy import write_toy_store


@pytest.mark.slow
def test_seed_size_fleet_recovers_planted_truth(tmp_path):
    write_toy_store(tmp_path, seed=1, scale=1.0, drinks_per_store_day=340)
    r = evaluate(tmp_path)
    assert r["failures"] == r["truth_failures_in_window"]  # every planted failure found, no blip taken
    assert r["effects_covered"] == r["effects_total"] == 8
    assert r["max_shape_rel_error"] <= 0.10
    assert r["concordance_gap"] <= 0.02
