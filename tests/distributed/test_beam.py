"""The Beam pipeline writes byte-identical shards to the local runner's.

Runs on Beam's DirectRunner; skips where apache_beam is not installed (it is
the optional `beam` extra). Real text: the first documents of the shared
PubMed corpus, split over two files; Google's uncased BERT vocabulary.
"""
import json
import os

import pytest

from tests.conftest import shared_path

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
    blocks = sum(s["blocks"] for s in json.load(f)["shards"])
  assert blocks > 3


def test_bad_flags_fail_before_the_pipeline_runs(tmp_path):
  with pytest.raises(pipeline.DataError, match="--vocab_file or"):
    beam_data.build_pipeline(beam.Pipeline(), str(tmp_path / "x.txt"),
                             str(tmp_path / "out"))
  with pytest.raises(pipeline.DataError, match="--num_output_shards=0"):
    beam_data.build_pipeline(beam.Pipeline(), str(tmp_path / "x.txt"),
                             str(tmp_path / "out"), vocab_file="v.txt",
                             options=pipeline.DataOptions(num_output_shards=0))
