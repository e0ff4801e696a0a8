"""Fine-tuning heads on an encoder, named as the original and HF models name them.

  head        on                      layers                     HF class
  token       sequence_output         dropout, `classifier`      *ForTokenClassification
  sequence    BERT/ALBERT: pooled     dropout, `classifier`      *ForSequenceClassification
  multilabel  ELECTRA: [CLS] vector   `classifier` = dense+gelu,  (problem_type multi_label_
  regression                          dropout, out_proj           classification / regression)
  span        sequence_output         `qa_outputs` (dense → 2)   *ForQuestionAnswering

BERT and ALBERT classify the pooler's output (tanh dense on [CLS]), as
google-research/bert's run_classifier.py does; ELECTRA has no trained pooler
and uses its classification head (Model Garden `layers.ClassificationHead`
with exact GELU: dense → gelu → dropout → out_proj), as Hugging Face's
ElectraForSequenceClassification does. Model Garden's BertTokenClassifier /
BertClassifier / BertSpanLabeler wrap functional networks (`network.inputs`);
our encoders are subclassed BertEncoderV2 / AlbertEncoder layers, so the heads
here are plain layers around `encoder(...)` instead.

`head_table(family, head)` lists each head variable's original TF1 name
(run_classifier.py's `output_weights`/`output_bias`, run_squad.py's
`cls/squad/...`) and Hugging Face key, in the `checkpoints.tables.Entry` form
the converters walk, for exporting a fine-tuned model.
"""
import functools
from typing import Dict, List, Sequence

import tensorflow as tf
import tf_keras
from official.nlp.modeling import layers

from biom_tf.checkpoints import tables
from biom_tf.configs import ModelConfig
from biom_tf.models import build_encoder
from biom_tf.models.bert import initializer as config_initializer

HEADS = ("token", "sequence", "multilabel", "regression", "span")
_HF_PREFIX = {"bert": "Bert", "albert": "Albert", "electra": "Electra"}
_HF_SUFFIX = {"token": "ForTokenClassification",
              "sequence": "ForSequenceClassification",
              "multilabel": "ForSequenceClassification",
              "regression": "ForSequenceClassification",
              "span": "ForQuestionAnswering"}


def uses_cls_head(config: ModelConfig, head: str) -> bool:
  """True where the head is ELECTRA's dense+gelu head on [CLS]."""
  return config.family == "electra" and head in ("sequence", "multilabel",
                                                 "regression")


class FineTuningModel(tf_keras.Model):
  """An encoder and one task head.

  call(inputs) with inputs = dict(input_word_ids, input_mask, input_type_ids),
  int32 [B, S], returns logits: [B, S, num_outputs] (token), [B, S, 2]
  (span: start, end), or [B, num_outputs] (sequence, multilabel; regression
  has num_outputs 1).

  Attributes: `encoder` (the Model Garden network), `classifier` or
  `qa_outputs` (the head), `head`, `num_outputs`.
  """

  def __init__(self, encoder, config: ModelConfig, head: str,
               num_outputs: int, dropout_rate: float = 0.1, **kwargs):
    super().__init__(**kwargs)
    if head not in HEADS:
      raise ValueError(f"head={head!r}: expected one of {HEADS}")
    if head == "span" and num_outputs != 2:
      raise ValueError(f"a span head has 2 outputs, not {num_outputs}")
    self.encoder = encoder
    self.config = config
    self.head = head
    self.num_outputs = num_outputs
    init = config_initializer(config)
    self.dropout = tf_keras.layers.Dropout(dropout_rate)
    if head == "span":
      self.qa_outputs = tf_keras.layers.Dense(
          2, kernel_initializer=init, name="qa_outputs")
    elif uses_cls_head(config, head):
      # Exact (erf) GELU, as transformers' ElectraClassificationHead; Model
      # Garden's "gelu" is the tanh approximation.
      self.classifier = layers.ClassificationHead(
          inner_dim=config.hidden_size, num_classes=num_outputs,
          activation=functools.partial(tf.nn.gelu, approximate=False),
          dropout_rate=dropout_rate, initializer=init, name="classifier")
    else:
      self.classifier = tf_keras.layers.Dense(
          num_outputs, kernel_initializer=init, name="classifier")

  def call(self, inputs: Dict[str, tf.Tensor], training=None) -> tf.Tensor:
    outputs = self.encoder(
        {k: inputs[k] for k in ("input_word_ids", "input_mask",
                                "input_type_ids")}, training=training)
    if self.head == "span":
      # No dropout before the span layer, as in run_squad.py.
      return self.qa_outputs(outputs["sequence_output"])
    if self.head == "token":
      return self.classifier(self.dropout(outputs["sequence_output"],
                                          training=training))
    if uses_cls_head(self.config, self.head):
      return self.classifier(outputs["sequence_output"], training=training)
    return self.classifier(self.dropout(outputs["pooled_output"],
                                        training=training))

  @property
  def head_layer(self) -> tf_keras.layers.Layer:
    return self.qa_outputs if self.head == "span" else self.classifier


