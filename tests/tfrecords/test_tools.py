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


_PUBMED_XML = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE PubmedArticleSet>
<PubmedArticleSet>
<PubmedArticle><MedlineCitation><PMID>11</PMID><Article>
  <ArticleTitle>Cisplatin nephrotoxicity in mice.</ArticleTitle>
  <Abstract><AbstractText>Mice got 10 mg/kg i.v. on day 1. Creatinine rose
  2.5-fold (Fig. 3), as Lee et al. reported. Cells, e.g. podocytes, died.
  </AbstractText></Abstract>
</Article></MedlineCitation></PubmedArticle>
<PubmedArticle><MedlineCitation><PMID>12</PMID><Article>
  <ArticleTitle>Only a title.</ArticleTitle>
</Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>
"""


def test_pubmed_to_text(tmp_path):
  import gzip
  xml_dir = tmp_path / "baseline"
  xml_dir.mkdir()
  for name in ("pubmed25n0001.xml.gz", "pubmed25n0002.xml.gz"):
    with gzip.open(xml_dir / name, "wt", encoding="utf-8") as f:
      f.write(_PUBMED_XML)
  out_dir = tmp_path / "corpus"
  result = _tool("pubmed_to_text", f"--input_file={xml_dir}/pubmed*.xml.gz",
                 f"--output_dir={out_dir}", "--gzip", "--progress_interval=0")
  assert result.returncode == 0, result.stderr
  shards = [str(out_dir / f"pubmed25n000{i}.txt.gz") for i in (1, 2)]
  lines = result.stdout.splitlines()
  assert lines[:2] == shards
  # The second file holds the same PMIDs: its records replace the first's.
  assert lines[2] == (
      "1 documents (4 sentences) from 4 articles in 2 files; 1 articles "
      "without an abstract skipped, 2 replaced by a later version, 0 "
      "deleted; 0 files parsed by an earlier run")
  # Progress on stderr: a line per file parsed, with an ETA; then the end.
  progress = [l for l in result.stderr.splitlines()
              if l.startswith("pubmed_to_text: ")]
  assert len(progress) == 4, progress
  assert progress[0].startswith("pubmed_to_text: parsed 1/2 files (")
  assert all(" ETA " in l for l in progress[:3])
  assert progress[3].startswith("pubmed_to_text: wrote 2 shard(s)")
  with gzip.open(shards[0], "rt", encoding="utf-8") as f:
    assert f.read() == ""
  with gzip.open(shards[1], "rt", encoding="utf-8") as f:
    assert f.read() == (
        "Cisplatin nephrotoxicity in mice.\n"
        "Mice got 10 mg/kg i.v. on day 1.\n"
        "Creatinine rose 2.5-fold (Fig. 3), as Lee et al. reported.\n"
        "Cells, e.g. podocytes, died.\n\n")
  # A rerun reuses the parses; a pattern matching nothing is a one-line
  # error.
  again = _tool("pubmed_to_text", f"--input_file={xml_dir}/*.xml.gz",
                f"--output_dir={out_dir}", "--gzip")
  assert again.returncode == 0, again.stderr
  assert again.stdout.splitlines()[2].endswith(
      "2 files parsed by an earlier run")
  missing = _tool("pubmed_to_text", f"--input_file={tmp_path}/nothing*.xml",
                  f"--output_dir={out_dir}")
  assert missing.returncode == 1
  assert [l for l in missing.stderr.splitlines() if "error" in l] == [
      f"pubmed_to_text: error: {tmp_path}/nothing*.xml: no such file (the "
      "pattern matches nothing)"]
