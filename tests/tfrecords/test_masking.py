"""Masking, truncation and serialization against the original algorithms.

The oracles below are plain, one-instance-at-a-time transcriptions of the
published algorithms (google-research/bert `create_masked_lm_predictions`
and `truncate_seq_pair`, google-research/albert's n-gram masking), written
for these tests and independent of the vectorized code under test. Random
streams differ, so distributions are compared, with tolerances of about four
standard errors.
"""
import collections
import random

import biom_tf  # noqa: F401
import numpy as np
import pytest
import tensorflow as tf

from tfrecords import examples
from tfrecords import instances
from tfrecords import masking

CLS, SEP, MASK, VOCAB = 2, 3, 4, 100
# Ids 10..59 start a word; 60..99 continue one ("##x").
IS_START = np.array([True] * 60 + [False] * 40)


def _options(**kw):
  defaults = dict(max_predictions_per_seq=20, masked_lm_prob=0.15,
                  vocab_size=VOCAB, cls_id=CLS, sep_id=SEP, mask_id=MASK,
                  is_word_start=IS_START)
  defaults.update(kw)
  return masking.MaskingOptions(**defaults)


def _rows(num_rows, seq_len=64, seed=0):
  """[CLS] A [SEP] B [SEP] rows of words of 1-3 pieces, random lengths."""
  rng = np.random.default_rng(seed)
  ids = np.zeros((num_rows, seq_len), np.int32)
  lengths = np.zeros(num_rows, np.int64)
  for r in range(num_rows):
    n = int(rng.integers(8, seq_len + 1))
    row = [CLS]
    sep_at = int(rng.integers(2, n - 2))
    while len(row) < n - 1:
      if len(row) == sep_at:
        row.append(SEP)
        continue
      row.append(int(rng.integers(10, 60)))
      for _ in range(int(rng.choice([0, 0, 1, 2]))):
        if len(row) < n - 1 and len(row) != sep_at:
          row.append(int(rng.integers(60, 100)))
    row.append(SEP)
    ids[r, :len(row)] = row
    lengths[r] = len(row)
  return ids, lengths


def _oracle_mask(tokens, k, whole_word, ngram, pvals, rng):
  """The original algorithm on one instance → (masked positions, n-gram
  lengths accepted, in groups)."""
  cand = []
  for i, t in enumerate(tokens):
    if t in (CLS, SEP):
      continue
    if whole_word and cand and not IS_START[t]:
      cand[-1].append(i)
    else:
      cand.append([i])
  starts = [[cand[i:i + n] for n in range(1, ngram + 1)]
            for i in range(len(cand))]
  rng.shuffle(starts)
  masked, covered, accepted = [], set(), []
  for sets in starts:
    if len(masked) >= k:
      break
    n = rng.choices(range(1, ngram + 1), weights=pvals)[0]
    while n >= 1:
      index_set = sum(sets[n - 1], [])
      if len(masked) + len(index_set) <= k:
        break
      n -= 1
    if n == 0 or any(i in covered for i in index_set):
      continue
    covered.update(index_set)
    masked += index_set
    accepted.append(len(sets[n - 1]))
  return sorted(masked), accepted


def _masked_rows(result):
  """Per row, the sorted list of masked positions."""
  return [list(p[w > 0]) for p, w in zip(result.positions, result.weights)]


def test_token_masking_takes_exactly_num_to_predict():
  ids, lengths = _rows(3000)
  result = masking.mask_instances(ids, lengths, _options(),
                                  np.random.default_rng(1))
  budget = np.minimum(20, np.maximum(1, np.round(lengths * 0.15)))
  np.testing.assert_array_equal(result.weights.sum(1), budget)
  for r, positions in enumerate(_masked_rows(result)):
    assert positions == sorted(set(positions))
    assert all(ids[r, p] not in (CLS, SEP, 0) for p in positions)
    np.testing.assert_array_equal(
        result.label_ids[r, :len(positions)], ids[r, positions])
    assert (result.positions[r, len(positions):] == 0).all()
    assert (result.label_ids[r, len(positions):] == 0).all()


