"""Pretraining instances from tokenized documents: BERT, ALBERT, ELECTRA.

The algorithms are those of the original scripts; only the representation is
ours. Sentences are never copied: a block's tokens are one flat id array and
an instance is a few (start, end) ranges into it, which `assemble` turns
into padded id matrices with numpy.

  * BERT (google-research/bert `create_instances_from_document`): per
    document a target length (max_seq_length - 3, or with `short_seq_prob` a
    random one in [2, max]); sentences are gathered into a chunk until the
    target is reached; A is the first `randint(1, len(chunk) - 1)` sentences;
    B is the rest of the chunk, or (always for a one-sentence chunk, else
    with probability 1/2) sentences from a random start in another document,
    the unused chunk sentences being put back. Label 1 = random next.
  * ALBERT (google-research/albert, `random_next_sentence=False`): the same,
    but instead of a random next, A and B swap with probability 1/2 (sentence
    order prediction). A one-sentence chunk still takes B from another
    document (label 1), as in the original.
  * `truncate_seq_pair`: remove one token at a time from the longer segment
    (B when equal), from the front or the back with probability 1/2 each.
    Here the count of removals from each end is drawn at once (the same
    distribution; see `_truncate`).
  * ELECTRA (google-research/electra `ExampleBuilder`): sentences are packed
    until the target length; 10% of instances keep every sentence in the
    first segment, otherwise a sentence joins the first segment while it
    stays under (target - 3) // 2 (over it: 1/2 of the time, once); the
    first segment is cut to max_seq_length - 2 and the second to what is
    left; 5% of the time the next target is a random length in [5, max].

The one deliberate difference from BERT and ALBERT: the "random document"
for a random next sentence is drawn from the documents of the same block (a
bounded, deterministic window of the corpus, about a megabyte of text)
rather than from the whole corpus held in memory. The originals also shuffle
every instance of the corpus; we shuffle within the block (see pipeline).
"""
import dataclasses
import itertools
import random
from typing import List, Optional

import numpy as np


@dataclasses.dataclass
class TokenizedBlock:
  """The tokenized documents of one block.

  tokens: int32[T], the ids of every non-empty sentence, concatenated.
  sentence_starts: offsets into `tokens`, one per sentence plus the end;
    sentence i is tokens[sentence_starts[i]:sentence_starts[i + 1]].
  documents: (first_sentence, end_sentence) per non-empty document.
  """
  tokens: np.ndarray
  sentence_starts: List[int]
  documents: List[tuple]


@dataclasses.dataclass
class PairSpans:
  """BERT/ALBERT instances as token ranges into TokenizedBlock.tokens.

  Row i is (a_start, a_end, b_start, b_end, label, forced): the instance
  [CLS] tokens[a_start:a_end] [SEP] tokens[b_start:b_end] [SEP];
  label: next_sentence_labels (1 = random next, or for SOP swapped order);
  forced: 1 where the chunk had one sentence, so B had to come from another
    document whatever the coin said (the original's behaviour).
  """
  rows: List[tuple] = dataclasses.field(default_factory=list)
  _table: Optional[np.ndarray] = None

  def __len__(self):
    return len(self.rows)

  def table(self) -> np.ndarray:
    """int64[N, 6], the rows as an array (built once)."""
    if self._table is None or len(self._table) != len(self.rows):
      # fromiter over the flattened tuples: ~1.5x faster than np.array.
      self._table = np.fromiter(itertools.chain.from_iterable(self.rows),
                                np.int64, count=6 * len(self.rows)
                                ).reshape(-1, 6)
    return self._table

  @property
  def label(self) -> np.ndarray:
    return self.table()[:, 4]

  @property
  def forced(self) -> np.ndarray:
    return self.table()[:, 5]


@dataclasses.dataclass
class PackedSpans:
  """ELECTRA instances: each a list of (start, end, segment) token ranges.

  Instance i is [CLS] first [SEP] (second [SEP] if second is not empty);
  `pieces[i]` lists the ranges of first (segment 0) then second (segment 1).
  """
  pieces: List[list] = dataclasses.field(default_factory=list)

  def __len__(self):
    return len(self.pieces)


def pair_spans(block: TokenizedBlock, max_seq_length: int, dupe_factor: int,
               short_seq_prob: float, rng: random.Random,
               sentence_order: bool = False) -> PairSpans:
  """BERT (NSP) or ALBERT (SOP, `sentence_order=True`) instance spans.

  Every document of the block is read `dupe_factor` times (each pass draws
  new chunks, splits and truncations).
  """
  spans = PairSpans()
  for _ in range(dupe_factor):
    _pass_pairs(block, max_seq_length, short_seq_prob, rng, sentence_order,
                spans)
  return spans


