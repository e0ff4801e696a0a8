"""Hugging Face export and import, checked by transformers 4.57.6 (torch).

Each exported directory must load with `from_pretrained` reporting no
missing, unexpected or mismatched keys, give our outputs to 1e-4, and its
`AutoTokenizer` must give our tokenizer's ids. HF → biom → HF is bit-exact.
"""
import functools
import os

import numpy as np
import pytest

import biom_tf  # noqa: F401

from biom_tf.checkpoints import convert
from biom_tf.checkpoints import huggingface
from biom_tf import configs
from biom_tf import models
from biom_tf.models.bert import build_network
from biom_tf.models import heads
from biom_tf import tokenization
from tests.export.conftest import TEXTS
from tests.export.conftest import WORDPIECE_VOCAB
from tests.oracle_helpers import assert_close
from tests.oracle_helpers import gather_positions as _gather
from tests.oracle_helpers import random_inputs
from tests.oracle_helpers import randomize
from tests.oracle_helpers import torch_inputs as _torch_inputs

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

TOL = 1e-4

_close = functools.partial(assert_close, tol=TOL)
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=48, max_position_embeddings=32,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
FAMILY_EXTRA = {"bert": {}, "albert": {"embedding_size": 16},
                "electra": {"embedding_size": 16, "generator_hidden_size": 0.5}}
PRETRAINING_CLASS = {"bert": "BertForPreTraining",
                     "albert": "AlbertForPreTraining",
                     "electra": "ElectraForPreTraining"}


def _config(family, vocab_size):
  return configs.ModelConfig(family=family, vocab_size=vocab_size, **TINY,
                             **FAMILY_EXTRA[family])


def _vocab_kwargs(family, vocab_file, spm_model_file):
  return ({"spm_model_file": spm_model_file} if family == "albert"
          else {"vocab_file": vocab_file})


def _vocab_size(family, spm_model_file):
  if family == "albert":
    return tokenization.SentencePieceTokenizer(spm_model_file).vocab_size
  return len(WORDPIECE_VOCAB)


def _from_pretrained(cls_name, path):
  model, info = getattr(transformers, cls_name).from_pretrained(
      path, output_loading_info=True)
  assert info == {"missing_keys": [], "unexpected_keys": [],
                  "mismatched_keys": [], "error_msgs": []}, (path, info)
  return model.eval()


def _assert_same_files(dir_a, dir_b):
  """Every safetensors tensor and config.json equal, bit for bit."""
  for sub in ("", "generator"):
    a, b = os.path.join(dir_a, sub), os.path.join(dir_b, sub)
    if not os.path.exists(os.path.join(a, "model.safetensors")):
      assert not os.path.exists(os.path.join(b, "model.safetensors"))
      continue
    ta = safetensors_numpy.load_file(os.path.join(a, "model.safetensors"))
    tb = safetensors_numpy.load_file(os.path.join(b, "model.safetensors"))
    assert sorted(ta) == sorted(tb)
    for key in ta:
      np.testing.assert_array_equal(ta[key], tb[key], err_msg=key)
    with open(os.path.join(a, "config.json")) as fa, \
        open(os.path.join(b, "config.json")) as fb:
      assert fa.read() == fb.read()


def _check_encoder_only_load(out, config, source_encoder):
  """What fine-tuning does: the encoder alone from an HF directory."""
  encoder = build_network(models.build_encoder(config))
  unused = huggingface.load_hf_model(encoder, out, config, require_heads=False)
  assert not any(k.startswith(("bert.", "albert.", "electra.")) for k in unused)
  for a, b in zip(source_encoder.variables, encoder.variables):
    if "pooler" not in a.name:  # ELECTRA, token and QA models have none in HF
      np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)


def _check_tokenizer(path, family, vocab_file, spm_model_file):
  ours = tokenization.build_tokenizer(
      **_vocab_kwargs(family, vocab_file, spm_model_file), do_lower_case=True)
  theirs = transformers.AutoTokenizer.from_pretrained(path)
  assert theirs.is_fast
  names = set(os.listdir(path))
  assert {"tokenizer_config.json", "special_tokens_map.json"} <= names
  # tokenizer.json for WordPiece; transformers builds ALBERT's from spiece.model.
  assert ("tokenizer.json" in names) == (family != "albert")
  assert ("spiece.model" if family == "albert" else "vocab.txt") in names
  for text in TEXTS:
    assert theirs(text, add_special_tokens=False)["input_ids"] == ours.encode(text), text
  assert theirs.cls_token_id == ours.cls_id and theirs.sep_token_id == ours.sep_id
  assert theirs.mask_token_id == ours.mask_id and theirs.pad_token_id == ours.pad_id


