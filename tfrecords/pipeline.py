"""create_pretraining_data: text shards → masked pretraining TFRecords.

How the work is cut, so that memory stays bounded and the output does not
depend on the number of worker processes:

  1. A first pass counts the documents of the inputs (and stops early on an
     unreadable file or, unless told to skip, invalid UTF-8).
  2. Output shard s holds documents [s * D / N, (s + 1) * D / N) of the D
     documents in input order (N = num_output_shards).
  3. Within a shard, consecutive documents form blocks of about `block_bytes`
     of text (2 and 3: `tfrecords.blocks`, which the Beam runner shares).
     A block is the unit of work: it is tokenized, turned into
     instances (`dupe_factor` passes), masked, shuffled and serialized with
     random generators seeded from (random_seed, shard, block) alone.
  4. The main process streams documents into blocks, hands them to
     `num_workers` processes (at most two blocks per worker in flight) and
     writes the results in order; a shard is renamed to its final name when
     complete and the manifest updated. A rerun with the same flags and
     inputs skips the complete shards; a rerun with other shard names
     (another `num_output_shards`) first removes the shards, and their
     `.incomplete` files, of the earlier run that it does not write.

So memory is bounded by the blocks in flight, not the corpus; the same seed
and flags give byte-identical shards with any `num_workers`.

Differences from the original scripts, all deliberate: a random next
sentence comes from the same block, not the whole corpus; instances are
shuffled within their block, not across the corpus; the end of a file ends
a document; invalid UTF-8 is an error or a counted skip, not silently
dropped bytes.
"""
import collections
import concurrent.futures
import dataclasses
import hashlib
import multiprocessing
import random
import sys
import time
from typing import Dict, List, Optional

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import numpy as np
import tensorflow as tf

from biom_tf import features
from biom_tf import fileio
from biom_tf import tokenization
from biom_tf.errors import DataError
from tfrecords import blocks
from tfrecords import corpus
from tfrecords import examples
from tfrecords import instances
from tfrecords import masking
from tfrecords.progress import ProgressLine
from tfrecords import writer

MANIFEST_FORMAT = "biom_tf.pretraining_data.v1"
# Texts per tokenizer call: a 1 MB block of PubMed (about 7,000 lines) in
# one call; each call has a fixed cost (2,048 was ~20% slower per MB).
_TOKENIZE_BATCH = 8192
# Instances assembled, masked and serialized together.
_CHUNK_ROWS = 1024


@dataclasses.dataclass
class DataOptions:
  """Everything that decides the output bytes (flag names of the originals).

  `do_whole_word_mask=None` means the family's original default: False for
  BERT (google-research/bert), True for ALBERT (google-research/albert).
  `ngram`, `favor_shorter_ngram` and `random_next_sentence` apply to ALBERT;
  ELECTRA packs with its builder's own constants (10% one segment, 5% a
  random target length), so `short_seq_prob` does not apply to it.
  """
  model_family: str = "bert"
  do_lower_case: bool = True
  do_whole_word_mask: Optional[bool] = None
  max_seq_length: int = 128
  max_predictions_per_seq: int = 20
  random_seed: int = 12345
  dupe_factor: int = 10
  masked_lm_prob: float = 0.15
  short_seq_prob: float = 0.1
  # ALBERT
  ngram: int = 3
  favor_shorter_ngram: bool = True
  random_next_sentence: bool = False
  # ELECTRA: also write masked_lm_* features (the original masks online).
  electra_offline_masks: bool = False
  # Ours
  num_output_shards: int = 1
  gzip: bool = False
  block_bytes: int = 1 << 20
  invalid_utf8: str = "fail"

  def whole_word_mask(self) -> bool:
    if self.do_whole_word_mask is None:
      return self.model_family == "albert"
    return self.do_whole_word_mask

  def masked(self) -> bool:
    return self.model_family != "electra" or self.electra_offline_masks

  def validate(self):
    def check(ok, flag, value, expected):
      if not ok:
        raise DataError(f"--{flag}={value!r}: expected {expected}")
    check(self.model_family in features.FAMILIES, "model_family",
          self.model_family, f"one of {features.FAMILIES}")
    check(_is_int(self.max_seq_length) and self.max_seq_length >= 5,
          "max_seq_length", self.max_seq_length, "an integer >= 5")
    if self.masked():
      check(_is_int(self.max_predictions_per_seq) and
            self.max_predictions_per_seq >= 1, "max_predictions_per_seq",
            self.max_predictions_per_seq, "a positive integer")
      check(self.max_predictions_per_seq <= self.max_seq_length,
            "max_predictions_per_seq", self.max_predictions_per_seq,
            f"at most --max_seq_length={self.max_seq_length}")
    check(_is_int(self.dupe_factor) and self.dupe_factor >= 1, "dupe_factor",
          self.dupe_factor, "a positive integer")
    check(0.0 <= self.masked_lm_prob <= 1.0, "masked_lm_prob",
          self.masked_lm_prob, "a probability in [0, 1]")
    check(0.0 <= self.short_seq_prob <= 1.0, "short_seq_prob",
          self.short_seq_prob, "a probability in [0, 1]")
    check(_is_int(self.ngram) and self.ngram >= 1, "ngram", self.ngram,
          "a positive integer")
    check(_is_int(self.random_seed), "random_seed", self.random_seed,
          "an integer")
    check(_is_int(self.num_output_shards) and self.num_output_shards >= 1,
          "num_output_shards", self.num_output_shards, "a positive integer")
    check(_is_int(self.block_bytes) and self.block_bytes >= 1, "block_bytes",
          self.block_bytes, "a positive integer")
    check(self.invalid_utf8 in corpus.INVALID_UTF8_MODES, "invalid_utf8",
          self.invalid_utf8, f"one of {corpus.INVALID_UTF8_MODES}")


