"""tools/cli.py: what every tool does alike (its one-line error, the model
config of the fine-tuning tools)."""
import pytest

import biom_tf  # noqa: F401

from biom_tf import configs
from tools import cli


def test_error_is_one_line_named_by_the_tool(capsys):
  error = ValueError("corpus.txt:3: expected UTF-8\n  (a second line)")
  assert cli.error("build_vocab", error) == 1
  assert capsys.readouterr().err == (
      "build_vocab: error: corpus.txt:3: expected UTF-8\n")


def test_model_config_from_the_flag_else_beside_the_checkpoint(tmp_path):
  with pytest.raises(configs.ConfigError,
                     match=r"^--config_file is required \(no config file "
                           r"next to --init_checkpoint\)$"):
    cli.model_config(None, None, "bert")
  config = configs.ModelConfig(vocab_size=10, hidden_size=8,
                               num_hidden_layers=1, num_attention_heads=1,
                               intermediate_size=8)
  path = str(tmp_path / "bert_config.json")
  config.to_json_file(path)
  assert cli.model_config(path, None, "bert") == config


def test_done_prints_the_files_then_the_counts(capsys):
  assert cli.done(["out/a.txt", "out/b.txt"], "2 files") == 0
  assert capsys.readouterr().out == "out/a.txt\nout/b.txt\n2 files\n"


def test_model_family_from_the_flag_else_the_albert_config_flag():
  assert cli.model_family("electra", "albert_config.json") == "electra"
  assert cli.model_family(None, "albert_config.json") == "albert"
  assert cli.model_family(None, None) == "bert"
  assert cli.model_family(None, None, default=None) is None


def test_required_flags_and_seeds_are_one_line_errors():
  with pytest.raises(ValueError, match=r"^--output_dir is required$"):
    cli.require({"data_dir": "d", "output_dir": None},
                ("data_dir", "output_dir"), ValueError)
  cli.require({"data_dir": "d", "output_dir": "o"}, ("data_dir",
                                                       "output_dir"), ValueError)
  assert cli.seeds(["3", "1"], ValueError) == [3, 1]
  with pytest.raises(configs.ConfigError,
                     match=r"^--seeds=1,x: expected integers$"):
    cli.seeds(["1", "x"], configs.ConfigError)


def test_stray_arguments_exit_2_with_one_line(capsys):
  assert cli.no_arguments("run_blurb", ["run_blurb"]) is None
  assert cli.no_arguments("run_blurb", ["run_blurb", "extra"]) == 2
  assert capsys.readouterr().err == (
      "run_blurb: error: unexpected arguments ['extra']\n")