def _pass_pairs(block, max_seq_length, short_seq_prob, rng, sentence_order,
                spans):
  """google-research/bert `create_instances_from_document`, on ranges, for
  each document of the block in turn (one pass of the dupe factor).

  This is the hottest Python of the data generation, so uniform integers in
  [a, b] are drawn inline as `a + int(random() * (b - a + 1))`: `_randint`'s
  draws, without the calls.
  """
  starts = block.sentence_starts
  documents = block.documents
  num_documents = len(documents)
  random = rng.random
  append = spans.rows.append
  max_num_tokens = max_seq_length - 3
  for doc_index, (first, end) in enumerate(documents):
    target_seq_length = max_num_tokens
    if random() < short_seq_prob:
      target_seq_length = 2 + int(random() * (max_num_tokens - 1))
    # The instances of this document.
    chunk_first = first  # first sentence of the current chunk
    last = end - 1
    i = first
    while i < end:
      # The chunk is sentences [chunk_first, i]; its length in tokens:
      if i == last or starts[i + 1] - starts[chunk_first] >= target_seq_length:
        num_sentences = i - chunk_first + 1
        a_sentences = 1
        if num_sentences >= 2:
          a_sentences = 1 + int(random() * (num_sentences - 1))
        a_start = starts[chunk_first]
        a_end = starts[chunk_first + a_sentences]
        forced = int(num_sentences == 1)
        if forced or (not sentence_order and random() < 0.5):
          label = 1
          target_b_length = target_seq_length - (a_end - a_start)
          # Another document, as the original: ten tries to avoid this one.
          for _ in range(10):
            random_doc = int(random() * num_documents)
            if random_doc != doc_index:
              break
          r_first, r_end = documents[random_doc]
          j = r_first + int(random() * (r_end - r_first))
          b_start = starts[j]
          while starts[j + 1] - b_start < target_b_length and j + 1 < r_end:
            j += 1
          b_end = starts[j + 1]
          # The unused sentences of the chunk go back to the document.
          i -= num_sentences - a_sentences
        elif sentence_order and random() < 0.5:
          label = 1
          b_start, b_end = a_end, starts[i + 1]
          a_start, a_end, b_start, b_end = b_start, b_end, a_start, a_end
        else:
          label = 0
          b_start, b_end = a_end, starts[i + 1]
        if (a_end - a_start) + (b_end - b_start) > max_num_tokens:
          a_start, a_end, b_start, b_end = _truncate(
              a_start, a_end, b_start, b_end, max_num_tokens, rng)
        append((a_start, a_end, b_start, b_end, label, forced))
        chunk_first = i + 1
      i += 1


def _randint(random, a, b):
  """A uniform integer in [a, b] (random.randint's law, fewer calls)."""
  return a + int(random() * (b - a + 1))


def _truncate(a_start, a_end, b_start, b_end, max_num_tokens, rng):
  """`truncate_seq_pair` on two ranges, in O(1) draws.

  The original removes one token at a time from the longer segment (B when
  they are equal), from the front or the back by a fair coin. So while A is
  longer, A loses tokens; once equal, B and A alternate, B first. We count
  how many tokens each segment loses, then how many of those come off the
  front: a binomial(n, 1/2), drawn as the number of set bits of n random bits.
  """
  len_a, len_b = a_end - a_start, b_end - b_start
  excess = len_a + len_b - max_num_tokens
  if excess <= 0:
    return a_start, a_end, b_start, b_end
  cut_a = min(excess, max(0, len_a - len_b))
  cut_b = min(excess - cut_a, max(0, len_b - len_a))
  rest = excess - cut_a - cut_b
  cut_b += (rest + 1) // 2
  cut_a += rest // 2
  front_a = rng.getrandbits(cut_a).bit_count() if cut_a else 0
  front_b = rng.getrandbits(cut_b).bit_count() if cut_b else 0
  return (a_start + front_a, a_end - (cut_a - front_a),
          b_start + front_b, b_end - (cut_b - front_b))


class PackedBuilder:
  """google-research/electra `ExampleBuilder` on token ranges.

  State (the current sentences and the target length) carries from one
  document to the next, as in the original, which streams a whole file.
  """

  def __init__(self, max_seq_length: int, rng: random.Random):
    self.max_length = max_seq_length
    self.target_length = max_seq_length
    self.rng = rng
    self._sentences = []  # (start, end) ranges
    self._length = 0

  def add_document(self, block: TokenizedBlock, doc_index: int,
                   spans: PackedSpans):
    starts = block.sentence_starts
    first, end = block.documents[doc_index]
    for s in range(first, end):
      self._sentences.append((starts[s], starts[s + 1]))
      self._length += starts[s + 1] - starts[s]
      if self._length >= self.target_length:
        spans.pieces.append(self._create())
    if self._length:  # a blank line (document end) closes the example
      spans.pieces.append(self._create())

  def _create(self):
    rng = self.rng
    if rng.random() < 0.1:
      first_target = 100000
    else:
      first_target = (self.target_length - 3) // 2
    first, second = [], []
    first_len = second_len = 0
    for start, end in self._sentences:
      n = end - start
      if (first_len == 0 or first_len + n < first_target or
          (second_len == 0 and first_len < first_target and
           rng.random() < 0.5)):
        first.append((start, end))
        first_len += n
      else:
        second.append((start, end))
        second_len += n
    first = _prefix(first, self.max_length - 2)
    first_len = sum(e - s for s, e in first)
    second = _prefix(second, max(0, self.max_length - first_len - 3))
    self._sentences = []
    self._length = 0
    if rng.random() < 0.05:
      self.target_length = _randint(rng.random, 5, self.max_length)
    else:
      self.target_length = self.max_length
    return ([(s, e, 0) for s, e in first] + [(s, e, 1) for s, e in second])


