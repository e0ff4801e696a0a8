"""Damaged checkpoint files: `path: damaged checkpoint (what)`, one line.

A tiny BERT is written by the test as an original TF1 checkpoint and as our
object-based checkpoint; copies are then damaged the two ways disks and
interrupted copies damage files: the `.data` shard truncated to half its
length, and one bit flipped in its middle (TensorFlow keeps a CRC32C per
tensor in the index, which the checked read verifies). Every path that reads
a checkpoint — conversion (library and command line), `--init_checkpoint`
of pretraining and of fine-tuning — must answer with one line naming the
checkpoint, never a traceback, and leave no output behind.
"""
import os
import shutil
import subprocess
import sys

import pytest

import biom_tf  # noqa: F401

from biom_tf import checkpoints
from biom_tf.checkpoints import convert
from biom_tf.checkpoints import detect
from biom_tf import configs
from biom_tf import models
from biom_tf.training import finetune
from tests.conftest import REPO_ROOT
from tests.conftest import tiny_bert

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "gene", "cancer",
         "a", "b", "c"]
TINY = dict(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=1,
            num_attention_heads=2, intermediate_size=24,
            max_position_embeddings=16)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
  """{"tf1": dir, "biom": dir} of one tiny BERT, each readable."""
  root = tmp_path_factory.mktemp("good")
  loaded = tiny_bert(root, VOCAB)
  return {fmt: convert.write(loaded, str(root / fmt), fmt)
          for fmt in ("tf1", "biom")}


def _truncate(path):
  data = open(path, "rb").read()
  with open(path, "wb") as f:
    f.write(data[:len(data) // 2])


def _flip_bit(path):
  data = bytearray(open(path, "rb").read())
  data[len(data) // 2] ^= 0x08
  with open(path, "wb") as f:
    f.write(bytes(data))


DAMAGES = {"truncated": _truncate, "bit-flipped": _flip_bit}


def _damaged_copy(source, target, damage):
  shutil.copytree(source, target)
  shards = [n for n in os.listdir(target) if ".data-" in n]
  assert len(shards) == 1, shards
  DAMAGES[damage](os.path.join(target, shards[0]))
  return str(target)


def _prefix(directory):
  return checkpoints.resolve_checkpoint_path(directory)


def _assert_one_line(error, prefix):
  message = str(error)
  assert "\n" not in message, message
  assert message.startswith(f"{prefix}: damaged checkpoint ("), message
  assert isinstance(error, ValueError)


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("fmt", ["tf1", "biom"])
def test_check_readable_and_conversion(good, tmp_path, fmt, damage):
  checkpoints.check_readable(_prefix(good[fmt]))  # the original reads
  directory = _damaged_copy(good[fmt], tmp_path / "in", damage)
  prefix = _prefix(directory)
  with pytest.raises(checkpoints.CheckpointError) as info:
    checkpoints.check_readable(prefix)
  _assert_one_line(info.value, prefix)
  (tmp_path / "work").mkdir()
  output = tmp_path / "work" / "out"
  with pytest.raises(checkpoints.CheckpointError) as info:
    convert.export("bert", directory, fmt, str(output), "hf")
  _assert_one_line(info.value, prefix)
  assert os.listdir(tmp_path / "work") == []


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("fmt", ["tf1", "biom"])
def test_init_checkpoint_of_pretraining_and_finetuning(good, tmp_path, fmt,
                                                       damage):
  directory = _damaged_copy(good[fmt], tmp_path / "in", damage)
  prefix = _prefix(directory)
  config = configs.ModelConfig(family="bert", **TINY)
  with pytest.raises(checkpoints.CheckpointError) as info:
    detect.restore(
        models.build_pretrainer(config), directory, config)
  _assert_one_line(info.value, prefix)
  encoder = models.build_encoder(config)
  encoder(models.dummy_inputs())
  with pytest.raises(checkpoints.CheckpointError) as info:
    finetune.initialize_encoder(encoder, directory, config)
  _assert_one_line(info.value, prefix)


def test_missing_shard_and_damaged_index(good, tmp_path):
  missing = tmp_path / "missing"
  shutil.copytree(good["tf1"], missing)
  for name in os.listdir(missing):
    if ".data-" in name:
      os.remove(missing / name)
  prefix = _prefix(str(missing))
  with pytest.raises(checkpoints.CheckpointError) as info:
    checkpoints.check_readable(prefix)
  _assert_one_line(info.value, prefix)
  index = tmp_path / "index"
  shutil.copytree(good["tf1"], index)
  prefix = _prefix(str(index))
  _truncate(prefix + ".index")
  with pytest.raises(checkpoints.CheckpointError) as info:
    checkpoints.check_readable(prefix)
  _assert_one_line(info.value, prefix)


def test_object_checkpoint_of_another_shape_is_one_line(good, tmp_path):
  """A biom checkpoint (hidden 16) into a model of hidden 8: one line naming
  the checkpoint from every path that restores it, not TensorFlow's
  ValueError without a file name."""
  prefix = _prefix(good["biom"])
  config = configs.ModelConfig(family="bert", **dict(TINY, hidden_size=8))
  encoder = models.build_encoder(config)
  encoder(models.dummy_inputs())
  for restore, misfit in (
      (lambda: detect.restore(models.build_pretrainer(config), good["biom"],
                              config), "does not fit this bert model ("),
      (lambda: finetune.initialize_encoder(encoder, good["biom"], config),
       "does not fit this bert encoder ("),
      (lambda: convert.load("bert", good["biom"], "biom",
                            config_file=str(tmp_path / "config.json")),
       "does not match the bert config (")):
    config.to_json_file(str(tmp_path / "config.json"))
    with pytest.raises(ValueError) as info:
      restore()
    message = str(info.value)
    assert "\n" not in message, message
    assert message.startswith(f"{prefix}: {misfit}"), message
    assert "has shape" in message or "incompatible" in message, message


@pytest.mark.slow
def test_convert_checkpoint_command_line(good, tmp_path):
  """The tool prints one line naming the checkpoint and exits 1."""
  directory = _damaged_copy(good["tf1"], tmp_path / "in", "truncated")
  result = subprocess.run(
      [sys.executable, "-m", "tools.convert_checkpoint", "--model_family=bert",
       f"--input={directory}", "--input_format=tf1",
       f"--output={tmp_path / 'out'}", "--output_format=tf1"],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  assert result.returncode == 1, result.stderr[-2000:]
  assert "Traceback" not in result.stderr, result.stderr[-2000:]
  last = result.stderr.strip().splitlines()[-1]
  assert last.startswith("convert_checkpoint: error: "
                         f"{_prefix(directory)}: damaged checkpoint ("), last
  assert not (tmp_path / "out").exists()
