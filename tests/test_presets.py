"""Presets of the published models: sizes, vocabularies and casing, each as
its source gives it (biom_tf/configs.py names the source of every preset)."""
import pytest

from biom_tf import configs


def _shape(name):
  config = configs.get_preset(name).config
  return (config.num_hidden_layers, config.hidden_size,
          config.num_attention_heads, config.intermediate_size,
          config.vocab_size)


def test_biom_models_are_lower_cased():
  # BioM-Transformers run configs print do_lower_case True for BioM-ELECTRA-
  # Large and BioM-BERT-Large (vocab_size 30000); sultan/BioM-ELECTRA-Large-
  # SQuAD2's tokenizer_config.json: do_lower_case true.
  for name in ("biom-electra-base", "biom-electra-large", "biom-bert-large",
               "biom-albert-xxlarge"):
    assert configs.get_preset(name).do_lower_case, name
  assert _shape("biom-bert-large") == (24, 1024, 16, 4096, 30000)
  assert configs.get_preset("biom-electra-large").config.vocab_size == 28895


def test_biobert_presets():
  # dmis-lab/biobert README.md: v1.0 and v1.1 are BERT-Base cased with its
  # vocabulary (28,996); BioBERT-Large v1.1: config.json 24 / 1024 / 16,
  # vocab_size 58996, cased.
  for name in ("biobert-base-cased-v1.0-pubmed", "biobert-base-cased-v1.0-pmc",
               "biobert-base-cased-v1.0-pubmed-pmc", "biobert-base-cased-v1.1"):
    preset = configs.get_preset(name)
    assert _shape(name) == (12, 768, 12, 3072, 28996)
    assert not preset.do_lower_case and preset.max_seq_length == 512
  assert _shape("biobert-large-cased-v1.1") == (24, 1024, 16, 4096, 58996)
  assert not configs.get_preset("biobert-large-cased-v1.1").do_lower_case


def test_bluebert_large_and_bioformer():
  # ncbi-nlp/bluebert README.md: NCBI_BERT_pubmed(_mimic)_uncased_L-24_H-1024
  # _A-16 with Google's uncased vocabulary.
  for name in ("bluebert-large-uncased-pubmed",
               "bluebert-large-uncased-pubmed-mimic"):
    assert _shape(name) == (24, 1024, 16, 4096, 30522)
    assert configs.get_preset(name).do_lower_case
  # bioformers/bioformer-8L: 8 layers, hidden 512, 8 heads, cased 32,768
  # vocabulary, sequences of 512; LitBERT is the same model.
  for name in ("bioformer-8l", "litbert-cased"):
    preset = configs.get_preset(name)
    assert _shape(name) == (8, 512, 8, 2048, 32768)
    assert not preset.do_lower_case and preset.max_seq_length == 512


def test_every_preset_names_its_source():
  for preset in configs.PRESETS.values():
    assert preset.source, preset.name
  with pytest.raises(configs.ConfigError, match="unknown preset"):
    configs.get_preset("biobert-huge")
