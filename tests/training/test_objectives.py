"""Losses against the originals' formulas, computed in numpy.

google-research/bert: mlm = sum(w * -log p) / (sum(w) + 1e-5), nsp = mean
-log p; electra: gen mlm (+1e-6) + 50 * sum(mask * sigmoid_xent) /
(sum(mask) + 1e-6), replaced = sampled token differs from the original.
"""
import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.training import objectives


def _log_softmax(x):
  x = x - x.max(-1, keepdims=True)
  return x - np.log(np.exp(x).sum(-1, keepdims=True))


class _FixedBert:
  def __init__(self, mlm_logits, sentence_logits):
    self.out = dict(mlm_logits=tf.constant(mlm_logits),
                    sentence_logits=tf.constant(sentence_logits))

  def __call__(self, batch, training=None):
    return self.out


def test_bert_loss_matches_the_original_formula():
  rng = np.random.default_rng(0)
  b, p, v = 3, 4, 7
  mlm_logits = rng.normal(size=(b, p, v)).astype(np.float32)
  nsp_logits = rng.normal(size=(b, 2)).astype(np.float32)
  ids = rng.integers(0, v, size=(b, p))
  weights = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [1, 0, 0, 0]], np.float32)
  labels = np.array([[0], [1], [1]])
  batch = dict(masked_lm_ids=tf.constant(ids, tf.int32),
               masked_lm_weights=tf.constant(weights),
               next_sentence_labels=tf.constant(labels, tf.int32),
               input_word_ids=tf.zeros([b, 8], tf.int32),
               input_mask=tf.ones([b, 8], tf.int32))
  totals = objectives.denominators(batch)
  loss, stats = objectives.bert_loss(_FixedBert(mlm_logits, nsp_logits), batch,
                                     totals)
  per_prediction = -np.take_along_axis(_log_softmax(mlm_logits), ids[..., None],
                                       -1)[..., 0]
  mlm = (weights * per_prediction).sum() / (weights.sum() + 1e-5)
  nsp = -np.take_along_axis(_log_softmax(nsp_logits), labels, -1).mean()
  assert float(loss) == pytest.approx(mlm + nsp, rel=1e-5)
  hits = (mlm_logits.argmax(-1) == ids) * weights
  summary = objectives.summarize("bert", {k: float(v) for k, v in stats.items()})
  assert summary["mlm_accuracy"] == pytest.approx(hits.sum() / weights.sum())
  assert summary["nsp_loss"] == pytest.approx(nsp, rel=1e-5)


def test_losses_split_over_replicas_add_up_to_the_whole_batch_loss():
  rng = np.random.default_rng(1)
  mlm_logits = rng.normal(size=(4, 3, 5)).astype(np.float32)
  nsp_logits = rng.normal(size=(4, 2)).astype(np.float32)
  batch = dict(masked_lm_ids=tf.constant(rng.integers(0, 5, (4, 3)), tf.int32),
               masked_lm_weights=tf.constant([[1, 1, 1], [1, 0, 0], [1, 1, 0],
                                              [1, 1, 1]], tf.float32),
               next_sentence_labels=tf.constant([[0], [1], [0], [1]]),
               input_word_ids=tf.zeros([4, 6], tf.int32),
               input_mask=tf.ones([4, 6], tf.int32))
  whole, _ = objectives.bert_loss(_FixedBert(mlm_logits, nsp_logits), batch,
                                  objectives.denominators(batch))
  totals = objectives.denominators(batch)  # the whole update's denominators
  parts = 0.0
  for half in (slice(0, 1), slice(1, 4)):  # unequal halves on purpose
    part = {k: v[half] for k, v in batch.items()}
    loss, _ = objectives.bert_loss(
        _FixedBert(mlm_logits[half], nsp_logits[half]), part, totals)
    parts += float(loss)
  assert parts == pytest.approx(float(whole), rel=1e-6)


class _FixedElectra:
  """Generator logits peaked on chosen tokens; discriminator logits fixed."""

  def __init__(self, gen_logits, disc_logits):
    self.gen_logits = tf.constant(gen_logits)
    self.disc_logits = tf.constant(disc_logits)
    self.seen_ids = None

  def generator_mlm_logits(self, batch, training=None):
    return self.gen_logits

  def discriminator_logits(self, batch, training=None):
    self.seen_ids = batch["input_word_ids"].numpy()
    return self.disc_logits


def test_electra_loss_replaced_token_labels_and_weighting():
  v = 10
  original = np.array([[2, 5, 6, 7, 3, 0]])       # [CLS] a b c [SEP] pad
  masked = np.array([[2, 4, 6, 4, 3, 0]])         # positions 1, 3 masked
  positions = np.array([[1, 3, 0]])               # third is padding
  masked_ids = np.array([[5, 7, 0]])
  weights = np.array([[1.0, 1.0, 0.0]], np.float32)
  # The generator is sure: position 1 -> 5 (the original), 3 -> 9 (a fake).
  gen = np.full((1, 3, v), -30.0, np.float32)
  gen[0, 0, 5] = gen[0, 1, 9] = gen[0, 2, 1] = 30.0
  disc = np.array([[0.3, -1.0, 0.5, 2.0, -0.2, 9.0]], np.float32)
  model = _FixedElectra(gen, disc)
  batch = dict(input_word_ids=tf.constant(masked, tf.int32),
               input_mask=tf.constant([[1, 1, 1, 1, 1, 0]], tf.int32),
               input_type_ids=tf.zeros([1, 6], tf.int32),
               masked_lm_positions=tf.constant(positions, tf.int32),
               masked_lm_ids=tf.constant(masked_ids, tf.int32),
               masked_lm_weights=tf.constant(weights))
  loss, stats = objectives.electra_loss(model, batch,
                                        objectives.denominators(batch),
                                        seed=tf.constant([3, 4], tf.int64))
  # The discriminator saw the original sequence with the fake at position 3
  # (position 0 of the padding prediction is left alone).
  np.testing.assert_array_equal(model.seen_ids, [[2, 5, 6, 9, 3, 0]])
  labels = np.array([0, 0, 0, 1, 0, 0], np.float32)
  mask = np.array([1, 1, 1, 1, 1, 0], np.float32)
  xent = np.maximum(disc[0], 0) - disc[0] * labels + np.log1p(np.exp(-np.abs(disc[0])))
  disc_loss = (mask * xent).sum() / (mask.sum() + 1e-6)
  per_prediction = -np.take_along_axis(_log_softmax(gen[0]), masked_ids[0][:, None], -1)[:, 0]
  mlm = (weights[0] * per_prediction).sum() / (weights.sum() + 1e-6)
  assert float(loss) == pytest.approx(mlm + 50.0 * disc_loss, rel=1e-5)
  assert float(stats["replaced"]) == 1.0
  assert float(stats["tokens"]) == 5.0


def test_generator_samples_follow_its_distribution():
  logits = np.log(np.array([[[0.7, 0.2, 0.1]]], np.float32)).repeat(4000, 1)
  ids = objectives.sample_from_logits(tf.constant(logits),
                                      tf.constant([7, 8], tf.int64)).numpy()
  freq = np.bincount(ids.ravel(), minlength=3) / ids.size
  np.testing.assert_allclose(freq, [0.7, 0.2, 0.1], atol=0.03)
  again = objectives.sample_from_logits(tf.constant(logits),
                                        tf.constant([7, 8], tf.int64)).numpy()
  np.testing.assert_array_equal(ids, again)  # stateless: same seed, same draw
