"""Continued pretraining starts from the given checkpoint's weights.

The TF1 fixture (google-research/bert naming, written by TensorFlow 1) is
read here with tf.train.load_checkpoint, independently of our name table,
and compared with the model at step 0.
"""
import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.configs import ModelConfig
from biom_tf.checkpoints import detect as init_checkpoint
from biom_tf.training import pretrain
from tests.conftest import shared_path

WORDS = "all work and no play makes jack a dull boy".split()


@pytest.fixture(scope="module")
def fixture_records(tmp_path_factory):
  """Records in the fixture's 15-token vocabulary, sequence 16."""
  from tfrecords import pipeline  # pylint: disable=g-import-not-at-top
  vocab = shared_path("fixtures", "tf1-bert-tiny", "vocab.txt")
  root = tmp_path_factory.mktemp("jack")
  rng = np.random.default_rng(0)
  corpus = root / "corpus.txt"
  with open(corpus, "w") as f:
    for _ in range(40):
      for _ in range(4):
        f.write(" ".join(rng.choice(WORDS, size=rng.integers(3, 7))) + "\n")
      f.write("\n")
  path = str(root / "bert.tfrecord")
  pipeline.create_pretraining_data(
      str(corpus), path, vocab_file=vocab, progress=None,
      options=pipeline.DataOptions(model_family="bert", max_seq_length=16,
                                   max_predictions_per_seq=2, dupe_factor=2))
  return path


def _trainer(records, output_dir, init, steps=2):
  config_file = shared_path("fixtures", "tf1-bert-tiny", "bert_config.json")
  return pretrain.Trainer(pretrain.PretrainingConfig(
      model_config=ModelConfig.from_json_file(config_file, "bert"),
      output_dir=str(output_dir), input_file=records, init_checkpoint=init,
      max_seq_length=16, max_predictions_per_seq=2, train_batch_size=4,
      learning_rate=1e-4, num_train_steps=steps, num_warmup_steps=0,
      iterations_per_loop=steps, save_checkpoints_steps=steps))


def _by_name(model, suffix):
  found = [v for v in model.variables if v.name.endswith(suffix + ":0")]
  assert len(found) == 1, (suffix, [v.name for v in model.variables])
  return found[0].numpy()


def test_continued_pretraining_starts_from_tf1_checkpoint(fixture_records,
                                                          tmp_path):
  directory = shared_path("fixtures", "tf1-bert-tiny")
  reader = tf.train.load_checkpoint(f"{directory}/bert_model.ckpt")
  assert init_checkpoint.checkpoint_kind(directory) == "tf1"
  trainer = _trainer(fixture_records, tmp_path / "run", directory)
  line = trainer.restore_or_initialize()
  assert "TF1 checkpoint" in line
  model = trainer.model
  pairs = {
      "word_embeddings/embeddings": "bert/embeddings/word_embeddings",
      "position_embedding/embeddings": "bert/embeddings/position_embeddings",
      "type_embeddings/embeddings": "bert/embeddings/token_type_embeddings",
      "embeddings/layer_norm/gamma": "bert/embeddings/LayerNorm/gamma",
      "layer_1/output_layer_norm/beta": "bert/encoder/layer_1/output/LayerNorm/beta",
      "pooler_transform/kernel": "bert/pooler/dense/kernel",
      "output_bias/bias": "cls/predictions/output_bias",
  }
  for ours, theirs in pairs.items():
    np.testing.assert_array_equal(_by_name(model, ours),
                                  reader.get_tensor(theirs), err_msg=ours)
  # NSP weights are stored [2, hidden] in TF1, [hidden, 2] in a Dense.
  np.testing.assert_array_equal(_by_name(model, "cls_seq_relationship/kernel"),
                                reader.get_tensor("cls/seq_relationship/output_weights").T)

  # Training continues from there: two small steps move the weights a little.
  trainer.train()
  assert trainer.global_step == 2
  trained = _by_name(trainer.model, "word_embeddings/embeddings")
  start = reader.get_tensor("bert/embeddings/word_embeddings")
  assert 0 < np.abs(trained - start).max() < 1e-3


def test_init_from_our_own_checkpoint(fixture_records, tmp_path):
  first = _trainer(fixture_records, tmp_path / "first", None)
  first.train()
  assert init_checkpoint.checkpoint_kind(str(tmp_path / "first")) == "object"
  second = _trainer(fixture_records, tmp_path / "second", str(tmp_path / "first"))
  assert "initialized from checkpoint" in second.restore_or_initialize()
  assert second.global_step == 0  # weights only: a new run starts at step 0
  for a, b in zip(first.model.variables, second.model.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)


