"""Pretraining losses, as the original code bases compute them.

BERT / ALBERT (google-research/bert `get_masked_lm_output`,
`get_next_sentence_output`):
  mlm_loss = sum(w * -log p(label)) / (sum(w) + 1e-5)   over masked positions,
             w = masked_lm_weights (0 on padding predictions)
  sentence_loss = mean over examples of -log p(next_sentence_label)
             (NSP for BERT, sentence order for ALBERT; same feature name)
  loss = mlm_loss + sentence_loss

ELECTRA (google-research/electra `run_pretraining.py`, `pretrain_helpers.py`):
  the generator's mlm_loss as above (denominator + 1e-6); a token is sampled
  at each masked position from softmax(generator logits / temperature) with
  Gumbel noise and stop_gradient; the discriminator reads the corrupted
  sequence and predicts, per real token, whether it differs from the
  original:
  disc_loss = sum(mask * sigmoid_xent(logit, replaced)) / (sum(mask) + 1e-6)
  loss = 1.0 * mlm_loss + 50.0 * disc_loss

Replicas and gradient-accumulation micro-batches: each computes the
numerators over its own examples and divides by the denominators of the
WHOLE update (summed over replicas and micro-batches beforehand), so the sum
of their gradients is exactly the gradient of the one-batch loss. (The
originals divided per TPU core; with equal cores that differs only in how
masked tokens are weighted across cores.)

Each `*_loss` function returns (loss, stats): stats are sums (not means) so
that the training loop can add them over replicas and steps and report
ratios: see `summarize`.
"""
from typing import Dict, Tuple

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

MLM_EPSILON = {"bert": 1e-5, "albert": 1e-5, "electra": 1e-6}


def denominators(batch: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
  """Local sums the losses are normalized by (sum them over the update).

  Returns float32 scalars: mlm_weight (sum of masked_lm_weights), examples,
  tokens (sum of input_mask, ELECTRA's discriminator denominator).
  """
  return dict(
      mlm_weight=tf.reduce_sum(tf.cast(batch["masked_lm_weights"], tf.float32)),
      examples=tf.cast(tf.shape(batch["input_word_ids"])[0], tf.float32),
      tokens=tf.reduce_sum(tf.cast(batch["input_mask"], tf.float32)))


def _masked_lm_sums(logits, label_ids, weights):
  """Sums over predictions of weighted -log p(label) and of weighted hits.

  logits [B, P, V]; label_ids, weights [B, P].

  -log p(label) is the originals' -sum(one_hot(label) * log_softmax(logits)),
  computed by the fused `sparse_softmax_cross_entropy_with_logits` kernel:
  the same value, but its gradient is softmax - one_hot in one pass, where
  gathering from log_softmax back-propagates through a [B * P, V] scatter
  (on CPU that scatter alone took ~8% of a pretraining step).
  """
  logits = tf.cast(logits, tf.float32)
  weights = tf.cast(weights, tf.float32)
  label_ids = tf.cast(label_ids, tf.int32)
  per_prediction = tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=label_ids, logits=logits)
  loss_sum = tf.reduce_sum(weights * per_prediction)
  hits = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32),
                          label_ids), tf.float32)
  return loss_sum, tf.reduce_sum(weights * hits)


def bert_loss(model, batch, totals, training=True
              ) -> Tuple[tf.Tensor, Dict[str, tf.Tensor]]:
  """BERT / ALBERT: masked LM + next-sentence (or sentence-order) loss.

  Args:
    model: a BERT/ALBERT pretrainer (`mlm_logits`, `sentence_logits`).
    batch: model inputs + masked_lm_ids, masked_lm_weights,
      next_sentence_labels [B] or [B, 1].
    totals: `denominators` summed over the whole update.
  """
  outputs = model(batch, training=training)
  mlm_sum, mlm_hits = _masked_lm_sums(outputs["mlm_logits"],
                                      batch["masked_lm_ids"],
                                      batch["masked_lm_weights"])
  labels = tf.reshape(tf.cast(batch["next_sentence_labels"], tf.int32), [-1])
  sentence_logits = tf.cast(outputs["sentence_logits"], tf.float32)
  sentence_sum = tf.reduce_sum(
      tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                     logits=sentence_logits))
  sentence_hits = tf.reduce_sum(tf.cast(tf.equal(
      tf.argmax(sentence_logits, -1, output_type=tf.int32), labels), tf.float32))
  loss = (mlm_sum / (totals["mlm_weight"] + MLM_EPSILON["bert"]) +
          sentence_sum / totals["examples"])
  stats = dict(mlm_loss_sum=mlm_sum, mlm_hits=mlm_hits,
               mlm_weight=tf.reduce_sum(tf.cast(batch["masked_lm_weights"],
                                                tf.float32)),
               sentence_loss_sum=sentence_sum, sentence_hits=sentence_hits,
               examples=tf.cast(tf.shape(labels)[0], tf.float32))
  return loss, stats


