"""A run stopped part-way and resumed ends with the uninterrupted run's weights.

The interrupted run goes through `tools/run_pretraining.py` in two fresh
processes, so nothing survives the stop but the checkpoint: model, optimizer
slots and step, the dropout generators; the input's position follows from
the step (`inputs.RecordOrder`), and ELECTRA's generator samples come from
stateless seeds of the step. The uninterrupted reference runs the same
configuration in this process. Dropout is on.
"""
import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.configs import ModelConfig
from biom_tf.training import pretrain
from tests.training.conftest import PREDICTIONS
from tests.training.conftest import SEQ
from tests.training.conftest import run_module
from tests.training.conftest import tiny_config

SETTINGS = dict(max_seq_length=SEQ, max_predictions_per_seq=PREDICTIONS,
                train_batch_size=8, learning_rate=1e-3, num_train_steps=8,
                num_warmup_steps=2, save_checkpoints_steps=2,
                iterations_per_loop=2)


def _run_tool(records, config_file, output_dir, *extra):
  flags = [f"--{k}={v}" for k, v in SETTINGS.items()]
  proc = run_module(
      "tools.run_pretraining", "--model_family=electra",
      f"--bert_config_file={config_file}", f"--input_file={records['electra']}",
      f"--output_dir={output_dir}", "--do_train", *flags, *extra)
  assert proc.returncode == 0, proc.stderr[-3000:]
  return proc.stdout


@pytest.mark.slow
def test_stopped_and_resumed_run_matches_uninterrupted_run(pubmed_records,
                                                           tmp_path):
  config_file = str(tmp_path / "bert_config.json")
  tiny_config("electra", pubmed_records["vocab_size"],
              hidden_dropout_prob=0.1).to_json_file(config_file)
  whole, parts = tmp_path / "whole", tmp_path / "parts"
  pretrain.Trainer(pretrain.PretrainingConfig(
      model_config=ModelConfig.from_json_file(config_file, "electra"),
      output_dir=str(whole), input_file=pubmed_records["electra"],
      **SETTINGS)).train()
  first = _run_tool(pubmed_records, config_file, parts, "--stop_after_steps=4")
  assert "step 4:" in first and "step 6:" not in first
  second = _run_tool(pubmed_records, config_file, parts)
  assert "resumed from" in second and "at step 4" in second, second

  a = tf.train.load_checkpoint(str(whole / "ckpt-8"))
  b = tf.train.load_checkpoint(str(parts / "ckpt-8"))
  names = [n for n in a.get_variable_to_shape_map()
           if n.startswith(("model/", "optimizer/"))]
  assert len(names) > 50
  for name in names:
    np.testing.assert_allclose(a.get_tensor(name), b.get_tensor(name),
                               rtol=0, atol=1e-6, err_msg=name)
  # The runs really trained: step 8 differs from step 4.
  c = tf.train.load_checkpoint(str(parts / "ckpt-4"))
  moved = [n for n in names if n.startswith("model/") and "VARIABLE_VALUE" in n
           and not np.array_equal(a.get_tensor(n), c.get_tensor(n))]
  assert len(moved) > 20
