"""SavedModel export in the TF Hub BERT conventions, for TF Serving and TF Hub.

`save_savedmodel(loaded, directory)` writes three SavedModels:

  <dir>/preprocess/  raw text → encoder inputs. `__call__(strings [B])` →
                     dict(input_word_ids, input_mask, input_type_ids), int32
                     [B, seq_length]: `[CLS] tokens [SEP]`, truncated and
                     padded. The tokenizer (`biom_tf.tokenization`, on
                     tensorflow_text) runs inside the graph; also
                     `.tokenize(strings) → int32 ragged [B, (T)]`.
  <dir>/encoder/     `__call__(dict of the three inputs)` → dict(
                     pooled_output [B, H], sequence_output [B, S, H],
                     encoder_outputs [L × [B, S, H]], default = pooled_output).
  <dir>/             the end-to-end model: `serving_default` signature
                     text [B] → `pooled_output`, `sequence_output` (an encoder
                     or pretrainer; for ELECTRA the pooler is untrained, the
                     originals have none) or → `logits` (a fine-tuned model:
                     [B, C], [B, S, C] for tokens, [B, S, 2] for spans); also
                     the `preprocess` and `encode` signatures.

All of them load with `tf.saved_model.load` (which needs `import
tensorflow_text` first, for its ops) and `saved_model_cli show --all` lists
the signatures. Model Garden's `export_tfhub_lib` writes the same layout from
its own configs; it cannot take our tokenizers or heads, hence this module.
"""
import os

import tensorflow as tf

from biom_tf import tokenization

_INPUT_NAMES = ("input_word_ids", "input_mask", "input_type_ids")


class Preprocessor(tf.Module):
  """strings [B] → dict of int32 [B, seq_length] (single-segment packing)."""

  def __init__(self, tokenizer, seq_length: int, name="preprocess"):
    super().__init__(name=name)
    self.tokenizer = tokenizer
    self.seq_length = seq_length
    self._cls, self._sep = tokenizer.cls_id, tokenizer.sep_id
    self._pad = tokenizer.pad_id

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
  def tokenize(self, strings):
    return self.tokenizer.tf_tokenize(strings)

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
  def __call__(self, strings):
    ids = tf.cast(self.tokenizer.tf_tokenize(strings), tf.int32)
    ids = ids[:, :self.seq_length - 2]
    batch = tf.shape(strings)[0]
    cls = tf.fill([batch, 1], self._cls)
    sep = tf.fill([batch, 1], self._sep)
    ids = tf.concat([cls, ids, sep], axis=1)
    shape = [None, self.seq_length]
    return dict(
        input_word_ids=ids.to_tensor(default_value=self._pad, shape=shape),
        input_mask=tf.ones_like(ids).to_tensor(default_value=0, shape=shape),
        input_type_ids=tf.zeros_like(ids).to_tensor(default_value=0,
                                                    shape=shape))


def _input_specs():
  return {name: tf.TensorSpec([None, None], tf.int32, name=name)
          for name in _INPUT_NAMES}


class Encoder(tf.Module):
  """The Keras encoder network with the TF Hub output names."""

  def __init__(self, network, name="encoder"):
    super().__init__(name=name)
    self.network = network

  @tf.function(input_signature=[_input_specs()])
  def __call__(self, inputs):
    outputs = self.network(inputs, training=False)
    return dict(pooled_output=outputs["pooled_output"],
                sequence_output=outputs["sequence_output"],
                encoder_outputs=list(outputs["encoder_outputs"]),
                default=outputs["pooled_output"])


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
    outputs = self.encoder(inputs)
    return dict(pooled_output=outputs["pooled_output"],
                sequence_output=outputs["sequence_output"])

  @tf.function(input_signature=[_input_specs()])
  def encode(self, inputs):
    outputs = self.encoder(inputs)
    return dict(pooled_output=outputs["pooled_output"],
                sequence_output=outputs["sequence_output"])


def save_savedmodel(loaded, directory: str, seq_length: int = 128) -> str:
  """Writes `loaded` (an `export.LoadedModel`) into the existing `directory`.

  `seq_length` (capped at max_position_embeddings) is the preprocessor's
  padded length; the encoder takes any length.
  """
  tokenizer = tokenization.build_tokenizer(
      loaded.vocab_file, loaded.spm_model_file, loaded.do_lower_case)
  seq_length = min(seq_length, loaded.config.max_position_embeddings)
  preprocess = Preprocessor(tokenizer, seq_length)
  encoder = Encoder(loaded.model.encoder)
  end_to_end = EndToEnd(preprocess, encoder,
                        loaded.model if loaded.head is not None else None)
  tf.saved_model.save(preprocess, os.path.join(directory, "preprocess"))
  tf.saved_model.save(encoder, os.path.join(directory, "encoder"))
  tf.saved_model.save(
      end_to_end, directory,
      signatures={"serving_default": end_to_end.__call__,
                  "preprocess": preprocess.__call__,
                  "encode": end_to_end.encode})
  return directory
