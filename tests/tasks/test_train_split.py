"""BioBERT's NER protocol through the tool: --train_split=train_dev trains on
train_dev.tsv (train + devel) and reports test."""
import json
import os

from absl import flags
from absl.testing import flagsaver
import biom_tf  # noqa: F401
import pytest

from tests.tasks.conftest import tiny_config
from tests.tasks.conftest import write_ner
from tools import run_finetuning

FLAGS = flags.FLAGS
TRAIN = [[("the", "O"), ("fever", "B-Disease")]] * 4
DEVEL = [[("no", "O"), ("aspirin", "B-Chemical")]] * 4


def _run(argv):
  with flagsaver.flagsaver():
    FLAGS(["run_finetuning"] + argv)
    return run_finetuning.main(["run_finetuning"])


@pytest.mark.slow
def test_train_dev_flag(tmp_path, vocab_file, capsys):
  # B-Chemical occurs in devel and test only: training on train.tsv cannot
  # score the test set; train_dev.tsv (train + devel) can.
  data_dir = write_ner(tmp_path / "bc5", {
      "train.tsv": TRAIN, "devel.tsv": DEVEL, "test.tsv": DEVEL + TRAIN,
      "train_dev.tsv": TRAIN + DEVEL})
  config = str(tmp_path / "bert_config.json")
  tiny_config().to_json_file(config)
  common = ["--task=ner", f"--data_dir={data_dir}", f"--config_file={config}",
            f"--vocab_file={vocab_file}", "--max_seq_length=16",
            "--train_batch_size=8", "--num_train_epochs=1",
            "--save_model=false"]
  rc = _run(common + [f"--output_dir={tmp_path / 'plain'}"])
  assert rc != 0
  assert "'B-Chemical' does not occur in the training split" in (
      capsys.readouterr().err)
  out = tmp_path / "train_dev"
  rc = _run(common + [f"--output_dir={out}", "--train_split=train_dev"])
  assert rc == 0, capsys.readouterr().err
  with open(os.path.join(out, "eval_results.json")) as f:
    results = json.load(f)
  assert results["labels"] == ["O", "B-Chemical", "B-Disease"]
  assert "f1" in results["runs"]["seed_1"]["test"]
