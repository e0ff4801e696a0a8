"""Keras models for the three families, on Model Garden networks and layers.

`build_encoder(config)`: the encoder network alone (what fine-tuning uses);
`build_pretrainer(config)`: encoder + pretraining heads, variables built.
"""
from biom_tf.configs import ModelConfig
from biom_tf.models.albert import AlbertPretrainer
from biom_tf.models.albert import build_albert_encoder
from biom_tf.models.bert import BertPretrainer
from biom_tf.models.bert import build_bert_encoder
from biom_tf.models.bert import dummy_inputs
from biom_tf.models.bert import get_activation
from biom_tf.models.electra import ElectraPretrainer


def build_encoder(config: ModelConfig, name: str = "encoder"):
  """Encoder network of `config.family` (ELECTRA: the discriminator)."""
  if config.family == "albert":
    return build_albert_encoder(config, name=name)
  return build_bert_encoder(config, name=name)


def build_pretrainer(config: ModelConfig):
  """Pretraining model of `config.family`, with all variables created."""
  cls = {"bert": BertPretrainer, "albert": AlbertPretrainer,
         "electra": ElectraPretrainer}[config.family]
  return cls(config).build_variables()
