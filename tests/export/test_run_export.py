"""A run_pretraining output directory exports, on the command line.

`run_pretraining --output_dir=run` leaves `tf.train.Checkpoint`s of the
pretrainer (with optimizer slots) and the config file it trained with
(`configs.CONFIG_FILE_NAMES`: `electra_config.json` for ELECTRA; runs
written before that have `bert_config.json`, also read);
`convert_checkpoint --input=run --input_format=biom`
must read that layout (the README's command). The exported tensors are
compared with the run's latest checkpoint read by `tf.train.load_checkpoint`
under the object-graph names, independently of the converter's tables.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.configs import ModelConfig
from tests.conftest import REPO_ROOT

WORDS = "all work and no play makes jack a dull boy".split()
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS

# {TF1 name: name in the run's object checkpoint (model/...)}.
SAME = {
    "electra/embeddings/word_embeddings": "model/generator_lm/embedding_table",
    "electra/embeddings/position_embeddings":
        "model/discriminator/_position_embedding_layer/embeddings",
    "electra/embeddings_project/kernel":
        "model/discriminator/_embedding_projection/kernel",
}


def _run(module, *args):
  proc = subprocess.run(
      [sys.executable, "-m", module, *args], cwd=REPO_ROOT,
      capture_output=True, text=True, timeout=400,
      env=dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="2"))
  assert proc.returncode == 0, proc.stderr[-3000:]
  return proc


@pytest.mark.slow
def test_export_pretraining_run_to_tf1_and_hf(tmp_path):
  from tfrecords import pipeline  # pylint: disable=g-import-not-at-top
  vocab = tmp_path / "vocab.txt"
  vocab.write_text("\n".join(VOCAB) + "\n")
  rng = np.random.default_rng(0)
  with open(tmp_path / "corpus.txt", "w") as f:
    for _ in range(20):
      for _ in range(4):
        f.write(" ".join(rng.choice(WORDS, size=rng.integers(3, 7))) + "\n")
      f.write("\n")
  pipeline.create_pretraining_data(
      str(tmp_path / "corpus.txt"), str(tmp_path / "e.tfrecord"),
      vocab_file=str(vocab), progress=None,
      options=pipeline.DataOptions(model_family="electra", max_seq_length=16,
                                   max_predictions_per_seq=2, dupe_factor=1,
                                   electra_offline_masks=True))
  ModelConfig(family="electra", vocab_size=len(VOCAB), hidden_size=16,
              num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
              max_position_embeddings=16, embedding_size=8,
              generator_hidden_size=0.5).to_json_file(
                  str(tmp_path / "bert_config.json"))
  run = tmp_path / "run"
  _run("tools.run_pretraining", "--model_family=electra",
       f"--bert_config_file={tmp_path / 'bert_config.json'}",
       f"--input_file={tmp_path / 'e.tfrecord'}", f"--output_dir={run}",
       "--do_train", "--max_seq_length=16", "--max_predictions_per_seq=2",
       "--train_batch_size=4", "--num_train_steps=2", "--num_warmup_steps=0",
       "--save_checkpoints_steps=2", "--iterations_per_loop=2")
  latest = tf.train.latest_checkpoint(str(run))
  assert latest, os.listdir(run)
  reader = tf.train.load_checkpoint(latest)
  expected = {k: reader.get_tensor(v + "/.ATTRIBUTES/VARIABLE_VALUE")
              for k, v in SAME.items()}

  for fmt in ("tf1", "hf"):
    out = tmp_path / fmt
    proc = _run("tools.convert_checkpoint", "--model_family=electra",
                f"--input={run}", "--input_format=biom", f"--output={out}",
                f"--output_format={fmt}", f"--vocab_file={vocab}")
    assert proc.stdout.strip().splitlines()[-1] == str(out)
  tf1 = tf.train.load_checkpoint(str(tmp_path / "tf1" / "model.ckpt"))
  for name, value in expected.items():
    np.testing.assert_array_equal(tf1.get_tensor(name), value, err_msg=name)
  written = json.loads((tmp_path / "tf1" / "electra_config.json").read_text())
  assert written["hidden_size"] == 16 and written["embedding_size"] == 8

  from safetensors.numpy import load_file  # pylint: disable=g-import-not-at-top
  hf = load_file(str(tmp_path / "hf" / "model.safetensors"))
  np.testing.assert_array_equal(
      hf["electra.embeddings.word_embeddings.weight"],
      expected["electra/embeddings/word_embeddings"])
  np.testing.assert_array_equal(
      hf["electra.embeddings_project.weight"],
      expected["electra/embeddings_project/kernel"].T)
  assert (tmp_path / "hf" / "generator" / "model.safetensors").exists()
  # A lower-case vocabulary: the tokenizer written lower-cases.
  tok = json.loads((tmp_path / "hf" / "tokenizer_config.json").read_text())
  assert tok["do_lower_case"] is True
