"""create_pretraining_data as an Apache Beam pipeline (the `beam` extra).

The same work as `tfrecords.pipeline.create_pretraining_data`, cut the same
way (`tfrecords.blocks`, which both import), so that the same inputs, seed
and flags give byte-identical shards and the same manifest on any runner
(DirectRunner here; Dataflow, Flink or Spark at scale):

  files ─ count documents per file ─┐ (side input: global document numbers)
  files ─ read documents ───────────┴→ (shard, (document number, lines))
        ─ GroupByKey(shard) ─ cut the shard's documents into blocks of
          `block_bytes` (blocks.blocks_of_shard, as the local runner)
        ─ Reshuffle ─ BlockProcessor.process(shard, block, documents): the
          local runner's per-block function, seeded by (seed, shard, block)
        ─ GroupByKey(shard) ─ write the shard's blocks in order (ShardWriter:
          temporary name, renamed when complete)
        ─ all shards written ─ `<output_file>.manifest.json`, the local
          runner's format and content

Output paths and reading go through tf.io.gfile, so `gs://` works on
Dataflow. One shard's text is held by one worker while it is cut into
blocks: use enough `num_output_shards` (e.g. 256 for all of PubMed) to keep
that small and to spread the writing.

Unlike the local runner, a rerun does not skip shards an earlier run
completed (Beam retries failed work itself); like it, a rerun first removes
the shards of an earlier run that it does not write.

From the command line: `python -m tools.create_pretraining_data
--runner=DirectRunner ...` (see that tool). From Python:

  import apache_beam as beam
  from tfrecords import beam as beam_data
  with beam.Pipeline(options=...) as p:
    beam_data.build_pipeline(p, "gs://b/pubmed/*.txt", "gs://b/tf/pubmed",
                             vocab_file="gs://b/vocab.txt",
                             options=DataOptions(num_output_shards=256))
"""
import bisect
import collections
import dataclasses
import sys
import time
from typing import Dict, List, Optional, Sequence

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)

try:
  import apache_beam as beam
except ImportError as e:  # pragma: no cover - depends on the extra
  raise ImportError("tfrecords.beam needs Apache Beam: pip install "
                    "'biom_tf[beam]' (or apache-beam)") from e

from biom_tf import fileio
from biom_tf.errors import DataError
from tfrecords import blocks
from tfrecords import corpus
from tfrecords import pipeline as local
from tfrecords import writer

# The runners `tools/create_pretraining_data.py --runner` names.
RUNNERS = ("DirectRunner", "DataflowRunner", "FlinkRunner", "SparkRunner")


def _bounds(counts: Dict[int, tuple], num_shards: int, where: str):
  return blocks.shard_bounds(sum(n for n, _ in counts.values()), num_shards,
                             where=where)


class _CountDocuments(beam.DoFn):
  """(file number, path) → (file number, (documents, ReadStats as dict))."""

  def __init__(self, invalid_utf8: str):
    self.invalid_utf8 = invalid_utf8

  def process(self, element):
    number, path = element
    stats = corpus.ReadStats()
    documents = sum(1 for _ in corpus.iter_documents([path], self.invalid_utf8,
                                                     stats))
    yield number, (documents, stats.to_dict())


class _ReadDocuments(beam.DoFn):
  """(file number, path) → (shard, (global document number, lines))."""

  def __init__(self, invalid_utf8: str, num_shards: int, where: str):
    self.invalid_utf8 = invalid_utf8
    self.num_shards = num_shards
    self.where = where

  def process(self, element, counts: Dict[int, tuple]):
    number, path = element
    bounds = _bounds(counts, self.num_shards, self.where)
    index = sum(n for i, (n, _) in counts.items() if i < number)
    for doc in corpus.iter_documents([path], self.invalid_utf8):
      yield bisect.bisect_right(bounds, index) - 1, (index, doc.lines)
      index += 1


class _CutBlocks(beam.DoFn):
  """(shard, [(number, lines)]) → (shard, block, documents)."""

  def __init__(self, block_bytes: int):
    self.block_bytes = block_bytes

  def process(self, element):
    shard, numbered = element
    documents = [lines for _, lines in sorted(numbered, key=lambda d: d[0])]
    for index, block in blocks.blocks_of_shard(documents, self.block_bytes):
      yield shard, index, block


class _ProcessBlock(beam.DoFn):
  """(shard, block, documents) → (shard, (block, data, records, stats))."""

  def __init__(self, vocab_file, spm_model_file, options: Dict):
    self.vocab_file = vocab_file
    self.spm_model_file = spm_model_file
    self.options = options
    self.processor = None

  def setup(self):
    from biom_tf import tokenization  # pylint: disable=g-import-not-at-top
    options = local.DataOptions(**self.options)
    tokenizer = tokenization.build_tokenizer(
        vocab_file=self.vocab_file, spm_model_file=self.spm_model_file,
        do_lower_case=options.do_lower_case)
    self.processor = local.BlockProcessor(tokenizer, options)

  def process(self, element):
    shard, block, documents = element
    result = self.processor.process(shard, block, documents)
    yield shard, (block, result["data"], result["records"], result["stats"])


class _WriteShard(beam.DoFn):
  """(shard, [(block, data, records, stats)]) → (shard, manifest entry)."""

  def __init__(self, outputs: List[str], where: str):
    self.outputs = outputs
    self.where = where

  def process(self, element, counts: Dict[int, tuple]):
    shard, results = element
    results = sorted(results, key=lambda r: r[0])
    out = writer.ShardWriter(self.outputs[shard])
    stats = collections.Counter()
    try:
      for _, data, records, block_stats in results:
        out.write_block(data, records)
        stats.update(block_stats)
      size = out.close()
    except BaseException:
      out.abort()
      raise
    bounds = _bounds(counts, len(self.outputs), self.where)
    yield shard, local.shard_entry(self.outputs[shard], size, out.records,
                                   bounds, shard, len(results), stats)