@dataclasses.dataclass
class Summary:
  """What a run produced."""
  outputs: List[str]
  manifest_path: str
  instances: int
  documents: int
  shards_written: int
  shards_skipped: int
  seconds: float


# ---------------------------------------------------------------- one block
class BlockProcessor:
  """Turns one block of documents into serialized records."""

  def __init__(self, tokenizer, options: DataOptions):
    self.options = options
    self.tokenizer = tokenizer
    self._tokenize = tf.function(
        tokenizer.tf_tokenize,
        input_signature=[tf.TensorSpec([None], tf.string)])
    vocab = tokenizer.vocab
    self.masking = masking.MaskingOptions(
        max_predictions_per_seq=options.max_predictions_per_seq,
        masked_lm_prob=options.masked_lm_prob,
        vocab_size=len(vocab),
        cls_id=tokenizer.cls_id, sep_id=tokenizer.sep_id,
        mask_id=tokenizer.mask_id,
        is_word_start=np.array([tokenizer.is_word_start(t) for t in vocab],
                               bool),
        do_whole_word_mask=options.whole_word_mask(),
        ngram=options.ngram if options.model_family == "albert" else 1,
        favor_shorter_ngram=options.favor_shorter_ngram,
        zero_prob_means_none=options.model_family == "albert")
    self.feature_names = features.feature_names(
        options.model_family, masked=options.masked())

  def tokenize(self, documents: List[List[str]]) -> tuple:
    """→ (TokenizedBlock, number of documents with no tokens)."""
    lines = [line for doc in documents for line in doc]
    ids, lengths = [], []
    for i in range(0, len(lines), _TOKENIZE_BATCH):
      ragged = self._tokenize(tf.constant(lines[i:i + _TOKENIZE_BATCH]))
      ids.append(ragged.flat_values.numpy().astype(np.int32))
      lengths.append(np.diff(ragged.row_splits.numpy()))
    tokens = np.concatenate(ids) if ids else np.zeros(0, np.int32)
    line_lengths = (np.concatenate(lengths) if lengths
                    else np.zeros(0, np.int64)).tolist()
    # Sentences with no tokens are dropped, then documents with none left
    # (as the originals do).
    starts, docs, empty_docs = [0], [], 0
    line = 0
    for doc in documents:
      first = len(starts) - 1
      for _ in range(len(doc)):
        n = line_lengths[line]
        line += 1
        if n:
          starts.append(starts[-1] + n)
      if len(starts) - 1 > first:
        docs.append((first, len(starts) - 1))
      else:
        empty_docs += 1
    return instances.TokenizedBlock(tokens, starts, docs), empty_docs

  def process(self, shard: int, block: int,
              documents: List[List[str]]) -> dict:
    """Serialized records and counts of one block (a pure function of the
    options, the documents and (random_seed, shard, block))."""
    opts = self.options
    rng = random.Random(f"{opts.random_seed}/{shard}/{block}")
    np_rng = np.random.default_rng([opts.random_seed, shard, block])
    tokenized, empty_docs = self.tokenize(documents)
    stats = collections.Counter(documents=len(documents),
                                empty_documents=empty_docs)
    if not tokenized.documents:
      return {"shard": shard, "block": block, "data": b"", "records": 0,
              "stats": dict(stats)}
    # [CLS] and [SEP] are read from two ids appended to the block's tokens.
    tokens = np.concatenate(
        [tokenized.tokens, [self.tokenizer.cls_id, self.tokenizer.sep_id]]
    ).astype(np.int32)
    cls_pos, sep_pos = len(tokens) - 2, len(tokens) - 1
    if opts.model_family == "electra":
      spans = instances.packed_spans(tokenized, opts.max_seq_length,
                                     opts.dupe_factor, rng)
      pieces_of = instances.packed_pieces
    else:
      sentence_order = (opts.model_family == "albert" and
                        not opts.random_next_sentence)
      spans = instances.pair_spans(tokenized, opts.max_seq_length,
                                   opts.dupe_factor, opts.short_seq_prob,
                                   rng, sentence_order=sentence_order)
      pieces_of = instances.pair_pieces
      labels = spans.label.astype(np.int32)
      stats.update(next_sentence_label_1=int(labels.sum()),
                   forced_random_next=int(spans.forced.sum()))
    n = len(spans)
    stats.update(instances=n)
    # The original shuffles all instances; we shuffle the block's. The rows
    # are then built in chunks (small enough to stay in cache).
    order = np_rng.permutation(n)
    data, offsets = [], [np.zeros(1, np.int64)]
    size = 0
    for begin in range(0, n, _CHUNK_ROWS):
      rows = order[begin:begin + _CHUNK_ROWS]
      input_ids, segment_ids, lengths = instances.assemble(
          tokens, *pieces_of(spans, rows, cls_pos, sep_pos),
          num_instances=len(rows), max_seq_length=opts.max_seq_length)
      stats["tokens"] += int(lengths.sum())
      columns = {}
      if opts.masked():
        masked = masking.mask_instances(input_ids, lengths, self.masking,
                                        np_rng)
        stats.update(masked.stats)
        columns.update(masked_lm_positions=masked.positions,
                       masked_lm_ids=masked.label_ids,
                       masked_lm_weights=masked.weights)
        if opts.model_family == "albert":
          columns["token_boundary"] = masking.token_boundary(
              input_ids, lengths, self.masking)
        input_ids = masked.input_ids
      columns["input_ids"] = input_ids
      columns["input_mask"] = (np.arange(opts.max_seq_length)[None, :] <
                               lengths[:, None]).astype(np.int32)
      columns["segment_ids"] = segment_ids
      if opts.model_family != "electra":
        columns["next_sentence_labels"] = labels[rows][:, None]
      chunk, chunk_offsets = examples.serialize_examples(
          [(name, columns[name]) for name in self.feature_names])
      data.append(chunk)
      offsets.append(chunk_offsets[1:] + size)
      size += len(chunk)
    framed = writer.tfrecord_bytes(b"".join(data), np.concatenate(offsets),
                                   compress=opts.gzip)
    return {"shard": shard, "block": block, "data": framed, "records": n,
            "stats": dict(stats)}


