"""Data creation faults: stale shards of an earlier run, silent overwrites.

Issue 13 items 5 and 6 (build_vocab): a rerun with another
--num_output_shards leaves no shard of the earlier run for a `name-*` glob
to find; build_vocab refuses to replace a vocabulary unless --overwrite.
"""
import io
import json
import os
import subprocess
import sys

import biom_tf  # noqa: F401
import pytest
import tensorflow as tf

from biom_tf import fileio
from tests.conftest import REPO_ROOT
from tests.tfrecords.conftest import small_vocab  # noqa: F401  (fixture)
from tests.tfrecords.conftest import synthetic_documents
from tests.tfrecords.conftest import write_corpus
from tfrecords import pipeline
from tfrecords import vocab
from tfrecords import writer


def _run(corpus, out, vocab_file, shards, log=None):
  options = pipeline.DataOptions(dupe_factor=1, max_seq_length=24,
                                 max_predictions_per_seq=3,
                                 num_output_shards=shards)
  return pipeline.create_pretraining_data(corpus, out, vocab_file=vocab_file,
                                          options=options, progress=log)


def _names(directory):
  return sorted(os.listdir(directory))


def test_rerun_with_other_shard_count_removes_the_earlier_shards(
    tmp_path, small_vocab):
  corpus = write_corpus(tmp_path / "c.txt", synthetic_documents(12, seed=1))
  out_dir = tmp_path / "out"
  out = str(out_dir / "d")
  _run(corpus, out, small_vocab, 3)
  # A crash of an earlier run also left a temporary shard behind.
  with open(out + "-00001-of-00003" + fileio.INCOMPLETE_SUFFIX, "wb") as f:
    f.write(b"half a shard")
  assert len(tf.io.gfile.glob(out + "-*")) == 4

  log = io.StringIO()
  summary = _run(corpus, out, small_vocab, 2, log)
  assert sorted(tf.io.gfile.glob(out + "-*")) == summary.outputs == [
      out + "-00000-of-00002", out + "-00001-of-00002"]
  assert _names(out_dir) == ["d-00000-of-00002", "d-00001-of-00002",
                             "d.manifest.json"]
  removed = [l for l in log.getvalue().splitlines() if "removed" in l]
  assert removed == [
      f"create_pretraining_data: removed 4 file(s) of an earlier run with "
      f"other output shards ({out}-00000-of-00003, ...)"]
  with open(summary.manifest_path) as f:
    manifest = json.load(f)
  assert [s["path"] for s in manifest["shards"]] == summary.outputs
  assert manifest["config"]["outputs"] == summary.outputs

  # One shard is the output path itself; the earlier run's is removed too.
  one = _run(corpus, out, small_vocab, 1)
  assert _names(out_dir) == ["d", "d.manifest.json"]
  _run(corpus, out, small_vocab, 2)
  assert _names(out_dir) == ["d-00000-of-00002", "d-00001-of-00002",
                             "d.manifest.json"]
  assert not os.path.exists(one.outputs[0])


def test_shards_of_another_output_name_are_kept(tmp_path, small_vocab):
  corpus = write_corpus(tmp_path / "c.txt", synthetic_documents(6, seed=2))
  out_dir = tmp_path / "out"
  _run(corpus, str(out_dir / "a"), small_vocab, 2)
  _run(corpus, str(out_dir / "ab"), small_vocab, 3)
  assert len(tf.io.gfile.glob(str(out_dir / "a-*"))) == 2
  assert len(tf.io.gfile.glob(str(out_dir / "ab-*"))) == 3


def test_build_vocab_refuses_to_replace_a_vocabulary(tmp_path):
  corpus = write_corpus(tmp_path / "c.txt", synthetic_documents(20, seed=3))
  existing = tmp_path / "vocab.txt"
  existing.write_text("[PAD]\n[UNK]\n", encoding="utf-8")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  refused = subprocess.run(
      [sys.executable, "-m", "tools.build_vocab", f"--input_file={corpus}",
       f"--output={existing}", "--vocab_size=100", "--num_unused=2"],
      cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
  assert refused.returncode == 1
  assert [l for l in refused.stderr.splitlines() if "error" in l] == [
      f"build_vocab: error: {existing} exists; pass --overwrite to replace "
      "it"]
  assert "Traceback" not in refused.stderr
  assert existing.read_text(encoding="utf-8") == "[PAD]\n[UNK]\n"
  # What --overwrite passes on.
  vocab.learn_wordpiece_vocab(corpus, str(existing), vocab_size=100,
                              num_unused=2, overwrite=True)
  assert len(existing.read_text(encoding="utf-8").splitlines()) > 50


def test_sentencepiece_refuses_before_training(tmp_path):
  corpus = write_corpus(tmp_path / "c.txt", synthetic_documents(3, seed=4))
  (tmp_path / "spm.vocab").write_text("kept\n", encoding="utf-8")
  with pytest.raises(writer.OutputError,
                     match=r"spm\.vocab exists; pass --overwrite"):
    vocab.train_sentencepiece(corpus, str(tmp_path / "spm"), vocab_size=40)
  assert not (tmp_path / "spm.model").exists()
  assert (tmp_path / "spm.vocab").read_text(encoding="utf-8") == "kept\n"