class _WriteManifest(beam.DoFn):
  """[(shard, entry)] of all shards → the manifest, written once."""

  def __init__(self, manifest_file: str, config: dict):
    self.manifest_file = manifest_file
    self.config = config

  def process(self, entries, counts: Dict[int, tuple]):
    config = dict(self.config)
    config["inputs"] = [dict(entry, documents=counts[i][0])
                        for i, entry in enumerate(self.config["inputs"])]
    read_stats = corpus.ReadStats()
    for i in sorted(counts):
      read_stats.merge(corpus.ReadStats(**counts[i][1]))
    shards = [None] * len(config["outputs"])
    for shard, entry in entries:
      shards[shard] = entry
    writer.write_manifest(self.manifest_file, local.build_manifest(
        config, read_stats.to_dict(), shards))
    yield self.manifest_file


def build_pipeline(root, input_file, output_file: str,
                   vocab_file: Optional[str] = None,
                   spm_model_file: Optional[str] = None,
                   options: Optional[local.DataOptions] = None):
  """Adds the pipeline to `root` (a beam.Pipeline); returns the PCollection
  of the shards' manifest entries (path, bytes, records, documents, blocks,
  stats). The manifest, `<output_file>.manifest.json`, is written when every
  shard is.

  Arguments as `tfrecords.pipeline.create_pretraining_data`; flag errors are
  raised here, before anything runs.
  """
  options = options or local.DataOptions()
  options.validate()
  if not vocab_file and not spm_model_file:
    raise DataError("--vocab_file or --spm_model_file is required")
  paths = corpus.expand_patterns(input_file)
  outputs = local.output_paths(output_file, options.num_output_shards)
  where = local.describe_inputs(input_file)
  config = local.manifest_config(
      options, vocab_file, spm_model_file,
      local.file_sha256(spm_model_file or vocab_file),
      [(p, corpus.file_size(p), None) for p in paths], outputs)
  for path in outputs:
    writer.make_parent_dirs(path)

  files = root | "Files" >> beam.Create(list(enumerate(paths)))
  counts = beam.pvalue.AsDict(files | "CountDocuments" >> beam.ParDo(
      _CountDocuments(options.invalid_utf8)))
  documents = files | "ReadDocuments" >> beam.ParDo(
      _ReadDocuments(options.invalid_utf8, len(outputs), where), counts)
  shards = (documents
            | "DocumentsByShard" >> beam.GroupByKey()
            | "CutBlocks" >> beam.ParDo(_CutBlocks(options.block_bytes))
            | "SpreadBlocks" >> beam.Reshuffle()
            | "ProcessBlocks" >> beam.ParDo(_ProcessBlock(
                vocab_file, spm_model_file, dataclasses.asdict(options)))
            | "BlocksByShard" >> beam.GroupByKey()
            | "WriteShards" >> beam.ParDo(_WriteShard(outputs, where), counts))
  _ = (shards
       | "AllShards" >> beam.combiners.ToList()
       | "WriteManifest" >> beam.ParDo(
           _WriteManifest(local.manifest_path(output_file), config), counts))
  return shards | "Entries" >> beam.Values()


def run_pipeline(input_file, output_file: str,
                 vocab_file: Optional[str] = None,
                 spm_model_file: Optional[str] = None,
                 options: Optional[local.DataOptions] = None,
                 runner: str = "DirectRunner",
                 pipeline_args: Sequence[str] = (),
                 progress=sys.stderr) -> local.Summary:
  """Runs the pipeline on `runner` with Beam `pipeline_args` (e.g.
  ["--project=p", "--region=r", "--temp_location=gs://b/tmp"]) and waits for
  it; returns the local runner's Summary, read from the manifest.

  Before running, removes the shards of an earlier run into `output_file`
  that this one does not write, and the earlier manifest (the new one is
  written at the end, so a failed run leaves none).
  """
  from apache_beam.options import pipeline_options  # pylint: disable=g-import-not-at-top
  started = time.time()
  options = options or local.DataOptions()
  beam_options = pipeline_options.PipelineOptions(
      list(pipeline_args) + [f"--runner={runner}"])
  manifest_file = local.manifest_path(output_file)
  p = beam.Pipeline(options=beam_options)
  build_pipeline(p, input_file, output_file, vocab_file=vocab_file,
                 spm_model_file=spm_model_file, options=options)
  outputs = local.output_paths(output_file, options.num_output_shards)
  local.remove_stale_outputs(output_file, outputs, progress)
  fileio.remove_if_exists(manifest_file)
  if progress is not None:
    progress.write(
        f"create_pretraining_data: running on {runner}: "
        f"{len(corpus.expand_patterns(input_file))} file(s) → {len(outputs)} "
        f"shard(s); {local.describe_records(options)}\n")
    progress.flush()
  p.run().wait_until_finish()
  manifest = fileio.read_json(manifest_file)
  if not manifest or not manifest.get("complete"):
    raise writer.OutputError(f"{manifest_file}: the {runner} run finished "
                             "without writing a complete manifest")
  return local.Summary(
      outputs=outputs, manifest_path=manifest_file,
      instances=int(manifest["totals"].get("instances", 0)),
      documents=sum(i["documents"] for i in manifest["config"]["inputs"]),
      shards_written=len(outputs), shards_skipped=0,
      seconds=time.time() - started)
