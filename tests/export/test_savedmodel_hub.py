"""The SavedModel export keeps TF Hub's contract for BERT-style models.

Checked with `tensorflow_hub` itself (the oracle: `hub.KerasLayer`), as the
TF Hub "Common SavedModel APIs for Text" describe the use:

  preprocessor = hub.load(".../preprocess")
  tokenize = hub.KerasLayer(preprocessor.tokenize)
  pack = hub.KerasLayer(preprocessor.bert_pack_inputs,
                        arguments=dict(seq_length=N))
  encoder = hub.KerasLayer(".../encoder", trainable=True)

Packing is compared with `[CLS] a [SEP] b [SEP]` built here from our Python
tokenizer, trimmed round-robin as the TF Hub API defines it (one token at a
time to each segment in turn while the budget lasts); fine-tuning must move
the encoder's weights.
"""
import os

import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the ops the SavedModel uses)
import tf_keras

from biom_tf.checkpoints import convert
from biom_tf import configs
from biom_tf import models
from biom_tf import tokenization
from tests.export.conftest import TEXTS
from tests.oracle_helpers import randomize

hub = pytest.importorskip("tensorflow_hub")


def _round_robin(a, b, budget):
  """Lengths kept of segments a, b under `budget` tokens."""
  keep_a = keep_b = 0
  while budget > 0 and (keep_a < len(a) or keep_b < len(b)):
    if keep_a < len(a):
      keep_a, budget = keep_a + 1, budget - 1
    if budget > 0 and keep_b < len(b):
      keep_b, budget = keep_b + 1, budget - 1
  return keep_a, keep_b


def _expected_pair(tok, a, b, seq_length):
  ids_a, ids_b = tok.encode(a), tok.encode(b)
  n_a, n_b = _round_robin(ids_a, ids_b, seq_length - 3)
  row = ([tok.cls_id] + ids_a[:n_a] + [tok.sep_id] + ids_b[:n_b] +
         [tok.sep_id])
  types = [0] * (n_a + 2) + [1] * (n_b + 1)
  pad = seq_length - len(row)
  return row + [tok.pad_id] * pad, [1] * len(row) + [0] * pad, types + [0] * pad


@pytest.fixture(scope="module")
def exported(tmp_path_factory, vocab_file):
  tok = tokenization.WordpieceTokenizer(vocab_file)
  config = configs.ModelConfig(
      family="bert", vocab_size=tok.vocab_size, hidden_size=16,
      num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
      max_position_embeddings=32, hidden_dropout_prob=0.1,
      attention_probs_dropout_prob=0.1)
  model = randomize(models.build_pretrainer(config), scale=0.2)
  loaded = convert.LoadedModel(model, config, vocab_file=vocab_file)
  out = convert.write(loaded, str(tmp_path_factory.mktemp("sm") / "sm"),
                      "savedmodel")
  return out, tok, model


def test_preprocess_tokenize_and_bert_pack_inputs(exported):
  out, tok, _ = exported
  preprocessor = hub.load(os.path.join(out, "preprocess"))
  tokenize = hub.KerasLayer(preprocessor.tokenize)
  texts_a, texts_b = TEXTS, TEXTS[1:] + TEXTS[:1]
  tokens_a = tokenize(tf.constant(texts_a))
  tokens_b = tokenize(tf.constant(texts_b))
  assert tokens_a.to_list() == [tok.encode(t) for t in texts_a]
  for seq_length in (8, 20):
    pack = hub.KerasLayer(preprocessor.bert_pack_inputs,
                          arguments=dict(seq_length=seq_length))
    packed = pack([tokens_a, tokens_b])
    for i, (a, b) in enumerate(zip(texts_a, texts_b)):
      ids, mask, types = _expected_pair(tok, a, b, seq_length)
      assert packed["input_word_ids"][i].numpy().tolist() == ids, (a, b)
      assert packed["input_mask"][i].numpy().tolist() == mask
      assert packed["input_type_ids"][i].numpy().tolist() == types
  # In a Keras model, on string inputs, as TF Hub's examples build it.
  a_in = tf_keras.Input(shape=(), dtype=tf.string)
  b_in = tf_keras.Input(shape=(), dtype=tf.string)
  packed_model = tf_keras.Model(
      [a_in, b_in], hub.KerasLayer(preprocessor.bert_pack_inputs,
                                   arguments=dict(seq_length=20))(
                                       [tokenize(a_in), tokenize(b_in)]))
  got = packed_model([tf.constant(texts_a), tf.constant(texts_b)])
  np.testing.assert_array_equal(got["input_word_ids"],
                                packed["input_word_ids"])
  # The default call: one segment at the default length.
  single = preprocessor(tf.constant(texts_a))
  assert single["input_word_ids"].shape[1] == 32
  assert single["input_word_ids"][0].numpy().tolist()[:len(tok.encode(
      texts_a[0])) + 2] == [tok.cls_id] + tok.encode(texts_a[0]) + [tok.sep_id]


def test_encoder_fine_tunes_as_hub_keras_layer(exported):
  out, tok, model = exported
  encoder = hub.KerasLayer(os.path.join(out, "encoder"), trainable=True)
  inputs = {name: tf_keras.Input(shape=(None,), dtype=tf.int32, name=name)
            for name in ("input_word_ids", "input_mask", "input_type_ids")}
  outputs = encoder(inputs)
  assert set(outputs) >= {"pooled_output", "sequence_output",
                          "encoder_outputs", "default"}
  logits = tf_keras.layers.Dense(2)(outputs["pooled_output"])
  classifier = tf_keras.Model(inputs, logits)
  assert len(encoder.trainable_weights) == len(model.encoder.trainable_weights)

  preprocessor = hub.load(os.path.join(out, "preprocess"))
  batch = {k: v.numpy() for k, v in
           preprocessor(tf.constant(TEXTS)).items()}
  # Inference: the exported encoder computes what ours does.
  ours = model.encoder(batch, training=False)
  theirs = encoder(batch, training=False)
  for name in ("pooled_output", "sequence_output"):
    np.testing.assert_allclose(theirs[name].numpy(), ours[name].numpy(),
                               atol=1e-5, err_msg=name)
  # Training mode applies dropout (the config's 0.1).
  assert not np.allclose(encoder(batch, training=True)["sequence_output"],
                         theirs["sequence_output"])
  before = [w.numpy().copy() for w in encoder.trainable_weights]
  classifier.compile(optimizer=tf_keras.optimizers.SGD(0.1),
                     loss=tf_keras.losses.SparseCategoricalCrossentropy(
                         from_logits=True))
  classifier.fit(batch, np.array([0, 1, 0]), epochs=1, verbose=0)
  moved = [not np.array_equal(b, w.numpy())
           for b, w in zip(before, encoder.trainable_weights)]
  assert sum(moved) > len(moved) // 2, sum(moved)
