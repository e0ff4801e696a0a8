"""PubMed conversion: the work a rerun does (each index read once)."""
import dataclasses

import biom_tf  # noqa: F401
import pytest

from tfrecords import corpus
from tfrecords import pubmed
from tests.tfrecords.test_corpus import EXPECTED_SHARDS
from tests.tfrecords.test_corpus import PUBMED_FILES
from tests.tfrecords.test_corpus import _pubmed_inputs
from tests.tfrecords.test_corpus import _shards


@pytest.fixture
def index_reads(monkeypatch):
  """Counts the parse indexes read (JSON parsed and found to fit)."""
  reads = []
  read = pubmed._read_index

  def counted(*args):
    index = read(*args)
    if index is not None:
      reads.append(index["source_name"])
    return index
  monkeypatch.setattr(pubmed, "_read_index", counted)
  return reads


def test_a_rerun_reads_each_index_once(tmp_path, index_reads):
  out_dir = tmp_path / "text"
  inputs = _pubmed_inputs(tmp_path)
  first = pubmed.convert_pubmed_xml(inputs, str(out_dir))
  assert sorted(index_reads) == sorted(n.split("/")[1] for n in PUBMED_FILES)
  index_reads.clear()
  again = pubmed.convert_pubmed_xml(inputs, str(out_dir))
  assert again.files_skipped_existing == 4
  assert sorted(index_reads) == sorted(n.split("/")[1] for n in PUBMED_FILES)
  assert _shards(out_dir) == EXPECTED_SHARDS
  assert dataclasses.replace(again, files_skipped_existing=0) == first


def test_new_update_files_each_index_read_once(tmp_path, index_reads):
  out_dir = tmp_path / "text"
  pubmed.convert_pubmed_xml(_pubmed_inputs(tmp_path, list(PUBMED_FILES)[:2]),
                            str(out_dir))
  index_reads.clear()
  again = pubmed.convert_pubmed_xml(_pubmed_inputs(tmp_path), str(out_dir))
  assert again.files_skipped_existing == 2
  # Two from the earlier run, two parsed now: four indexes, each read once.
  assert sorted(index_reads) == sorted(n.split("/")[1] for n in PUBMED_FILES)
  assert _shards(out_dir) == EXPECTED_SHARDS


def test_a_read_error_of_a_remote_file_is_one_line():
  # GFile opens lazily: a missing ram:// file fails at the first read, with
  # TensorFlow's NotFoundError, which is one CorpusError naming the file.
  path = "ram://pubmed_test/missing/pubmed24n0001.xml"
  with pytest.raises(corpus.CorpusError) as error:
    list(pubmed.iter_records(path))
  message = str(error.value)
  assert message.startswith(f"{path}: cannot read: "), message
  assert "\n" not in message and message.count(path) == 1, message
