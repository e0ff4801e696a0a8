"""Parity with an independent reading of the original checkpoint formats.

biom_tf writes a random tiny model of each family as an original TF1
checkpoint; transformers 4.57.6 (torch) reads that file with its own
`load_tf_weights_in_bert/albert/electra`, which interpret the TF1 names
independently of our name tables. Every torch parameter must be filled from
the file (they start as NaN) and every output must agree to 1e-5 in float32.
The real TF1-written fixture is also read by both readers and compared.
"""
import functools
import io
import contextlib

import numpy as np
import pytest

import biom_tf  # noqa: F401

from biom_tf import checkpoints
from biom_tf import configs
from biom_tf import models
from tests.conftest import shared_path
from tests.oracle_helpers import assert_close
from tests.oracle_helpers import gather_positions as _gather
from tests.oracle_helpers import randomize as _randomize
from tests.oracle_helpers import random_inputs
from tests.oracle_helpers import torch_inputs as _torch_inputs

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TOL = 1e-5

_close = functools.partial(assert_close, tol=TOL)


def _inputs(config, batch=3, seq=17, predictions=5, seed=0):
  return random_inputs(config.vocab_size, batch, seq, predictions, seed,
                       lengths=[seq, seq - 4, 6])
TINY = dict(vocab_size=97, hidden_size=32, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=48,
            max_position_embeddings=40, type_vocab_size=2,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def _nan_fill(torch_model):
  with torch.no_grad():
    for p in torch_model.parameters():
      p.fill_(float("nan"))


def _assert_fully_loaded(torch_model):
  unset = [n for n, p in torch_model.named_parameters() if torch.isnan(p).any()]
  assert not unset, f"parameters the TF1 file did not provide: {unset}"


def _hf_common(config):
  return dict(vocab_size=config.vocab_size, hidden_size=config.hidden_size,
              num_hidden_layers=config.num_hidden_layers,
              num_attention_heads=config.num_attention_heads,
              intermediate_size=config.intermediate_size,
              hidden_act="gelu_new",  # the originals' tanh-approximated GELU
              hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
              max_position_embeddings=config.max_position_embeddings,
              type_vocab_size=config.type_vocab_size, layer_norm_eps=1e-12)


def _write(model, config, tmp_path):
  prefix = str(tmp_path / "model.ckpt")
  checkpoints.save_tf1_checkpoint(model, prefix, config)
  return prefix


def _load_quietly(fn, *args, **kwargs):
  out = io.StringIO()
  with contextlib.redirect_stdout(out):
    fn(*args, **kwargs)
  return out.getvalue()


def _bert_like_parity(family, tmp_path):
  config = configs.ModelConfig(family=family, **TINY,
                               **({"embedding_size": 16} if family == "albert"
                                  else {}))
  ours = models.build_pretrainer(config)
  _randomize(ours)
  prefix = _write(ours, config, tmp_path)

  if family == "bert":
    hf = transformers.BertForPreTraining(
        transformers.BertConfig(**_hf_common(config)))
    loader = transformers.models.bert.modeling_bert.load_tf_weights_in_bert
  else:
    hf = transformers.AlbertForPreTraining(
        transformers.AlbertConfig(embedding_size=config.embedding_size,
                                  classifier_dropout_prob=0.0,
                                  **_hf_common(config)))
    loader = transformers.models.albert.modeling_albert.load_tf_weights_in_albert
  hf.eval()
  _nan_fill(hf)
  _load_quietly(loader, hf, hf.config, prefix)
  _assert_fully_loaded(hf)

  inputs = _inputs(config)
  got = ours(inputs, training=False)
  with torch.no_grad():
    want = hf(**_torch_inputs(inputs), output_hidden_states=True)
    base = hf.bert if family == "bert" else hf.albert
    base_out = base(**_torch_inputs(inputs))
  _close(got["sequence_output"], base_out.last_hidden_state, "sequence_output")
  _close(got["pooled_output"], base_out.pooler_output, "pooled_output")
  _close(got["mlm_logits"],
         _gather(want.prediction_logits.numpy(), inputs["masked_lm_positions"]),
         "mlm_logits")
  sentence = want.seq_relationship_logits if family == "bert" else want.sop_logits
  _close(got["sentence_logits"], sentence, "sentence_logits")

  # Our reader gives back exactly the model that was written.
  again = models.build_pretrainer(config)
  checkpoints.load_tf1_checkpoint(again, prefix, config)
  for a, b in zip(ours.variables, again.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)


def test_bert_matches_transformers(tmp_path):
  _bert_like_parity("bert", tmp_path)


def test_albert_matches_transformers(tmp_path):
  _bert_like_parity("albert", tmp_path)


def test_electra_matches_transformers(tmp_path):
  config = configs.ModelConfig(family="electra", **dict(TINY, hidden_size=64),
                               embedding_size=32, generator_hidden_size=0.5)
  gen_config = config.generator_config()
  assert (gen_config.hidden_size, gen_config.num_attention_heads) == (32, 1)
  ours = models.build_pretrainer(config)
  _randomize(ours)
  prefix = _write(ours, config, tmp_path)
  inputs = _inputs(config)
  electra = transformers.models.electra.modeling_electra

  disc = transformers.ElectraForPreTraining(transformers.ElectraConfig(
      embedding_size=32, **_hf_common(config))).eval()
  _nan_fill(disc)
  log = _load_quietly(electra.load_tf_weights_in_electra, disc, disc.config,
                      prefix, "discriminator")
  _assert_fully_loaded(disc)
  assert "Skipping" not in log.replace("Skipping generator", ""), log

  hf_gen = _hf_common(gen_config)
  gen = transformers.ElectraForMaskedLM(transformers.ElectraConfig(
      embedding_size=32, **hf_gen)).eval()
  # transformers hard-codes the exact-erf GELU in the generator head; the
  # original applies the config's activation (tanh-approximated "gelu").
  gen.generator_predictions.activation = transformers.activations.ACT2FN["gelu_new"]
  _nan_fill(gen)
  _load_quietly(electra.load_tf_weights_in_electra, gen, gen.config, prefix,
                "generator")
  _assert_fully_loaded(gen)

  got = ours(inputs, training=False)
  with torch.no_grad():
    want_disc = disc(**_torch_inputs(inputs))
    want_seq = disc.electra(**_torch_inputs(inputs)).last_hidden_state
    want_gen = gen(**_torch_inputs(inputs)).logits.numpy()
  _close(got["sequence_output"], want_seq, "discriminator sequence_output")
  _close(got["discriminator_logits"], want_disc.logits, "discriminator logits")
  _close(got["mlm_logits"], _gather(want_gen, inputs["masked_lm_positions"]),
         "generator mlm_logits")


def test_real_tf1_fixture_reads_like_transformers(tmp_path):
  """The TF1-written fixture (with Adam slots): both readers, same outputs."""
  directory = shared_path("fixtures", "tf1-bert-tiny")
  config = configs.ModelConfig.from_json_file(f"{directory}/bert_config.json",
                                              "bert")
  ours = models.build_pretrainer(config)
  report = checkpoints.load_tf1_checkpoint(ours, f"{directory}/bert_model.ckpt",
                                           config)
  assert len(report.loaded) == 46 and not report.unused
  hf = transformers.BertForPreTraining(transformers.BertConfig(
      **_hf_common(config))).eval()
  _nan_fill(hf)
  _load_quietly(transformers.models.bert.modeling_bert.load_tf_weights_in_bert,
                hf, hf.config, f"{directory}/bert_model.ckpt")
  _assert_fully_loaded(hf)
  inputs = _inputs(config, seq=12, predictions=3)
  got = ours(inputs, training=False)
  with torch.no_grad():
    want = hf(**_torch_inputs(inputs))
    base = hf.bert(**_torch_inputs(inputs))
  _close(got["sequence_output"], base.last_hidden_state, "sequence_output")
  _close(got["pooled_output"], base.pooler_output, "pooled_output")
  _close(got["mlm_logits"],
         _gather(want.prediction_logits.numpy(), inputs["masked_lm_positions"]),
         "mlm_logits")
  _close(got["sentence_logits"], want.seq_relationship_logits, "nsp logits")
