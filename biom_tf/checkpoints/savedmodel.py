"""SavedModel export in the TF Hub BERT conventions, for TF Serving and TF Hub.

`save_savedmodel(loaded, directory)` writes three SavedModels, following the
TF Hub "Common SavedModel APIs for Text" (BERT preprocessing and Transformer
encoders):

  <dir>/preprocess/  raw text → encoder inputs.
                     `__call__(strings [B])` → dict(input_word_ids,
                     input_mask, input_type_ids), int32 [B, seq_length]:
                     `[CLS] tokens [SEP]`, truncated and padded;
                     `.tokenize(strings [B])` → int32 RaggedTensor [B, (T)];
                     `.bert_pack_inputs([tokens_a, tokens_b], seq_length=N)`
                     packs one or two segments (RaggedTensors of ragged rank
                     1 or 2, as `.tokenize` returns them) as `[CLS] a [SEP]
                     b [SEP]` with type ids 0/1, trimming round-robin (the
                     longer segment loses tokens first), to any `seq_length`
                     (`hub.KerasLayer(pre.bert_pack_inputs,
                     arguments=dict(seq_length=N))`). The tokenizer
                     (`biom_tf.tokenization`, on tensorflow_text) runs inside
                     the graph; the vocabulary travels as an asset.
  <dir>/encoder/     a Reusable SavedModel (TF Hub's API): `__call__(dict of
                     the three inputs, training=False)` → dict(pooled_output
                     [B, H], sequence_output [B, S, H], encoder_outputs [L ×
                     [B, S, H]], default = pooled_output), with `variables`,
                     `trainable_variables` and `regularization_losses`, so
                     that `hub.KerasLayer(path, trainable=True)` fine-tunes
                     it, dropout included.
  <dir>/             the end-to-end model: `serving_default` signature
                     text [B] → `pooled_output`, `sequence_output` (an encoder
                     or pretrainer; for ELECTRA the pooler is untrained, the
                     originals have none) or → `logits` (a fine-tuned model:
                     [B, C], [B, S, C] for tokens, [B, S, 2] for spans); also
                     the `preprocess` and `encode` signatures.

All of them load with `tf.saved_model.load` (which needs `import
tensorflow_text` first, for its ops) and `saved_model_cli show --all` lists
the signatures. Model Garden's `export_tfhub_lib` writes the same layout from
its own configs and tokenizers; it cannot take ours or our heads, hence this
module (the packing itself is Model Garden's `BertPackInputs`).
"""
import os

import tensorflow as tf
from official.nlp.modeling import layers

from biom_tf import tokenization
from biom_tf.models.heads import input_spec


class Preprocessor(tf.Module):
  """Text → encoder inputs; `tokenize` and `bert_pack_inputs` as TF Hub's."""

  def __init__(self, tokenizer, seq_length: int, name="preprocess"):
    super().__init__(name=name)
    self.tokenizer = tokenizer
    self.seq_length = seq_length
    self._cls, self._sep = tokenizer.cls_id, tokenizer.sep_id
    self._pad = tokenizer.pad_id
    cls, sep, pad = self._cls, self._sep, self._pad

    @tf.function(autograph=False)
    def bert_pack_inputs(inputs, seq_length=seq_length):
      return layers.BertPackInputs.bert_pack_inputs(
          inputs, seq_length=seq_length, start_of_sequence_id=cls,
          end_of_segment_id=sep, padding_id=pad)

    self.bert_pack_inputs = bert_pack_inputs
    # One traced function per structure TF Hub's API allows: 1 or 2
    # segments of ragged rank 1 or 2, any seq_length.
    for ragged_rank in (1, 2):
      for segments in (1, 2):
        bert_pack_inputs.get_concrete_function(
            [tf.RaggedTensorSpec([None] * (ragged_rank + 1), tf.int32)
             for _ in range(segments)],
            seq_length=tf.TensorSpec([], tf.int32))

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
  def tokenize(self, strings):
    return tf.cast(self.tokenizer.tf_tokenize(strings), tf.int32)

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
  def __call__(self, strings):
    return self.bert_pack_inputs([self.tokenize(strings)],
                                 tf.constant(self.seq_length, tf.int32))


