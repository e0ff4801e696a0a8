"""Hugging Face models keep their numerics and tokenizer through biom_tf.

* An HF BERT with `"hidden_act": "gelu"` (exact erf GELU: models trained in
  PyTorch) and a cased vocabulary, written by transformers itself
  (`save_pretrained(safe_serialization=True)`), read by biom_tf and written
  back: torch's outputs before and after agree to 1e-5, and so do biom_tf's
  own outputs with torch's. The GELU names map exactly both ways (HF "gelu"
  = erf, HF "gelu_new" and the originals' "gelu" = tanh).
* The tokenizer files are written without `transformers` (hidden from
  `sys.modules`); transformers' `AutoTokenizer` then loads them and
  tokenizes as biom_tf does, cased and uncased, single texts and pairs.
"""
import json
import os
import sys

import numpy as np
import pytest

import biom_tf  # noqa: F401

from biom_tf.checkpoints import convert
from biom_tf.checkpoints import huggingface
from biom_tf import configs
from biom_tf import models
from biom_tf import tokenization
from tests.conftest import tiny_bert
from tests.export.conftest import TEXTS
from tests.export.conftest import WORDPIECE_VOCAB
from tests.oracle_helpers import assert_close
from tests.oracle_helpers import random_inputs
from tests.oracle_helpers import torch_inputs

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CASED_VOCAB = WORDPIECE_VOCAB + ["The", "BRCA", "Aspirin", "Unknown", "Zy",
                                 "A", "T", "caf", "##é", "é"]
MORE_TEXTS = TEXTS + ["The Café served Aspirin", "naïve BRCA1 carriers"]


def test_gelu_names_map_exactly_both_ways():
  base = dict(model_type="bert", vocab_size=10, hidden_size=8,
              num_hidden_layers=1, num_attention_heads=2, intermediate_size=8,
              hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
              max_position_embeddings=8, type_vocab_size=2,
              initializer_range=0.02)
  for hf_name, ours in (("gelu", "gelu_exact"), ("gelu_new", "gelu"),
                        ("relu", "relu")):
    config = huggingface.config_from_hf_dict(dict(base, hidden_act=hf_name),
                                             "bert", "config.json")
    assert config.hidden_act == ours
    assert huggingface.hf_config_dict(config, "BertModel")["hidden_act"] == hf_name
  # The originals' "gelu" (tanh) is HF's "gelu_new".
  tf1 = configs.ModelConfig(family="bert", hidden_act="gelu")
  assert huggingface.hf_config_dict(tf1, "BertModel")["hidden_act"] == "gelu_new"
  # HF's activations differ by more than the tolerance below at these inputs.
  x = torch.linspace(-4, 4, 101)
  gap = (transformers.activations.ACT2FN["gelu"](x) -
         transformers.activations.ACT2FN["gelu_new"](x)).abs().max()
  assert gap > 1e-4


@pytest.fixture
def hf_erf_cased(tmp_path):
  """A random tiny BertModel (erf GELU), saved by transformers."""
  vocab = tmp_path / "vocab.txt"
  vocab.write_text("\n".join(CASED_VOCAB) + "\n")
  config = transformers.BertConfig(
      vocab_size=len(CASED_VOCAB), hidden_size=32, num_hidden_layers=2,
      num_attention_heads=4, intermediate_size=48, hidden_act="gelu",
      max_position_embeddings=32, hidden_dropout_prob=0.0,
      attention_probs_dropout_prob=0.0)
  torch.manual_seed(0)
  model = transformers.BertModel(config).eval()
  with torch.no_grad():  # scale so that pre-activations reach |x| > 1
    for p in model.parameters():
      p.normal_(0.0, 0.3)
  directory = tmp_path / "hf-in"
  model.save_pretrained(str(directory), safe_serialization=True)
  os.replace(vocab, directory / "vocab.txt")
  assert not (directory / "tokenizer_config.json").exists()
  return str(directory), model