def test_token_masking_is_uniform_over_candidates():
  ids, lengths = _rows(1, seed=9)
  copies = 4000
  ids, lengths = np.repeat(ids, copies, 0), np.repeat(lengths, copies)
  result = masking.mask_instances(ids, lengths, _options(),
                                  np.random.default_rng(2))
  counts = np.zeros(ids.shape[1])
  for positions in _masked_rows(result):
    counts[positions] += 1
  cand = [p for p in range(lengths[0]) if ids[0, p] not in (CLS, SEP)]
  k = int(result.weights[0].sum())
  expected = copies * k / len(cand)
  sd = np.sqrt(copies * (k / len(cand)) * (1 - k / len(cand)))
  assert np.abs(counts[cand] - expected).max() < 5 * sd
  assert counts.sum() == counts[cand].sum()


def test_replacements_are_80_10_10():
  ids, lengths = _rows(4000, seed=2)
  result = masking.mask_instances(ids, lengths, _options(),
                                  np.random.default_rng(3))
  r, c = np.nonzero(result.weights)
  now = result.input_ids[r, result.positions[r, c]]
  before = result.label_ids[r, c]
  n = len(r)
  mask = np.mean(now == MASK)
  keep = np.mean((now == before) & (before != MASK))
  se = np.sqrt(0.1 * 0.9 / n)
  assert abs(mask - 0.8) < 4 * np.sqrt(0.16 / n)
  # A random replacement may draw the original id (1/VOCAB of 10%).
  assert abs(keep - (0.1 + 0.1 / VOCAB)) < 4 * se
  assert result.stats["masked_tokens"] == n
  # Positions outside the predictions are untouched.
  untouched = np.ones(ids.shape, bool)
  untouched[r, result.positions[r, c]] = False
  np.testing.assert_array_equal(result.input_ids[untouched], ids[untouched])


@pytest.mark.parametrize("ngram", [1, 3])
def test_whole_words_are_masked_whole(ngram):
  ids, lengths = _rows(2000, seed=4)
  options = _options(do_whole_word_mask=True, ngram=ngram)
  result = masking.mask_instances(ids, lengths, options,
                                  np.random.default_rng(5))
  budget = np.minimum(20, np.maximum(1, np.round(lengths * 0.15)))
  assert (result.weights.sum(1) <= budget).all()
  for r, positions in enumerate(_masked_rows(result)):
    chosen = set(positions)
    for p in positions:
      # A continuation piece's word start is masked too ...
      if not IS_START[ids[r, p]]:
        q = p - 1
        while not IS_START[ids[r, q]] and ids[r, q] != SEP:
          q -= 1
        assert q in chosen or ids[r, q] == SEP
      # ... and so are the continuations after a masked piece.
      if p + 1 < lengths[r] and not IS_START[ids[r, p + 1]]:
        assert p + 1 in chosen


@pytest.mark.parametrize("whole_word,ngram", [(False, 1), (True, 1),
                                              (True, 3), (False, 3)])
