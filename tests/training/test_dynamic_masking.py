"""ELECTRA's on-the-fly masking follows the original's rules."""
import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.training import dynamic_masking
from biom_tf.training import inputs
from biom_tf.training import pretrain
from tests.training.conftest import PREDICTIONS
from tests.training.conftest import SEQ
from tests.training.conftest import tiny_config

CLS, SEP, MASK = 2, 3, 4


def _batch(rng, batch=64, seq=40):
  ids = rng.integers(10, 100, size=(batch, seq))
  lengths = rng.integers(12, seq + 1, size=batch)
  mask = (np.arange(seq)[None, :] < lengths[:, None]).astype(np.int32)
  ids = ids * mask
  ids[:, 0] = CLS
  ids[np.arange(batch), lengths - 1] = SEP
  return dict(input_word_ids=tf.constant(ids, tf.int32),
              input_mask=tf.constant(mask),
              input_type_ids=tf.zeros_like(tf.constant(mask))), lengths


def test_masks_follow_electra_rules():
  rng = np.random.default_rng(0)
  batch, lengths = _batch(rng)
  masking = dynamic_masking.DynamicMasking(mask_id=MASK,
                                           do_not_mask=(CLS, SEP, MASK),
                                           max_predictions_per_seq=6)
  out = {k: v.numpy() for k, v in dynamic_masking.mask_batch(
      batch, masking, tf.constant([1, 2], tf.int64)).items()}
  original = batch["input_word_ids"].numpy()
  masked_total = kept_total = 0
  for b, length in enumerate(lengths):
    n = int(out["masked_lm_weights"][b].sum())
    assert n == max(1, min(6, round(0.15 * length)))
    positions = out["masked_lm_positions"][b][:n]
    assert len(set(positions)) == n                      # no repeats
    assert all(0 < p < length - 1 for p in positions)    # never CLS/SEP/pad
    np.testing.assert_array_equal(out["masked_lm_ids"][b][:n], original[b][positions])
    assert (out["masked_lm_weights"][b][n:] == 0).all()
    changed = np.nonzero(out["input_word_ids"][b] != original[b])[0]
    assert set(changed) <= set(positions)
    assert (out["input_word_ids"][b][changed] == MASK).all()
    masked_total += len(changed)
    kept_total += n - len(changed)
  # 85% of the chosen tokens become [MASK], the rest keep their token.
  assert 0.75 < masked_total / (masked_total + kept_total) < 0.95


def test_masks_are_a_function_of_the_seed():
  batch, _ = _batch(np.random.default_rng(1))
  masking = dynamic_masking.DynamicMasking(MASK, (CLS, SEP, MASK), 6)
  a = dynamic_masking.mask_batch(batch, masking, tf.constant([5, 6], tf.int64))
  b = dynamic_masking.mask_batch(batch, masking, tf.constant([5, 6], tf.int64))
  c = dynamic_masking.mask_batch(batch, masking, tf.constant([5, 7], tf.int64))
  np.testing.assert_array_equal(a["masked_lm_positions"], b["masked_lm_positions"])
  assert not np.array_equal(a["masked_lm_positions"], c["masked_lm_positions"])


def test_unmasked_electra_records_are_masked_during_training(pubmed_records,
                                                            tmp_path):
  records = pubmed_records["electra_unmasked"]
  assert not inputs.has_masks(records)
  settings = dict(
      model_config=tiny_config("electra", pubmed_records["vocab_size"]),
      output_dir=str(tmp_path), input_file=records, max_seq_length=SEQ,
      max_predictions_per_seq=PREDICTIONS, train_batch_size=8,
      num_train_steps=2, iterations_per_loop=2)
  with pytest.raises(inputs.InputError, match="--vocab_file"):
    pretrain.Trainer(pretrain.PretrainingConfig(**settings)).train()
  trainer = pretrain.Trainer(pretrain.PretrainingConfig(
      vocab_file=pubmed_records["vocab_file"], **settings))
  batch = next(iter(trainer._dataset(records, 8, True)))  # pylint: disable=protected-access
  assert batch["masked_lm_positions"].shape == (8, PREDICTIONS)
  assert float(tf.reduce_sum(batch["masked_lm_weights"])) >= 8 * 4
  metrics = trainer.train()
  assert metrics["replaced_fraction"] > 0.0


def test_model_size_by_hidden_size():
  """google-research/electra's sizes: hidden 256 small, 768 base, 1024
  large; in between, the largest size reached; below small, small."""
  from types import SimpleNamespace  # pylint: disable=g-import-not-at-top
  expected = {64: "small", 256: "small", 512: "small", 767: "small",
              768: "base", 1023: "base", 1024: "large", 2048: "large"}
  found = {hidden: dynamic_masking.model_size(SimpleNamespace(
      hidden_size=hidden)) for hidden in expected}
  assert found == expected
