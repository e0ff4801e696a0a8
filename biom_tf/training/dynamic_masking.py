"""ELECTRA's on-the-fly masking, for records written without masks.

The original ELECTRA (`pretrain_helpers.mask_inputs`) writes unmasked
sequences and chooses the masked positions during training. Per sequence:

  num_to_predict = max(1, min(P, round(0.15 * number of real tokens)))
  positions: drawn uniformly without replacement among real tokens that are
             not [CLS], [SEP] or [MASK]
  input ids: 85% of the chosen positions become [MASK], 15% keep their
             token (no random replacement: the generator supplies those)

Randomness is stateless, from a seed and the batch's index in the input
stream, so a resumed run draws the masks the uninterrupted one would.
"""
import dataclasses
from typing import Dict, Sequence

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

MASK_PROB = 0.15
MASK_TOKEN_PROB = 0.85


@dataclasses.dataclass(frozen=True)
class DynamicMasking:
  """Token ids and sizes the masking needs."""
  mask_id: int
  do_not_mask: Sequence[int]        # [CLS], [SEP], [MASK]
  max_predictions_per_seq: int
  mask_prob: float = MASK_PROB

  @classmethod
  def from_tokenizer(cls, tokenizer, max_predictions_per_seq: int):
    return cls(mask_id=tokenizer.mask_id,
               do_not_mask=(tokenizer.cls_id, tokenizer.sep_id,
                            tokenizer.mask_id),
               max_predictions_per_seq=max_predictions_per_seq)


def mask_batch(batch: Dict[str, tf.Tensor], masking: DynamicMasking,
               seed: tf.Tensor) -> Dict[str, tf.Tensor]:
  """Adds masked_lm_positions / _ids / _weights [B, P] and masks input ids.

  batch: input_word_ids, input_mask, input_type_ids [B, S] int32.
  seed: [2] int64 stateless seed.
  """
  ids = batch["input_word_ids"]
  real = tf.cast(batch["input_mask"], tf.bool)
  candidate = real
  for token in masking.do_not_mask:
    candidate &= tf.not_equal(ids, token)
  p = masking.max_predictions_per_seq
  num_tokens = tf.reduce_sum(tf.cast(real, tf.float32), axis=1)          # [B]
  num_to_predict = tf.maximum(1, tf.minimum(
      p, tf.cast(tf.round(num_tokens * masking.mask_prob), tf.int32)))
  position_seed, replace_seed = tf.unstack(
      tf.random.experimental.stateless_split(seed, 2))
  scores = tf.random.stateless_uniform(tf.shape(ids), seed=position_seed)
  scores = tf.where(candidate, scores, -1.0)
  top_scores, positions = tf.math.top_k(scores, k=p)                      # [B, P]
  keep = (tf.range(p)[None, :] < num_to_predict[:, None]) & (top_scores >= 0.0)
  positions = tf.where(keep, positions, 0)
  labels = tf.where(keep, tf.gather(ids, positions, batch_dims=1), 0)
  weights = tf.cast(keep, tf.float32)
  to_mask = keep & (tf.random.stateless_uniform(tf.shape(positions),
                                                seed=replace_seed)
                    < MASK_TOKEN_PROB)
  seq_length = tf.shape(ids)[1]
  mask_here = tf.reduce_any(
      tf.one_hot(positions, seq_length, on_value=True, off_value=False,
                 dtype=tf.bool) & to_mask[:, :, None], axis=1)             # [B, S]
  out = dict(batch)
  out.update(input_word_ids=tf.where(mask_here, masking.mask_id, ids),
             masked_lm_positions=positions, masked_lm_ids=labels,
             masked_lm_weights=weights)
  return out