def test_hf_erf_gelu_cased_model_round_trips(tmp_path, hf_erf_cased):
  directory, original = hf_erf_cased
  loaded = convert.load("bert", directory, "hf")
  assert loaded.config.hidden_act == "gelu_exact"
  assert loaded.do_lower_case is False  # the vocabulary is cased
  inputs = random_inputs(len(CASED_VOCAB), seq=12)
  with torch.no_grad():
    want = original(**torch_inputs(inputs))
  got = loaded.model.encoder(
      {k: inputs[k] for k in ("input_word_ids", "input_mask",
                              "input_type_ids")}, training=False)
  assert_close(got["sequence_output"], want.last_hidden_state,
               "biom_tf sequence_output vs torch", 1e-5)
  assert_close(got["pooled_output"], want.pooler_output,
               "biom_tf pooled_output vs torch", 1e-5)

  out = convert.write(loaded, str(tmp_path / "hf-out"), "hf")
  with open(os.path.join(out, "config.json")) as f:
    assert json.load(f)["hidden_act"] == "gelu"
  with open(os.path.join(out, "tokenizer_config.json")) as f:
    assert json.load(f)["do_lower_case"] is False
  again = transformers.BertModel.from_pretrained(out).eval()
  assert again.config.hidden_act == "gelu"
  with torch.no_grad():
    after = again(**torch_inputs(inputs))
  assert_close(after.last_hidden_state, want.last_hidden_state,
               "torch sequence_output after the round trip", 1e-5)
  assert_close(after.pooler_output, want.pooler_output,
               "torch pooled_output after the round trip", 1e-5)


def _write_without_transformers(monkeypatch, loaded, output):
  with monkeypatch.context() as m:
    m.setitem(sys.modules, "transformers", None)  # import raises ImportError
    with pytest.raises(ImportError):
      import transformers as _  # noqa: F401  pylint: disable=g-import-not-at-top,reimported
    return convert.write(loaded, output, "hf")


@pytest.mark.parametrize("kind", ["uncased", "cased", "sentencepiece"])
def test_tokenizer_files_without_transformers(tmp_path, monkeypatch, kind,
                                              vocab_file, spm_model_file):
  if kind == "sentencepiece":
    family, vocab = "albert", dict(spm_model_file=spm_model_file)
    size = tokenization.SentencePieceTokenizer(spm_model_file).vocab_size
  else:
    family = "bert"
    if kind == "cased":
      vocab_file = str(tmp_path / "vocab.txt")
      with open(vocab_file, "w") as f:
        f.write("\n".join(CASED_VOCAB) + "\n")
    vocab = dict(vocab_file=vocab_file)
    size = len(CASED_VOCAB if kind == "cased" else WORDPIECE_VOCAB)
  config = configs.ModelConfig(
      family=family, vocab_size=size, hidden_size=16, num_hidden_layers=1,
      num_attention_heads=2, intermediate_size=16, max_position_embeddings=16,
      embedding_size=8 if family == "albert" else None)
  do_lower_case = kind != "cased"
  loaded = convert.LoadedModel(models.build_pretrainer(config), config,
                               do_lower_case=do_lower_case, **vocab)
  out = _write_without_transformers(monkeypatch, loaded, str(tmp_path / "hf"))
  names = set(os.listdir(out))
  assert {"tokenizer_config.json", "special_tokens_map.json"} <= names
  assert ("spiece.model" if family == "albert" else "vocab.txt") in names
  assert (family != "albert") == ("tokenizer.json" in names)

  ours = tokenization.build_tokenizer(do_lower_case=do_lower_case, **vocab)
  theirs = transformers.AutoTokenizer.from_pretrained(out)
  assert theirs.is_fast
  assert theirs.do_lower_case == do_lower_case if family == "bert" else True
  for a, b in zip(MORE_TEXTS, MORE_TEXTS[1:] + MORE_TEXTS[:1]):
    ids_a, ids_b = ours.encode(a), ours.encode(b)
    assert theirs(a, add_special_tokens=False)["input_ids"] == ids_a, a
    pair = theirs(a, b)
    assert pair["input_ids"] == ([ours.cls_id] + ids_a + [ours.sep_id] + ids_b
                                 + [ours.sep_id]), (a, b)
    assert pair["token_type_ids"] == [0] * (len(ids_a) + 2) + [1] * (len(ids_b) + 1)
  assert (theirs.cls_token_id, theirs.sep_token_id, theirs.pad_token_id,
          theirs.mask_token_id, theirs.unk_token_id) == (
              ours.cls_id, ours.sep_id, ours.pad_id, ours.mask_id, ours.unk_id)
  if family == "bert":  # the slow (pure Python) tokenizer reads them too
    slow = transformers.AutoTokenizer.from_pretrained(out, use_fast=False)
    for text in MORE_TEXTS:
      assert slow(text, add_special_tokens=False)["input_ids"] == ours.encode(text)


