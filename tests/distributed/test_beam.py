"""The Beam pipeline writes byte-identical shards, and the same manifest, as
the local runner; from Python and from the command line (--runner).

Runs on Beam's DirectRunner; skips where apache_beam is not installed (it is
the optional `beam` extra). Real text: the first documents of the shared
PubMed corpus, split over two files; Google's uncased BERT vocabulary.
"""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tests.conftest import shared_path
from tests.tfrecords.conftest import synthetic_documents
from tests.tfrecords.conftest import write_corpus
from tests.tfrecords.conftest import write_vocab

beam = pytest.importorskip("apache_beam")

from tfrecords import beam as beam_data  # noqa: E402
from tfrecords import pipeline  # noqa: E402

DOCUMENTS = 40


def _corpus(tmp_path):
  with open(shared_path("data", "corpus", "pubmed_ncbi_disease.txt"),
            encoding="utf-8") as f:
    documents = f.read().split("\n\n")[:DOCUMENTS]
  paths = []
  for i, part in enumerate((documents[:15], documents[15:])):
    path = tmp_path / f"corpus-{i}.txt"
    path.write_text("\n\n".join(part) + "\n", encoding="utf-8")
    paths.append(str(path))
  return ",".join(paths)


@pytest.mark.parametrize("family", ["bert", "electra"])
def test_beam_output_is_identical_to_local_runner(tmp_path, family):
  vocab = shared_path("vocab", "bert-base-uncased", "vocab.txt")
  corpus = _corpus(tmp_path)
  options = pipeline.DataOptions(
      model_family=family, max_seq_length=32, max_predictions_per_seq=5,
      dupe_factor=2, random_seed=7, num_output_shards=3, block_bytes=3000,
      electra_offline_masks=True)

  local = pipeline.create_pretraining_data(
      corpus, str(tmp_path / "local" / "data.tfrecord"), vocab_file=vocab,
      options=options, num_workers=1, progress=None)

  with beam.Pipeline(runner="DirectRunner") as p:
    shards = beam_data.build_pipeline(
        p, corpus, str(tmp_path / "beam" / "data.tfrecord"),
        vocab_file=vocab, options=options)
    shards | beam.io.WriteToText(str(tmp_path / "beam_shards"))

  assert len(local.outputs) == 3 and local.instances > 0
  for path in local.outputs:
    beam_path = path.replace(os.sep + "local" + os.sep,
                             os.sep + "beam" + os.sep)
    with open(path, "rb") as a, open(beam_path, "rb") as b:
      local_bytes, beam_bytes = a.read(), b.read()
    assert local_bytes, path
    assert beam_bytes == local_bytes, f"{beam_path} differs from {path}"
    assert not os.path.exists(beam_path + ".incomplete")
  # The corpus was cut into several blocks per shard, so the test covers
  # block boundaries (and their seeds), not one block per shard.
  with open(local.manifest_path) as f:
    local_manifest = json.load(f)
  blocks = sum(s["blocks"] for s in local_manifest["shards"])
  assert blocks > 3
  # The Beam run writes the local runner's manifest, paths aside.
  with open(str(tmp_path / "beam" / "data.tfrecord.manifest.json")) as f:
    beam_manifest = json.load(f)
  sep = json.dumps(os.sep)[1:-1]
  assert json.loads(json.dumps(beam_manifest).replace(
      f"{sep}beam{sep}", f"{sep}local{sep}")) == local_manifest


def test_bad_flags_fail_before_the_pipeline_runs(tmp_path):
  with pytest.raises(pipeline.DataError, match="--vocab_file or"):
    beam_data.build_pipeline(beam.Pipeline(), str(tmp_path / "x.txt"),
                             str(tmp_path / "out"))
  with pytest.raises(pipeline.DataError, match="--num_output_shards=0"):
    beam_data.build_pipeline(beam.Pipeline(), str(tmp_path / "x.txt"),
                             str(tmp_path / "out"), vocab_file="v.txt",
                             options=pipeline.DataOptions(num_output_shards=0))


def _tool(*args):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  return subprocess.run(
      [sys.executable, "-m", "tools.create_pretraining_data", *args],
      cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_command_line_direct_runner_gives_the_local_bytes(tmp_path):
  documents = synthetic_documents(30, seed=3)
  corpus = ",".join([write_corpus(tmp_path / "a.txt", documents[:12]),
                     write_corpus(tmp_path / "b.txt", documents[12:])])
  vocab = write_vocab(tmp_path / "vocab.txt",
                      ["alpha", "beta", "gamma", "kinase", "protein"])
  flags = [f"--input_file={corpus}", f"--vocab_file={vocab}",
           "--max_seq_length=24", "--max_predictions_per_seq=4",
           "--dupe_factor=2", "--num_output_shards=2", "--block_bytes=400",
           "--gzip"]
  local = _tool(*flags, f"--output_file={tmp_path / 'local' / 'd'}")
  assert local.returncode == 0, local.stderr
  # Pipeline options pass through, in --pipeline_options and after `--`.
  beam_run = _tool(*flags, f"--output_file={tmp_path / 'beam' / 'd'}",
                   "--runner=DirectRunner",
                   "--pipeline_options=--direct_num_workers=1", "--",
                   "--direct_running_mode=in_memory")
  assert beam_run.returncode == 0, beam_run.stderr
  assert "running on DirectRunner" in beam_run.stderr
  local_paths = local.stdout.splitlines()[:2]
  beam_paths = beam_run.stdout.splitlines()[:2]
  assert beam_paths == [p.replace(f"{os.sep}local{os.sep}",
                                  f"{os.sep}beam{os.sep}")
                        for p in local_paths]
  for a, b in zip(local_paths, beam_paths):
    with open(a, "rb") as f, open(b, "rb") as g:
      local_bytes, beam_bytes = f.read(), g.read()
    assert local_bytes[:2] == b"\x1f\x8b"  # --gzip reached both runners
    assert beam_bytes == local_bytes, f"{b} differs from {a}"
  # The same summary line, manifest included.
  assert beam_run.stdout.splitlines()[2] == local.stdout.splitlines()[
      2].replace(f"{os.sep}local{os.sep}", f"{os.sep}beam{os.sep}")
  with open(beam_paths[0].rsplit("-00000-of", 1)[0] + ".manifest.json") as f:
    manifest = json.load(f)
  assert manifest["complete"] and len(manifest["shards"]) == 2

