"""The pretraining record schema: the originals' feature names, dtypes, shapes.

The expected specs are facts copied from the original input functions:
google-research/bert run_pretraining.py `input_fn_builder`,
google-research/albert run_pretraining.py `input_fn_builder` (plus the
`token_boundary` feature its create_pretraining_data.py writes), and
google-research/electra pretrain/pretrain_data.py `get_input_fn`.
"""
import biom_tf  # noqa: F401
import numpy as np
import pytest
import tensorflow as tf

from biom_tf import features

S, P = 16, 4

BERT_ORIGINAL = {
    "input_ids": ([S], tf.int64),
    "input_mask": ([S], tf.int64),
    "segment_ids": ([S], tf.int64),
    "masked_lm_positions": ([P], tf.int64),
    "masked_lm_ids": ([P], tf.int64),
    "masked_lm_weights": ([P], tf.float32),
    "next_sentence_labels": ([1], tf.int64),
}
ALBERT_ORIGINAL = dict(BERT_ORIGINAL, token_boundary=([S], tf.int64))
ELECTRA_ORIGINAL = {
    "input_ids": ([S], tf.int64),
    "input_mask": ([S], tf.int64),
    "segment_ids": ([S], tf.int64),
}


def _as_tuples(spec):
  return {name: (list(f.shape), f.dtype) for name, f in spec.items()}


@pytest.mark.parametrize("family,expected", [
    ("bert", BERT_ORIGINAL), ("albert", ALBERT_ORIGINAL),
    ("electra", ELECTRA_ORIGINAL)])
def test_spec_matches_the_originals(family, expected):
  predictions = None if family == "electra" else P
  spec = features.pretraining_feature_spec(family, S, predictions)
  assert _as_tuples(spec) == expected
  assert all(isinstance(f, tf.io.FixedLenFeature) for f in spec.values())


def test_electra_with_offline_masks_adds_the_masked_features():
  spec = features.pretraining_feature_spec("electra", S, P)
  expected = dict(ELECTRA_ORIGINAL)
  for name in ("masked_lm_positions", "masked_lm_ids", "masked_lm_weights"):
    expected[name] = BERT_ORIGINAL[name]
  assert _as_tuples(spec) == expected


def test_feature_order_is_the_writers():
  assert features.feature_names("bert") == [
      "input_ids", "input_mask", "segment_ids", "masked_lm_positions",
      "masked_lm_ids", "masked_lm_weights", "next_sentence_labels"]
  assert features.feature_names("albert") == [
      "input_ids", "input_mask", "segment_ids", "token_boundary",
      "masked_lm_positions", "masked_lm_ids", "masked_lm_weights",
      "next_sentence_labels"]
  assert features.feature_names("electra", masked=False) == [
      "input_ids", "input_mask", "segment_ids"]


def test_to_model_inputs_renames_and_casts():
  record = tf.train.Example(features=tf.train.Features(feature={
      "input_ids": tf.train.Feature(int64_list=tf.train.Int64List(
          value=list(range(S)))),
      "input_mask": tf.train.Feature(int64_list=tf.train.Int64List(
          value=[1] * S)),
      "segment_ids": tf.train.Feature(int64_list=tf.train.Int64List(
          value=[0] * 8 + [1] * 8)),
      "masked_lm_positions": tf.train.Feature(int64_list=tf.train.Int64List(
          value=[1, 2, 0, 0])),
      "masked_lm_ids": tf.train.Feature(int64_list=tf.train.Int64List(
          value=[7, 8, 0, 0])),
      "masked_lm_weights": tf.train.Feature(float_list=tf.train.FloatList(
          value=[1, 1, 0, 0])),
      "next_sentence_labels": tf.train.Feature(int64_list=tf.train.Int64List(
          value=[1])),
  })).SerializeToString()
  parsed = tf.io.parse_single_example(
      record, features.pretraining_feature_spec("bert", S, P))
  inputs = features.to_model_inputs(parsed)
  assert set(inputs) == {
      "input_word_ids", "input_mask", "input_type_ids", "masked_lm_positions",
      "masked_lm_ids", "masked_lm_weights", "next_sentence_labels"}
  assert inputs["input_word_ids"].dtype == tf.int32
  assert inputs["masked_lm_weights"].dtype == tf.float32
  np.testing.assert_array_equal(inputs["input_word_ids"], np.arange(S))
  np.testing.assert_array_equal(inputs["input_type_ids"], [0] * 8 + [1] * 8)
  np.testing.assert_array_equal(inputs["next_sentence_labels"], [1])


@pytest.mark.parametrize("args,match", [
    (("gpt", S, P), "family='gpt'"),
    (("bert", 0, P), "max_seq_length=0"),
    (("bert", S, None), "max_predictions_per_seq=None"),
    (("albert", S, 0), "max_predictions_per_seq=0"),
])
def test_bad_arguments_name_themselves(args, match):
  with pytest.raises(features.FeatureSpecError, match=match):
    features.pretraining_feature_spec(*args)


def test_datagen_file_names():
  """Shard and manifest names (google-research/bert's `name-00003-of-00010`
  form); a base name with regex or glob characters is taken literally."""
  assert features.shard_name("out/d", 3, 10) == "out/d-00003-of-00010"
  assert "out/d" + features.MANIFEST_SUFFIX == "out/d.manifest.json"
  assert features.shard_glob("out/d") == (
      "out/d-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]")
  assert features.is_shard_name("a+b.x-00000-of-00002", "a+b.x")
  for name in ("aab.x-00000-of-00002", "a+b.x-0000-of-00002",
               "a+b.x-00000-of-00002.incomplete", "a+b.x"):
    assert not features.is_shard_name(name, "a+b.x"), name
