"""TF1 checkpoint names, shapes, errors and round trips."""
import os

import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf import checkpoints
from biom_tf import configs
from biom_tf import models
from biom_tf.checkpoints import tf1
from tests.conftest import shared_path

SMALL = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2,
             num_attention_heads=2, intermediate_size=24,
             max_position_embeddings=20)


def _read_variable_list(path):
  """name → shape from the fixture TSV (its last line is a summary)."""
  out = {}
  with open(path) as f:
    for line in f:
      name, shape = line.rstrip("\n").split("\t")
      if shape.startswith("["):
        out[name] = [int(d) for d in shape.strip("[]").split(",") if d.strip()]
  return out


def test_bert_medium_has_exactly_googles_variables():
  expected = _read_variable_list(shared_path("fixtures", "bert-medium-variables.tsv"))
  expected = {n: s for n, s in expected.items()
              if not tf1._NOT_MODEL.search(n)}
  assert len(expected) == 142
  config = configs.ModelConfig.from_json_file(
      shared_path("fixtures", "bert-medium-config.json"), "bert")
  model = models.build_pretrainer(config)
  ours = {entry.tf1: tf1.tf1_shape(entry.rule, v.shape.as_list())
          for entry, v in tf1.bind(model, config)}
  assert ours == expected


def test_real_checkpoint_skips_optimizer_slots():
  directory = shared_path("fixtures", "tf1-bert-tiny")
  config = configs.ModelConfig.from_json_file(
      os.path.join(directory, "bert_config.json"), "bert")
  names = dict(tf.train.list_variables(os.path.join(directory, "bert_model.ckpt")))
  assert any(n.endswith("adam_m") for n in names) and "global_step" in names
  model = models.build_pretrainer(config)
  report = checkpoints.load_tf1_checkpoint(model, directory, config)  # a directory
  assert report.unused == [] and report.skipped_heads == []
  reader = tf.train.load_checkpoint(os.path.join(directory, "bert_model.ckpt"))
  np.testing.assert_array_equal(
      model.encoder.get_embedding_table().numpy(),
      reader.get_tensor("bert/embeddings/word_embeddings"))
  # The NSP weights are stored [2, hidden]; our Dense kernel is [hidden, 2].
  np.testing.assert_array_equal(
      model.sentence_head.kernel.numpy().T,
      reader.get_tensor("cls/seq_relationship/output_weights"))


@pytest.mark.parametrize("family,extra", [("bert", {}),
                                          ("albert", {"embedding_size": 8}),
                                          ("electra", {"embedding_size": 8})])
def test_round_trip_is_bit_exact(tmp_path, family, extra):
  config = configs.ModelConfig(family=family, **SMALL, **extra)
  model = models.build_pretrainer(config)
  prefix = checkpoints.save_tf1_checkpoint(model, str(tmp_path / "a" / "model.ckpt"),
                                           config)
  assert sorted(os.listdir(tmp_path / "a")) == [
      "checkpoint", "model.ckpt.data-00000-of-00001", "model.ckpt.index"]
  other = models.build_pretrainer(config)
  checkpoints.load_tf1_checkpoint(other, prefix, config)
  prefix2 = checkpoints.save_tf1_checkpoint(other, str(tmp_path / "b" / "model.ckpt"),
                                            config)
  a, b = tf.train.load_checkpoint(prefix), tf.train.load_checkpoint(prefix2)
  names = a.get_variable_to_shape_map()
  assert names == b.get_variable_to_shape_map()
  for name in names:
    np.testing.assert_array_equal(a.get_tensor(name), b.get_tensor(name), name)