def _scatter_positions(ids, positions, values, weights):
  """ids [B, S] with ids[b, positions[b, p]] = values[b, p] where weights > 0.

  Also returns the [B, S] 0/1 int32 mask of the updated positions. Padding
  predictions (weight 0, position 0) leave ids untouched.
  """
  seq_length = tf.shape(ids)[1]
  active = tf.cast(tf.cast(weights, tf.float32) > 0.0, tf.int32)   # [B, P]
  one_hot = tf.one_hot(positions, seq_length, dtype=tf.int32)      # [B, P, S]
  one_hot *= active[:, :, None]
  touched = tf.minimum(tf.reduce_sum(one_hot, axis=1), 1)          # [B, S]
  new_values = tf.reduce_sum(one_hot * values[:, :, None], axis=1)
  return ids * (1 - touched) + new_values * touched, touched


def sample_from_logits(logits, seed, temperature=1.0):
  """Gumbel-max sample of ids from softmax(logits / temperature): [B, P]."""
  logits = tf.cast(logits, tf.float32) / temperature
  uniform = tf.random.stateless_uniform(tf.shape(logits), seed=seed)
  gumbel = -tf.math.log(-tf.math.log(uniform + 1e-9) + 1e-9)
  return tf.argmax(logits + gumbel, axis=-1, output_type=tf.int32)


def electra_loss(model, batch, totals, seed, training=True,
                 generator_weight=1.0, discriminator_weight=50.0,
                 temperature=1.0) -> Tuple[tf.Tensor, Dict[str, tf.Tensor]]:
  """ELECTRA: generator MLM + 50 x discriminator replaced-token detection.

  Args:
    model: an ElectraPretrainer.
    batch: masked inputs (input_word_ids holds the [MASK]ed sequence) plus
      masked_lm_positions / masked_lm_ids / masked_lm_weights [B, P].
    totals: `denominators` summed over the whole update.
    seed: [2] int stateless seed for the generator's samples.
  """
  positions = tf.cast(batch["masked_lm_positions"], tf.int32)
  original_ids = tf.cast(batch["masked_lm_ids"], tf.int32)
  weights = batch["masked_lm_weights"]
  gen_logits = model.generator_mlm_logits(batch, training=training)
  mlm_sum, mlm_hits = _masked_lm_sums(gen_logits, original_ids, weights)

  sampled = tf.stop_gradient(sample_from_logits(gen_logits, seed, temperature))
  input_ids = tf.cast(batch["input_word_ids"], tf.int32)
  clean_ids, _ = _scatter_positions(input_ids, positions, original_ids, weights)
  fake_ids, _ = _scatter_positions(input_ids, positions, sampled, weights)
  replaced = tf.cast(tf.not_equal(fake_ids, clean_ids), tf.float32)  # [B, S]
  fake_batch = dict(input_word_ids=fake_ids, input_mask=batch["input_mask"],
                    input_type_ids=batch["input_type_ids"])
  disc_logits = tf.cast(model.discriminator_logits(fake_batch,
                                                   training=training),
                        tf.float32)
  token_mask = tf.cast(batch["input_mask"], tf.float32)
  disc_sum = tf.reduce_sum(token_mask * tf.nn.sigmoid_cross_entropy_with_logits(
      labels=replaced, logits=disc_logits))
  disc_hits = tf.reduce_sum(token_mask * tf.cast(
      tf.equal(tf.cast(disc_logits > 0.0, tf.float32), replaced), tf.float32))
  loss = (generator_weight * mlm_sum /
          (totals["mlm_weight"] + MLM_EPSILON["electra"]) +
          discriminator_weight * disc_sum / (totals["tokens"] + 1e-6))
  stats = dict(mlm_loss_sum=mlm_sum, mlm_hits=mlm_hits,
               mlm_weight=tf.reduce_sum(tf.cast(weights, tf.float32)),
               disc_loss_sum=disc_sum, disc_hits=disc_hits,
               tokens=tf.reduce_sum(token_mask),
               replaced=tf.reduce_sum(token_mask * replaced),
               examples=tf.cast(tf.shape(input_ids)[0], tf.float32))
  return loss, stats


def summarize(family: str, sums: Dict[str, float],
              discriminator_weight: float = 50.0) -> Dict[str, float]:
  """Sums from `*_loss` (over replicas and steps) -> reported metrics."""
  def ratio(a, b):
    return float(sums[a]) / max(float(sums[b]), 1e-12)
  out = dict(mlm_loss=ratio("mlm_loss_sum", "mlm_weight"),
             mlm_accuracy=ratio("mlm_hits", "mlm_weight"))
  if family == "electra":
    out.update(disc_loss=ratio("disc_loss_sum", "tokens"),
               disc_accuracy=ratio("disc_hits", "tokens"),
               replaced_fraction=ratio("replaced", "tokens"))
    out["loss"] = out["mlm_loss"] + discriminator_weight * out["disc_loss"]
  else:
    name = "sop" if family == "albert" else "nsp"
    out[f"{name}_loss"] = ratio("sentence_loss_sum", "examples")
    out[f"{name}_accuracy"] = ratio("sentence_hits", "examples")
    out["loss"] = out["mlm_loss"] + out[f"{name}_loss"]
  return out
