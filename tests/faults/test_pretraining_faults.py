"""Pretraining faced with damaged files and failing writes: one line, the last
good state kept, nothing half-written.

The runs are tiny BERTs (vocabulary 64, width 16, one layer) on records
written here with a fixed seed. The damage is made by the tests: bytes
flipped or cut off in copies of the files. Disk full at a checkpoint is
injected, not real: `gen_io_ops.merge_v2_checkpoints` (the op that turns
the `ckpt-N_temp/` shard files into `ckpt-N.*`, after they are written) is
replaced by one raising the `ResourceExhaustedError` a full disk gives, so
the temporary shards are really on disk when the failure comes.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.configs import ModelConfig
from biom_tf.training import pretrain
from tests.conftest import REPO_ROOT

SEQ, PRED, VOCAB = 16, 4, 64


def _tiny_config(**overrides) -> ModelConfig:
  values = dict(family="bert", vocab_size=VOCAB, hidden_size=16,
                num_hidden_layers=1, num_attention_heads=2,
                intermediate_size=32, max_position_embeddings=SEQ,
                hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
  values.update(overrides)
  return ModelConfig(**values)


def _write_records(path, count, seed, vocab=VOCAB):
  rng = np.random.RandomState(seed)

  def ints(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))

  with tf.io.TFRecordWriter(str(path)) as writer:
    for _ in range(count):
      ids = rng.randint(5, vocab, size=SEQ)
      feature = dict(
          input_ids=ints(ids), input_mask=ints([1] * SEQ),
          segment_ids=ints([0] * (SEQ // 2) + [1] * (SEQ // 2)),
          masked_lm_positions=ints(sorted(rng.choice(
              np.arange(1, SEQ), PRED, replace=False))),
          masked_lm_ids=ints(rng.randint(5, vocab, size=PRED)),
          masked_lm_weights=tf.train.Feature(
              float_list=tf.train.FloatList(value=[1.0] * PRED)),
          next_sentence_labels=ints([rng.randint(2)]))
      writer.write(tf.train.Example(features=tf.train.Features(
          feature=feature)).SerializeToString())


@pytest.fixture(scope="module")
def records(tmp_path_factory):
  root = tmp_path_factory.mktemp("records")
  for i in range(2):
    _write_records(root / f"data-{i}.tfrecord", 40, seed=i)
  return root


def _settings(records_dir, output_dir, **overrides):
  values = dict(model_config=_tiny_config(), output_dir=str(output_dir),
                input_file=str(records_dir / "data-*.tfrecord"),
                max_seq_length=SEQ, max_predictions_per_seq=PRED,
                train_batch_size=8, learning_rate=1e-2, num_train_steps=4,
                num_warmup_steps=1, save_checkpoints_steps=2,
                iterations_per_loop=2, jit_compile=False)
  values.update(overrides)
  return pretrain.PretrainingConfig(**values)


def _weights(trainer):
  return [v.numpy() for v in trainer.model.trainable_variables]


def _metric_steps(output_dir):
  with open(os.path.join(output_dir, pretrain.METRICS_FILE)) as f:
    return [json.loads(line)["step"] for line in f]


def test_damaged_record_met_in_training_is_named(records, tmp_path):
  damaged = tmp_path / "records"
  shutil.copytree(records, damaged)
  shard = damaged / "data-1.tfrecord"
  data = bytearray(shard.read_bytes())
  data[len(data) // 2] ^= 0xFF  # a bit flip inside record ~20: its CRC fails
  shard.write_bytes(bytes(data))
  with pytest.raises(pretrain.PretrainingError) as e:
    pretrain.Trainer(_settings(damaged, tmp_path / "out")).train()
  message = str(e.value)
  assert "\n" not in message and len(message) < 400, message
  assert message.startswith(f"{shard}: damaged record (corrupted record at ")


def test_resuming_with_another_config_changes_nothing(records, tmp_path):
  out = tmp_path / "out"
  pretrain.Trainer(_settings(records, out, num_train_steps=2)).train()
  config_file = out / "bert_config.json"
  before = config_file.read_text()
  listing = sorted(os.listdir(out))
  wider = _tiny_config(hidden_size=32, intermediate_size=64)
  with pytest.raises(pretrain.PretrainingError) as e:
    pretrain.Trainer(_settings(records, out, model_config=wider)).train()
  message = str(e.value)
  assert "\n" not in message
  assert message.startswith(f"{out}/ckpt-2: does not fit this model")
  assert config_file.read_text() == before
  assert sorted(os.listdir(out)) == listing


def test_failing_run_leaves_nothing_behind(records, tmp_path):
  """Records made with a larger vocabulary than the model's: refused before
  the first step, and the new output_dir is not even created."""
  out = tmp_path / "out"
  small = _tiny_config(vocab_size=20)
  with pytest.raises(ValueError, match=r"data-0\.tfrecord: record 0 holds "
                     r"token id \d+ in 'input_ids', but the model's "
                     "vocab_size is 20"):
    pretrain.Trainer(_settings(records, out, model_config=small)).train()
  assert not out.exists()


def test_token_ids_beyond_the_vocabulary_after_record_0(records, tmp_path):
  """Record 0 (checked up front) is fine, later ones are not: every batch
  is checked, and the run stops with one line, not a gather error (CPU) or
  silent zero embeddings (GPU)."""
  mixed = tmp_path / "records"
  mixed.mkdir()
  _write_records(tmp_path / "good", 1, seed=3)
  _write_records(tmp_path / "bad", 20, seed=4, vocab=300)
  (mixed / "data-0.tfrecord").write_bytes(
      (tmp_path / "good").read_bytes() + (tmp_path / "bad").read_bytes())
  out = tmp_path / "out"
  with pytest.raises(pretrain.PretrainingError) as e:
    pretrain.Trainer(_settings(mixed, out)).train()
  message = str(e.value)
  assert "\n" not in message
  assert message.endswith("a record near step 1 holds a token id outside the "
                          "model's vocab_size=64; records made with another "
                          "vocabulary?")


def test_damaged_latest_checkpoint_is_passed_over(records, tmp_path, capsys):
  out = tmp_path / "out"
  whole = pretrain.Trainer(_settings(records, out))
  whole.train()
  want = _weights(whole)
  data_file = next(p for p in out.iterdir()
                   if p.name.startswith("ckpt-4.data"))
  data = data_file.read_bytes()
  data_file.write_bytes(data[:len(data) // 2])  # truncated, as by a crash
  capsys.readouterr()
  resumed = pretrain.Trainer(_settings(records, out))
  resumed.train()
  log = capsys.readouterr().out
  assert f"skipping {out}/ckpt-4: damaged checkpoint (" in log, log
  assert f"resumed from {out}/ckpt-2 at step 2" in log, log
  assert resumed.global_step == 4
  for a, b in zip(_weights(resumed), want):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
  assert _metric_steps(out) == [2, 4]


def test_disk_full_at_a_checkpoint(records, tmp_path, monkeypatch):
  from tensorflow.python.ops import gen_io_ops  # pylint: disable=g-import-not-at-top
  out = tmp_path / "out"
  merge = gen_io_ops.merge_v2_checkpoints
  calls = []

  def full_disk(checkpoint_prefixes, destination_prefix, **kwargs):
    calls.append(str(destination_prefix))
    if len(calls) == 2:  # ckpt-4: its shards are written, the merge fails
      assert any(p.name.endswith("_temp") for p in out.iterdir())
      raise tf.errors.ResourceExhaustedError(
          None, None, f"{destination_prefix}.index; No space left on device")
    return merge(checkpoint_prefixes, destination_prefix, **kwargs)

  monkeypatch.setattr(gen_io_ops, "merge_v2_checkpoints", full_disk)
  with pytest.raises(pretrain.PretrainingError) as e:
    pretrain.Trainer(_settings(records, out)).train()
  message = str(e.value)
  assert "\n" not in message
  assert message.startswith(f"{out}: cannot write checkpoint ckpt-4: ")
  assert "No space left on device" in message
  assert sorted(p.name for p in out.iterdir() if p.name.startswith("ckpt-")
                ) == sorted(p.name for p in out.iterdir()
                            if p.name.startswith("ckpt-2."))
  monkeypatch.setattr(gen_io_ops, "merge_v2_checkpoints", merge)
  resumed = pretrain.Trainer(_settings(records, out))
  resumed.train()
  assert resumed.global_step == 4
  assert _metric_steps(out) == [2, 4]  # step 4 logged once, not twice


def test_unwritable_output_dir_is_one_line(records, tmp_path):
  """A path below a regular file cannot be created, whoever runs the test
  (root ignores permission bits, so a read-only folder would not do)."""
  blocker = tmp_path / "file"
  blocker.write_text("x")
  with pytest.raises(pretrain.PretrainingError) as e:
    pretrain.Trainer(_settings(records, blocker / "out")).train()
  message = str(e.value)
  assert "\n" not in message
  assert message.startswith(f"--output_dir={blocker}/out: cannot write: ")


@pytest.mark.slow
def test_sigterm_is_an_interrupt_that_keeps_no_partial_output(records,
                                                              tmp_path):
  """SIGTERM (what schedulers and `kill` send) during training: one line,
  exit 130, no `ckpt-N_temp`."""
  out = tmp_path / "out"
  config_file = tmp_path / "bert_config.json"
  _tiny_config().to_json_file(str(config_file))
  args = [sys.executable, "-m", "tools.run_pretraining",
          f"--bert_config_file={config_file}",
          f"--input_file={records}/data-*.tfrecord", f"--output_dir={out}",
          "--do_train", f"--max_seq_length={SEQ}",
          f"--max_predictions_per_seq={PRED}", "--train_batch_size=8",
          "--num_train_steps=100000", "--num_warmup_steps=1",
          "--save_checkpoints_steps=2", "--iterations_per_loop=1"]
  env = dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="2")
  proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
  try:
    for line in proc.stdout:
      if line.startswith("[pretrain] step 3:"):
        break
    proc.terminate()  # SIGTERM
    _, err = proc.communicate(timeout=120)
  finally:
    if proc.poll() is None:
      proc.kill()
      proc.wait()
  assert proc.returncode == 130, err[-2000:]
  last = err.strip().splitlines()[-1]
  assert last.startswith("run_pretraining: interrupted;"), err[-2000:]
  assert not [p for p in out.iterdir() if "_temp" in p.name]
