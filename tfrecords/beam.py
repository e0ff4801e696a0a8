"""create_pretraining_data as an Apache Beam pipeline (the `beam` extra).

The same work as `tfrecords.pipeline.create_pretraining_data`, cut the same
way, so that the same inputs, seed and flags give byte-identical shards on
any runner (DirectRunner here; Dataflow, Flink or Spark at scale):

  files ─ count documents per file ─┐ (side input: global document numbers)
  files ─ read documents ───────────┴→ (shard, (document number, lines))
        ─ GroupByKey(shard) ─ cut the shard's documents into blocks of
          `block_bytes`, exactly as the local runner does
        ─ Reshuffle ─ BlockProcessor.process(shard, block, documents): the
          local runner's per-block function, seeded by (seed, shard, block)
        ─ GroupByKey(shard) ─ write the shard's blocks in order (ShardWriter:
          temporary name, renamed when complete)

Output paths and reading go through tf.io.gfile, so `gs://` works on
Dataflow. One shard's text is held by one worker while it is cut into
blocks: use enough `num_output_shards` (e.g. 256 for all of PubMed) to keep
that small and to spread the writing.

Not done here, unlike the local runner: the `.manifest.json` and the
skipping of shards completed by an earlier run (Beam retries failed work
itself).

  import apache_beam as beam
  from tfrecords import beam as beam_data
  with beam.Pipeline(options=...) as p:
    beam_data.build_pipeline(p, "gs://b/pubmed/*.txt", "gs://b/tf/pubmed",
                             vocab_file="gs://b/vocab.txt",
                             options=DataOptions(num_output_shards=256))
"""
import dataclasses
from typing import Dict, List, Optional

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)

try:
  import apache_beam as beam
except ImportError as e:  # pragma: no cover - depends on the extra
  raise ImportError("tfrecords.beam needs Apache Beam: pip install "
                    "'biom_tf[beam]' (or apache-beam)") from e

from tfrecords import corpus
from tfrecords import pipeline as local
from tfrecords import writer


def shard_bounds(total_documents: int, num_shards: int) -> List[int]:
  """Shard s holds documents [bounds[s], bounds[s + 1]) (as the local run)."""
  if total_documents == 0:
    raise corpus.CorpusError("no documents (every input file is empty)")
  if total_documents < num_shards:
    raise local.DataError(
        f"--num_output_shards={num_shards}: the corpus has only "
        f"{total_documents} documents; use at most that many shards")
  return [s * total_documents // num_shards for s in range(num_shards + 1)]


def blocks_of_shard(documents: List[List[str]], block_bytes: int):
  """(block index, documents) in order: a block closes once its text reaches
  `block_bytes` characters; the rest forms the last block."""
  block, size, index = [], 0, 0
  for lines in documents:
    block.append(lines)
    size += sum(len(line) for line in lines)
    if size >= block_bytes:
      yield index, block
      block, size, index = [], 0, index + 1
  if block:
    yield index, block


class _CountDocuments(beam.DoFn):
  """(file number, path) → (file number, documents in it)."""

  def __init__(self, invalid_utf8: str):
    self.invalid_utf8 = invalid_utf8

  def process(self, element):
    number, path = element
    yield number, sum(1 for _ in corpus.iter_documents([path],
                                                       self.invalid_utf8))


class _ReadDocuments(beam.DoFn):
  """(file number, path) → (shard, (global document number, lines))."""

  def __init__(self, invalid_utf8: str, num_shards: int):
    self.invalid_utf8 = invalid_utf8
    self.num_shards = num_shards

  def process(self, element, counts: Dict[int, int]):
    number, path = element
    bounds = shard_bounds(sum(counts.values()), self.num_shards)
    index = sum(n for i, n in counts.items() if i < number)
    shard = 0
    for doc in corpus.iter_documents([path], self.invalid_utf8):
      while index >= bounds[shard + 1]:
        shard += 1
      yield shard, (index, doc.lines)
      index += 1


class _CutBlocks(beam.DoFn):
  """(shard, [(number, lines)]) → (shard, block, documents)."""

  def __init__(self, block_bytes: int):
    self.block_bytes = block_bytes

  def process(self, element):
    shard, numbered = element
    documents = [lines for _, lines in sorted(numbered, key=lambda d: d[0])]
    for index, block in blocks_of_shard(documents, self.block_bytes):
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
  """(shard, [(block, data, records, stats)]) → a dict about the shard."""

  def __init__(self, outputs: List[str]):
    self.outputs = outputs

  def process(self, element):
    shard, results = element
    results = sorted(results, key=lambda r: r[0])
    out = writer.ShardWriter(self.outputs[shard])
    try:
      for _, data, records, _ in results:
        out.write_block(data, records)
      size = out.close()
    except BaseException:
      out.abort()
      raise
    instances = sum(r[3].get("instances", 0) for r in results)
    yield {"shard": shard, "path": self.outputs[shard], "bytes": size,
           "records": out.records, "instances": instances,
           "blocks": len(results)}


def build_pipeline(root, input_file, output_file: str,
                   vocab_file: Optional[str] = None,
                   spm_model_file: Optional[str] = None,
                   options: Optional[local.DataOptions] = None):
  """Adds the pipeline to `root` (a beam.Pipeline); returns the PCollection
  of per-shard dicts (shard, path, bytes, records, instances, blocks).

  Arguments as `tfrecords.pipeline.create_pretraining_data`; flag errors are
  raised here, before anything runs.
  """
  options = options or local.DataOptions()
  options.validate()
  if not vocab_file and not spm_model_file:
    raise local.DataError("--vocab_file or --spm_model_file is required")
  paths = corpus.expand_patterns(input_file)
  outputs = local.output_paths(output_file, options.num_output_shards)
  for path in outputs:
    writer.make_parent_dirs(path)

  files = root | "Files" >> beam.Create(list(enumerate(paths)))
  counts = files | "CountDocuments" >> beam.ParDo(
      _CountDocuments(options.invalid_utf8))
  documents = files | "ReadDocuments" >> beam.ParDo(
      _ReadDocuments(options.invalid_utf8, len(outputs)),
      beam.pvalue.AsDict(counts))
  blocks = (documents
            | "DocumentsByShard" >> beam.GroupByKey()
            | "CutBlocks" >> beam.ParDo(_CutBlocks(options.block_bytes))
            | "SpreadBlocks" >> beam.Reshuffle())
  return (blocks
          | "ProcessBlocks" >> beam.ParDo(_ProcessBlock(
              vocab_file, spm_model_file, dataclasses.asdict(options)))
          | "BlocksByShard" >> beam.GroupByKey()
          | "WriteShards" >> beam.ParDo(_WriteShard(outputs)))