# Modules the fork server imports before it forks workers.
_WORKER_PRELOAD = ["biom_tf", "numpy", "tensorflow", "tensorflow_text",
                   "biom_tf.tokenization", "tfrecords.pipeline"]
# A worker process's BlockProcessor, built once by `_init_worker`.
_WORKER: Optional[BlockProcessor] = None


def _init_worker(vocab_file, spm_model_file, options_dict):
  global _WORKER
  options = DataOptions(**options_dict)
  tokenizer = tokenization.build_tokenizer(
      vocab_file=vocab_file, spm_model_file=spm_model_file,
      do_lower_case=options.do_lower_case)
  _WORKER = BlockProcessor(tokenizer, options)


def _process_in_worker(shard, block, documents):
  return _WORKER.process(shard, block, documents)


# ------------------------------------------------------------------ the run
def output_paths(output_file: str, num_output_shards: int) -> List[str]:
  """The shard files: a comma-separated list as given (the original's
  form), else `output_file` for one shard, or `<output_file>-00003-of-00010`."""
  if "," in output_file:
    paths = fileio.split_patterns(output_file)
    if num_output_shards not in (1, len(paths)):
      raise DataError(
          f"--output_file lists {len(paths)} files but --num_output_shards="
          f"{num_output_shards}; give one path, or as many paths as shards")
    return paths
  if num_output_shards == 1:
    return [output_file]
  return [features.shard_name(output_file, i, num_output_shards)
          for i in range(num_output_shards)]


