"""The pretraining input pipeline: TFRecord files -> batches of model inputs.

As the originals' `input_fn_builder` (google-research/bert run_pretraining.py):
for training, files are shuffled and read in parallel (interleave), records
shuffled in a small buffer, repeated forever; for evaluation, files are read
in order. Every batch has a static shape (`drop_remainder=True`), which
TPUs and XLA need. Records are parsed through `biom_tf.features` (the one
schema) and renamed to the model's input names.

Under tf.distribute, `distributed_dataset` gives each input pipeline (one per
host / worker) its own shard: whole files where there are at least as many
files as pipelines, otherwise every n-th record.
"""
from typing import Dict, List, Optional, Sequence, Union

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

from biom_tf import features
from biom_tf.training import dynamic_masking as masking_lib


class InputError(ValueError):
  """Input files that are missing or do not hold the expected records."""


def expand_patterns(input_file: Union[str, Sequence[str]]) -> List[str]:
  """Comma-separated globs (the originals' --input_file) -> sorted files."""
  patterns = input_file.split(",") if isinstance(input_file, str) else input_file
  files = []
  for pattern in patterns:
    pattern = pattern.strip()
    if not pattern:
      continue
    matched = tf.io.gfile.glob(pattern)
    if not matched:
      raise InputError(f"--input_file: no file matches {pattern!r}")
    files.extend(sorted(matched))
  if not files:
    raise InputError("--input_file: no input files given")
  return files


def _first_example(path: str) -> tf.train.Example:
  try:
    first = next(iter(tf.data.TFRecordDataset(path).take(1)), None)
  except tf.errors.OpError as e:
    raise InputError(f"{path}: not a readable TFRecord file "
                     f"({str(e).splitlines()[0]})") from None
  if first is None:
    raise InputError(f"{path}: holds no records")
  example = tf.train.Example()
  try:
    example.ParseFromString(first.numpy())
  except Exception:  # pylint: disable=broad-except  (protobuf DecodeError)
    raise InputError(f"{path}: record 0 is not a tf.train.Example") from None
  return example


def has_masks(path: str) -> bool:
  """Whether the records of `path` carry masked_lm_* features."""
  return "masked_lm_positions" in _first_example(path).features.feature


def check_records(path: str, spec: Dict[str, tf.io.FixedLenFeature]):
  """Reads the first record of `path` and checks it against `spec`.

  Raises InputError naming the file, the feature and what was expected
  instead of a parse error deep inside tf.data.
  """
  found = _first_example(path).features.feature
  for name, feature in spec.items():
    if name not in found:
      raise InputError(
          f"{path}: record 0 has no feature {name!r} (has {sorted(found)}); "
          "was it written for another --model_family?")
    value = found[name]
    kind = value.WhichOneof("kind")
    values = getattr(value, kind).value if kind else []
    want = feature.shape[0] if feature.shape else 1
    if len(values) != want:
      raise InputError(
          f"{path}: record 0 feature {name!r} has {len(values)} values, "
          f"expected {want} (check --max_seq_length / "
          "--max_predictions_per_seq against the ones the data was made with)")


def pretraining_dataset(input_file: Union[str, Sequence[str]],
                        family: str,
                        max_seq_length: int,
                        max_predictions_per_seq: int,
                        batch_size: int,
                        is_training: bool,
                        input_context: Optional[tf.distribute.InputContext] = None,
                        seed: Optional[int] = None,
                        cycle_length: int = 8,
                        shuffle_buffer: int = 100,
                        skip_batches: int = 0,
                        dynamic_masking: Optional[
                            masking_lib.DynamicMasking] = None) -> tf.data.Dataset:
  """Batches of pretraining inputs for one input pipeline.

  Args:
    input_file: comma-separated globs, or a list of them.
    family: bert, albert or electra (selects the record schema).
    max_seq_length, max_predictions_per_seq: the record shapes.
    batch_size: examples per batch of THIS pipeline (per replica under a
      strategy: `InputContext.get_per_replica_batch_size`).
    is_training: shuffle and repeat forever; else one pass in order.
    input_context: from `distribute_datasets_from_function`, to shard.
    seed: shuffle seed (fixed seeds make runs, and resumed runs, repeatable).
    skip_batches: batches to pass over before the first one returned (to
      resume where the iterator cannot be checkpointed); they are read but
      not parsed.
    dynamic_masking: ELECTRA records written without masks: draw them here,
      as the original ELECTRA does during training (required then).

  Returns:
    A dataset of dicts: input_word_ids, input_mask, input_type_ids
    [batch, seq] int32; masked_lm_positions, masked_lm_ids [batch, P] int32;
    masked_lm_weights [batch, P] float32; next_sentence_labels [batch, 1]
    int32 (BERT/ALBERT); as `features.to_model_inputs` names them.
  """
  files = expand_patterns(input_file)
  masking = None
  if family == "electra" and not has_masks(files[0]):
    if dynamic_masking is None:
      raise InputError(
          f"{files[0]}: ELECTRA records without masked_lm_* features; pass "
          "the vocabulary (--vocab_file / --spm_model_file) to mask them "
          "during training")
    masking = dynamic_masking
  spec = features.pretraining_feature_spec(
      family, max_seq_length, None if masking else max_predictions_per_seq)
  check_records(files[0], spec)
  pipelines, index = 1, 0
  if input_context is not None:
    pipelines = input_context.num_input_pipelines
    index = input_context.input_pipeline_id
  by_file = len(files) >= pipelines

  if is_training:
    d = tf.data.Dataset.from_tensor_slices(tf.constant(files))
    if by_file and pipelines > 1:
      d = d.shard(pipelines, index)
    d = d.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    d = d.repeat()
    d = d.interleave(tf.data.TFRecordDataset,
                     cycle_length=min(cycle_length, len(files)),
                     num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if not by_file and pipelines > 1:
      d = d.shard(pipelines, index)
    d = d.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
  else:
    d = tf.data.TFRecordDataset(files)
    if pipelines > 1:
      d = d.shard(pipelines, index)
  d = d.batch(batch_size, drop_remainder=True)
  # Number the batches (before skipping) to seed their masks.
  d = tf.data.Dataset.zip((d, tf.data.Dataset.counter()))
  if skip_batches:
    d = d.skip(skip_batches)
  mask_seed = tf.constant([seed or 0, index], tf.int64)

  def parse(serialized, number):
    inputs = features.to_model_inputs(tf.io.parse_example(serialized, spec))
    if masking is not None:
      inputs = masking_lib.mask_batch(
          inputs, masking,
          tf.random.experimental.stateless_fold_in(mask_seed, number))
    return inputs

  d = d.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  return d.prefetch(tf.data.AUTOTUNE)


def distributed_dataset(strategy: tf.distribute.Strategy,
                        global_batch_size: int, skip_steps: int = 0, **kwargs):
  """`pretraining_dataset` per input pipeline, batched per replica.

  Args:
    strategy: the strategy.
    global_batch_size: examples per step over all replicas.
    skip_steps: steps already taken (each pipeline passes over the batches
      its replicas consumed in them).
    **kwargs: `pretraining_dataset` arguments other than batch_size,
      input_context and skip_batches.
  """
  def dataset_fn(context: tf.distribute.InputContext):
    replicas_per_pipeline = (strategy.num_replicas_in_sync //
                             context.num_input_pipelines)
    return pretraining_dataset(
        batch_size=context.get_per_replica_batch_size(global_batch_size),
        input_context=context,
        skip_batches=skip_steps * replicas_per_pipeline, **kwargs)
  return strategy.distribute_datasets_from_function(dataset_fn)