def test_hf_directory_on_ram_filesystem(tmp_path, vocab_file):
  """HF directories are read and written through tf.io.gfile (`ram://`
  stands in for `gs://`): the same tensors come back, bit for bit."""
  import uuid  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from safetensors.numpy import load_file  # pylint: disable=g-import-not-at-top
  config = configs.ModelConfig(
      family="electra", vocab_size=len(WORDPIECE_VOCAB), hidden_size=16,
      num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
      max_position_embeddings=16, embedding_size=8, generator_hidden_size=0.5)
  loaded = convert.LoadedModel(models.build_pretrainer(config), config,
                               vocab_file=vocab_file)
  local = convert.write(loaded, str(tmp_path / "local"), "hf")
  root = f"ram://hf-{uuid.uuid4().hex[:8]}"
  remote = convert.write(loaded, root + "/out", "hf")
  assert sorted(tf.io.gfile.listdir(remote)) == sorted(os.listdir(local))
  again = convert.load("electra", remote, "hf")
  assert again.config == config and again.vocab_file.startswith("ram://")
  out = convert.write(again, str(tmp_path / "back"), "hf")
  for sub in ("", "generator"):
    a = load_file(os.path.join(local, sub, "model.safetensors"))
    b = load_file(os.path.join(out, sub, "model.safetensors"))
    assert sorted(a) == sorted(b)
    for key in a:
      np.testing.assert_array_equal(a[key], b[key], err_msg=key)
  with pytest.raises(ValueError, match=r"ram://.*/absent/: input not found"):
    convert.load("electra", root + "/absent/", "hf")
  tf.io.gfile.rmtree(root)


def test_cased_tf1_checkpoint_exports_a_cased_tokenizer(tmp_path):
  """BioBERT's case: a TF1 checkpoint with a cased vocab.txt beside it and
  no --do_lower_case gives a cased HF tokenizer; asking for lower-casing is
  a one-line error naming both."""
  loaded = tiny_bert(tmp_path, CASED_VOCAB, do_lower_case=False,
                     intermediate_size=16)
  tf1_dir = convert.write(loaded, str(tmp_path / "tf1"), "tf1")
  out = convert.export("bert", tf1_dir, "tf1", str(tmp_path / "hf"), "hf")
  with open(os.path.join(out, "tokenizer_config.json")) as f:
    assert json.load(f)["do_lower_case"] is False
  theirs = transformers.AutoTokenizer.from_pretrained(out)
  assert theirs.tokenize("The BRCA") == ["The", "BRCA"]
  with pytest.raises(ValueError) as info:
    convert.export("bert", tf1_dir, "tf1", str(tmp_path / "hf2"), "hf",
                   do_lower_case=True)
  message = str(info.value)
  assert "\n" not in message and "--do_lower_case=true" in message
  assert "vocab.txt is cased" in message, message
  assert not (tmp_path / "hf2").exists()
