"""ELECTRA: a generator and a discriminator that share their embeddings.

As in google-research/electra (`share_embeddings`, the default), the whole
embedding block — word, position and token-type tables and their LayerNorm —
belongs to the discriminator and is reused by the generator; each network
then projects the E-wide embeddings to its own hidden size when they differ
(`embeddings_project`). The generator's masked-LM head predicts against the
shared word embeddings; the discriminator head is dense(H, activation) →
dense(1), one logit per token ("was this token replaced?").

Both encoders are Model Garden `BertEncoderV2`s. That class can share only the
word-embedding layer, so `_share_embedding_block` hands the generator the
discriminator's position, type and LayerNorm layers too (see there).
"""
from typing import Dict

import tensorflow as tf
import tf_keras
from official.nlp.modeling import layers
from official.nlp.modeling import networks

from biom_tf.configs import ModelConfig
from biom_tf.models.bert import build_bert_encoder
from biom_tf.models.bert import build_network
from biom_tf.models.bert import dummy_inputs
from biom_tf.models.bert import get_activation
from biom_tf.models.bert import initializer


def _share_embedding_block(generator: networks.BertEncoderV2,
                           discriminator: networks.BertEncoderV2):
  """Makes `generator` use all of `discriminator`'s embedding layers.

  Model Garden's `BertEncoderV2(embedding_layer=...)` shares the word table
  only; the original ELECTRA shares the position and token-type tables and the
  embedding LayerNorm as well (they live under one `electra/embeddings` scope).
  Neither encoder is built yet, so the generator's own copies never get
  variables; assigning the attributes replaces them in Keras' tracking.
  """
  # pylint: disable=protected-access
  generator._position_embedding_layer = discriminator._position_embedding_layer
  generator._type_embedding_layer = discriminator._type_embedding_layer
  generator._embedding_norm_layer = discriminator._embedding_norm_layer
  # pylint: enable=protected-access


class ElectraPretrainer(tf_keras.Model):
  """ELECTRA generator + discriminator with shared embeddings.

  `generator_mlm_logits(inputs)`: inputs as BERT's pretrainer (with the masked
  tokens already in `input_word_ids`) → [batch, num_predictions, vocab].
  `discriminator_logits(inputs)`: input_word_ids/input_mask/input_type_ids →
  [batch, seq], one replaced-token logit per position.
  `call(inputs)` returns both, plus the discriminator's sequence_output.
  Sampling and the replaced-token labels belong to the training objective.
  """

  def __init__(self, config: ModelConfig, name="pretrainer", **kwargs):
    super().__init__(name=name, **kwargs)
    self.config = config
    self.generator_config = config.generator_config()
    act = get_activation(config.hidden_act)
    self.discriminator = build_network(
        build_bert_encoder(config, name="discriminator"))
    self.generator = build_bert_encoder(
        self.generator_config, name="generator",
        embedding_layer=self.discriminator.get_embedding_layer())
    _share_embedding_block(self.generator, self.discriminator)
    build_network(self.generator)
    # generator_predictions: dense(gen hidden → E, act), LayerNorm, tied
    # logits + output_bias.
    self.generator_lm = layers.MaskedLM(
        embedding_table=self.discriminator.get_embedding_table(),
        activation=act, initializer=initializer(config), output="logits",
        name="generator_predictions")
    # discriminator_predictions: dense(H, act) then dense_1 to one logit.
    self.discriminator_dense = tf_keras.layers.Dense(
        config.hidden_size, activation=act,
        kernel_initializer=initializer(config),
        name="discriminator_predictions_dense")
    self.discriminator_output = tf_keras.layers.Dense(
        1, kernel_initializer=initializer(config),
        name="discriminator_predictions_dense_1")

  @staticmethod
  def _encoder_inputs(inputs):
    return dict(input_word_ids=inputs["input_word_ids"],
                input_mask=inputs["input_mask"],
                input_type_ids=inputs["input_type_ids"])

  def generator_mlm_logits(self, inputs, training=None) -> tf.Tensor:
    """[batch, num_predictions, vocab] logits at `masked_lm_positions`."""
    sequence = self.generator(self._encoder_inputs(inputs),
                              training=training)["sequence_output"]
    return self.generator_lm(sequence,
                             masked_positions=inputs["masked_lm_positions"])

  def discriminator_outputs(self, inputs, training=None) -> Dict[str, tf.Tensor]:
    """dict(sequence_output [batch, seq, H], logits [batch, seq])."""
    sequence = self.discriminator(self._encoder_inputs(inputs),
                                  training=training)["sequence_output"]
    hidden = self.discriminator_dense(sequence)
    logits = tf.squeeze(self.discriminator_output(hidden), axis=-1)
    return dict(sequence_output=sequence, logits=logits)

  def discriminator_logits(self, inputs, training=None) -> tf.Tensor:
    """[batch, seq] replaced-token logits."""
    return self.discriminator_outputs(inputs, training=training)["logits"]

  def call(self, inputs, training=None):
    disc = self.discriminator_outputs(inputs, training=training)
    return dict(sequence_output=disc["sequence_output"],
                discriminator_logits=disc["logits"],
                mlm_logits=self.generator_mlm_logits(inputs, training=training))

  def build_variables(self):
    """Creates every variable by running the model once on dummy inputs."""
    self(dummy_inputs(), training=False)
    return self

  @property
  def encoder(self):
    """The network fine-tuning starts from: the discriminator."""
    return self.discriminator
