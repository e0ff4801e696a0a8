"""Masked-LM predictions for a whole block of instances at once, in numpy.

The rules are those of the original `create_masked_lm_predictions`
(google-research/bert, and google-research/albert for n-grams); the loop over
candidates runs over every instance of the block at the same time.

Per instance (a row of the id matrix):
  * Candidates are all tokens but [CLS] and [SEP]. With whole-word masking a
    token that does not start a word (`##x` for WordPiece; no `▁` for
    SentencePiece, see the tokenizer's `is_word_start`) joins the candidate
    group before it.
  * num_to_predict = min(max_predictions_per_seq,
                         max(1, round(len(tokens) * masked_lm_prob))).
  * The groups are visited in a uniformly random order. BERT takes a group
    unless that would exceed num_to_predict (it then tries the next one) and
    stops once num_to_predict tokens are taken.
  * ALBERT n-grams (`ngram` > 1): each visited group starts an n-gram of
    n = 1..ngram groups, drawn with probability ∝ 1/n (`favor_shorter_ngram`,
    else ∝ 1/(ngram + 1 - n)), cut at the end of the row; n is shortened
    while the n-gram would exceed num_to_predict; the n-gram is skipped if
    still too long or if it overlaps a masked group.
  * Each chosen token: 80% [MASK], 10% kept, 10% a uniformly random id of the
    vocabulary. Positions are sorted; padding is position 0, id 0, weight 0.

Random streams are numpy's, so the output matches the originals in
distribution, not draw for draw.
"""
import dataclasses
from typing import Dict

import numpy as np


@dataclasses.dataclass
class MaskingOptions:
  """What the masking needs to know (flags and tokenizer facts)."""
  max_predictions_per_seq: int
  masked_lm_prob: float
  vocab_size: int
  cls_id: int
  sep_id: int
  mask_id: int
  is_word_start: np.ndarray  # bool[vocab_size]
  do_whole_word_mask: bool = False
  ngram: int = 1
  favor_shorter_ngram: bool = True
  # ALBERT returns no predictions when masked_lm_prob is 0; BERT still
  # predicts max(1, ...) = 1 token.
  zero_prob_means_none: bool = False


@dataclasses.dataclass
class MaskedLm:
  """The masked-LM features of N instances (P = max_predictions_per_seq)."""
  input_ids: np.ndarray  # int32[N, S], with the replacements applied
  positions: np.ndarray  # int32[N, P]
  label_ids: np.ndarray  # int32[N, P], the original ids
  weights: np.ndarray    # float32[N, P], 1.0 for a prediction, 0.0 padding
  stats: Dict[str, int]


def ngram_probabilities(ngram: int, favor_shorter: bool = True) -> np.ndarray:
  """ALBERT's n-gram length weights: ∝ 1/n for n = 1..ngram (or reversed)."""
  pvals = 1.0 / np.arange(1, ngram + 1)
  pvals /= pvals.sum()
  return pvals if favor_shorter else pvals[::-1].copy()


def num_to_predict(lengths: np.ndarray, options: MaskingOptions) -> np.ndarray:
  """int64[N]: how many tokens each instance masks at most."""
  p = options.masked_lm_prob
  if p == 0 and options.zero_prob_means_none:
    return np.zeros(len(lengths), np.int64)
  # np.round rounds half to even, as Python 3's round() in the original.
  k = np.maximum(1, np.round(lengths.astype(np.float64) * p)).astype(np.int64)
  return np.minimum(options.max_predictions_per_seq, k)