def test_masking_matches_the_original_algorithm(whole_word, ngram):
  ids, lengths = _rows(3000, seed=6)
  options = _options(do_whole_word_mask=whole_word, ngram=ngram)
  pvals = masking.ngram_probabilities(ngram)
  result = masking.mask_instances(ids, lengths, options,
                                  np.random.default_rng(7))
  ours = _masked_rows(result)
  rng = random.Random(8)
  oracle_counts, oracle_ngrams = [], collections.Counter()
  budget = np.minimum(20, np.maximum(1, np.round(lengths * 0.15))).astype(int)
  for r in range(len(ids)):
    masked, accepted = _oracle_mask(ids[r, :lengths[r]].tolist(), budget[r],
                                    whole_word, ngram, pvals, rng)
    oracle_counts.append(len(masked))
    oracle_ngrams.update(accepted)
  ours_counts = np.array([len(p) for p in ours])
  oracle_counts = np.array(oracle_counts)
  se = np.sqrt(ours_counts.var() / len(ours) + oracle_counts.var() / len(ids))
  assert abs(ours_counts.mean() - oracle_counts.mean()) < 4 * se + 1e-9
  # How often the budget is met exactly (n-grams can fall short of it).
  full_ours = np.mean(ours_counts == budget)
  full_oracle = np.mean(oracle_counts == budget)
  se = np.sqrt(full_oracle * (1 - full_oracle) * 2 / len(ids)) + 1e-3
  assert abs(full_ours - full_oracle) < 4 * se, (full_ours, full_oracle)
  if ngram > 1:
    total = sum(oracle_ngrams.values())
    ours_total = sum(result.stats[f"ngram_masked_{n}"] for n in (1, 2, 3))
    for n in (1, 2, 3):
      p_oracle = oracle_ngrams[n] / total
      p_ours = result.stats[f"ngram_masked_{n}"] / ours_total
      se = np.sqrt(p_oracle * (1 - p_oracle) * (1 / total + 1 / ours_total))
      assert abs(p_ours - p_oracle) < 4 * se, (n, p_ours, p_oracle)
    # The drawn lengths follow ALBERT's 1/n weights: 6/11, 3/11, 2/11.
    drawn = [result.stats[f"ngram_sampled_{n}"] for n in (1, 2, 3)]
    for n, expected in zip((1, 2, 3), (6 / 11, 3 / 11, 2 / 11)):
      p = drawn[n - 1] / sum(drawn)
      assert abs(p - expected) < 4 * np.sqrt(expected * (1 - expected) /
                                             sum(drawn))


def test_favor_longer_ngrams_reverses_the_weights():
  np.testing.assert_allclose(masking.ngram_probabilities(3),
                             [6 / 11, 3 / 11, 2 / 11])
  np.testing.assert_allclose(masking.ngram_probabilities(3, False),
                             [2 / 11, 3 / 11, 6 / 11])


def test_zero_probability():
  ids, lengths = _rows(10)
  rng = np.random.default_rng(0)
  bert = masking.mask_instances(ids, lengths, _options(masked_lm_prob=0.0), rng)
  assert (bert.weights.sum(1) == 1).all()  # BERT: max(1, round(0)) = 1
  albert = masking.mask_instances(
      ids, lengths, _options(masked_lm_prob=0.0, zero_prob_means_none=True),
      rng)
  assert albert.weights.sum() == 0
  np.testing.assert_array_equal(albert.input_ids, ids)


def test_token_boundary():
  ids = np.array([[CLS, 10, 60, 61, SEP, 11, 12, SEP, 0, 0]], np.int32)
  boundary = masking.token_boundary(ids, np.array([8]), _options())
  np.testing.assert_array_equal(boundary, [[1, 1, 0, 0, 1, 1, 1, 1, 0, 0]])


# ----------------------------------------------------------- truncation
def _oracle_truncate(len_a, len_b, max_num_tokens, rng):
  """truncate_seq_pair on lists; → (front_a, back_a, front_b, back_b)."""
  a, b = list(range(len_a)), list(range(len_b))
  cuts = [0, 0, 0, 0]
  while len(a) + len(b) > max_num_tokens:
    which = 0 if len(a) > len(b) else 2
    trunc = a if which == 0 else b
    if rng.random() < 0.5:
      del trunc[0]
      cuts[which] += 1
    else:
      trunc.pop()
      cuts[which + 1] += 1
  return cuts


@pytest.mark.parametrize("len_a,len_b,max_num", [
    (50, 30, 60), (30, 50, 60), (40, 40, 61), (100, 3, 125), (7, 200, 125),
    (1, 1, 2), (3, 2, 4), (10, 10, 30)])
