"""The seed-pooling statistics of benchmarks/finetune_seeds.py."""
import json
import math

import numpy as np
import pytest
from scipy import stats

from benchmarks import finetune_seeds


def _rows(diffs, base=40.0):
  return [(seed, base + 0.1 * seed + d, base + 0.1 * seed)
          for seed, d in enumerate(diffs, 1)]


def test_hand_computed_case():
  # differences 1, -1, 0.5, -0.5: mean 0, sample variance 2.5 / 3.
  summary = finetune_seeds.summarize(_rows([1, -1, 0.5, -0.5]), margin=0.5)
  d = summary["difference"]
  assert d["mean"] == pytest.approx(0.0, abs=1e-12)
  assert d["std"] == pytest.approx(math.sqrt(2.5 / 3))
  assert d["standard_error"] == pytest.approx(math.sqrt(2.5 / 3) / 2)
  # t quantile with 3 degrees of freedom: 3.182446 (97.5%), 2.353363 (95%).
  assert d["ci95"][1] == pytest.approx(3.182446 * d["standard_error"],
                                       rel=1e-6)
  assert d["ci90"][1] == pytest.approx(2.353363 * d["standard_error"],
                                       rel=1e-6)
  assert not summary["equivalent_at_5_percent"]


@pytest.mark.parametrize("diffs", [
    [0.9, -0.3, 1.4, 0.2, -0.8, 0.6],
    list(np.random.default_rng(0).normal(0.05, 0.4, 40)),
    list(np.random.default_rng(1).normal(0.6, 1.5, 40)),
])
def test_tost_matches_two_one_sided_t_tests(diffs):
  margin = 0.5
  summary = finetune_seeds.summarize(_rows(diffs), margin)
  # Independent route: scipy's one-sample t-tests against ±margin.
  lower = stats.ttest_1samp(diffs, -margin, alternative="greater").pvalue
  upper = stats.ttest_1samp(diffs, margin, alternative="less").pvalue
  assert summary["tost_p"] == pytest.approx(max(lower, upper), rel=1e-9)
  low, high = summary["difference"]["ci90"]
  assert summary["equivalent_at_5_percent"] == (-margin < low and
                                                high < margin)


def test_small_spread_near_zero_is_equivalent():
  diffs = list(np.random.default_rng(2).normal(0.0, 0.3, 40))
  assert finetune_seeds.summarize(_rows(diffs), 0.5)[
      "equivalent_at_5_percent"]


def _result(seeds, ours, theirs, lr=5e-4):
  return {"model": {"hidden_size": 128}, "settings": {"learning_rate": lr},
          "steps": 510, "data": {"train_rows": 5429}, "init_checkpoint": None,
          "seeds": seeds,
          "test_f1_points": {"biom_tf": {"per_seed": ours},
                             "torch": {"per_seed": theirs}},
          "train_speed_ratio": 1.7, "train_cpu_ratio": 1.4,
          "end_to_end_train_seconds": {"biom_tf": 60.0, "torch": 100.0},
          "load_average_before": [0.1, 0.1, 0.1],
          "load_average_after": [1.0, 1.0, 1.0]}


def test_pools_runs_and_rejects_mixed_settings_and_repeats(tmp_path):
  (tmp_path / "a.json").write_text(json.dumps(_result([1, 2], [41, 42],
                                                      [40, 43])))
  (tmp_path / "b.json").write_text(json.dumps(_result([3], [44], [44.5])))
  _, rows, runs = finetune_seeds.load_runs([str(tmp_path / "*.json")])
  assert rows == [(1, 41.0, 40.0), (2, 42.0, 43.0), (3, 44.0, 44.5)]
  assert len(runs) == 2
  (tmp_path / "c.json").write_text(json.dumps(_result([3], [1], [1])))
  with pytest.raises(ValueError, match=r"seed\(s\) \[3\]"):
    finetune_seeds.load_runs([str(tmp_path / "*.json")])
  (tmp_path / "c.json").write_text(json.dumps(_result([4], [1], [1], lr=1)))
  with pytest.raises(ValueError, match="c.json: benchmark settings differ"):
    finetune_seeds.load_runs([str(tmp_path / "*.json")])
  (tmp_path / "c.json").write_text("{}")
  with pytest.raises(ValueError, match="c.json: not a benchmarks.finetune"):
    finetune_seeds.load_runs([str(tmp_path / "*.json")])


def test_failed_runs_are_counted_and_set_aside_for_both():
  rows = [(1, 41.0, 40.0), (2, 0.0, 42.0), (3, 43.0, 0.0), (4, 42.0, 42.5)]
  failed, kept = finetune_seeds.failed_runs(rows)
  assert failed == {"biom_tf": [2], "torch": [3]}
  assert kept == [(1, 41.0, 40.0), (4, 42.0, 42.5)]
