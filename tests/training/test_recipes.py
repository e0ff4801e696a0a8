"""Recipes: the published sizes and their token arithmetic; the tool uses them."""
import pytest

from biom_tf import recipes
from biom_tf.configs import ConfigError
from tests.training.conftest import run_module


def test_token_arithmetic_of_the_papers():
  bluebert = recipes.get_recipe("bluebert_base")
  assert bluebert.tokens == 128 * 256 * 5_000_000      # "164B tokens"
  assert "163.8B tokens" in bluebert.token_arithmetic()
  biobert = recipes.get_recipe("biobert-v1.1")          # spelling is lenient
  assert biobert.tokens == 512 * 192 * 1_000_000       # "98B"
  assert recipes.get_recipe("bluebert_base_mimic").num_train_steps == 200_000
  assert recipes.get_recipe("litbert").family == "bert"
  electra = recipes.get_recipe("biom_electra_large")
  assert (electra.train_batch_size, electra.num_train_steps) == (4096, 434_000)
  albert = recipes.get_recipe("biom_albert_xxlarge")
  assert (albert.train_batch_size, albert.num_train_steps, albert.optimizer,
          albert.family) == (8192, 264_000, "lamb", "albert")
  pmc = recipes.get_recipe("biom_albert_xxlarge_pmc")
  assert pmc.num_train_steps == 64_000 and pmc.init_from


def test_unknown_recipe_lists_the_known_ones():
  with pytest.raises(ConfigError, match="bluebert_base"):
    recipes.get_recipe("bluebert_large")


def test_tool_prints_the_recipe_and_command_line_flags_win(tmp_path):
  proc = run_module("tools.run_pretraining", "--recipe=bluebert_base",
                    "--max_seq_length=600", f"--output_dir={tmp_path}",
                    f"--input_file={tmp_path}/none-*.tfrecord", "--do_train")
  assert proc.returncode == 1
  assert "163.8B tokens" in proc.stdout
  # The recipe's 128 gave way to the command line's 600, which the
  # BERT-Base preset (512 positions) then refuses, in one line.
  assert "error: --max_seq_length=600 exceeds" in proc.stderr
