"""The pretraining input pipeline: TFRecord files -> batches of model inputs.

As the originals' `input_fn_builder` (google-research/bert run_pretraining.py):
for training, files are shuffled, read several at a time (interleave),
repeated forever and their records shuffled; for evaluation, files are read
in order. Every batch has a static shape (`drop_remainder=True`), which TPUs
and XLA need. Records are parsed through `biom_tf.features` (the one schema)
and renamed to the model's input names.

The training order is a function of the seed and the record's position, so
that a resumed run restarts where it stopped in constant time, under every
strategy (the TPU and multi-worker iterators cannot be checkpointed):

  epoch e     the pipeline's files in a seeded permutation of (seed, e)
  groups      consecutive runs of `cycle_length` files of that order; the
              files of a group are read round-robin, one record at a time
              (a deterministic interleave), the groups one after another,
              the epochs one after another (records repeated, then shuffled,
              as the originals)
  blocks      the stream cut into blocks of `shuffle_buffer` records, each
              permuted by a seed of (seed, block)

Record counts per file (from the datagen manifest, else counted once and
kept in a cache file beside the checkpoints) turn a
position into (epoch, group, record in group): resuming at any step opens
the files of one group, skips within them, and skips under one block of
records. The cost is at most one group of files, the same at step 10 and at
step 10 million.

Under tf.distribute, `distributed_dataset` gives each input pipeline (one per
host / worker) its own files where there are at least as many files as
pipelines; otherwise all pipelines read one stream and take every n-th
record of it, so n pipelines together read what one pipeline alone reads.

Only TFRecord shards are read: the datagen's manifests and unfinished
(`*.incomplete`) shards, and other files a glob matches that are not
TFRecords, are skipped with one line saying so; gzip shards are recognized by
their magic bytes. Where a manifest describes a shard, its byte size is
checked against it before the first step.
"""
import concurrent.futures
import dataclasses
import json
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple, Union

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import numpy as np
import tensorflow as tf

from biom_tf import errors
from biom_tf import features
from biom_tf import fileio
from biom_tf.training import dynamic_masking as masking_lib

GZIP_MAGIC = b"\x1f\x8b"
# The message of the per-batch token id check (pretrain.py looks for it).
VOCAB_CHECK = "biom_tf: token id >= vocab_size"


class InputError(ValueError):
  """Input files that are missing or do not hold the expected records."""


