"""ALBERT: factorized embeddings, one transformer layer shared by all depths.

The encoder is Model Garden's `AlbertEncoder` (word embeddings of width E
projected to the hidden size H, then one `TransformerEncoderBlock` applied
num_hidden_layers times). The pretraining model is BERT's arrangement of
heads: masked LM (dense H → E, LayerNorm, logits against the E-wide word
embeddings) and sentence-order prediction on the pooled output, the second
stored under the same `cls/seq_relationship` names as BERT's NSP.
"""
import tf_keras
from official.nlp.modeling import networks

from biom_tf.configs import ModelConfig
from biom_tf.models.bert import BertPretrainer
from biom_tf.models.bert import encoder_args
from biom_tf.models.bert import get_activation


def build_albert_encoder(config: ModelConfig, name: str = "encoder",
                         **kwargs) -> tf_keras.Model:
  """Model Garden ALBERT encoder; same inputs and outputs as BERT's."""
  return networks.AlbertEncoder(
      dict_outputs=True, name=name, intermediate_size=config.intermediate_size,
      activation=get_activation(config.hidden_act),
      dropout_rate=config.hidden_dropout_prob,
      attention_dropout_rate=config.attention_probs_dropout_prob,
      **encoder_args(config), **kwargs)


class AlbertPretrainer(BertPretrainer):
  """ALBERT encoder with masked-LM and sentence-order-prediction heads.

  Inputs and outputs as `BertPretrainer`; `sentence_logits` [batch, 2] are
  the SOP logits (label 0: segments in order, 1: swapped).
  """

  def __init__(self, config: ModelConfig, name="pretrainer", **kwargs):
    super().__init__(config, encoder=build_albert_encoder(config), name=name,
                     **kwargs)
