"""The pretraining TFRecord schema of each family, with the original names.

One place says what a pretraining record holds, so that the writer
(`tfrecords/`) and the readers (our trainer, and the original
`run_pretraining.py` input functions) agree:

  family   feature                shape  dtype    written by
  bert     input_ids              [S]    int64    google-research/bert
           input_mask             [S]    int64      create_pretraining_data.py
           segment_ids            [S]    int64
           masked_lm_positions    [P]    int64
           masked_lm_ids          [P]    int64
           masked_lm_weights      [P]    float32
           next_sentence_labels   [1]    int64    (1 = B is a random next)
  albert   as bert, plus
           token_boundary         [S]    int64    google-research/albert
           and next_sentence_labels holds the sentence-order label
           (1 = segments swapped, or B taken from another document)
  electra  input_ids              [S]    int64    google-research/electra
           input_mask             [S]    int64      build_pretraining_dataset.py
           segment_ids            [S]    int64
           plus masked_lm_positions / masked_lm_ids / masked_lm_weights [P]
           when the data was written with offline masks (our extension; the
           original masks on the fly during training).

S = max_seq_length, P = max_predictions_per_seq. Padding is 0 (weights 0.0).

The files the datagen writes (`tfrecords/pipeline.py`, `tfrecords/beam.py`)
and the trainer reads (`biom_tf/training/inputs.py`) are named here too:
shards `<output_file>-00003-of-00010` (`shard_name`; one shard is
`<output_file>` itself) and `<output_file>.manifest.json` beside them; a
shard being written is `<shard>.incomplete` (`fileio.INCOMPLETE_SUFFIX`).
"""
import re
from typing import Dict, Optional

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import tensorflow as tf

from biom_tf.configs import FAMILIES

# Feature name in the record → model input name (Model Garden / TF Hub).
MODEL_INPUT_NAMES = {
    "input_ids": "input_word_ids",
    "input_mask": "input_mask",
    "segment_ids": "input_type_ids",
    "masked_lm_positions": "masked_lm_positions",
    "masked_lm_ids": "masked_lm_ids",
    "masked_lm_weights": "masked_lm_weights",
    "next_sentence_labels": "next_sentence_labels",
    "token_boundary": "token_boundary",
}


# The datagen's manifest: `<output_file>` + this.
MANIFEST_SUFFIX = ".manifest.json"
# What `shard_name` appends, as a regular expression and as a glob.
_SHARD_NUMBERS_RE = r"-\d{5}-of-\d{5}"
_SHARD_NUMBERS_GLOB = "-" + "[0-9]" * 5 + "-of-" + "[0-9]" * 5


def shard_name(output_file: str, shard: int, num_shards: int) -> str:
  """Shard `shard` of `num_shards`: `<output_file>-00003-of-00010`."""
  return f"{output_file}-{shard:05d}-of-{num_shards:05d}"


def shard_glob(output_file: str) -> str:
  """A glob of `shard_name(output_file, ...)` for any shard count."""
  return output_file + _SHARD_NUMBERS_GLOB


def is_shard_name(name: str, output_file: str) -> bool:
  """Whether `name` is `shard_name(output_file, ...)` for some shard count."""
  return re.fullmatch(re.escape(output_file) + _SHARD_NUMBERS_RE,
                      name) is not None


class FeatureSpecError(ValueError):
  """A family or length that no pretraining record schema has."""


def feature_names(family: str, masked: bool = True):
  """The record's feature names, in the order the original writers use.

  Args:
    family: "bert", "albert" or "electra".
    masked: for ELECTRA only: whether the masked_lm_* features are present.
  """
  _check_family(family)
  names = ["input_ids", "input_mask", "segment_ids"]
  if family == "albert":
    names.append("token_boundary")
  if family != "electra" or masked:
    names += ["masked_lm_positions", "masked_lm_ids", "masked_lm_weights"]
  if family != "electra":
    names.append("next_sentence_labels")
  return names


def pretraining_feature_spec(
    family: str, max_seq_length: int,
    max_predictions_per_seq: Optional[int] = None
) -> Dict[str, tf.io.FixedLenFeature]:
  """The `tf.io.parse_example` spec of a pretraining record.

  Args:
    family: "bert", "albert" or "electra".
    max_seq_length: S, the length of the per-token features.
    max_predictions_per_seq: P, the length of the masked_lm_* features.
      Required for BERT and ALBERT. For ELECTRA, None or 0 means records
      without masks (what the original ELECTRA builder writes); a positive
      value means records written with offline masks.

  Returns:
    dict: feature name → tf.io.FixedLenFeature (int64, weights float32).
  """
  _check_family(family)
  _check_positive("max_seq_length", max_seq_length)
  masked = family != "electra" or bool(max_predictions_per_seq)
  if masked:
    _check_positive("max_predictions_per_seq", max_predictions_per_seq)
  spec = {}
  for name in feature_names(family, masked=masked):
    if name in ("masked_lm_positions", "masked_lm_ids"):
      spec[name] = tf.io.FixedLenFeature([max_predictions_per_seq], tf.int64)
    elif name == "masked_lm_weights":
      spec[name] = tf.io.FixedLenFeature([max_predictions_per_seq], tf.float32)
    elif name == "next_sentence_labels":
      spec[name] = tf.io.FixedLenFeature([1], tf.int64)
    else:
      spec[name] = tf.io.FixedLenFeature([max_seq_length], tf.int64)
  return spec


def to_model_inputs(parsed: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
  """Renames parsed record features to model input names; int64 → int32.

  input_ids → input_word_ids, segment_ids → input_type_ids; the other names
  are kept. Features this module does not know are passed through unchanged
  (cast too), so a reader may parse extra columns.
  """
  inputs = {}
  for name, tensor in parsed.items():
    if tensor.dtype == tf.int64:
      tensor = tf.cast(tensor, tf.int32)
    inputs[MODEL_INPUT_NAMES.get(name, name)] = tensor
  return inputs


def _check_family(family):
  if family not in FAMILIES:
    raise FeatureSpecError(f"family={family!r}: expected one of {FAMILIES}")


def _check_positive(name, value):
  if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
    raise FeatureSpecError(f"{name}={value!r}: expected a positive integer")
