"""ELECTRA's on-the-fly masking, for records written without masks.

The original ELECTRA (`pretrain_helpers.mask_inputs`) writes unmasked
sequences and chooses the masked positions during training. Per sequence:

  num_to_predict = max(1, min(P, round(mask_prob * number of real tokens)))
  positions: drawn uniformly without replacement among real tokens that are
             not [CLS], [SEP] or [MASK]
  input ids: 85% of the chosen positions become [MASK], 15% keep their
             token (no random replacement: the generator supplies those)

`mask_prob` is a setting (`--mask_prob`): google-research/electra's
configure_pretraining.py masks 15% (`mask_prob = 0.15`) and 25% for its
Large models (`self.mask_prob = 0.25` in the Large hyperparameters, paper
Table 6), with max_predictions_per_seq = int((mask_prob + 0.005) *
max_seq_length). `default_mask_prob` and `max_predictions` give those.

Randomness is stateless, from a seed and the batch's index in the input
stream, so a resumed run draws the masks the uninterrupted one would.
"""
import dataclasses
from typing import Dict, Sequence

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

from biom_tf import configs

MASK_PROB = 0.15
MASK_TOKEN_PROB = 0.85
# google-research/electra configure_pretraining.py: mask_prob per model size.
MASK_PROB_BY_SIZE = {"small": 0.15, "base": 0.15, "large": 0.25}


def model_size(config) -> str:
  """ELECTRA's size name of a config (`configs.ELECTRA_SIZES`): the largest
  size whose hidden size `config` reaches (large from 1024 up: ELECTRA-
  Large, BioM-ELECTRA-Large; base from 768), else the smallest."""
  # ELECTRA_SIZES goes from the smallest hidden size up.
  found = next(iter(configs.ELECTRA_SIZES))
  for size, (hidden_size, *_) in configs.ELECTRA_SIZES.items():
    if config.hidden_size >= hidden_size:
      found = size
  return found


def default_mask_prob(config) -> float:
  """The published masking rate for `config`'s size (0.25 Large, else 0.15)."""
  return MASK_PROB_BY_SIZE[model_size(config)]


def max_predictions(mask_prob: float, max_seq_length: int) -> int:
  """ELECTRA's max_predictions_per_seq: int((mask_prob + 0.005) * length)."""
  return int((mask_prob + 0.005) * max_seq_length)


@dataclasses.dataclass(frozen=True)
class DynamicMasking:
  """Token ids and sizes the masking needs."""
  mask_id: int
  do_not_mask: Sequence[int]        # [CLS], [SEP], [MASK]
  max_predictions_per_seq: int
  mask_prob: float = MASK_PROB

  def __post_init__(self):
    if not 0.0 < self.mask_prob < 1.0:
      raise ValueError(f"mask_prob={self.mask_prob}: expected a fraction in "
                       "(0, 1)")
    if self.max_predictions_per_seq <= 0:
      raise ValueError(f"max_predictions_per_seq="
                       f"{self.max_predictions_per_seq}: expected > 0")

  @classmethod
  def from_tokenizer(cls, tokenizer, max_predictions_per_seq: int,
                     mask_prob: float = MASK_PROB):
    return cls(mask_id=tokenizer.mask_id,
               do_not_mask=(tokenizer.cls_id, tokenizer.sep_id,
                            tokenizer.mask_id),
               max_predictions_per_seq=max_predictions_per_seq,
               mask_prob=mask_prob)


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
