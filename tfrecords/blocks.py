"""How data creation cuts the corpus into work: output shards, then blocks.

Both runners import this module, so that they cut identically and write the
same bytes: the local one (`tfrecords/pipeline.py`) and Apache Beam
(`tfrecords/beam.py`).

  * Output shard s holds documents [bounds[s], bounds[s + 1]) of the D
    documents in input order, bounds[s] = s * D // N (N shards).
  * Within a shard, consecutive documents form blocks: a block closes once
    its text reaches `block_bytes` characters; the rest forms the last
    block. A block is the unit of work, seeded by (random_seed, shard,
    block index).
"""
import bisect
import itertools
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

from biom_tf.errors import DataError
from tfrecords import corpus


def shard_bounds(total_documents: int, num_shards: int,
                 where: str = "input_file") -> List[int]:
  """Shard s holds documents [bounds[s], bounds[s + 1]).

  Raises corpus.CorpusError for no documents (naming `where`) and DataError
  for more shards than documents.
  """
  if total_documents == 0:
    raise corpus.CorpusError(
        f"{where}: no documents (every input file is empty)")
  if total_documents < num_shards:
    raise DataError(
        f"--num_output_shards={num_shards}: the corpus has only "
        f"{total_documents} documents; use at most that many shards")
  return [s * total_documents // num_shards for s in range(num_shards + 1)]


def blocks_of_shard(documents: Iterable[List[str]], block_bytes: int
                    ) -> Iterator[Tuple[int, List[List[str]]]]:
  """(block index, documents) of one shard's documents (lists of lines), in
  order: a block closes once its text reaches `block_bytes` characters."""
  block, size, index = [], 0, 0
  for lines in documents:
    block.append(lines)
    size += sum(len(line) for line in lines)
    if size >= block_bytes:
      yield index, block
      block, size, index = [], 0, index + 1
  if block:
    yield index, block


def iter_blocks(documents: Iterable[List[str]], bounds: Sequence[int],
                block_bytes: int, skip: Optional[Sequence[bool]] = None
                ) -> Iterator[Tuple[int, int, List[List[str]]]]:
  """(shard, block index, documents) for all documents in input order,
  streaming; the documents of shards with skip[shard] set are passed over.
  """
  numbered = enumerate(documents)
  for shard, group in itertools.groupby(
      numbered, key=lambda item: bisect.bisect_right(bounds, item[0]) - 1):
    if skip is not None and skip[shard]:
      for _ in group:
        pass
      continue
    for index, block in blocks_of_shard((lines for _, lines in group),
                                        block_bytes):
      yield shard, index, block