def _hub_outputs(network, inputs, training):
  """The encoder network's outputs under TF Hub's names: dict(pooled_output
  [B, H], sequence_output [B, S, H], encoder_outputs [L × [B, S, H]],
  default = pooled_output)."""
  outputs = network(inputs, training=training)
  return dict(pooled_output=outputs["pooled_output"],
              sequence_output=outputs["sequence_output"],
              encoder_outputs=list(outputs["encoder_outputs"]),
              default=outputs["pooled_output"])


def hub_encoder(network, vocab_file=None, spm_model_file=None,
                do_lower_case=True) -> tf.train.Checkpoint:
  """The encoder as a TF Hub "Reusable SavedModel".

  The object TF Hub's API describes (and `hub.KerasLayer(..., trainable=True)`
  uses): `__call__(inputs, training=False)` traced for both values of
  `training` (dropout on or off), `variables`, `trainable_variables` and
  `regularization_losses` (none). Cheaper to save than a Keras SavedModel,
  which traces every layer. Like Model Garden's TF Hub encoders it also
  carries the vocabulary (an asset) and `do_lower_case`, for users who
  tokenize themselves.
  """
  obj = tf.train.Checkpoint()
  obj.network = network
  obj.variables = list(network.variables)
  obj.trainable_variables = list(network.trainable_variables)
  obj.regularization_losses = []

  @tf.function
  def call(inputs, training=False):
    return _hub_outputs(network, inputs, training)

  for training in (False, True):
    call.get_concrete_function(input_spec(named=True), training=training)
  obj.__call__ = call
  if spm_model_file:
    obj.sp_model_file = tf.saved_model.Asset(spm_model_file)
  elif vocab_file:
    obj.vocab_file = tf.saved_model.Asset(vocab_file)
  obj.do_lower_case = tf.Variable(bool(do_lower_case), trainable=False)
  return obj


class Encoder(tf.Module):
  """The Keras encoder network with the TF Hub output names."""

  def __init__(self, network, name="encoder"):
    super().__init__(name=name)
    self.network = network

  @tf.function(input_signature=[input_spec(named=True)])
  def __call__(self, inputs):
    return _hub_outputs(self.network, inputs, training=False)


class EndToEnd(tf.Module):
  """text → encoder outputs (or a fine-tuned model's logits)."""

  def __init__(self, preprocess: Preprocessor, encoder: Encoder, model=None,
               name="end_to_end"):
    super().__init__(name=name)
    self.preprocess = preprocess
    self.encoder = encoder
    self.model = model  # a FineTuningModel, or None

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
  def __call__(self, text):
    inputs = self.preprocess(text)
    if self.model is not None:
      return dict(logits=self.model(inputs, training=False))
    return self._encode(inputs)

  @tf.function(input_signature=[input_spec(named=True)])
  def encode(self, inputs):
    return self._encode(inputs)

  def _encode(self, inputs):
    """dict(pooled_output [B, H], sequence_output [B, S, H])."""
    outputs = self.encoder(inputs)
    return {key: outputs[key] for key in ("pooled_output", "sequence_output")}


def save_savedmodel(loaded, directory: str, seq_length: int = 128) -> str:
  """Writes `loaded` (a `layout.LoadedModel`) into the existing `directory`.

  `seq_length` (capped at max_position_embeddings) is the preprocessor's
  default padded length; `bert_pack_inputs` takes any, the encoder any
  length up to max_position_embeddings.
  """
  tokenizer = tokenization.build_tokenizer(
      loaded.vocab_file, loaded.spm_model_file, loaded.do_lower_case)
  seq_length = min(seq_length, loaded.config.max_position_embeddings)
  preprocess = Preprocessor(tokenizer, seq_length)
  encoder = Encoder(loaded.model.encoder)
  end_to_end = EndToEnd(preprocess, encoder,
                        loaded.model if loaded.head is not None else None)
  tf.saved_model.save(preprocess, os.path.join(directory, "preprocess"))
  tf.saved_model.save(
      hub_encoder(loaded.model.encoder, loaded.vocab_file,
                  loaded.spm_model_file, loaded.do_lower_case),
      os.path.join(directory, "encoder"))
  tf.saved_model.save(
      end_to_end, directory,
      signatures={"serving_default": end_to_end.__call__,
                  "preprocess": preprocess.__call__,
                  "encode": end_to_end.encode})
  return directory
