"""The strategy resolver and the batch arithmetic."""
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.training import strategy as strategy_lib


def test_cpu_strategy_and_batch_split():
  strategy = strategy_lib.resolve_strategy("cpu")
  assert isinstance(strategy, tf.distribute.OneDeviceStrategy)
  assert strategy_lib.per_replica_batch_size(32, strategy, 4) == 32
  with pytest.raises(strategy_lib.StrategyError, match="train_batch_size=30"):
    strategy_lib.per_replica_batch_size(30, strategy, 4)


def test_precision_auto_is_none_on_cpu():
  strategy = strategy_lib.resolve_strategy("default")
  assert strategy_lib.resolve_precision("auto", strategy) == "none"
  assert strategy_lib.resolve_precision("bf16", strategy) == "bf16"
  with pytest.raises(strategy_lib.StrategyError, match="mixed_precision"):
    strategy_lib.resolve_precision("fp8", strategy)


def test_bad_names_and_tf_config_are_clear_errors(monkeypatch):
  with pytest.raises(strategy_lib.StrategyError, match="expected one of"):
    strategy_lib.resolve_strategy("gpu_pod")
  monkeypatch.setenv("TF_CONFIG", "{not json")
  with pytest.raises(strategy_lib.StrategyError, match="TF_CONFIG"):
    strategy_lib.resolve_strategy("multi_worker")