def manifest_path(output_file: str) -> str:
  """The manifest: beside the first of the comma-separated output files."""
  return fileio.split_patterns(output_file)[0] + features.MANIFEST_SUFFIX


def manifest_config(options: DataOptions, vocab_file, spm_model_file,
                    tokenizer_sha256: str, inputs, outputs) -> dict:
  """The manifest's `config`: everything that decides the output bytes.

  inputs: (path, bytes, documents) of each input file, in order.
  """
  masked_p = options.max_predictions_per_seq if options.masked() else None
  return {
      "options": dataclasses.asdict(options),
      "tokenizer": {"vocab_file": vocab_file, "spm_model_file": spm_model_file,
                    "sha256": tokenizer_sha256},
      "inputs": [{"path": p, "bytes": size, "documents": documents}
                 for p, size, documents in inputs],
      "outputs": list(outputs),
      "features": {name: _describe(spec) for name, spec in
                   features.pretraining_feature_spec(
                       options.model_family, options.max_seq_length,
                       masked_p).items()},
      "compression": "GZIP" if options.gzip else "",
  }


def shard_entry(path: str, size: int, records: int, bounds, shard: int,
                num_blocks: int, stats) -> dict:
  """The manifest entry of one complete shard."""
  return {"path": path, "complete": True, "bytes": size, "records": records,
          "documents": [bounds[shard], bounds[shard + 1]],
          "blocks": num_blocks, "stats": dict(stats)}


def build_manifest(config: dict, read_stats: dict, shards: list) -> dict:
  """The manifest: config, skipped input, totals, and per shard its entry
  (None for a shard not complete yet)."""
  totals = collections.Counter()
  for entry in shards:
    if entry:
      totals.update(entry["stats"])
  return {"format": MANIFEST_FORMAT, "config": config,
          "skipped": {**read_stats,
                      "empty_documents": totals.get("empty_documents", 0)},
          "totals": dict(totals), "complete": all(shards),
          "shards": list(shards)}


def remove_stale_outputs(output_file: str, outputs: List[str],
                         log=None) -> List[str]:
  """Removes the shards of an earlier run into `output_file` that this run
  (writing `outputs`) does not write, and their `.incomplete` files, so a
  `name-*` glob never sees two runs' shards. An earlier run's shards are
  those its manifest lists, and `<output_file>-NNNNN-of-NNNNN`.

  Returns the paths removed; says so in one line on `log`.
  """
  keep = set(outputs)
  candidates = []
  previous = fileio.read_json(manifest_path(output_file))
  if previous and previous.get("format") == MANIFEST_FORMAT:
    listed = (previous.get("config") or {}).get("outputs") or []
    candidates += [p for p in listed if isinstance(p, str)]
  if "," not in output_file:
    pattern = features.shard_glob(output_file)
    for suffix in ("", fileio.INCOMPLETE_SUFFIX):
      try:
        found = tf.io.gfile.glob(pattern + suffix)
      except tf.errors.OpError:
        found = []
      candidates += [p[:len(p) - len(suffix)] for p in found]
  removed = []
  for shard in dict.fromkeys(candidates):
    if shard in keep:
      continue
    for path in (shard, shard + fileio.INCOMPLETE_SUFFIX):
      if writer.file_size_or_none(path) is not None:
        fileio.remove_if_exists(path)
        removed.append(path)
  if removed and log is not None:
    log.write(f"create_pretraining_data: removed {len(removed)} file(s) of "
              f"an earlier run with other output shards ({removed[0]}"
              f"{', ...' if len(removed) > 1 else ''})\n")
  return removed


def file_sha256(path: str) -> str:
  digest = hashlib.sha256()
  with tf.io.gfile.GFile(path, "rb") as f:
    while True:
      chunk = f.read(1 << 20)
      if not chunk:
        return digest.hexdigest()
      digest.update(chunk)