def packed_spans(block: TokenizedBlock, max_seq_length: int, dupe_factor: int,
                 rng: random.Random) -> PackedSpans:
  """ELECTRA instance spans; `dupe_factor` passes over the block."""
  spans = PackedSpans()
  builder = PackedBuilder(max_seq_length, rng)
  for _ in range(dupe_factor):
    for doc_index in range(len(block.documents)):
      builder.add_document(block, doc_index, spans)
  return spans


def _prefix(ranges, limit):
  """The first `limit` tokens of a list of ranges."""
  out = []
  for start, end in ranges:
    if limit <= 0:
      break
    end = min(end, start + limit)
    out.append((start, end))
    limit -= end - start
  return out


# ------------------------------------------------------ as id matrices
def assemble(tokens: np.ndarray, piece_instance: np.ndarray,
             piece_start: np.ndarray, piece_length: np.ndarray,
             piece_segment: np.ndarray, num_instances: int,
             max_seq_length: int):
  """Copies token ranges ("pieces") into padded [N, S] matrices.

  Args:
    tokens: int32[T], the ids the pieces point into.
    piece_instance, piece_start, piece_length, piece_segment: int[K], the
      pieces in order, grouped by instance (instance ids non-decreasing).
    num_instances: N.
    max_seq_length: S; no instance may be longer.

  Returns:
    (input_ids int32[N, S], segment_ids int32[N, S], lengths int64[N]).
  """
  piece_length = piece_length.astype(np.int64)
  lengths = np.bincount(piece_instance, weights=piece_length,
                        minlength=num_instances).astype(np.int64)
  if lengths.max(initial=0) > max_seq_length:
    raise AssertionError("an instance is longer than max_seq_length")
  instance_base = np.cumsum(lengths) - lengths
  total = int(piece_length.sum())
  # Token t of the concatenated pieces (t = position) comes from
  # tokens[t + src_shift] and goes to flat index t + dest_shift, where the
  # shifts are per piece: repeated over its tokens, not gathered.
  piece_first = np.cumsum(piece_length) - piece_length  # in concatenation
  src_shift = piece_start.astype(np.int64) - piece_first
  dest_shift = (piece_instance.astype(np.int64) * max_seq_length -
                instance_base[piece_instance])
  position = np.arange(total, dtype=np.int64)
  src = np.repeat(src_shift, piece_length) + position
  dest = np.repeat(dest_shift, piece_length) + position
  input_ids = np.zeros(num_instances * max_seq_length, np.int32)
  segment_ids = np.zeros(num_instances * max_seq_length, np.int32)
  input_ids[dest] = tokens[src]
  segment_ids[dest] = np.repeat(piece_segment, piece_length)
  shape = (num_instances, max_seq_length)
  return input_ids.reshape(shape), segment_ids.reshape(shape), lengths


def pair_pieces(spans, rows: np.ndarray, cls_pos: int, sep_pos: int):
  """`assemble` arrays for [CLS] A [SEP] B [SEP] of PairSpans rows `rows`."""
  a0, a1, b0, b1 = spans.table()[rows, :4].T
  n = len(rows)
  ones = np.ones(n, np.int64)
  start = np.stack([ones * cls_pos, a0, ones * sep_pos, b0, ones * sep_pos], 1)
  length = np.stack([ones, a1 - a0, ones, b1 - b0, ones], 1)
  segment = np.broadcast_to(np.array([0, 0, 0, 1, 1]), (n, 5))
  instance = np.broadcast_to(np.arange(n)[:, None], (n, 5))
  return (instance.ravel(), start.ravel(), length.ravel(), segment.ravel())


def packed_pieces(spans, rows: np.ndarray, cls_pos: int, sep_pos: int):
  """`assemble` arrays for ELECTRA's [CLS] first [SEP] (second [SEP]), rows
  `rows` of PackedSpans."""
  instance, start, length, segment = [], [], [], []
  for i, row in enumerate(rows.tolist()):
    pieces = [(cls_pos, cls_pos + 1, 0)]
    second = False
    for s, e, seg in spans.pieces[row]:
      if seg == 1 and not second:
        pieces.append((sep_pos, sep_pos + 1, 0))
        second = True
      pieces.append((s, e, seg))
    pieces.append((sep_pos, sep_pos + 1, 1 if second else 0))
    for s, e, seg in pieces:
      instance.append(i)
      start.append(s)
      length.append(e - s)
      segment.append(seg)
  return tuple(np.asarray(x, np.int64)
               for x in (instance, start, length, segment))
