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

`HEADS` holds one `Head` record per head: its layer, its loss (and the loss
weights and batch signature fine-tuning trains it with), its labels and its
Hugging Face class. Fine-tuning, export and the Hugging Face writer look a
head up there; the head variables' checkpoint names (TF1 and HF) are rows of
`biom_tf.checkpoints.tables.head_table`.
"""
import dataclasses
import functools
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import tensorflow as tf
import tf_keras
from official.nlp.modeling import layers

from biom_tf.configs import ModelConfig
from biom_tf.models import build_encoder
from biom_tf.models.bert import initializer as config_initializer

_HF_PREFIX = {"bert": "Bert", "albert": "Albert", "electra": "Electra"}
# The encoder inputs a fine-tuning model takes, int32 [B, S] each.
INPUT_NAMES = ("input_word_ids", "input_mask", "input_type_ids")


def input_spec(named: bool = False) -> Dict[str, tf.TensorSpec]:
  """The model inputs' signature: int32 [B, S] each, any B and S.

  `named`: each spec carries its input's name (a SavedModel signature's
  argument names).
  """
  return {k: tf.TensorSpec([None, None], tf.int32, name=k if named else None)
          for k in INPUT_NAMES}


# ------------------------------------------------------------------ losses
# Per loss unit (a labelled token, a row): float32 logits → float32 [B] or
# [B, S].
def _token_loss(logits, labels):
  """Softmax CE per token; label -1 (weight 0) is read as 0."""
  return tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=tf.maximum(labels, 0), logits=logits)


def _sequence_loss(logits, labels):
  return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                        logits=logits)


def _multilabel_loss(logits, labels):
  """Sigmoid CE averaged over labels."""
  return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
      labels=labels, logits=logits), axis=-1)


def _regression_loss(logits, labels):
  return tf.square(logits[:, 0] - labels)


def _span_loss(logits, labels):
  """Mean of the start and end softmax CE."""
  start = tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=labels[:, 0], logits=logits[:, :, 0])
  end = tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=labels[:, 1], logits=logits[:, :, 1])
  return (start + end) / 2.0


# ------------------------------------------------------------------ layers
def _classifier(config: ModelConfig, num_outputs: int, dropout_rate: float
                ) -> tf_keras.layers.Layer:
  """The dense `classifier`; ELECTRA's dense+gelu head for pooled heads is
  built by `Head.build_layer`."""
  del dropout_rate  # the model's own dropout runs before it
  return tf_keras.layers.Dense(num_outputs,
                               kernel_initializer=config_initializer(config),
                               name="classifier")


def _qa_outputs(config: ModelConfig, num_outputs: int, dropout_rate: float
                ) -> tf_keras.layers.Layer:
  del dropout_rate  # no dropout before the span layer, as in run_squad.py
  return tf_keras.layers.Dense(num_outputs,
                               kernel_initializer=config_initializer(config),
                               name="qa_outputs")


def _electra_cls_head(config: ModelConfig, num_outputs: int,
                      dropout_rate: float) -> tf_keras.layers.Layer:
  # Exact (erf) GELU, as transformers' ElectraClassificationHead; Model
  # Garden's "gelu" is the tanh approximation.
  return layers.ClassificationHead(
      inner_dim=config.hidden_size, num_classes=num_outputs,
      activation=functools.partial(tf.nn.gelu, approximate=False),
      dropout_rate=dropout_rate, initializer=config_initializer(config),
      name="classifier")


@dataclasses.dataclass(frozen=True)
class Head:
  """What one head is, everywhere it matters.

  Attributes:
    name: the head's name (`Task.head`).
    attribute: the FineTuningModel attribute holding the layer (and so the
      checkpoint path `model/<attribute>`).
    builder: (config, num_outputs, dropout_rate) → the layer.
    uses_pooler: BERT/ALBERT classify the pooled [CLS] vector (ELECTRA, with no
      trained pooler, its dense+gelu head on [CLS]); else the sequence output.
    dropout: dropout on the encoder output before the layer.
    per_token: one output (and, for `token`, one loss unit) per token.
    token_weights: the loss weights are per token ([B, S]), else per row.
    loss: (logits, labels) → per-unit loss, float32 [B] or [B, S].
    label_spec: the `labels` a batch carries.
    num_outputs: the head's fixed width (None: the task's number of labels).
    hf_suffix: the Hugging Face class after the family prefix.
    hf_num_labels: the HF config carries num_labels (and problem_type).
    problem_type: the HF config's problem_type, if any.
  """
  name: str
  attribute: str
  builder: Callable[[ModelConfig, int, float], tf_keras.layers.Layer]
  uses_pooler: bool
  dropout: bool
  per_token: bool
  token_weights: bool
  loss: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
  label_spec: tf.TensorSpec
  num_outputs: Optional[int]
  hf_suffix: str
  hf_num_labels: bool
  problem_type: Optional[str]

  @property
  def named_labels(self) -> bool:
    """The outputs are named classes (written as id2label): one per task
    label, so the head has no fixed width."""
    return self.num_outputs is None

  def uses_cls_head(self, config: ModelConfig) -> bool:
    """True where the head is ELECTRA's dense+gelu head on [CLS]."""
    return config.family == "electra" and self.uses_pooler

  def build_layer(self, config: ModelConfig, num_outputs: int,
                  dropout_rate: float) -> tf_keras.layers.Layer:
    builder = _electra_cls_head if self.uses_cls_head(config) else self.builder
    return builder(config, num_outputs, dropout_rate)

  # ---------------------------------------------------------- training
  def loss_weights(self, labels: np.ndarray) -> np.ndarray:
    """Each loss unit's share of the global batch mean, float32.

    Per token ([B, S]: 1/n on the n tokens with a label >= 0, 0 elsewhere)
    or per row ([B]: 1/B). Computed before a batch is split over replicas,
    so the replicas' summed gradients are the global mean's.
    """
    if self.token_weights:
      valid = (labels >= 0).astype(np.float32)
      return valid / max(valid.sum(), 1.0)
    return np.full((labels.shape[0],), 1.0 / labels.shape[0], np.float32)

  def weighted_loss(self, logits: tf.Tensor, labels: tf.Tensor,
                    weights: tf.Tensor) -> tf.Tensor:
    """Weighted sum of per-unit losses (weights sum to 1 over the global
    batch): a scalar."""
    return tf.reduce_sum(self.loss(tf.cast(logits, tf.float32), labels) *
                         weights)

  def batch_spec(self) -> Dict[str, tf.TensorSpec]:
    """A training batch's signature: the inputs, `labels`, `weights`."""
    spec = input_spec()
    spec["labels"] = self.label_spec
    spec["weights"] = tf.TensorSpec(
        [None, None] if self.token_weights else [None], tf.float32)
    return spec


