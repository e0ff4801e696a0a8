"""BERT: the encoder and the pretraining model (masked LM + next-sentence).

The encoder is Model Garden's `BertEncoderV2`; the heads are Model Garden's
`MaskedLM` and one dense layer, arranged so that each variable corresponds to
exactly one tensor of google-research/bert's checkpoints (see
`biom_tf/checkpoints/tables.py`). Numerics follow the original `modeling.py`:
tanh-approximated GELU, LayerNorm epsilon 1e-12, MLM output tied to the word
embeddings plus an `output_bias`, pooler = tanh dense on the [CLS] vector.
"""
from typing import Dict

import tensorflow as tf
import tf_keras
from official.nlp.modeling import layers
from official.nlp.modeling import networks

from biom_tf.configs import ModelConfig


def _gelu_tanh(x):
  """GELU with the tanh approximation: what the originals call "gelu"."""
  return tf_keras.activations.gelu(x, approximate=True)


def _gelu_exact(x):
  """GELU with erf, x * Phi(x): Hugging Face's (and PyTorch's) "gelu"."""
  return tf_keras.activations.gelu(x, approximate=False)


def get_activation(name: str):
  """The activation for a config's `hidden_act`.

  google-research/bert, albert and electra all implement "gelu" with the tanh
  approximation (Hugging Face calls it "gelu_new"), so both names map to it;
  "gelu_exact" is the erf form, Hugging Face's "gelu" (see `configs`).
  """
  return {"gelu": _gelu_tanh, "gelu_new": _gelu_tanh,
          "gelu_exact": _gelu_exact, "relu": tf.nn.relu, "tanh": tf.tanh,
          "linear": None}[name]


def initializer(config: ModelConfig):
  return tf_keras.initializers.TruncatedNormal(stddev=config.initializer_range)


def encoder_args(config: ModelConfig) -> Dict[str, object]:
  """`config` as the arguments Model Garden's `BertEncoderV2` and
  `AlbertEncoder` both name alike (each builder adds the four they name
  differently: intermediate size, its activation, the two dropouts)."""
  return dict(vocab_size=config.vocab_size, hidden_size=config.hidden_size,
              num_layers=config.num_hidden_layers,
              num_attention_heads=config.num_attention_heads,
              max_sequence_length=config.max_position_embeddings,
              type_vocab_size=config.type_vocab_size,
              initializer=initializer(config),
              embedding_width=config.embedding_width)


def build_bert_encoder(config: ModelConfig, name: str = "encoder",
                       **kwargs) -> networks.BertEncoderV2:
  """Model Garden BERT encoder for a BERT (or ELECTRA) config.

  Call it on `dict(input_word_ids, input_mask, input_type_ids)`, each int32
  [batch, seq]; it returns `dict(sequence_output [batch, seq, hidden],
  pooled_output [batch, hidden], encoder_outputs [num_layers × [batch, seq,
  hidden]])`. A config whose `embedding_size` differs from `hidden_size`
  (ELECTRA) gets a projection after the embeddings.
  """
  return networks.BertEncoderV2(
      name=name, inner_dim=config.intermediate_size,
      inner_activation=get_activation(config.hidden_act),
      output_dropout=config.hidden_dropout_prob,
      attention_dropout=config.attention_probs_dropout_prob,
      **encoder_args(config), **kwargs)


def build_network(network):
  """Creates a (subclassed) encoder's variables by calling it once."""
  network(_encoder_dummy_inputs(), training=False)
  return network


def _encoder_dummy_inputs():
  inputs = dummy_inputs()
  inputs.pop("masked_lm_positions")
  return inputs


def dummy_inputs(batch_size: int = 1, seq_length: int = 4,
                 num_predictions: int = 1) -> Dict[str, tf.Tensor]:
  """All-zero inputs that build every variable of a pretraining model."""
  ids = tf.zeros([batch_size, seq_length], tf.int32)
  return dict(input_word_ids=ids, input_mask=tf.ones_like(ids),
              input_type_ids=ids,
              masked_lm_positions=tf.zeros([batch_size, num_predictions],
                                           tf.int32))


class BertPretrainer(tf_keras.Model):
  """BERT encoder with the masked-LM and next-sentence heads.

  Inputs (dict, int32): input_word_ids, input_mask, input_type_ids [batch,
  seq]; masked_lm_positions [batch, num_predictions].
  Outputs (dict): sequence_output [batch, seq, hidden], pooled_output [batch,
  hidden], mlm_logits [batch, num_predictions, vocab], sentence_logits
  [batch, 2] (NSP for BERT; ALBERT's subclass uses it for sentence order).
  """

  def __init__(self, config: ModelConfig, encoder=None, name="pretrainer",
               **kwargs):
    super().__init__(name=name, **kwargs)
    self.config = config
    self.encoder = build_network(
        encoder if encoder is not None else build_bert_encoder(config))
    # cls/predictions: dense(hidden → embedding width) + LayerNorm, then the
    # logits against the (tied) word embeddings plus output_bias.
    self.masked_lm = layers.MaskedLM(
        embedding_table=self.encoder.get_embedding_table(),
        activation=get_activation(config.hidden_act),
        initializer=initializer(config),
        output="logits",
        name="cls_predictions")
    # cls/seq_relationship: logits = pooled_output · output_weightsᵀ + bias.
    self.sentence_head = tf_keras.layers.Dense(
        2, kernel_initializer=initializer(config), name="cls_seq_relationship")

  def call(self, inputs, training=None):
    outputs = self.encoder(
        dict(input_word_ids=inputs["input_word_ids"],
             input_mask=inputs["input_mask"],
             input_type_ids=inputs["input_type_ids"]), training=training)
    sequence_output = outputs["sequence_output"]
    pooled_output = outputs["pooled_output"]
    return dict(
        sequence_output=sequence_output,
        pooled_output=pooled_output,
        mlm_logits=self.masked_lm(
            sequence_output, masked_positions=inputs["masked_lm_positions"]),
        sentence_logits=self.sentence_head(pooled_output))

  def build_variables(self):
    """Creates every variable by running the model once on dummy inputs."""
    self(dummy_inputs(), training=False)
    return self