def mask_instances(input_ids: np.ndarray, lengths: np.ndarray,
                   options: MaskingOptions,
                   rng: np.random.Generator) -> MaskedLm:
  """Chooses and applies the masked-LM predictions of every row.

  Args:
    input_ids: int32[N, S], [CLS] A [SEP] B [SEP] then 0 padding.
    lengths: int[N], the unpadded length of each row.
    options: flags and tokenizer facts.
    rng: the block's numpy generator.

  Returns:
    MaskedLm; `input_ids` is a modified copy.
  """
  n_rows, seq_len = input_ids.shape
  cand = np.arange(seq_len)[None, :] < lengths[:, None]   # not padding
  cand &= input_ids != options.cls_id
  cand &= input_ids != options.sep_id
  budget = num_to_predict(lengths, options)
  if options.do_whole_word_mask or options.ngram > 1:
    r, c, rank, stats = _choose_words(input_ids, cand, budget, options, rng)
  else:
    r, c, rank = _choose_tokens(cand, budget, rng)
    stats = {}
  num_p = options.max_predictions_per_seq
  positions = np.zeros((n_rows, num_p), np.int32)
  label_ids = np.zeros((n_rows, num_p), np.int32)
  weights = np.zeros((n_rows, num_p), np.float32)
  originals = input_ids[r, c]
  positions[r, rank] = c
  label_ids[r, rank] = originals
  weights[r, rank] = 1.0

  # 80% [MASK], 10% keep, 10% a random vocabulary id.
  u = rng.random(len(r))
  random_ids = rng.integers(0, options.vocab_size, len(r), dtype=np.int32)
  replaced = np.where(u < 0.8, options.mask_id,
                      np.where(u < 0.9, originals, random_ids))
  output_ids = input_ids.copy()
  output_ids[r, c] = replaced
  stats.update(masked_tokens=int(len(r)), mask_token=int((u < 0.8).sum()),
               kept=int(((u >= 0.8) & (u < 0.9)).sum()),
               random_token=int((u >= 0.9).sum()))
  return MaskedLm(output_ids, positions, label_ids, weights, stats)


def _choose_tokens(cand, budget, rng):
  """Token masking: when every group is one token the greedy visit takes the
  first num_to_predict candidates of a uniformly random order. A partial
  Fisher-Yates shuffle draws just those.

  Returns:
    (rows, positions, ranks) of the chosen tokens, row-major and sorted by
    position within a row; rank is the index among the row's predictions.
  """
  n_rows, seq_len = cand.shape
  cand_flat = np.flatnonzero(cand)                       # row-major
  counts = np.count_nonzero(cand, axis=1)
  first = np.cumsum(counts) - counts
  k = np.minimum(budget, counts)
  width = max(int(counts.max(initial=0)), 1)
  most = int(k.max(initial=0))
  order = np.tile(np.arange(width, dtype=np.int64), n_rows)
  base = np.arange(n_rows, dtype=np.int64) * width
  for t in range(most):
    rows = np.nonzero(k > t)[0]
    here = base[rows] + t
    pick = here + (rng.random(len(rows)) * (counts[rows] - t)).astype(np.int64)
    chosen = order[pick]
    order[pick] = order[here]
    order[here] = chosen
  taken = np.arange(most)[None, :] < k[:, None]          # [N, most]
  chosen = np.where(taken, order.reshape(n_rows, width)[:, :most], width)
  chosen.sort(axis=1)
  rows, rank = np.nonzero(taken)
  cols = cand_flat[first[rows] + chosen[rows, rank]] - rows * seq_len
  return rows, cols, rank


def _choose_words(input_ids, cand, budget, options, rng):
  """Whole-word and n-gram masking: groups of tokens, the greedy visit.

  Returns:
    (rows, positions, ranks) as `_choose_tokens`, and n-gram statistics.
  """
  n_rows = input_ids.shape[0]
  # Groups: a candidate starts a new group unless whole-word masking joins it
  # to the previous one; a row's first candidate always starts one.
  if options.do_whole_word_mask:
    starts = cand & options.is_word_start[input_ids]
    starts |= cand & (np.cumsum(cand, axis=1) == 1)
  else:
    starts = cand
  group = np.cumsum(starts, axis=1) - 1                 # [N, S]
  num_groups = starts.sum(axis=1)                        # [N]
  max_groups = max(int(num_groups.max(initial=0)), 1)
  rows = np.broadcast_to(np.arange(n_rows)[:, None], cand.shape)
  sizes = np.bincount(rows[cand] * max_groups + group[cand],
                      minlength=n_rows * max_groups).reshape(n_rows, max_groups)
  # offsets[r, g]: candidate tokens before group g (so an n-gram of groups
  # g..g+n-1 has offsets[r, g + n] - offsets[r, g] tokens).
  offsets = np.zeros((n_rows, max_groups + 1), np.int64)
  np.cumsum(sizes, axis=1, out=offsets[:, 1:])
  chosen_groups, stats = _choose_groups(
      num_groups, offsets, budget, options.ngram,
      ngram_probabilities(options.ngram, options.favor_shorter_ngram), rng)
  chosen = cand & np.take_along_axis(
      chosen_groups, np.clip(group, 0, max_groups - 1), axis=1)
  r, c = np.nonzero(chosen)                              # row-major: sorted
  rank = np.cumsum(chosen, axis=1)[r, c] - 1
  return r, c, rank, stats


