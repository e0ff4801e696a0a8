"""The pretraining loop on real PubMed records: learning, accumulation, XLA."""
import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.training import pretrain
from tests.training.conftest import PREDICTIONS
from tests.training.conftest import SEQ
from tests.training.conftest import tiny_config


def _config(records, family, output_dir, **overrides):
  values = dict(
      model_config=tiny_config(family, records["vocab_size"]),
      output_dir=str(output_dir), input_file=records[family],
      max_seq_length=SEQ, max_predictions_per_seq=PREDICTIONS,
      train_batch_size=32, eval_batch_size=32, learning_rate=2e-3,
      num_train_steps=80, num_warmup_steps=10, save_checkpoints_steps=80,
      iterations_per_loop=40, max_eval_steps=4)
  values.update(overrides)
  return pretrain.PretrainingConfig(**values)


def _weights(trainer):
  return [v.numpy() for v in trainer.model.trainable_variables]


def test_bert_loss_falls_and_mlm_accuracy_rises_on_pubmed(pubmed_records,
                                                          tmp_path):
  trainer = pretrain.Trainer(_config(pubmed_records, "bert", tmp_path))
  before = trainer.evaluate()
  trainer.train()
  after = trainer.evaluate()
  # Untrained: ~ln(vocab) = 6.0 and chance accuracy; after 80 steps the
  # model predicts frequent words (the, of, ",", ...).
  assert before["mlm_loss"] > 5.5, before
  assert after["mlm_loss"] < before["mlm_loss"] - 1.0, (before, after)
  assert after["mlm_accuracy"] > before["mlm_accuracy"] + 0.04, (before, after)
  assert after["global_step"] == 80
  assert (tmp_path / "ckpt-80.index").exists()
  assert (tmp_path / "eval_results.txt").exists()
  assert list((tmp_path / "train").iterdir()), "no TensorBoard events"


def test_gradient_accumulation_equals_the_large_batch(pubmed_records, tmp_path):
  # 4 micro-batches of 4 == one batch of 16, update for update (no dropout).
  runs = []
  for k in (1, 4):
    cfg = _config(pubmed_records, "bert", tmp_path / f"k{k}",
                  model_config=tiny_config("bert", pubmed_records["vocab_size"],
                                           hidden_dropout_prob=0.0,
                                           attention_probs_dropout_prob=0.0),
                  train_batch_size=16, gradient_accumulation_steps=k,
                  num_train_steps=3, iterations_per_loop=3)
    trainer = pretrain.Trainer(cfg)
    initial = _weights(trainer)
    metrics = trainer.train()
    runs.append((_weights(trainer), metrics))
  (w1, m1), (w4, m4) = runs
  assert m1["mlm_loss"] == pytest.approx(m4["mlm_loss"], rel=1e-5)
  for a, b in zip(w1, w4):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
  # And the updates were real: weights moved from their initial values.
  assert max(np.abs(a - b).max() for a, b in zip(w1, initial)) > 1e-3


def test_train_step_compiles_with_xla(pubmed_records, tmp_path):
  cfg = _config(pubmed_records, "bert", tmp_path,
                model_config=tiny_config("bert", pubmed_records["vocab_size"],
                                         hidden_dropout_prob=0.0,
                                         attention_probs_dropout_prob=0.0),
                train_batch_size=8, num_train_steps=1, iterations_per_loop=1,
                jit_compile=True)
  trainer = pretrain.Trainer(cfg)
  trainer.train()  # one XLA-compiled update
  assert trainer.global_step == 1
  batch = next(iter(trainer._dataset(cfg.input_file, 8, True)))  # pylint: disable=protected-access
  totals = {k: tf.reduce_sum(v) for k, v in dict(
      mlm_weight=batch["masked_lm_weights"],
      examples=tf.ones([8]), tokens=tf.cast(batch["input_mask"], tf.float32)).items()}
  seed = tf.constant([1, 2], tf.int64)
  # The gradient function is XLA-compiled: it has an HLO module ...
  hlo = trainer._gradients_fn.experimental_get_compiler_ir(  # pylint: disable=protected-access
      batch, totals, seed)(stage="hlo")
  assert "HloModule" in hlo
  # ... and computes what the same function computes without XLA.
  with_xla, stats_xla = trainer._gradients_fn(batch, totals, seed)  # pylint: disable=protected-access
  without, stats = tf.function(trainer._gradients)(batch, totals, seed)  # pylint: disable=protected-access
  assert float(stats_xla["mlm_loss_sum"]) == pytest.approx(
      float(stats["mlm_loss_sum"]), rel=1e-5)
  for a, b in zip(with_xla, without):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3,
                               atol=1e-5 * float(tf.reduce_max(tf.abs(b))) + 1e-9)


_FLAG_PROBE = """
import json
import sys
from absl import flags
from tools import run_pretraining as tool
names = ("max_seq_length", "max_predictions_per_seq", "train_batch_size",
         "eval_batch_size", "optimizer", "learning_rate", "num_train_steps",
         "num_warmup_steps", "save_checkpoints_steps", "iterations_per_loop",
         "max_eval_steps", "keep_checkpoint_max", "do_train")
for argv in json.loads(sys.argv[1]):
  flags.FLAGS.unparse_flags()
  flags.FLAGS(["run_pretraining"] + argv)
  tool._apply_family_defaults()
  print(json.dumps([{n: flags.FLAGS[n].value for n in names},
                    tool._tpu_address()]))
"""


def _probe_flags(*argvs):
  """(flag values, TPU address) after the tool's defaults, per argv; one
  process (the tool's flags are global)."""
  import json  # pylint: disable=g-import-not-at-top
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  from tests.conftest import REPO_ROOT  # pylint: disable=g-import-not-at-top
  proc = subprocess.run(
      [sys.executable, "-c", _FLAG_PROBE, json.dumps(list(argvs))],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
  assert proc.returncode == 0, proc.stderr[-2000:]
  return [json.loads(line) for line in proc.stdout.strip().splitlines()[-2:]]


def test_run_pretraining_keeps_the_originals_defaults_and_tpu_flags():
  """google-research/albert run_pretraining.py's defaults with an ALBERT
  config (flags given still win); google-research/bert's otherwise. The
  originals' --master is the TPU address when --tpu_name is absent."""
  (albert, address), (bert, bert_address) = _probe_flags(
      ["--albert_config_file=a.json", "--learning_rate=1e-4",
       "--master=grpc://10.0.0.2:8470"],
      ["--bert_config_file=b.json", "--tpu_name=t",
       "--master=grpc://10.0.0.2:8470"])
  assert albert == dict(
      max_seq_length=512, max_predictions_per_seq=20, train_batch_size=4096,
      eval_batch_size=64, optimizer="lamb", learning_rate=1e-4,
      num_train_steps=125000, num_warmup_steps=3125,
      save_checkpoints_steps=5000, iterations_per_loop=1000,
      max_eval_steps=100, keep_checkpoint_max=5, do_train=True)
  assert address == "grpc://10.0.0.2:8470"
  assert bert == dict(
      max_seq_length=128, max_predictions_per_seq=20, train_batch_size=32,
      eval_batch_size=8, optimizer="adamw", learning_rate=5e-5,
      num_train_steps=100000, num_warmup_steps=10000,
      save_checkpoints_steps=1000, iterations_per_loop=1000,
      max_eval_steps=100, keep_checkpoint_max=5, do_train=False)
  assert bert_address == "t"
