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