def test_truncation_matches_truncate_seq_pair(len_a, len_b, max_num):
  ours_rng, oracle_rng = random.Random(0), random.Random(1)
  ours, oracle = [], []
  for _ in range(2000):
    a0, a1, b0, b1 = instances._truncate(100, 100 + len_a, 1000,
                                         1000 + len_b, max_num, ours_rng) \
        if len_a + len_b > max_num else (100, 100 + len_a, 1000, 1000 + len_b)
    ours.append([a0 - 100, 100 + len_a - a1, b0 - 1000, 1000 + len_b - b1])
    oracle.append(_oracle_truncate(len_a, len_b, max_num, oracle_rng))
  ours, oracle = np.array(ours), np.array(oracle)
  # How much each segment loses is not random: equal every time.
  np.testing.assert_array_equal(ours[:, 0] + ours[:, 1],
                                oracle[:, 0] + oracle[:, 1])
  np.testing.assert_array_equal(ours[:, 2] + ours[:, 3],
                                oracle[:, 2] + oracle[:, 3])
  # Front/back splits are binomial(n, 1/2) in both.
  for col in (0, 2):
    n = (oracle[0, col] + oracle[0, col + 1])
    if n:
      sd = np.sqrt(n * 0.25 / len(ours)) * 2
      assert abs(ours[:, col].mean() - oracle[:, col].mean()) < 4 * sd
      assert abs(ours[:, col].var() - oracle[:, col].var()) < 0.25 * n * 0.3


# -------------------------------------------------------- serialization
def test_serialized_examples_parse_like_tf_train_example():
  rng = np.random.default_rng(0)
  edge = np.array([0, 1, 127, 128, 16383, 16384, 2097151, 2097152,
                   (1 << 28) - 1])
  ids = rng.integers(0, 30522, (5, 16))
  ids[0, :len(edge)] = edge
  ids[1, :] = 0
  mask = (rng.random((5, 16)) < 0.5).astype(np.int32)
  weights = rng.random((5, 4)).astype(np.float32)
  label = np.array([[1], [0], [1], [0], [0]])
  data, offsets = examples.serialize_examples(
      [("input_ids", ids), ("input_mask", mask), ("masked_lm_weights", weights),
       ("next_sentence_labels", label)])
  spec = {"input_ids": tf.io.FixedLenFeature([16], tf.int64),
          "input_mask": tf.io.FixedLenFeature([16], tf.int64),
          "masked_lm_weights": tf.io.FixedLenFeature([4], tf.float32),
          "next_sentence_labels": tf.io.FixedLenFeature([1], tf.int64)}
  records = [data[offsets[i]:offsets[i + 1]] for i in range(5)]
  parsed = tf.io.parse_example(records, spec)
  np.testing.assert_array_equal(parsed["input_ids"], ids)
  np.testing.assert_array_equal(parsed["input_mask"], mask)
  np.testing.assert_array_equal(parsed["masked_lm_weights"], weights)
  np.testing.assert_array_equal(parsed["next_sentence_labels"], label)
  for i, record in enumerate(records):
    ref = tf.train.Example(features=tf.train.Features(feature={
        "input_ids": tf.train.Feature(
            int64_list=tf.train.Int64List(value=ids[i].tolist())),
        "input_mask": tf.train.Feature(
            int64_list=tf.train.Int64List(value=mask[i].tolist())),
        "masked_lm_weights": tf.train.Feature(
            float_list=tf.train.FloatList(value=weights[i].tolist())),
        "next_sentence_labels": tf.train.Feature(
            int64_list=tf.train.Int64List(value=label[i].tolist()))}))
    assert tf.train.Example.FromString(record) == ref
    assert len(record) == ref.ByteSize()


def test_serialized_varints_of_every_length_below_two_to_the_20():
  # Values below 2**20 take the table path; rows of differing byte lengths
  # need per-row headers.
  rng = np.random.default_rng(1)
  edge = np.array([0, 1, 127, 128, 16383, 16384, (1 << 20) - 1, 300, 0, 5])
  ids = rng.integers(0, 1 << 20, (6, 10))
  ids[0] = edge
  ids[1] = 0
  ids[2] = 127
  positions = rng.integers(0, 128, (6, 3))
  data, offsets = examples.serialize_examples(
      [("input_ids", ids), ("masked_lm_positions", positions)])
  for i in range(6):
    record = data[offsets[i]:offsets[i + 1]]
    ref = tf.train.Example(features=tf.train.Features(feature={
        "input_ids": tf.train.Feature(
            int64_list=tf.train.Int64List(value=ids[i].tolist())),
        "masked_lm_positions": tf.train.Feature(
            int64_list=tf.train.Int64List(value=positions[i].tolist()))}))
    assert tf.train.Example.FromString(record) == ref
    assert len(record) == ref.ByteSize()
  assert offsets[-1] == len(data)