def _log(message: str):
  print(f"[inputs] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------ the files
@dataclasses.dataclass
class Shard:
  """One TFRecord file: path, compression ("" or "GZIP"), sizes."""
  path: str
  compression: str = ""
  size: int = 0
  records: Optional[int] = None      # from the manifest, or counted
  first_record: Optional[bytes] = None


def _read_head(path: str) -> Tuple[Optional[str], Optional[bytes]]:
  """(compression, first record) of a TFRecord file; (None, why) otherwise.

  An empty file is a TFRecord file without records: ("", None). The framing
  (length, masked CRC-32C of length and data) is checked by TensorFlow's own
  record reader.
  """
  with tf.io.gfile.GFile(path, "rb") as f:
    compression = "GZIP" if f.read(2) == GZIP_MAGIC else ""
  records = tf.data.TFRecordDataset(path, compression_type=compression)
  try:
    first = next(iter(records.take(1)), None)
  except tf.errors.OpError as e:
    return None, errors.first_line(e).encode()
  return compression, None if first is None else first.numpy()


def _has_wildcard(pattern: str) -> bool:
  return any(c in pattern for c in "*?[")


def _datagen_file(name: str) -> Optional[str]:
  if name.endswith(fileio.INCOMPLETE_SUFFIX):
    return "unfinished datagen output"
  if name.endswith(features.MANIFEST_SUFFIX):
    return "datagen manifest"
  return None


class _Manifests:
  """The datagen manifests beside the matched files, by shard base name."""

  def __init__(self, directories):
    self.entries = {}    # (dir, base name) -> (manifest path, entry or None)
    self.prefixes = []   # (dir, output base name, manifest path)
    for directory in sorted(directories):
      try:
        paths = tf.io.gfile.glob(
            os.path.join(directory, "*" + features.MANIFEST_SUFFIX))
      except tf.errors.OpError:
        continue
      for manifest_path in sorted(paths):
        manifest = fileio.read_json(manifest_path)
        if not manifest or "shards" not in manifest:
          continue
        outputs = (manifest.get("config") or {}).get("outputs") or []
        shards = manifest.get("shards") or []
        for i, output in enumerate(outputs):
          entry = shards[i] if i < len(shards) else None
          self.entries[(directory, os.path.basename(output))] = (
              manifest_path, entry)
        base = os.path.basename(manifest_path)[:-len(features.MANIFEST_SUFFIX)]
        self.prefixes.append((directory, base, manifest_path))

  def lookup(self, path: str):
    return self.entries.get((os.path.dirname(path), os.path.basename(path)))

  def stale(self, path: str) -> Optional[str]:
    """The manifest whose output name `path` has without being an output."""
    directory, name = os.path.dirname(path), os.path.basename(path)
    for d, base, manifest_path in self.prefixes:
      if d == directory and features.is_shard_name(name, base):
        return manifest_path
    return None


def list_shards(input_file: Union[str, Sequence[str]],
                verbose: bool = True) -> List[Shard]:
  """Comma-separated globs (the originals' --input_file) -> TFRecord shards.

  The globs mean what they mean to every tool (`fileio.expand_patterns`:
  sorted matches, directories left out, a pattern matching no file is an
  error naming it). Skips, with one line naming them, what a glob matches
  that is not a finished TFRecord shard: the datagen's manifests and
  `*.incomplete` files, shards of an earlier datagen run that the manifest
  beside them does not list, and other files without a TFRecord header. A file named without a
  wildcard must be a TFRecord file. Where a manifest lists a shard, the
  shard's byte size must be the manifest's (else: a damaged or truncated
  shard, named), and its record count is taken from it.
  """
  patterns = fileio.split_patterns(input_file)
  explicit = {p for p in patterns if not _has_wildcard(p)}
  candidates, skipped = [], []
  for path in fileio.expand_patterns(patterns, InputError, "--input_file"):
    why = _datagen_file(os.path.basename(path))
    if why:
      skipped.append(f"{os.path.basename(path)} ({why})")
    else:
      candidates.append(path)
  manifests = _Manifests({os.path.dirname(p) for p in candidates})
  kept = []
  for path in candidates:
    found = manifests.lookup(path)
    if found is None:
      stale = manifests.stale(path)
      if stale and path not in explicit:
        skipped.append(f"{os.path.basename(path)} (not an output of "
                       f"{os.path.basename(stale)}: a stale shard of an "
                       "earlier datagen run?)")
        continue
    kept.append((path, found))

  def inspect(item):
    path, found = item
    try:
      size = tf.io.gfile.stat(path).length
      compression, first = _read_head(path)
    except tf.errors.OpError as e:
      raise InputError(f"{path}: cannot read: {errors.first_line(e)}") from None
    return path, found, size, compression, first

  with concurrent.futures.ThreadPoolExecutor(16) as pool:
    inspected = list(pool.map(inspect, kept))
  shards = []
  for path, found, size, compression, first in inspected:
    if found is not None:
      manifest_path, entry = found
      if not entry or not entry.get("complete"):
        raise InputError(f"{path}: {manifest_path} does not list it as "
                         "complete (rerun create_pretraining_data to finish "
                         "it)")
      if entry.get("bytes") != size:
        raise InputError(f"{path}: damaged shard: {size} bytes, "
                         f"{manifest_path} says {entry.get('bytes')}")
    if compression is None:
      why = first.decode(errors="replace")
      if found is not None:
        raise InputError(f"{path}: damaged shard ({why})")
      if path in explicit:
        raise InputError(f"{path}: not a TFRecord file ({why})")
      skipped.append(f"{os.path.basename(path)} (not a TFRecord file: "
                     f"{why})")
      continue
    records = None
    if found is not None and isinstance(found[1].get("records"), int):
      records = found[1]["records"]
    shards.append(Shard(path, compression, size, records, first))
  if skipped and verbose:
    _log(f"--input_file: skipped {len(skipped)} file(s) that are not "
         f"TFRecord shards: {', '.join(skipped)}")
  if not shards:
    raise InputError(f"--input_file={','.join(patterns)}: no TFRecord "
                     "shards among the matched files")
  return shards


def _record_dataset(path, compression):
  """One file's records (a seam: tests count the records read here)."""
  return tf.data.TFRecordDataset(path, compression_type=compression)


def count_records(shard: Shard) -> int:
  """The records in `shard` (read through); InputError if one is damaged."""
  if shard.records is None:
    try:
      shard.records = int(_record_dataset(shard.path, shard.compression).reduce(
          np.int64(0), lambda n, _: n + 1))
    except tf.errors.OpError as e:
      raise InputError(f"{shard.path}: damaged record: {errors.first_line(e)}"
                       ) from None
  return shard.records


def _load_counts(shards: Sequence[Shard], cache: Optional[str]):
  """Record counts from `cache` for the shards of unchanged size."""
  if not cache or not tf.io.gfile.exists(cache):
    return
  value = fileio.read_json(cache) or {}
  for shard in shards:
    entry = value.get(shard.path)
    if (shard.records is None and isinstance(entry, list) and
        len(entry) == 2 and entry[0] == shard.size):
      shard.records = int(entry[1])


def _save_counts(shards: Sequence[Shard], cache: Optional[str]):
  """Writes the counts to `cache` (best effort: only a speed-up)."""
  if not cache:
    return
  try:
    if not tf.io.gfile.isdir(os.path.dirname(cache)):
      return
    value = fileio.read_json(cache) or {}
    value.update({s.path: [s.size, s.records] for s in shards
                  if s.records is not None})
    fileio.write_atomic(cache, json.dumps(value))
  except (tf.errors.OpError, errors.OutputError):
    pass


def find_damaged_record(shards: Sequence[Shard]) -> Optional[str]:
  """Reads `shards` through; the first damaged one as one line, or None."""
  for shard in shards:
    try:
      _record_dataset(shard.path, shard.compression).reduce(
          np.int64(0), lambda n, _: n + 1)
    except tf.errors.OpError as e:
      return f"{shard.path}: damaged record ({errors.first_line(e)})"
  return None


# --------------------------------------------------------- the records
def _parse_example(path: str, record: bytes) -> tf.train.Example:
  example = tf.train.Example()
  try:
    example.ParseFromString(record)
  except Exception:  # pylint: disable=broad-except  (protobuf DecodeError)
    raise InputError(f"{path}: record 0 is not a tf.train.Example") from None
  return example


def _one_shard(path: Union[str, Shard]) -> Shard:
  if isinstance(path, Shard):
    return path
  try:
    compression, first = _read_head(path)
    size = tf.io.gfile.stat(path).length
  except tf.errors.OpError as e:
    raise InputError(f"{path}: not a readable TFRecord file "
                     f"({errors.first_line(e)})") from None
  if compression is None:
    raise InputError(f"{path}: not a readable TFRecord file "
                     f"({first.decode(errors='replace')})")
  return Shard(path, compression, size, None, first)


def _first_example(path: Union[str, Shard]) -> tf.train.Example:
  shard = _one_shard(path)
  if shard.first_record is None:
    raise InputError(f"{shard.path}: holds no records")
  return _parse_example(shard.path, shard.first_record)


def has_masks(path: Union[str, Shard]) -> bool:
  """Whether the records of `path` carry masked_lm_* features."""
  return "masked_lm_positions" in _first_example(path).features.feature


def check_records(path: Union[str, Shard],
                  spec: Dict[str, tf.io.FixedLenFeature],
                  vocab_size: Optional[int] = None):
  """Checks the first record of `path` against `spec` (and `vocab_size`).

  Raises InputError naming the file, the feature and what was expected
  instead of a parse error deep inside tf.data, or, for token ids the model
  has no embedding for, an out-of-range gather (an error on CPU, silent
  zeros on GPU).
  """
  shard = _one_shard(path)
  if shard.first_record is None:
    return  # an empty shard: nothing to check, nothing read from it
  found = _parse_example(shard.path, shard.first_record).features.feature
  for name, feature in spec.items():
    if name not in found:
      raise InputError(
          f"{shard.path}: record 0 has no feature {name!r} (has "
          f"{sorted(found)}); was it written for another --model_family?")
    value = found[name]
    kind = value.WhichOneof("kind")
    values = getattr(value, kind).value if kind else []
    want = feature.shape[0] if feature.shape else 1
    if len(values) != want:
      raise InputError(
          f"{shard.path}: record 0 feature {name!r} has {len(values)} values, "
          f"expected {want} (check --max_seq_length / "
          "--max_predictions_per_seq against the ones the data was made with)")
  if vocab_size is not None:
    for name in ("input_ids", "masked_lm_ids"):
      if name in found and found[name].int64_list.value:
        top = max(found[name].int64_list.value)
        if top >= vocab_size:
          raise InputError(
              f"{shard.path}: record 0 holds token id {top} in {name!r}, but "
              f"the model's vocab_size is {vocab_size} (records made with "
              "another vocabulary?)")


# ------------------------------------------------------------ the order
class RecordOrder:
  """The deterministic, seekable training order of a list of shards.

  Position p (records from the start of the stream) -> (epoch, group, the
  records each of the group's files has given), computed from the record
  counts; `dataset(p)` reads from there.
  """

  def __init__(self, shards: Sequence[Shard], seed: int, cycle_length: int,
               block: int, counts_cache: Optional[str] = None):
    self.shards = list(shards)
    self.counts_cache = counts_cache
    self.seed = int(seed)
    self.cycle = max(1, min(cycle_length, len(self.shards)))
    self.block = max(1, block)
    self._paths = tf.constant([s.path for s in self.shards])
    self._compressions = tf.constant([s.compression for s in self.shards])

  # The permutation of epoch e, the same eagerly and inside tf.data.
  def _permutation(self, epoch):
    seed = tf.stack([tf.constant(self.seed, tf.int64),
                     2 * tf.cast(epoch, tf.int64)])
    keys = tf.random.stateless_uniform([len(self.shards)], seed=seed,
                                       minval=None, maxval=None,
                                       dtype=tf.int64)
    return tf.argsort(keys, stable=True)

  def epoch_records(self) -> int:
    """Records an epoch; counts the shards no manifest or cache counted."""
    missing = [s for s in self.shards if s.records is None]
    if missing:
      _load_counts(missing, self.counts_cache)
      if any(s.records is None for s in missing):
        total = sum(count_records(s) for s in self.shards)
        _save_counts(self.shards, self.counts_cache)
        return total
    return sum(s.records for s in self.shards)

  def _groups_dataset(self, paths, compressions, skips):
    """Files in groups of `cycle`, each group read round-robin."""
    def read(path, compression, skip):
      return _record_dataset(path, compression).skip(skip)

    def group(p, c, s):
      return tf.data.Dataset.from_tensor_slices((p, c, s)).interleave(
          read, cycle_length=self.cycle, block_length=1,
          num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    return tf.data.Dataset.from_tensor_slices(
        (paths, compressions, skips)).batch(self.cycle).flat_map(group)

  def _epoch(self, epoch):
    order = self._permutation(epoch)
    return self._groups_dataset(
        tf.gather(self._paths, order), tf.gather(self._compressions, order),
        tf.zeros([len(self.shards)], tf.int64))

  def locate(self, position: int):
    """(epoch, files in read order, records to skip in each) at `position`.

    The files are those of the epoch from the group holding `position` on;
    within that group they are rotated so that the next record's file comes
    first.
    """
    total = self.epoch_records()
    if total == 0:
      raise InputError(f"{self.shards[0].path}: the input files hold no "
                       "records")
    epoch, within = divmod(position, total)
    order = [int(i) for i in self._permutation(epoch).numpy()]
    counts = [count_records(self.shards[i]) for i in order]
    start = 0
    for g in range(0, len(order), self.cycle):
      c = counts[g:g + self.cycle]
      if within < start + sum(c):
        break
      start += sum(c)
    t = within - start
    # Round j: the largest with sum(min(c_i, j)) <= t; then r more records
    # from the files still open in round j.
    lo, hi = 0, max(c)
    while lo < hi:
      mid = (lo + hi + 1) // 2
      if sum(min(n, mid) for n in c) <= t:
        lo = mid
      else:
        hi = mid - 1
    j = lo
    r = t - sum(min(n, j) for n in c)
    active = [i for i, n in enumerate(c) if n > j]
    s = active[r]
    rotated = list(range(s, len(c))) + list(range(s))
    files = [order[g + i] for i in rotated] + order[g + len(c):]
    skips = [min(c[i], j + (1 if i < s else 0)) for i in rotated]
    skips += [0] * (len(files) - len(skips))
    return epoch, files, skips

  def records(self, position: int) -> tf.data.Dataset:
    """The raw (unshuffled) record stream from `position` on, forever."""
    if position == 0:
      return tf.data.Dataset.counter().flat_map(self._epoch)
    epoch, files, skips = self.locate(position)
    first = self._groups_dataset(
        tf.constant([self.shards[i].path for i in files]),
        tf.constant([self.shards[i].compression for i in files]),
        tf.constant(skips, tf.int64))
    return first.concatenate(
        tf.data.Dataset.counter(start=epoch + 1).flat_map(self._epoch))

  def dataset(self, position: int) -> tf.data.Dataset:
    """Shuffled records from `position` on: whole blocks, then a skip."""
    block_start = position // self.block * self.block
    d = self.records(block_start).batch(self.block, drop_remainder=True)
    d = tf.data.Dataset.zip((d, tf.data.Dataset.counter(
        start=block_start // self.block)))
    seed = tf.constant(self.seed, tf.int64)

    def permute(block, number):
      keys = tf.random.stateless_uniform(
          [self.block], seed=tf.stack([seed, 2 * number + 1]), minval=None,
          maxval=None, dtype=tf.int64)
      return tf.gather(block, tf.argsort(keys, stable=True))

    d = d.map(permute).unbatch()
    return d.skip(position - block_start)


def pretraining_dataset(input_file: Union[str, Sequence[str], Sequence[Shard]],
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
                            masking_lib.DynamicMasking] = None,
                        vocab_size: Optional[int] = None,
                        counts_cache: Optional[str] = None) -> tf.data.Dataset:
  """Batches of pretraining inputs for one input pipeline.

  Args:
    input_file: comma-separated globs, a list of them, or `list_shards`'
      result.
    family: bert, albert or electra (selects the record schema).
    max_seq_length, max_predictions_per_seq: the record shapes.
    batch_size: examples per batch of THIS pipeline (per replica under a
      strategy: `InputContext.get_per_replica_batch_size`).
    is_training: the seeded, repeated, shuffled order (module docstring);
      else one pass in order.
    input_context: from `distribute_datasets_from_function`, to shard.
    seed: the order's seed (fixed seeds make runs, and resumed runs,
      repeatable).
    cycle_length: files read round-robin at a time.
    shuffle_buffer: records per shuffled block.
    skip_batches: batches of this pipeline already trained on: the dataset
      starts after them, at a cost that does not grow with their number.
    dynamic_masking: ELECTRA records written without masks: draw them here,
      as the original ELECTRA does during training (required then).
    vocab_size: if given, record 0 of every file, and then every batch,
      must hold only token ids below it.
    counts_cache: a JSON file for the record counts of files that no
      manifest describes (counted once, on the first resume).

  Returns:
    A dataset of dicts: input_word_ids, input_mask, input_type_ids
    [batch, seq] int32; masked_lm_positions, masked_lm_ids [batch, P] int32;
    masked_lm_weights [batch, P] float32; next_sentence_labels [batch, 1]
    int32 (BERT/ALBERT); as `features.to_model_inputs` names them.
  """
  if (isinstance(input_file, (list, tuple)) and input_file and
      isinstance(input_file[0], Shard)):
    shards = list(input_file)
  else:
    shards = list_shards(input_file)
  spec, masking = record_spec(shards, family, max_seq_length,
                              max_predictions_per_seq, dynamic_masking)
  for shard in shards:
    check_records(shard, spec, vocab_size)
  pipelines, index = 1, 0
  if input_context is not None:
    pipelines = input_context.num_input_pipelines
    index = input_context.input_pipeline_id
  by_file = len(shards) >= pipelines

  if is_training:
    mine = shards[index::pipelines] if by_file and pipelines > 1 else shards
    order = RecordOrder(mine, seed or 0, cycle_length, shuffle_buffer,
                        counts_cache)
    position = skip_batches * batch_size
    if not by_file and pipelines > 1:
      # One stream for all pipelines; each takes every n-th record.
      d = order.dataset(position * pipelines).shard(pipelines, index)
    else:
      d = order.dataset(position)
  else:
    d = tf.data.Dataset.from_tensor_slices(
        ([s.path for s in shards], [s.compression for s in shards]))
    d = d.flat_map(_record_dataset)
    if pipelines > 1:
      d = d.shard(pipelines, index)
  d = d.batch(batch_size, drop_remainder=True)
  # Number the batches to seed their masks.
  d = tf.data.Dataset.zip((d, tf.data.Dataset.counter(start=skip_batches)))
  mask_seed = tf.constant([seed or 0, index], tf.int64)

  def parse(serialized, number):
    parsed = tf.io.parse_example(serialized, spec)
    if vocab_size is not None:  # every batch: an id past the table reads
      # zeros on GPU instead of failing
      check = tf.debugging.assert_less(
          parsed["input_ids"], tf.constant(vocab_size, tf.int64),
          message=VOCAB_CHECK)
      with tf.control_dependencies([check]):
        parsed["input_ids"] = tf.identity(parsed["input_ids"])
    inputs = features.to_model_inputs(parsed)
    if masking is not None:
      inputs = masking_lib.mask_batch(
          inputs, masking,
          tf.random.experimental.stateless_fold_in(mask_seed, number))
    return inputs

  d = d.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  return d.prefetch(tf.data.AUTOTUNE)


def record_spec(shards: Sequence[Shard], family: str, max_seq_length: int,
                max_predictions_per_seq: int,
                dynamic_masking: Optional[masking_lib.DynamicMasking] = None):
  """(feature spec, masking or None) for the records of `shards`."""
  masking = None
  first = next((s for s in shards if s.first_record is not None), shards[0])
  if family == "electra" and not has_masks(first):
    if dynamic_masking is None:
      raise InputError(
          f"{first.path}: ELECTRA records without masked_lm_* features; pass "
          "the vocabulary (--vocab_file / --spm_model_file) to mask them "
          "during training")
    masking = dynamic_masking
  spec = features.pretraining_feature_spec(
      family, max_seq_length, None if masking else max_predictions_per_seq)
  return spec, masking


def distributed_dataset(strategy: tf.distribute.Strategy,
                        global_batch_size: int, skip_steps: int = 0, **kwargs):
  """`pretraining_dataset` per input pipeline, batched per replica.

  Args:
    strategy: the strategy.
    global_batch_size: examples per step over all replicas.
    skip_steps: steps already taken: each pipeline starts after the batches
      its replicas consumed in them (in constant time, see RecordOrder).
    **kwargs: `pretraining_dataset` arguments other than batch_size,
      input_context and skip_batches.
  """
  if "input_file" in kwargs and isinstance(kwargs["input_file"], str):
    kwargs["input_file"] = list_shards(kwargs["input_file"])

  def dataset_fn(context: tf.distribute.InputContext):
    replicas_per_pipeline = (strategy.num_replicas_in_sync //
                             context.num_input_pipelines)
    return pretraining_dataset(
        batch_size=context.get_per_replica_batch_size(global_batch_size),
        input_context=context,
        skip_batches=skip_steps * replicas_per_pipeline, **kwargs)
  return strategy.distribute_datasets_from_function(dataset_fn)