def _choose_groups(num_groups, offsets, budget, ngram, pvals, rng):
  """The greedy visit of groups in random order, for all rows at once.

  Step t visits the t-th group of each row's random order (a partial
  Fisher-Yates shuffle: a uniformly random group among those not visited
  yet), for the rows that still need predictions and have groups left.
  Arrays are indexed flat (row * width + column): numpy's fast path.

  Returns:
    covered: bool[N, G], the groups to mask; stats: n-gram length counts.
  """
  n_rows, max_groups = offsets.shape[0], offsets.shape[1] - 1
  order = np.tile(np.arange(max_groups, dtype=np.int64), n_rows)
  offsets = offsets.ravel()
  cdf = np.cumsum(pvals)[:-1]  # n = 1 + how many of these a draw reaches
  covered = np.zeros(n_rows * max_groups, bool)
  sampled = np.zeros(ngram + 1, np.int64)
  accepted = np.zeros(ngram + 1, np.int64)
  # The active rows, and their state, compacted as rows finish.
  rows = np.nonzero((budget > 0) & (num_groups > 0))[0]
  groups, room = num_groups[rows], budget[rows]
  t = 0
  while len(rows):
    base = rows * max_groups
    # Swap a random not-yet-visited group into place t (place t is never
    # read again, so only the picked place is written).
    pick = base + t + (rng.random(len(rows)) * (groups - t)).astype(np.int64)
    w = order[pick]
    order[pick] = order[base + t]
    start = offsets[rows * (max_groups + 1) + w]
    if ngram == 1:
      size = offsets[rows * (max_groups + 1) + w + 1] - start
      take = size <= room
      covered[(base + w)[take]] = True
    else:
      # The length is drawn from all of 1..ngram; near the end of the row
      # the n-gram then holds the groups that are left (as the original's
      # `cand_indexes[idx:idx + n]`).
      n = 1 + (rng.random(len(rows))[:, None] >= cdf[None, :]).sum(axis=1)
      sampled += np.bincount(n, minlength=ngram + 1)
      n = np.minimum(n, groups - w)
      end_base = rows * (max_groups + 1) + w
      size = offsets[end_base + n] - start
      for _ in range(ngram - 1):  # try shorter n-grams while too long
        n = np.where((size > room) & (n > 1), n - 1, n)
        size = offsets[end_base + n] - start
      take = size <= room
      cell = base + w
      last = base + max_groups - 1
      for j in range(1, ngram):
        take &= ~((j < n) & covered[np.minimum(cell + j, last)])
      take &= ~covered[cell]
      for j in range(ngram):
        mark = take & (j < n)
        covered[cell[mark] + j] = True
      accepted += np.bincount(n[take], minlength=ngram + 1)
    room = room - np.where(take, size, 0)
    t += 1
    keep = (room > 0) & (groups > t)
    rows, groups, room = rows[keep], groups[keep], room[keep]
  stats = {}
  if ngram > 1:
    for n in range(1, ngram + 1):
      stats[f"ngram_sampled_{n}"] = int(sampled[n])
      stats[f"ngram_masked_{n}"] = int(accepted[n])
  return covered.reshape(n_rows, max_groups), stats


def token_boundary(input_ids: np.ndarray, lengths: np.ndarray,
                   options: MaskingOptions) -> np.ndarray:
  """ALBERT's token_boundary: 1 at [CLS], [SEP] and word-start tokens."""
  seq_len = input_ids.shape[1]
  valid = np.arange(seq_len)[None, :] < lengths[:, None]
  boundary = ((input_ids == options.cls_id) | (input_ids == options.sep_id) |
              options.is_word_start[input_ids])
  return (boundary & valid).astype(np.int32)
