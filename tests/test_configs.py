"""Config files and presets."""
import json

import pytest

import biom_tf  # noqa: F401
from biom_tf import configs
from tests.conftest import shared_path


def test_reads_original_bert_config_with_extra_release_keys():
  config = configs.ModelConfig.from_json_file(
      shared_path("fixtures", "tf1-bert-tiny", "bert_config.json"), "bert")
  assert (config.hidden_size, config.num_hidden_layers, config.vocab_size) == (4, 2, 15)


def test_round_trip_albert_config(tmp_path):
  config = configs.get_preset("albert-xxlarge-v2").config
  path = str(tmp_path / "albert_config.json")
  config.to_json_file(path)
  written = json.load(open(path))
  assert written["embedding_size"] == 128 and written["num_hidden_groups"] == 1
  assert written["hidden_act"] == "gelu_new"
  assert configs.ModelConfig.from_json_file(path, "albert") == config


def test_unknown_key_and_inconsistent_values_are_clear(tmp_path):
  path = tmp_path / "bert_config.json"
  path.write_text(json.dumps({"hidden_size": 8, "num_attention_heads": 2,
                              "hiden_layers": 3}))
  with pytest.raises(configs.ConfigError, match=r"unknown key\(s\) \['hiden_layers'\]"):
    configs.ModelConfig.from_json_file(str(path), "bert")
  path.write_text(json.dumps({"hidden_size": 10, "num_attention_heads": 3}))
  with pytest.raises(configs.ConfigError,
                     match="hidden_size=10 is not divisible by num_attention_heads=3"):
    configs.ModelConfig.from_json_file(str(path), "bert")
  path.write_text("{not json")
  with pytest.raises(configs.ConfigError, match="not valid JSON"):
    configs.ModelConfig.from_json_file(str(path), "bert")
  with pytest.raises(configs.ConfigError, match="config file not found"):
    configs.ModelConfig.from_json_file(str(tmp_path / "none.json"), "bert")


def test_presets():
  names = set(configs.PRESETS)
  for required in ["bert-base-uncased", "bert-base-cased", "bert-large-uncased",
                   "biobert-base-cased-v1.1", "bluebert-base-uncased-pubmed",
                   "bluebert-base-uncased-pubmed-mimic", "litbert-cased",
                   "albert-base-v2", "albert-large-v2", "albert-xlarge-v2",
                   "albert-xxlarge-v2", "biom-albert-xxlarge", "electra-small",
                   "electra-base", "electra-large", "biom-electra-base",
                   "biom-electra-large", "biom-bert-large"]:
    assert required in names
  bio = configs.get_preset("biobert-base-cased-v1.1")
  assert bio.config.vocab_size == 28996 and not bio.do_lower_case
  assert bio.max_seq_length == 512
  lit = configs.get_preset("litbert-cased").config
  assert (lit.num_hidden_layers, lit.hidden_size, lit.num_attention_heads,
          lit.intermediate_size, lit.vocab_size) == (8, 512, 8, 2048, 32768)
  assert configs.get_preset("biom-albert-xxlarge").tokenizer == "sentencepiece"
  with pytest.raises(configs.ConfigError, match="unknown preset 'bert-huge'"):
    configs.get_preset("bert-huge")


def test_electra_generator_sizes_follow_the_original_rule():
  # google-research/electra: hidden × generator_hidden_size, heads hidden//64,
  # intermediate 4 × hidden; small/large 1/4, base 1/3 (paper, Table 6).
  base = configs.get_preset("biom-electra-base").config.generator_config()
  assert (base.hidden_size, base.num_attention_heads, base.intermediate_size,
          base.embedding_width, base.vocab_size) == (256, 4, 1024, 768, 28895)
  large = configs.get_preset("electra-large").config.generator_config()
  assert (large.hidden_size, large.num_hidden_layers) == (256, 24)
  small = configs.get_preset("electra-small").config.generator_config()
  assert (small.hidden_size, small.num_attention_heads, small.embedding_width) == (64, 1, 128)


def test_electra_hparams_file(tmp_path):
  path = tmp_path / "hparams.json"
  path.write_text(json.dumps({"model_size": "base", "vocab_size": 28895}))
  config = configs.ModelConfig.from_json_file(str(path), "electra")
  assert (config.hidden_size, config.embedding_width, config.vocab_size) == (768, 768, 28895)


def test_google_albert_config_every_key_kept_and_written_back(tmp_path):
  """Google's albert-base-v2 albert_config.json: read, written, equal."""
  path = shared_path("fixtures", "albert-base-v2-config.json")
  original = json.load(open(path))
  assert {"net_structure_type", "gap_size", "num_memory_blocks",
          "inner_group_num", "down_scale_factor"} <= set(original)
  config = configs.ModelConfig.from_json_file(path, "albert")
  assert (config.embedding_size, config.hidden_size, config.vocab_size) == (
      128, 768, 30000)
  out = str(tmp_path / "albert_config.json")
  config.to_json_file(out)
  written = json.load(open(out))
  assert {k: written.get(k, "<absent>") for k in original} == original
  assert configs.ModelConfig.from_json_file(out, "albert") == config


@pytest.mark.parametrize("key,value", [
    ("net_structure_type", 1), ("inner_group_num", 2), ("num_hidden_groups", 2),
    ("down_scale_factor", 2), ("num_memory_blocks", 4), ("layers_to_keep", [3])])
def test_albert_key_that_changes_the_architecture_is_named(tmp_path, key,
                                                           value):
  original = json.load(open(shared_path("fixtures",
                                        "albert-base-v2-config.json")))
  path = tmp_path / "albert_config.json"
  path.write_text(json.dumps(dict(original, **{key: value})))
  with pytest.raises(configs.ConfigError) as info:
    configs.ModelConfig.from_json_file(str(path), "albert")
  message = str(info.value)
  assert "\n" not in message
  assert message.startswith(f"{path}: {key}={value!r} would change the "
                            "architecture"), message


def test_bert_and_electra_release_keys_written_back(tmp_path):
  """google-research/bert's multilingual config keys (which its modeling.py
  ignores) and ELECTRA's model_size survive a read and a write."""
  extra = {"directionality": "bidi", "pooler_fc_size": 768,
           "pooler_num_attention_heads": 12, "pooler_num_fc_layers": 3,
           "pooler_size_per_head": 128, "pooler_type": "first_token_transform"}
  base = {"attention_probs_dropout_prob": 0.1, "hidden_act": "gelu",
          "hidden_dropout_prob": 0.1, "hidden_size": 8, "initializer_range": 0.02,
          "intermediate_size": 16, "max_position_embeddings": 32,
          "num_attention_heads": 2, "num_hidden_layers": 1,
          "type_vocab_size": 2, "vocab_size": 20}
  for family, values in (("bert", dict(base, **extra)),
                         ("electra", dict(base, embedding_size=8,
                                          model_size="small"))):
    path = tmp_path / f"{family}.json"
    path.write_text(json.dumps(values))
    config = configs.ModelConfig.from_json_file(str(path), family)
    written = config.to_original_dict()
    assert {k: written.get(k, "<absent>") for k in values} == values
