"""run_finetuning on damaged or failing input: one line, nothing written.

A damaged `--init_checkpoint` (the `.data` shard truncated, or one bit
flipped) goes through the checked read (`biom_tf.checkpoints.integrity`):
`PATH: damaged checkpoint (what)`, on one line, and the output directory is
never created. Copies are damaged by the test; the model is a tiny BERT.
"""
import functools
import os
import shutil

import biom_tf  # noqa: F401
import pytest

from biom_tf.checkpoints import convert
from tests.conftest import run_absl_tool
from tests.conftest import tiny_bert
from tools import run_finetuning

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "patient",
         "had", "fever", "and", "cancer", "no"]


@pytest.fixture(scope="module")
def good(tmp_path_factory):
  """{"tf1": dir, "biom": dir} of one tiny BERT (vocabulary beside it), and
  a tiny NER data directory."""
  root = tmp_path_factory.mktemp("good")
  loaded = tiny_bert(root, VOCAB, max_position_embeddings=32)
  paths = {fmt: convert.write(loaded, str(root / fmt), fmt)
           for fmt in ("tf1", "biom")}
  data = root / "ner"
  data.mkdir()
  sentence = "the\tO\npatient\tO\nhad\tO\nfever\tB-Disease\n\n"
  for split in ("train.tsv", "devel.tsv", "test.tsv"):
    (data / split).write_text(sentence * 4)
  paths["data"] = str(data)
  return paths


def _damage(directory, how):
  [shard] = [n for n in os.listdir(directory) if ".data-" in n]
  path = os.path.join(directory, shard)
  data = bytearray(open(path, "rb").read())
  if how == "truncated":
    data = data[:len(data) // 2]
  else:
    data[len(data) // 2] ^= 0x08
  with open(path, "wb") as f:
    f.write(bytes(data))


run_tool = functools.partial(run_absl_tool, run_finetuning)


@pytest.mark.parametrize("fmt", ["tf1", "biom"])
@pytest.mark.parametrize("how", ["truncated", "bit_flipped"])
def test_damaged_init_checkpoint_is_one_line(good, tmp_path, capsys, fmt, how):
  damaged = str(tmp_path / fmt)
  shutil.copytree(good[fmt], damaged)
  _damage(damaged, how)
  out = str(tmp_path / "out")
  init = (os.path.join(damaged, "bert_model.ckpt") if fmt == "tf1"
          else damaged)
  rc, _, stderr = run_tool([
      "--task=ner", f"--data_dir={good['data']}", f"--output_dir={out}",
      f"--init_checkpoint={init}", "--max_seq_length=16"], capsys)
  assert rc == 1
  assert stderr.startswith("run_finetuning: error: ") and \
      stderr.count("\n") == 1, stderr
  assert "damaged checkpoint (" in stderr and damaged in stderr
  assert "Traceback" not in stderr
  assert not os.path.exists(out)


def test_a_failing_run_leaves_nothing(good, tmp_path, capsys):
  """A run that fails after its checks (the loss diverges in training)
  leaves no output_dir, no empty seed_1/."""
  out = str(tmp_path / "out")
  rc, _, stderr = run_tool([
      "--task=ner", f"--data_dir={good['data']}", f"--output_dir={out}",
      f"--init_checkpoint={os.path.join(good['tf1'], 'bert_model.ckpt')}",
      "--max_seq_length=16", "--num_train_epochs=2", "--learning_rate=1e30",
      "--warmup_proportion=0"], capsys)
  assert rc == 1 and "loss is" in stderr and stderr.count("\n") == 1, stderr
  assert not os.path.exists(out)