def test_electra_writes_generator_and_discriminator_names(tmp_path):
  config = configs.ModelConfig(family="electra", **dict(SMALL, hidden_size=32),
                               embedding_size=16, generator_hidden_size=0.25)
  model = models.build_pretrainer(config)
  prefix = checkpoints.save_tf1_checkpoint(model, str(tmp_path / "model.ckpt"), config)
  names = dict(tf.train.list_variables(prefix))
  assert names["electra/embeddings/word_embeddings"] == [50, 16]
  assert names["electra/embeddings_project/kernel"] == [16, 32]
  assert names["generator/embeddings_project/kernel"] == [16, 8]
  assert names["generator/encoder/layer_1/attention/self/query/kernel"] == [8, 8]
  assert names["generator_predictions/output_bias"] == [50]
  assert names["discriminator_predictions/dense_1/kernel"] == [32, 1]
  assert not any(n.startswith("generator/embeddings/") for n in names)
  assert not any("pooler" in n for n in names)


def test_shape_mismatch_names_the_tensor(tmp_path):
  config = configs.ModelConfig(family="bert", **SMALL)
  prefix = checkpoints.save_tf1_checkpoint(models.build_pretrainer(config),
                                           str(tmp_path / "model.ckpt"), config)
  wider = configs.ModelConfig(family="bert", **dict(SMALL, intermediate_size=32))
  model = models.build_pretrainer(wider)
  before = [v.numpy() for v in model.variables]
  with pytest.raises(checkpoints.CheckpointError,
                     match=r"intermediate/dense/kernel has shape \[16, 24\], "
                           r"expected \[16, 32\]"):
    checkpoints.load_tf1_checkpoint(model, prefix, wider)
  for b, v in zip(before, model.variables):  # nothing half-loaded
    np.testing.assert_array_equal(b, v.numpy())


def test_missing_tensor_and_wrong_family_are_clear(tmp_path):
  config = configs.ModelConfig(family="bert", **SMALL)
  model = models.build_pretrainer(config)
  tensors = tf1.tf1_tensors(model, config)
  del tensors["bert/encoder/layer_1/output/dense/bias"]
  prefix = str(tmp_path / "partial.ckpt")
  names = sorted(tensors)
  tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names,
                    shape_and_slices=[""] * len(names),
                    tensors=[tf.constant(tensors[n]) for n in names])
  with pytest.raises(checkpoints.CheckpointError,
                     match="missing, e.g. 'bert/encoder/layer_1/output/dense/bias'"):
    checkpoints.load_tf1_checkpoint(model, prefix, config)

  albert = configs.ModelConfig(family="albert", **SMALL, embedding_size=8)
  albert_prefix = checkpoints.save_tf1_checkpoint(
      models.build_pretrainer(albert), str(tmp_path / "albert.ckpt"), albert)
  with pytest.raises(checkpoints.CheckpointError, match="albert checkpoint, not bert"):
    checkpoints.load_tf1_checkpoint(model, albert_prefix, config)
  with pytest.raises(checkpoints.CheckpointError, match="no TF1 checkpoint"):
    checkpoints.load_tf1_checkpoint(model, str(tmp_path / "nothing"), config)


def test_encoder_only_checkpoint_and_heads(tmp_path):
  config = configs.ModelConfig(family="bert", **SMALL)
  source = models.build_pretrainer(config)
  prefix = checkpoints.save_tf1_checkpoint(source, str(tmp_path / "enc.ckpt"),
                                           config, include_heads=False)
  model = models.build_pretrainer(config)
  with pytest.raises(checkpoints.CheckpointError, match="cls/predictions"):
    checkpoints.load_tf1_checkpoint(model, prefix, config)
  report = checkpoints.load_tf1_checkpoint(model, prefix, config,
                                           require_heads=False)
  assert "cls/seq_relationship/output_weights" in report.skipped_heads
  # An encoder alone reads the same checkpoint (fine-tuning starts there).
  encoder = models.build_encoder(config)
  models.bert.build_network(encoder)
  checkpoints.load_tf1_checkpoint(encoder, prefix, config)
  np.testing.assert_array_equal(encoder.get_embedding_table().numpy(),
                                source.encoder.get_embedding_table().numpy())
