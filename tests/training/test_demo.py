"""`make demo` end to end, shortened: vocab, records, training, export, plot."""
import os

import pytest

from tests.tools.test_verbosity import INFO_LINE
from tests.tools.test_verbosity import run_quietly_or_not


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path):
  out = tmp_path / "demo"
  # As `make demo` runs it: TF_CPP_MIN_LOG_LEVEL not set by the caller.
  proc, output = run_quietly_or_not(
      "tools.demo", f"--output_dir={out}", "--num_train_steps=20",
      "--max_seq_length=32", "--train_batch_size=16")
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert "Demo finished" in proc.stdout
  for path in ("vocab.txt", "tfrecords/demo.tfrecord", "pretrain/ckpt-20.index",
               "pretrain/eval_results.txt", "pretrain/loss_curve.png",
               "export/tf1/bert_model.ckpt.index",
               "export/tf1/bert_config.json"):
    assert os.path.exists(out / path), path
  assert os.listdir(out / "pretrain" / "train"), "no TensorBoard events"
  # Every path it promises is printed.
  assert str(out / "pretrain" / "loss_curve.png") in proc.stdout
  # Its own progress lines, and none of TensorFlow's or absl's INFO lines
  # (the SavedModel export alone printed about twenty).
  for step in ("== 1/5 vocabulary", "== 3/5 pretraining", "== 5/5 export",
               "[pretrain] step 20:"):
    assert step in proc.stdout, step
  assert not INFO_LINE.search(output), INFO_LINE.findall(output)[:5]