def test_a_checkpoint_of_another_shape_is_a_clear_error(fixture_records,
                                                        tmp_path, pubmed_records):
  from biom_tf.checkpoints import CheckpointError  # pylint: disable=g-import-not-at-top
  from tests.training.conftest import tiny_config  # pylint: disable=g-import-not-at-top
  trainer = pretrain.Trainer(pretrain.PretrainingConfig(
      model_config=tiny_config("bert", pubmed_records["vocab_size"]),
      output_dir=str(tmp_path), input_file=pubmed_records["bert"],
      init_checkpoint=shared_path("fixtures", "tf1-bert-tiny"),
      max_seq_length=32, max_predictions_per_seq=5, train_batch_size=4))
  with pytest.raises(CheckpointError, match="bert_model.ckpt"):
    trainer.restore_or_initialize()


def test_restore_finetuned_model_from_biom_layout(tmp_path):
  """A fine-tuned token model written in the biom layout comes back whole
  (encoder and head, compared with the variables written); a model with
  another head size, or a TF1 checkpoint, is one line naming the path."""
  from biom_tf.checkpoints import convert  # pylint: disable=g-import-not-at-top
  from biom_tf.models import heads  # pylint: disable=g-import-not-at-top
  from tests.conftest import tiny_bert  # pylint: disable=g-import-not-at-top
  pretrainer = tiny_bert(tmp_path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                    "[MASK]", "a", "b"])
  config = pretrainer.config
  model = heads.build_finetuning_model(config, "token", 3)
  rng = np.random.default_rng(0)
  for v in model.variables:
    v.assign(rng.normal(0.0, 0.5, v.shape).astype(np.float32))
  out = convert.write(convert.LoadedModel(model, config, "token", 3,
                                          vocab_file=pretrainer.vocab_file),
                      str(tmp_path / "model"), "biom")
  fresh = heads.build_finetuning_model(config, "token", 3)
  line = init_checkpoint.restore_finetuned(fresh, out, config)
  assert line == f"loaded fine-tuned model from checkpoint {out}/ckpt-1"
  assert len(fresh.variables) == len(model.variables)
  for ours, theirs in zip(fresh.variables, model.variables):
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy(),
                                  err_msg=ours.name)
  other = heads.build_finetuning_model(config, "token", 5)
  with pytest.raises(ValueError) as info:
    init_checkpoint.restore_finetuned(other, out, config)
  message = str(info.value)
  assert "\n" not in message, message
  assert message.startswith(f"{out}/ckpt-1: not a fine-tuned bert model with "
                            "this task's token head ("), message
  tf1_dir = convert.write(pretrainer, str(tmp_path / "tf1"), "tf1")
  with pytest.raises(ValueError, match="an original TF1 checkpoint"):
    init_checkpoint.restore_finetuned(fresh, tf1_dir, config)


def test_one_casing_rule_for_every_reader(tmp_path):
  """A directory with both casing files: our biom_model.json wins, in the
  exporter and in fine-tuning alike (layout.casing_file), and an explicit
  casing that contradicts it names that file."""
  from biom_tf import fileio  # pylint: disable=g-import-not-at-top
  from biom_tf import tokenization  # pylint: disable=g-import-not-at-top
  from biom_tf.checkpoints import layout  # pylint: disable=g-import-not-at-top
  fileio.write_json(str(tmp_path / layout.BIOM_META), {"do_lower_case": False})
  fileio.write_json(str(tmp_path / "tokenizer_config.json"),
                    {"do_lower_case": True})
  assert layout.casing_file(str(tmp_path)) == str(tmp_path /
                                                  layout.BIOM_META)
  with pytest.raises(ValueError, match=r"biom_model.json says "
                     r"do_lower_case=false"):
    tokenization.resolve_do_lower_case(
        True, tokenizer_config=layout.casing_file(str(tmp_path)))
  # Without a recorded casing in ours, Hugging Face's file decides.
  fileio.write_json(str(tmp_path / layout.BIOM_META), {"family": "bert"})
  assert layout.casing_file(str(tmp_path)) == str(tmp_path /
                                                  "tokenizer_config.json")
  (tmp_path / "tokenizer_config.json").unlink()
  assert layout.casing_file(str(tmp_path)) is None
