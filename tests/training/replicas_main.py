"""Helper process for test_replicas.py: 1 vs 2 replicas on two logical CPUs.

The CPU is split into two logical devices before TensorFlow initializes
them, which can only happen once per process, hence a process of its own.
Trains the same tiny model (no dropout) for 3 updates with the same global
batch on OneDeviceStrategy and on a 2-replica MirroredStrategy, then the
2-replica run again stopped after 1 update and resumed; saves the weights
to OUT_DIR/weights.npz.

  python -m tests.training.replicas_main RECORDS VOCAB_SIZE FAMILY OUT_DIR
"""
import sys

import biom_tf  # noqa: F401
import numpy as np
import tensorflow as tf


def main(records, vocab_size, family, out_dir):
  cpu = tf.config.list_physical_devices("CPU")[0]
  tf.config.set_logical_device_configuration(
      cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
  from biom_tf.training import pretrain  # pylint: disable=g-import-not-at-top
  from biom_tf.training import strategy as strategy_lib  # pylint: disable=g-import-not-at-top
  from tests.training.conftest import PREDICTIONS, SEQ, tiny_config  # pylint: disable=g-import-not-at-top
  strategies = {
      "one": strategy_lib.resolve_strategy("cpu"),
      "two": strategy_lib.resolve_strategy("mirrored",
                                           devices=["/cpu:0", "/cpu:1"])}
  weights = {}

  def config(name, **overrides):
    values = dict(
        model_config=tiny_config(family, vocab_size, hidden_dropout_prob=0.0,
                                 attention_probs_dropout_prob=0.0),
        output_dir=f"{out_dir}/{name}", input_file=records,
        max_seq_length=SEQ, max_predictions_per_seq=PREDICTIONS,
        train_batch_size=16, learning_rate=1e-3, num_train_steps=3,
        num_warmup_steps=0, iterations_per_loop=3, save_checkpoints_steps=3)
    values.update(overrides)
    return pretrain.PretrainingConfig(**values)

  for name, strategy in strategies.items():
    trainer = pretrain.Trainer(config(name), strategy)
    assert trainer.strategy.num_replicas_in_sync == (2 if name == "two" else 1)
    if name == "one":
      weights["initial"] = [v.numpy() for v in trainer.model.trainable_variables]
    metrics = trainer.train()
    print(f"{name}: {metrics}")
    weights[name] = [v.numpy() for v in trainer.model.trainable_variables]
  # Two replicas, stopped after 1 step and resumed (a distributed iterator
  # is not checkpointable: the resumed run passes over the consumed batches).
  for stop in (1, None):
    trainer = pretrain.Trainer(config("resumed", iterations_per_loop=1,
                                      save_checkpoints_steps=1,
                                      stop_after_steps=stop),
                               strategies["two"])
    trainer.train()
  weights["resumed"] = [v.numpy() for v in trainer.model.trainable_variables]
  np.savez(f"{out_dir}/weights.npz",
           **{f"{k}_{i}": w for k, ws in weights.items() for i, w in enumerate(ws)})


if __name__ == "__main__":
  main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