@pytest.mark.parametrize("family", ["bert", "albert", "electra"])
def test_pretrainer_export_loads_in_transformers(tmp_path, family, vocab_file,
                                                 spm_model_file):
  config = _config(family, _vocab_size(family, spm_model_file))
  ours = randomize(models.build_pretrainer(config))
  loaded = convert.LoadedModel(
      ours, config, **_vocab_kwargs(family, vocab_file, spm_model_file))
  out = convert.write(loaded, str(tmp_path / "hf"), "hf")

  hf = _from_pretrained(PRETRAINING_CLASS[family], out)
  with open(os.path.join(out, "config.json")) as f:
    written = f.read()
  assert '"hidden_act": "gelu_new"' in written and '"layer_norm_eps": 1e-12' in written
  inputs = random_inputs(config.vocab_size)
  got = ours(inputs, training=False)
  with torch.no_grad():
    want = hf(**_torch_inputs(inputs))
    base = getattr(hf, family)(**_torch_inputs(inputs)).last_hidden_state
    if family != "electra":
      pooled = getattr(hf, family)(**_torch_inputs(inputs)).pooler_output
  _close(got["sequence_output"], base, "sequence_output")
  if family == "electra":
    _close(got["discriminator_logits"], want.logits, "discriminator logits")
    gen = _from_pretrained("ElectraForMaskedLM", os.path.join(out, "generator"))
    # transformers hard-codes the erf GELU in the generator head; the
    # original applies the config's (tanh) activation.
    gen.generator_predictions.activation = transformers.activations.ACT2FN["gelu_new"]
    with torch.no_grad():
      gen_logits = gen(**_torch_inputs(inputs)).logits.numpy()
    _close(got["mlm_logits"], _gather(gen_logits, inputs["masked_lm_positions"]),
           "generator mlm_logits")
    _check_tokenizer(os.path.join(out, "generator"), family, vocab_file,
                     spm_model_file)
  else:
    _close(got["pooled_output"], pooled, "pooled_output")
    _close(got["mlm_logits"], _gather(want.prediction_logits.numpy(),
                                      inputs["masked_lm_positions"]), "mlm_logits")
    sentence = (want.seq_relationship_logits if family == "bert"
                else want.sop_logits)
    _close(got["sentence_logits"], sentence, "sentence_logits")
  _check_tokenizer(out, family, vocab_file, spm_model_file)

  _check_encoder_only_load(out, config, ours.encoder)

  # HF → biom → HF: the same tensors, bit for bit.
  again = convert.load(family, out, "hf")
  assert again.config == config and again.head is None
  out2 = convert.write(again, str(tmp_path / "hf2"), "hf")
  _assert_same_files(out, out2)


HEAD_CASES = [(f, h) for f in ("bert", "albert", "electra")
              for h in ("token", "sequence", "span")] + [("electra", "multilabel")]


@pytest.mark.parametrize("family,head", HEAD_CASES)
def test_finetuned_export_loads_in_transformers(tmp_path, family, head,
                                                vocab_file, spm_model_file):
  config = _config(family, _vocab_size(family, spm_model_file))
  num_outputs = 2 if head == "span" else 3
  ours = randomize(heads.build_finetuning_model(config, head, num_outputs))
  labels = [] if head == "span" else ["B-Disease", "I-Disease", "O"]
  loaded = convert.LoadedModel(
      ours, config, head, num_outputs, labels,
      **_vocab_kwargs(family, vocab_file, spm_model_file))
  out = convert.write(loaded, str(tmp_path / "hf"), "hf")
  hf = _from_pretrained(heads.hf_architecture(family, head), out)
  if head != "span":
    assert hf.config.id2label == dict(enumerate(labels))

  inputs = random_inputs(config.vocab_size)
  got = ours(inputs, training=False).numpy()
  with torch.no_grad():
    want = hf(**_torch_inputs(inputs))
  if head == "span":
    _close(got[..., 0], want.start_logits, "start_logits")
    _close(got[..., 1], want.end_logits, "end_logits")
  else:
    _close(got, want.logits, f"{head} logits")

  if head == "token":
    _check_encoder_only_load(out, config, ours.encoder)
  again = convert.load(family, out, "hf")
  assert (again.head, again.num_outputs, again.labels) == (head, num_outputs, labels)
  out2 = convert.write(again, str(tmp_path / "hf2"), "hf")
  _assert_same_files(out, out2)


def test_real_tf1_fixture_to_hf(tmp_path):
  """The TF1-written fixture (vocab.txt beside it) → HF, read by transformers."""
  from tests.conftest import shared_path  # pylint: disable=import-outside-toplevel
  directory = shared_path("fixtures", "tf1-bert-tiny")
  out = convert.export("bert", os.path.join(directory, "bert_model.ckpt"),
                       "tf1", str(tmp_path / "hf"), "hf", do_lower_case=True)
  ours = convert.load("bert", directory, "tf1").model
  hf = _from_pretrained("BertForPreTraining", out)
  inputs = random_inputs(15, seq=10, predictions=2)
  got = ours(inputs, training=False)
  with torch.no_grad():
    want = hf(**_torch_inputs(inputs))
  _close(got["mlm_logits"], _gather(want.prediction_logits.numpy(),
                                    inputs["masked_lm_positions"]), "mlm_logits")
  _close(got["sentence_logits"], want.seq_relationship_logits, "nsp logits")
  tok = transformers.AutoTokenizer.from_pretrained(out)
  ours_tok = tokenization.WordpieceTokenizer(os.path.join(directory, "vocab.txt"))
  text = "All work and no play makes Jack a dull boy"
  assert tok(text, add_special_tokens=False)["input_ids"] == ours_tok.encode(text)