class _Progress:
  """Progress lines on stderr: documents, instances, rate."""

  def __init__(self, total_documents, stream, interval):
    self.total = total_documents
    self.line = ProgressLine(stream, interval)
    self.documents = 0
    self.instances = 0

  def update(self, documents, instances, force=False, note=""):
    self.documents += documents
    self.instances += instances
    self.line.write(lambda elapsed: (
        f"create_pretraining_data: {self.documents:,}/{self.total:,} "
        f"documents ({100.0 * self.documents / max(self.total, 1):.1f}%), "
        f"{self.instances:,} instances, "
        f"{self.documents / elapsed:,.0f} documents/s, "
        f"{self.instances / elapsed:,.0f} instances/s, {elapsed:.0f}s{note}"),
        force=force)


def _count_documents(paths, invalid_utf8):
  """Pass 1: documents per file, and what was skipped."""
  read_stats = corpus.ReadStats()
  per_file = collections.Counter()
  for doc in corpus.iter_documents(paths, invalid_utf8, read_stats):
    per_file[doc.path] += 1
  return per_file, read_stats


def _blocks(paths, options: DataOptions, bounds, done):
  """(shard, block, documents) for the shards not `done`, in order."""
  documents = (doc.lines for doc in
               corpus.iter_documents(paths, options.invalid_utf8))
  return blocks.iter_blocks(documents, bounds, options.block_bytes, done)


def _results(tasks, tokenizer, options, num_workers, vocab_file,
             spm_model_file):
  """Processed blocks, in task order, from this process or from workers."""
  if num_workers == 1:
    processor = BlockProcessor(tokenizer, options)
    for task in tasks:
      yield processor.process(*task)
    return
  # Workers start from a fork server that has imported TensorFlow once (and
  # run no op: forking a process whose TensorFlow runtime started is unsafe)
  # rather than each importing it.
  context = multiprocessing.get_context("forkserver")
  context.set_forkserver_preload(_WORKER_PRELOAD)
  with concurrent.futures.ProcessPoolExecutor(
      num_workers, mp_context=context, initializer=_init_worker,
      initargs=(vocab_file, spm_model_file,
                dataclasses.asdict(options))) as pool:
    pending = collections.deque()
    for task in tasks:
      pending.append(pool.submit(_process_in_worker, *task))
      while len(pending) >= 2 * num_workers:  # bounded work in flight
        yield pending.popleft().result()
    while pending:
      yield pending.popleft().result()


class _Output:
  """The shard files and the manifest that describes them."""

  def __init__(self, manifest_file, outputs, bounds, config, read_stats,
               progress):
    self.manifest_file = manifest_file
    self.outputs = outputs
    self.bounds = bounds
    self.config = config
    self.read_stats = read_stats
    self.progress = progress
    self.shards = [None] * len(outputs)  # manifest entries of done shards
    self._shard = None
    self._writer = None
    self._stats = None
    self._blocks = 0

  def resume(self, log):
    """Marks the shards a previous run with this config completed."""
    previous = fileio.read_json(self.manifest_file)
    if not previous:
      return
    if (previous.get("format") != MANIFEST_FORMAT or
        previous.get("config") != self.config):
      if log is not None:
        log.write(f"create_pretraining_data: {self.manifest_file} is from a "
                  "run with other flags or inputs; starting over\n")
      return
    for s, entry in enumerate(previous.get("shards", [])[:len(self.outputs)]):
      if (entry and entry.get("complete") and
          writer.file_size_or_none(self.outputs[s]) == entry.get("bytes")):
        self.shards[s] = entry

  def manifest(self):
    return build_manifest(self.config, self.read_stats.to_dict(), self.shards)

  def write_manifest(self):
    writer.write_manifest(self.manifest_file, self.manifest())

  def add(self, result):
    """Writes one processed block (blocks arrive in order)."""
    s = result["shard"]
    if s != self._shard:
      self.finish_shard()
      self._shard, self._stats, self._blocks = s, collections.Counter(), 0
      self._writer = writer.ShardWriter(self.outputs[s])
    self._writer.write_block(result["data"], result["records"])
    self._stats.update(result["stats"])
    self._blocks += 1
    self.progress.update(result["stats"].get("documents", 0),
                         result["stats"].get("instances", 0))

  def finish_shard(self):
    """Renames the current shard to its final name; updates the manifest."""
    if self._writer is None:
      return
    size = self._writer.close()
    s = self._shard
    self.shards[s] = shard_entry(self.outputs[s], size, self._writer.records,
                                 self.bounds, s, self._blocks, self._stats)
    self._writer = None
    self.write_manifest()
    self.progress.update(0, 0, force=True, note=f"; wrote {self.outputs[s]}")

  def abort(self):
    if self._writer is not None:
      self._writer.abort()