def build_finetuning_model(config: ModelConfig, head: str, num_outputs: int,
                           dropout_rate: float = 0.1) -> FineTuningModel:
  """A new encoder for `config` with the head, all variables built."""
  model = FineTuningModel(build_encoder(config), config, head, num_outputs,
                          dropout_rate, name=f"{config.family}_{head}_model")
  ones = tf.ones((1, 4), tf.int32)
  model({"input_word_ids": ones, "input_mask": ones,
         "input_type_ids": tf.zeros((1, 4), tf.int32)}, training=False)
  return model


# ---------------------------------------------------------------- export
def hf_architecture(family: str, head: str) -> str:
  """E.g. ('bert', 'token') → 'BertForTokenClassification'."""
  return _HF_PREFIX[family] + _HF_SUFFIX[head]


def hf_config_updates(head: str, labels: Sequence[str]) -> Dict[str, object]:
  """The Hugging Face config.json fields of a fine-tuned head."""
  if head == "span":
    return {}
  num_labels = 1 if head == "regression" else len(labels)
  updates = {"num_labels": num_labels,
             "problem_type": {"sequence": "single_label_classification",
                              "multilabel": "multi_label_classification",
                              "regression": "regression"}.get(head)}
  if head != "regression":
    updates["id2label"] = {str(i): label for i, label in enumerate(labels)}
    updates["label2id"] = {label: i for i, label in enumerate(labels)}
  return {k: v for k, v in updates.items() if v is not None}


def head_table(family: str, head: str) -> List[tables.Entry]:
  """Head variables as name-table rows: ours, TF1 name, Hugging Face key.

  `component` is the FineTuningModel attribute holding the layer. TF1 names
  are google-research/bert's fine-tuning names (a [out, in] `output_weights`,
  hence TRANSPOSE); ELECTRA's [CLS] head keeps our layer names in TF1 form.
  """
  if head == "span":
    return [tables.Entry("qa_outputs", "qa_outputs/kernel",
                         "cls/squad/output_weights", "qa_outputs.weight",
                         tables.TRANSPOSE),
            tables.Entry("qa_outputs", "qa_outputs/bias",
                         "cls/squad/output_bias", "qa_outputs.bias")]
  if family == "electra" and head != "token":
    return [
        tables.Entry("classifier", "pooler_dense/kernel",
                     "classifier/pooler_dense/kernel", "classifier.dense.weight"),
        tables.Entry("classifier", "pooler_dense/bias",
                     "classifier/pooler_dense/bias", "classifier.dense.bias"),
        tables.Entry("classifier", "logits/kernel", "classifier/logits/kernel",
                     "classifier.out_proj.weight"),
        tables.Entry("classifier", "logits/bias", "classifier/logits/bias",
                     "classifier.out_proj.bias")]
  return [tables.Entry("classifier", "classifier/kernel", "output_weights",
                       "classifier.weight", tables.TRANSPOSE),
          tables.Entry("classifier", "classifier/bias", "output_bias",
                       "classifier.bias")]
