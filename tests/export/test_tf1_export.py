"""TF1 export through the tool's library path, read by transformers' TF1 readers.

A random tiny model goes biom → tf1 with `convert.export` (what
tools/convert_checkpoint.py calls): the directory must hold the original
layout (checkpoint, config, vocabulary), transformers 4.57.6's
`load_tf_weights_in_bert/albert/electra` must fill every parameter of a
NaN-filled torch model from it and give our outputs to 1e-5, and TF1 → biom
→ TF1 must give the same tensors bit for bit. (Per-tensor parity of the
writer itself is tests/models/test_oracle_parity.py.)
"""
import contextlib
import functools
import io
import json
import os

import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.checkpoints import convert
from biom_tf import configs
from biom_tf import models
from biom_tf import tokenization
from tests.export.conftest import WORDPIECE_VOCAB
from tests.oracle_helpers import assert_close
from tests.oracle_helpers import random_inputs
from tests.oracle_helpers import randomize
from tests.oracle_helpers import torch_inputs as _torch_inputs

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TOL = 1e-5

_close = functools.partial(assert_close, tol=TOL)
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=48, max_position_embeddings=32,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
LAYOUT = {
    "bert": ["bert_config.json", "bert_model.ckpt.data-00000-of-00001",
             "bert_model.ckpt.index", "checkpoint", "vocab.txt"],
    "albert": ["30k-clean.model", "albert_config.json", "checkpoint",
               "model.ckpt.data-00000-of-00001", "model.ckpt.index"],
    "electra": ["checkpoint", "electra_config.json",
                "model.ckpt.data-00000-of-00001", "model.ckpt.index",
                "vocab.txt"],
}


def _nan_filled(model):
  with torch.no_grad():
    for p in model.parameters():
      p.fill_(float("nan"))
  return model.eval()


def _load_tf1(loader, model, prefix, *args):
  with contextlib.redirect_stdout(io.StringIO()):
    loader(model, model.config, prefix, *args)
  unset = [n for n, p in model.named_parameters() if torch.isnan(p).any()]
  assert not unset, f"parameters the TF1 file did not provide: {unset}"


def _hf_config(cls, values, **overrides):
  """An HF config from the original-format JSON we wrote.

  The originals' "gelu" is the tanh approximation: transformers' gelu_new.
  """
  values = dict(values, **overrides)
  values["hidden_act"] = {"gelu": "gelu_new"}.get(values["hidden_act"],
                                                   values["hidden_act"])
  return cls(layer_norm_eps=1e-12, **{k: v for k, v in values.items()
                                      if k not in ("generator_hidden_size",
                                                   "generator_layers")})


def _export_random(tmp_path, family, vocab_file, spm_model_file):
  if family == "albert":
    vocab = dict(spm_model_file=spm_model_file)
    size = tokenization.SentencePieceTokenizer(spm_model_file).vocab_size
  else:
    vocab = dict(vocab_file=vocab_file)
    size = len(WORDPIECE_VOCAB)
  extra = {"bert": {}, "albert": {"embedding_size": 16},
           "electra": {"embedding_size": 16, "generator_hidden_size": 0.5}}[family]
  config = configs.ModelConfig(family=family, vocab_size=size, **TINY, **extra)
  ours = randomize(models.build_pretrainer(config))
  biom_dir = convert.write(convert.LoadedModel(ours, config, **vocab),
                           str(tmp_path / "biom"), "biom")
  out = convert.export(family, biom_dir, "biom", str(tmp_path / "tf1"), "tf1")
  assert sorted(os.listdir(out)) == LAYOUT[family]
  return ours, config, out