def create_pretraining_data(input_file, output_file: str,
                            vocab_file: Optional[str] = None,
                            spm_model_file: Optional[str] = None,
                            options: Optional[DataOptions] = None,
                            num_workers: int = 1,
                            progress=sys.stderr,
                            progress_interval: float = 10.0) -> Summary:
  """Writes pretraining TFRecords for `options.model_family`.

  Args:
    input_file: comma-separated globs (or a list) of text shards.
    output_file: the output path (or comma-separated paths, one per shard).
    vocab_file / spm_model_file: the WordPiece vocabulary or SentencePiece
      model (SentencePiece wins when both are given, as in ALBERT).
    options: DataOptions (flags).
    num_workers: processes that build blocks; 1 builds them in this process.
      The output does not depend on it. Workers start from a
      multiprocessing fork server: a script calling this with
      num_workers > 1 must do so under `if __name__ == "__main__":`.
    progress: a stream for progress lines (None for silence).

  Returns:
    Summary. Raises a ValueError subclass naming the flag, file or line on
    bad input (corpus.CorpusError, tokenization.TokenizerError, DataError,
    writer.OutputError).
  """
  started = time.time()
  options = options or DataOptions()
  options.validate()
  if not _is_int(num_workers) or num_workers < 1:
    raise DataError(
        f"--num_workers={num_workers!r}: expected a positive integer")
  if not vocab_file and not spm_model_file:
    raise DataError("--vocab_file or --spm_model_file is required")
  tokenizer = tokenization.build_tokenizer(
      vocab_file=vocab_file, spm_model_file=spm_model_file,
      do_lower_case=options.do_lower_case)
  paths = corpus.expand_patterns(input_file)
  outputs = output_paths(output_file, options.num_output_shards)
  num_shards = len(outputs)

  per_file, read_stats = _count_documents(paths, options.invalid_utf8)
  total_docs = sum(per_file.values())
  bounds = blocks.shard_bounds(total_docs, num_shards,
                               where=describe_inputs(input_file))
  config = manifest_config(
      options, vocab_file, spm_model_file,
      file_sha256(spm_model_file or vocab_file),
      [(p, corpus.file_size(p), per_file[p]) for p in paths], outputs)
  progress_line = _Progress(total_docs, progress, progress_interval)
  output = _Output(manifest_path(output_file), outputs, bounds, config,
                   read_stats, progress_line)
  output.resume(progress)
  skipped = sum(1 for s in output.shards if s)
  remove_stale_outputs(output_file, outputs, progress)
  for path in outputs:
    writer.make_parent_dirs(path)
  output.write_manifest()
  if progress is not None:
    progress.write(
        f"create_pretraining_data: {total_docs:,} documents in {len(paths)} "
        f"file(s) → {num_shards} shard(s), {skipped} already complete; "
        f"{describe_records(options)}\n")

  tasks = _blocks(paths, options, bounds, list(output.shards))
  try:
    for result in _results(tasks, tokenizer, options, num_workers, vocab_file,
                           spm_model_file):
      output.add(result)
    output.finish_shard()
  except BaseException:
    output.abort()
    raise
  output.write_manifest()
  progress_line.update(0, 0, force=True, note="; done")
  return Summary(outputs=outputs, manifest_path=output.manifest_file,
                 instances=int(output.manifest()["totals"].get("instances", 0)),
                 documents=total_docs,
                 shards_written=num_shards - skipped, shards_skipped=skipped,
                 seconds=time.time() - started)


def describe_records(options: DataOptions) -> str:
  """What the records will be, for the tools' opening line: the family,
  the lengths and `dupe_factor` (whose default, 10, is the original's and
  multiplies the output), and for ELECTRA whether masks are written."""
  text = (f"{options.model_family} records, max_seq_length="
          f"{options.max_seq_length}, dupe_factor={options.dupe_factor} (each "
          f"document used {options.dupe_factor} time(s))")
  if options.masked():
    text += f", max_predictions_per_seq={options.max_predictions_per_seq}"
  else:
    text += (", written without masks: pretraining masks them online, so "
             "give run_pretraining --vocab_file (or --spm_model_file)")
  return text


def describe_inputs(input_file) -> str:
  return input_file if isinstance(input_file, str) else ",".join(input_file)


def _describe(spec) -> Dict[str, object]:
  return {"shape": list(spec.shape), "dtype": spec.dtype.name}


def _is_int(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)
