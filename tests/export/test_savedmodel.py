"""SavedModel export: raw text in, the Keras model's outputs out."""
import os

import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the ops the SavedModel uses)

from biom_tf.checkpoints import convert
from biom_tf import configs
from biom_tf.models import heads
from biom_tf import tokenization
from tests.export.conftest import TEXTS
from tests.export.conftest import WORDPIECE_VOCAB
from tests.oracle_helpers import randomize

TINY = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=24, max_position_embeddings=24,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
SEQ = 24


def _packed(tokenizer, texts):
  """[CLS] ids [SEP], padded to SEQ, from the Python tokenizer API."""
  rows = [[tokenizer.cls_id] + tokenizer.encode(t)[:SEQ - 2] + [tokenizer.sep_id]
          for t in texts]
  ids = np.full((len(rows), SEQ), tokenizer.pad_id, np.int32)
  mask = np.zeros((len(rows), SEQ), np.int32)
  for i, row in enumerate(rows):
    ids[i, :len(row)] = row
    mask[i, :len(row)] = 1
  return dict(input_word_ids=ids, input_mask=mask,
              input_type_ids=np.zeros_like(ids))


@pytest.mark.parametrize("family,head", [("bert", "sequence"),
                                         ("albert", None)])
def test_savedmodel_from_text(tmp_path, family, head, vocab_file,
                              spm_model_file):
  if family == "albert":
    vocab = dict(spm_model_file=spm_model_file)
    tokenizer = tokenization.SentencePieceTokenizer(spm_model_file)
    extra = {"embedding_size": 8}
  else:
    vocab = dict(vocab_file=vocab_file)
    tokenizer = tokenization.WordpieceTokenizer(vocab_file)
    extra = {}
  config = configs.ModelConfig(family=family, vocab_size=tokenizer.vocab_size,
                               **TINY, **extra)
  if head:
    model = randomize(heads.build_finetuning_model(config, head, 3))
  else:
    model = randomize(convert.build_model(config))
  loaded = convert.LoadedModel(model, config, head, 3 if head else 0, **vocab)
  out = convert.write(loaded, str(tmp_path / "sm"), "savedmodel")

  inputs = _packed(tokenizer, TEXTS)
  restored = tf.saved_model.load(out)
  pre = restored.signatures["preprocess"](tf.constant(TEXTS))
  for name in inputs:
    np.testing.assert_array_equal(pre[name].numpy(), inputs[name], err_msg=name)

  served = restored.signatures["serving_default"](text=tf.constant(TEXTS))
  if head:
    want = model(inputs, training=False).numpy()
    np.testing.assert_allclose(served["logits"].numpy(), want, atol=1e-5)
  else:
    want = model.encoder(inputs, training=False)
    for name in ("pooled_output", "sequence_output"):
      np.testing.assert_allclose(served[name].numpy(), want[name].numpy(),
                                 atol=1e-5, err_msg=name)

  # The TF Hub pieces on their own.
  encoder = tf.saved_model.load(os.path.join(out, "encoder"))
  preprocess = tf.saved_model.load(os.path.join(out, "preprocess"))
  outputs = encoder(preprocess(tf.constant(TEXTS)))
  want = model.encoder(inputs, training=False)
  assert len(outputs["encoder_outputs"]) == config.num_hidden_layers
  np.testing.assert_allclose(outputs["default"].numpy(),
                             want["pooled_output"].numpy(), atol=1e-5)
  np.testing.assert_allclose(outputs["encoder_outputs"][-1].numpy(),
                             want["sequence_output"].numpy(), atol=1e-5)
  tokens = preprocess.tokenize(tf.constant(TEXTS[:1]))
  assert tokens.to_list()[0] == tokenizer.encode(TEXTS[0])

  # What `saved_model_cli show --dir DIR --all` prints: the MetaGraphDef's
  # signature_def map (read in-process, as the CLI does, to spare a process).
  from tensorflow.python.tools import saved_model_utils  # pylint: disable=g-direct-tensorflow-import
  meta = saved_model_utils.get_meta_graph_def(out, "serve")
  assert {"serving_default", "preprocess", "encode"} <= set(meta.signature_def)
  assert list(meta.signature_def["serving_default"].inputs) == ["text"]
