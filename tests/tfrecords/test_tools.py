"""The command-line tools: flags in, outputs printed, one-line errors."""
import json
import os
import subprocess
import sys

import biom_tf  # noqa: F401

from tests.conftest import REPO_ROOT
from tests.tfrecords.conftest import synthetic_documents
from tests.tfrecords.conftest import write_corpus
from tests.tfrecords.conftest import write_vocab


def _tool(name, *args):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  return subprocess.run([sys.executable, "-m", f"tools.{name}", *args],
                        cwd=REPO_ROOT, env=env, capture_output=True,
                        text=True, timeout=300)


def test_create_pretraining_data_and_build_vocab(tmp_path):
  corpus_path = write_corpus(tmp_path / "c.txt", synthetic_documents(40))
  vocab_path = str(tmp_path / "vocab.txt")
  result = _tool("build_vocab", f"--input_file={corpus_path}",
                 f"--output={vocab_path}", "--vocab_size=100",
                 "--num_unused=2")
  assert result.returncode == 0, result.stderr
  assert vocab_path in result.stdout.splitlines()
  out = str(tmp_path / "out" / "data.tfrecord")
  result = _tool("create_pretraining_data", f"--input_file={corpus_path}",
                 f"--output_file={out}", f"--vocab_file={vocab_path}",
                 "--max_seq_length=32", "--max_predictions_per_seq=5",
                 "--dupe_factor=2", "--num_output_shards=2")
  assert result.returncode == 0, result.stderr
  shards = [f"{out}-0000{i}-of-00002" for i in range(2)]
  assert result.stdout.splitlines()[:2] == shards
  assert "instances/s" in result.stderr  # progress
  with open(out + ".manifest.json") as f:
    manifest = json.load(f)
  assert manifest["complete"]
  assert manifest["config"]["options"]["dupe_factor"] == 2


def test_bad_input_is_one_line_and_exit_1(tmp_path):
  corpus_path = write_corpus(tmp_path / "c.txt", synthetic_documents(5))
  vocab = write_vocab(tmp_path / "vocab.txt",
                      specials=["[PAD]", "[UNK]", "[CLS]", "[SEP]"])
  result = _tool("create_pretraining_data", f"--input_file={corpus_path}",
                 f"--output_file={tmp_path / 'out'}", f"--vocab_file={vocab}")
  assert result.returncode == 1
  errors = [l for l in result.stderr.splitlines() if "error" in l]
  assert errors == [f"create_pretraining_data: error: {vocab}: vocabulary "
                    "lacks the special tokens [MASK]"]
  assert "Traceback" not in result.stderr
  assert not (tmp_path / "out").exists()