_CLASSIFIER = dict(attribute="classifier", builder=_classifier, dropout=True,
                   hf_num_labels=True)
HEADS: Dict[str, Head] = {h.name: h for h in (
    Head(name="token", uses_pooler=False, per_token=True, token_weights=True,
         loss=_token_loss, label_spec=tf.TensorSpec([None, None], tf.int32),
         num_outputs=None, hf_suffix="ForTokenClassification",
         problem_type=None, **_CLASSIFIER),
    Head(name="sequence", uses_pooler=True, per_token=False,
         token_weights=False, loss=_sequence_loss,
         label_spec=tf.TensorSpec([None], tf.int32), num_outputs=None,
         hf_suffix="ForSequenceClassification",
         problem_type="single_label_classification", **_CLASSIFIER),
    Head(name="multilabel", uses_pooler=True, per_token=False,
         token_weights=False, loss=_multilabel_loss,
         label_spec=tf.TensorSpec([None, None], tf.float32), num_outputs=None,
         hf_suffix="ForSequenceClassification",
         problem_type="multi_label_classification", **_CLASSIFIER),
    Head(name="regression", uses_pooler=True, per_token=False,
         token_weights=False, loss=_regression_loss,
         label_spec=tf.TensorSpec([None], tf.float32), num_outputs=1,
         hf_suffix="ForSequenceClassification", problem_type="regression",
         **_CLASSIFIER),
    Head(name="span", attribute="qa_outputs", builder=_qa_outputs,
         uses_pooler=False, dropout=False, per_token=True,
         token_weights=False, loss=_span_loss,
         label_spec=tf.TensorSpec([None, 2], tf.int32), num_outputs=2,
         hf_suffix="ForQuestionAnswering", hf_num_labels=False,
         problem_type=None),
)}


def head_spec(head: str) -> Head:
  """The record of `head`; ValueError naming the heads for an unknown one."""
  if head not in HEADS:
    raise ValueError(f"head={head!r}: expected one of {tuple(HEADS)}")
  return HEADS[head]


class FineTuningModel(tf_keras.Model):
  """An encoder and one task head.

  call(inputs) with inputs = dict(input_word_ids, input_mask, input_type_ids),
  int32 [B, S], returns logits: [B, S, num_outputs] (token), [B, S, 2]
  (span: start, end), or [B, num_outputs] (sequence, multilabel; regression
  has num_outputs 1).

  Attributes: `encoder` (the Model Garden network), `classifier` or
  `qa_outputs` (the head), `head`, `spec` (its `Head`), `num_outputs`.
  """

  def __init__(self, encoder, config: ModelConfig, head: str,
               num_outputs: int, dropout_rate: float = 0.1, **kwargs):
    super().__init__(**kwargs)
    spec = head_spec(head)
    if spec.num_outputs is not None and num_outputs != spec.num_outputs:
      raise ValueError(f"a {head} head has {spec.num_outputs} outputs, "
                       f"not {num_outputs}")
    self.encoder = encoder
    self.config = config
    self.head = head
    self.num_outputs = num_outputs
    self.dropout = tf_keras.layers.Dropout(dropout_rate)
    setattr(self, spec.attribute,
            spec.build_layer(config, num_outputs, dropout_rate))

  def call(self, inputs: Dict[str, tf.Tensor], training=None) -> tf.Tensor:
    outputs = self.encoder(
        {k: inputs[k] for k in INPUT_NAMES}, training=training)
    if self.spec.uses_cls_head(self.config):
      return self.head_layer(outputs["sequence_output"], training=training)
    x = outputs["pooled_output" if self.spec.uses_pooler else
                "sequence_output"]
    if self.spec.dropout:
      x = self.dropout(x, training=training)
    return self.head_layer(x)

  @property
  def spec(self) -> Head:
    """The head's record (a property: Keras does not track it)."""
    return HEADS[self.head]

  @property
  def head_layer(self) -> tf_keras.layers.Layer:
    return getattr(self, self.spec.attribute)


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
  return _HF_PREFIX[family] + head_spec(head).hf_suffix


def hf_config_updates(head: str, labels: Sequence[str]) -> Dict[str, object]:
  """The Hugging Face config.json fields of a fine-tuned head."""
  spec = head_spec(head)
  if not spec.hf_num_labels:
    return {}
  updates = {"num_labels": spec.num_outputs or len(labels),
             "problem_type": spec.problem_type}
  if spec.named_labels:
    updates["id2label"] = {str(i): label for i, label in enumerate(labels)}
    updates["label2id"] = {label: i for i, label in enumerate(labels)}
  return {k: v for k, v in updates.items() if v is not None}
