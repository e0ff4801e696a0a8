"""Every path through tf.io.gfile: the whole flow on the `ram://` filesystem.

corpus text → vocabulary → TFRecords → pretraining (checkpoints, metrics,
resume) → TF1 checkpoint export, with every file on `ram://`, as it would be
on `gs://`. Nothing may appear on the local disk.

The corpus is generated here (seeded word salad over a small vocabulary), so
the test needs no shared data.
"""
import json
import os
import random
import uuid

import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.checkpoints import tf1
from biom_tf.configs import ModelConfig
from biom_tf.training import pretrain
from tfrecords import pipeline

ROOT = "ram://biom_tf_e2e"
WORDS = ("the protein binds a receptor in human cells and mice tumor gene "
         "expression was increased by treatment with drug patients showed "
         "reduced levels of inflammation after therapy").split()
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _write(path, text):
  with tf.io.gfile.GFile(path, "w") as f:
    f.write(text)


def _corpus(rng, documents):
  docs = []
  for _ in range(documents):
    sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9)))
                 + " ." for _ in range(rng.randint(2, 5))]
    docs.append("\n".join(sentences))
  return "\n\n".join(docs) + "\n"


def _tiny_config(vocab_size):
  return ModelConfig(family="bert", vocab_size=vocab_size, hidden_size=16,
                     num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=32)


@pytest.fixture
def ram_root():
  root = f"{ROOT}/{uuid.uuid4().hex}"
  yield root
  try:
    tf.io.gfile.rmtree(root)
  except tf.errors.NotFoundError:  # the RAM filesystem has no folder
    pass                           # entries for files written directly


def test_corpus_to_export_on_ram_filesystem(ram_root, tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)  # a path mistaken for a local one lands here
  rng = random.Random(3)
  vocab = SPECIAL + sorted(set(WORDS)) + ["."]
  _write(f"{ram_root}/vocab.txt", "\n".join(vocab) + "\n")
  for i in range(2):
    _write(f"{ram_root}/corpus/part-{i}.txt", _corpus(rng, 12))

  # corpus → TFRecords (2 shards + manifest), all on ram://
  summary = pipeline.create_pretraining_data(
      f"{ram_root}/corpus/*.txt", f"{ram_root}/data/train.tfrecord",
      vocab_file=f"{ram_root}/vocab.txt",
      options=pipeline.DataOptions(max_seq_length=32,
                                   max_predictions_per_seq=5, dupe_factor=2,
                                   num_output_shards=2),
      progress=None)
  assert summary.documents == 24 and summary.instances > 0
  assert sorted(tf.io.gfile.listdir(f"{ram_root}/data")) == [
      "train.tfrecord-00000-of-00002", "train.tfrecord-00001-of-00002",
      "train.tfrecord.manifest.json"]

  # TFRecords → pretraining: checkpoints and metrics on ram://
  config = pretrain.PretrainingConfig(
      model_config=_tiny_config(len(vocab)),
      output_dir=f"{ram_root}/model",
      input_file=f"{ram_root}/data/train.tfrecord-*",
      max_seq_length=32, max_predictions_per_seq=5, train_batch_size=4,
      eval_batch_size=4, num_train_steps=4, num_warmup_steps=1,
      save_checkpoints_steps=2, iterations_per_loop=2, max_eval_steps=2,
      jit_compile=False, stop_after_steps=2)
  trainer, metrics, _ = pretrain.run_pretraining(config)
  assert metrics["step"] == 2
  assert tf.train.latest_checkpoint(f"{ram_root}/model").endswith("ckpt-2")
  with tf.io.gfile.GFile(f"{ram_root}/model/{pretrain.METRICS_FILE}") as f:
    assert [json.loads(line)["step"] for line in f] == [2]

  # A new run in the same folder resumes from the ram:// checkpoint.
  config.stop_after_steps = None
  trainer, metrics, results = pretrain.run_pretraining(config, do_eval=True)
  assert metrics["step"] == 4 and results["global_step"] == 4
  assert tf.train.latest_checkpoint(f"{ram_root}/model").endswith("ckpt-4")
  assert tf.io.gfile.exists(f"{ram_root}/model/eval_results.txt")

  # → a TF1 checkpoint on ram://, read back by TensorFlow's own reader.
  prefix = f"{ram_root}/export/bert_model.ckpt"
  tf1.save_tf1_checkpoint(trainer.model, prefix, config.model_config)
  # (RestoreV2 directly: tf.train.load_checkpoint takes a ram:// prefix for
  # a directory, since the RAM filesystem calls every prefix a directory.)
  embeddings = [v for v in trainer.model.trainable_variables
                if "word_embeddings" in v.name]
  assert len(embeddings) == 1
  saved, = tf.raw_ops.RestoreV2(
      prefix=prefix, tensor_names=["bert/embeddings/word_embeddings"],
      shape_and_slices=[""], dtypes=[tf.float32])
  saved = saved.numpy()
  assert saved.shape == (len(vocab), 16)
  assert (saved == embeddings[0].numpy()).all()

  # Nothing was written to the local disk instead.
  assert os.listdir(tmp_path) == []


def test_convert_checkpoint_writes_to_ram_filesystem(ram_root, tmp_path,
                                                     monkeypatch):
  from biom_tf.checkpoints import convert as export  # pylint: disable=import-outside-toplevel
  monkeypatch.chdir(tmp_path)
  vocab = SPECIAL + sorted(set(WORDS)) + ["."]
  _write(f"{ram_root}/vocab.txt", "\n".join(vocab) + "\n")
  config = _tiny_config(len(vocab))
  loaded = export.LoadedModel(export.build_model(config), config,
                              vocab_file=f"{ram_root}/vocab.txt")
  out = export.write(loaded, f"{ram_root}/tf1", "tf1")
  assert tf.io.gfile.exists(f"{out}/bert_model.ckpt.index")
  assert os.listdir(tmp_path) == []
