"""Bad input: one-line errors, and nothing left at the output path.

Also runs tools/convert_checkpoint.py as a user would: a successful
conversion prints the output directory; a bad one prints one error line and
exits 1.
"""
import json
import os
import subprocess
import sys

import pytest

import biom_tf  # noqa: F401

from biom_tf.checkpoints import convert
from biom_tf.checkpoints import layout
from biom_tf.checkpoints import tf1
from biom_tf import configs
from biom_tf import models
from tests.conftest import REPO_ROOT
from tests.export.conftest import WORDPIECE_VOCAB

TINY = dict(vocab_size=len(WORDPIECE_VOCAB), hidden_size=16,
            num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
            max_position_embeddings=20)


@pytest.fixture(scope="module")
def bert_tf1(tmp_path_factory, vocab_file):
  """A tiny BERT TF1 directory (checkpoint, bert_config.json, vocab.txt)."""
  config = configs.ModelConfig(family="bert", **TINY)
  model = models.build_pretrainer(config)
  directory = tmp_path_factory.mktemp("bert-tf1")
  loaded = convert.LoadedModel(model, config, vocab_file=vocab_file)
  return convert.write(loaded, str(directory / "out"), "tf1")


def _assert_clean_failure(tmp_path, error_type, fn, *args, match, **kwargs):
  output = tmp_path / "out"
  with pytest.raises(error_type, match=match) as info:
    fn(*args, output=str(output), **kwargs)
  assert isinstance(info.value, ValueError)
  assert "\n" not in str(info.value), str(info.value)
  assert not output.exists()
  assert not [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]


def test_wrong_family(tmp_path, bert_tf1):
  _assert_clean_failure(
      tmp_path, tf1.CheckpointError, convert.export, "albert",
      os.path.join(bert_tf1, "bert_model.ckpt"), "tf1", output_format="tf1",
      match="names are those of a bert checkpoint, not albert")


def test_config_checkpoint_shape_mismatch(tmp_path, bert_tf1):
  wrong = tmp_path / "wrong_config.json"
  configs.ModelConfig(family="bert", **dict(TINY, hidden_size=8)).to_json_file(
      str(wrong))
  (tmp_path / "work").mkdir()
  _assert_clean_failure(
      tmp_path / "work", tf1.CheckpointError, convert.export, "bert", bert_tf1,
      "tf1", output_format="hf", config_file=str(wrong),
      match=r"do not match the bert config: .* has shape \[\d+, 16\], expected "
            r"\[\d+, 8\]")


def test_missing_vocab(tmp_path, bert_tf1):
  no_vocab = tmp_path / "no-vocab"
  no_vocab.mkdir()
  for name in os.listdir(bert_tf1):
    if name != "vocab.txt":
      os.link(os.path.join(bert_tf1, name), no_vocab / name)
  (tmp_path / "work").mkdir()
  _assert_clean_failure(tmp_path / "work", convert.ExportError, convert.export,
                        "bert", str(no_vocab), "tf1", output_format="hf",
                        match="needs the vocabulary")
  _assert_clean_failure(tmp_path / "work", convert.ExportError, convert.export,
                        "bert", str(no_vocab), "tf1", output_format="hf",
                        vocab_file=str(tmp_path / "absent.txt"),
                        match="absent.txt: file not found")


def _hf_dir(tmp_path, model_type, weights_name):
  """A Hugging Face directory: config.json and one (dummy) weights file."""
  hf_dir = tmp_path / "hf"
  hf_dir.mkdir()
  values = dict(configs.ModelConfig(family="bert", **TINY).to_original_dict(),
                model_type=model_type, architectures=["BertForPreTraining"])
  (hf_dir / "config.json").write_text(json.dumps(values))
  (hf_dir / weights_name).write_bytes(b"not read")
  (tmp_path / "work").mkdir()
  return str(hf_dir)


def test_pickle_only_hf_directory_is_refused(tmp_path):
  hf_dir = _hf_dir(tmp_path, "bert", "pytorch_model.bin")
  _assert_clean_failure(tmp_path / "work", tf1.CheckpointError, convert.export,
                        "bert", hf_dir, "hf", output_format="tf1",
                        match="only pytorch_model.bin .* not read for safety")


def test_hf_directory_of_another_family(tmp_path):
  hf_dir = _hf_dir(tmp_path, "bert", "model.safetensors")
  _assert_clean_failure(tmp_path / "work", tf1.CheckpointError, convert.export,
                        "electra", hf_dir, "hf", output_format="tf1",
                        match="model_type='bert' is not a 'electra' model")


def test_failure_while_writing_leaves_nothing(tmp_path, vocab_file):
  from biom_tf.models import heads  # pylint: disable=import-outside-toplevel
  config = configs.ModelConfig(family="bert", **TINY)
  model = heads.build_finetuning_model(config, "token", 3)
  loaded = convert.LoadedModel(model, config, "token", 3, vocab_file=vocab_file)
  _assert_clean_failure(tmp_path, convert.ExportError,
                        lambda output: convert.write(loaded, output, "tf1"),
                        match="writes pretraining checkpoints")


def test_existing_output_is_not_overwritten(tmp_path, bert_tf1):
  output = tmp_path / "out"
  output.mkdir()
  (output / "keep.txt").write_text("x")
  with pytest.raises(convert.ExportError, match="already exists"):
    convert.export("bert", bert_tf1, "tf1", str(output), "hf")
  assert os.listdir(output) == ["keep.txt"]


def _tool(*args):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  return subprocess.run(
      [sys.executable, "-m", "tools.convert_checkpoint", *args], cwd=REPO_ROOT,
      env=env, capture_output=True, text=True, timeout=120, check=False)


def test_tool_converts_and_reports_errors(tmp_path, bert_tf1):
  out = tmp_path / "biom"
  done = _tool("--model_family=bert", f"--input={bert_tf1}",
               "--input_format=tf1", f"--output={out}", "--output_format=biom")
  assert done.returncode == 0, done.stderr
  assert done.stdout.strip().splitlines()[-1] == str(out)
  assert {"biom_model.json", "checkpoint", "vocab.txt"} <= set(os.listdir(out))

  bad = _tool("--model_family=albert", f"--input={bert_tf1}",
              f"--output={tmp_path / 'bad'}", "--output_format=tf1")
  assert bad.returncode == 1
  errors = [l for l in bad.stderr.splitlines() if "error" in l.lower()]
  assert errors == [errors[0]] and errors[0].startswith(
      "convert_checkpoint: error: "), bad.stderr
  assert "not albert" in errors[0] and "Traceback" not in bad.stderr
  assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("text,message", [
    ('{"family": "bert"', "not valid JSON (line 1: Expecting ',' delimiter)"),
    ('["bert"]', "not a JSON object (got list)"),
])
def test_a_damaged_biom_meta_is_one_line(tmp_path, text, message):
  assert layout.read_biom_meta(str(tmp_path)) is None  # absent: not ours
  (tmp_path / layout.BIOM_META).write_text('{"family": "bert"}')
  assert layout.read_biom_meta(str(tmp_path)) == {"family": "bert"}
  (tmp_path / layout.BIOM_META).write_text(text)
  with pytest.raises(tf1.CheckpointError) as error:
    layout.read_biom_meta(str(tmp_path))
  assert str(error.value) == f"{tmp_path / layout.BIOM_META}: {message}"