@pytest.mark.parametrize("family", ["bert", "albert"])
def test_bert_albert_tf1_export_reads_in_transformers(tmp_path, family,
                                                      vocab_file, spm_model_file):
  ours, config, out = _export_random(tmp_path, family, vocab_file, spm_model_file)
  config_name, prefix, cls, model_cls, loader = {
      "bert": ("bert_config.json", "bert_model.ckpt", transformers.BertConfig,
               transformers.BertForPreTraining,
               transformers.models.bert.modeling_bert.load_tf_weights_in_bert),
      "albert": ("albert_config.json", "model.ckpt", transformers.AlbertConfig,
                 transformers.AlbertForPreTraining,
                 transformers.models.albert.modeling_albert.load_tf_weights_in_albert),
  }[family]
  with open(os.path.join(out, config_name)) as f:
    written = json.load(f)
  for key in ("down_scale_factor", "net_structure_type", "gap_size",
              "layers_to_keep"):
    written.pop(key, None)
  hf = _nan_filled(model_cls(_hf_config(cls, written)))
  _load_tf1(loader, hf, os.path.join(out, prefix))

  inputs = random_inputs(config.vocab_size)
  got = ours(inputs, training=False)
  with torch.no_grad():
    want = hf(**_torch_inputs(inputs))
    base = getattr(hf, family)(**_torch_inputs(inputs))
  _close(got["sequence_output"], base.last_hidden_state, "sequence_output")
  _close(got["pooled_output"], base.pooler_output, "pooled_output")
  _close(got["mlm_logits"],
         np.take_along_axis(want.prediction_logits.numpy(),
                            inputs["masked_lm_positions"][:, :, None], axis=1),
         "mlm_logits")
  _close(got["sentence_logits"], want.seq_relationship_logits if family == "bert"
         else want.sop_logits, "sentence_logits")

  # TF1 → biom → TF1: same names, same bits; config and vocabulary carried.
  again = convert.export(family, os.path.join(out, prefix), "tf1",
                         str(tmp_path / "tf1-again"), "tf1")
  _assert_same_checkpoint(os.path.join(out, prefix), os.path.join(again, prefix))
  assert sorted(os.listdir(again)) == LAYOUT[family]
  for name in LAYOUT[family]:
    if not name.startswith(("model.ckpt", "bert_model.ckpt")):
      with open(os.path.join(out, name), "rb") as a, \
          open(os.path.join(again, name), "rb") as b:
        assert a.read() == b.read(), name


def _assert_same_checkpoint(prefix_a, prefix_b):
  a, b = tf.train.load_checkpoint(prefix_a), tf.train.load_checkpoint(prefix_b)
  names = a.get_variable_to_shape_map()
  assert names == b.get_variable_to_shape_map()
  for name in names:
    np.testing.assert_array_equal(a.get_tensor(name), b.get_tensor(name),
                                  err_msg=name)


def test_electra_tf1_export_reads_in_transformers(tmp_path, vocab_file,
                                                  spm_model_file):
  ours, config, out = _export_random(tmp_path, "electra", vocab_file,
                                     spm_model_file)
  with open(os.path.join(out, "electra_config.json")) as f:
    written = json.load(f)
  prefix = os.path.join(out, "model.ckpt")
  # The original stores both networks in one checkpoint, shared embeddings
  # under electra/.
  names = [n for n, _ in tf.train.list_variables(prefix)]
  assert any(n.startswith("generator/encoder/layer_0/") for n in names)
  assert any(n.startswith("electra/encoder/layer_1/") for n in names)
  assert not any(n.startswith("generator/embeddings/") for n in names)
  electra = transformers.models.electra.modeling_electra

  disc = _nan_filled(transformers.ElectraForPreTraining(
      _hf_config(transformers.ElectraConfig, written)))
  _load_tf1(electra.load_tf_weights_in_electra, disc, prefix, "discriminator")
  gen_hidden = int(written["hidden_size"] * written["generator_hidden_size"])
  gen = transformers.ElectraForMaskedLM(_hf_config(
      transformers.ElectraConfig, written, hidden_size=gen_hidden,
      intermediate_size=4 * gen_hidden,
      num_attention_heads=max(1, gen_hidden // 64)))
  # transformers hard-codes the erf GELU in the generator head; the original
  # applies the config's activation (tanh "gelu").
  gen.generator_predictions.activation = transformers.activations.ACT2FN["gelu_new"]
  _load_tf1(electra.load_tf_weights_in_electra, _nan_filled(gen), prefix,
            "generator")

  inputs = random_inputs(config.vocab_size)
  got = ours(inputs, training=False)
  with torch.no_grad():
    want_disc = disc(**_torch_inputs(inputs)).logits
    want_seq = disc.electra(**_torch_inputs(inputs)).last_hidden_state
    want_gen = gen(**_torch_inputs(inputs)).logits.numpy()
  _close(got["sequence_output"], want_seq, "discriminator sequence_output")
  _close(got["discriminator_logits"], want_disc, "discriminator logits")
  _close(got["mlm_logits"],
         np.take_along_axis(want_gen, inputs["masked_lm_positions"][:, :, None],
                            axis=1), "generator mlm_logits")

  again = convert.export("electra", prefix, "tf1", str(tmp_path / "again"),
                         "tf1")
  _assert_same_checkpoint(prefix, os.path.join(again, "model.ckpt"))
