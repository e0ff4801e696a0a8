"""Corpus input: globs, gzip, gfile paths, documents, bad input; PubMed XML."""
import gzip

import biom_tf  # noqa: F401
import pytest
import tensorflow as tf

from tfrecords import corpus
from tfrecords import pubmed
from tfrecords import sentences


def _docs(paths, **kw):
  return [d.lines for d in corpus.iter_documents(paths, **kw)]


def test_documents_are_runs_of_non_blank_lines(tmp_path):
  path = tmp_path / "a.txt"
  path.write_text("  First one.\nSecond.\n\n\n \t\nThird doc.\n", "utf-8")
  docs = list(corpus.iter_documents([str(path)]))
  assert [d.lines for d in docs] == [["First one.", "Second."], ["Third doc."]]
  assert [d.line_number for d in docs] == [1, 6]


def test_end_of_file_ends_a_document(tmp_path):
  (tmp_path / "a.txt").write_text("a1\na2", "utf-8")  # no final blank line
  (tmp_path / "b.txt").write_text("b1\n", "utf-8")
  assert _docs(corpus.expand_patterns(str(tmp_path / "*.txt"))) == [
      ["a1", "a2"], ["b1"]]


def test_comma_separated_globs_and_gzip(tmp_path):
  (tmp_path / "x1.txt").write_text("one\n\ntwo\n", "utf-8")
  with gzip.open(tmp_path / "x2.txt.gz", "wt", encoding="utf-8") as f:
    f.write("three\nfour\n")
  (tmp_path / "y.txt").write_text("five\n", "utf-8")
  pattern = f"{tmp_path}/x*,{tmp_path}/y.txt,{tmp_path}/x1.txt"
  paths = corpus.expand_patterns(pattern)
  assert [p.rsplit("/", 1)[1] for p in paths] == ["x1.txt", "x2.txt.gz",
                                                   "y.txt"]
  assert _docs(paths) == [["one"], ["two"], ["three", "four"], ["five"]]


def test_any_gfile_path_works(tmp_path):
  with tf.io.gfile.GFile("ram://corpus_test/shard.txt", "w") as f:
    f.write("ram line one\nram line two\n\nnext doc\n")
  paths = corpus.expand_patterns("ram://corpus_test/*.txt")
  assert paths == ["ram://corpus_test/shard.txt"]
  assert _docs(paths) == [["ram line one", "ram line two"], ["next doc"]]


def test_invalid_utf8_fails_naming_file_and_line(tmp_path):
  path = tmp_path / "bad.txt"
  path.write_bytes(b"good line\nfine\n\xff\xfe broken\nafter\n")
  with pytest.raises(corpus.CorpusError, match=r"bad\.txt:3: invalid UTF-8"):
    _docs([str(path)])


def test_invalid_utf8_skip_is_counted(tmp_path):
  path = tmp_path / "bad.txt"
  path.write_bytes(b"good line\n\xff\xfe broken\nafter\n")
  stats = corpus.ReadStats()
  docs = _docs([str(path)], invalid_utf8="skip", stats=stats)
  assert docs == [["good line", "after"]]
  assert stats.invalid_utf8_lines == 1
  assert stats.invalid_utf8_locations == [f"{path}:2"]


def test_empty_files_are_recorded(tmp_path):
  (tmp_path / "empty.txt").write_text("", "utf-8")
  (tmp_path / "blank.txt").write_text("\n \n\n", "utf-8")
  (tmp_path / "text.txt").write_text("words\n", "utf-8")
  stats = corpus.ReadStats()
  docs = _docs(corpus.expand_patterns(str(tmp_path / "*.txt")), stats=stats)
  assert docs == [["words"]]
  assert sorted(p.rsplit("/", 1)[1] for p in stats.empty_files) == [
      "blank.txt", "empty.txt"]


def test_a_pattern_that_matches_nothing_is_named(tmp_path):
  (tmp_path / "a.txt").write_text("text\n", "utf-8")
  with pytest.raises(corpus.CorpusError, match="nothing.txt: no such file"):
    corpus.expand_patterns(f"{tmp_path}/a.txt,{tmp_path}/nothing.txt")


def test_a_corrupt_gzip_file_is_named(tmp_path):
  path = tmp_path / "broken.txt.gz"
  path.write_bytes(gzip.compress(b"line one\nline two\n" * 100)[:-30] + b"xx")
  with pytest.raises(corpus.CorpusError, match="broken.txt.gz"):
    _docs([str(path)])


# ------------------------------------------------------------- sentences
@pytest.mark.parametrize("text,expected", [
    ("Mutations were found. The gene is large.",
     ["Mutations were found.", "The gene is large."]),
    ("Several factors, e.g. TNF and IL-6, were raised. Levels fell.",
     ["Several factors, e.g. TNF and IL-6, were raised.", "Levels fell."]),
    ("As shown by Smith et al. (2001), it binds. We agree.",
     ["As shown by Smith et al. (2001), it binds.", "We agree."]),
    ("Mice received 5 mg/kg i.v. Injections were daily. Fine.",
     ["Mice received 5 mg/kg i.v. Injections were daily.", "Fine."]),
    ("See Fig. 2 for details. The mean was 3.5 (p < 0.05). Done!",
     ["See Fig. 2 for details.", "The mean was 3.5 (p < 0.05).", "Done!"]),
    ("Was it causal? Probably not (i.e. confounded). [Note] End.",
     ["Was it causal?", "Probably not (i.e. confounded).", "[Note] End."]),
    ("  Spacing\n is   collapsed.  ", ["Spacing is collapsed."]),
    ("", []),
])
def test_split_sentences(text, expected):
  assert sentences.split_sentences(text) == expected


# ---------------------------------------------------------------- PubMed
PUBMED_XML = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE PubmedArticleSet>
<PubmedArticleSet>
<PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
  <ArticleTitle>BRCA1 mutations in <i>familial</i> breast cancer.</ArticleTitle>
  <Abstract>
    <AbstractText Label="BACKGROUND">Mutations in BRCA1, e.g. 185delAG, are
    common. Their penetrance is 0.65 by age 70.</AbstractText>
    <AbstractText Label="RESULTS">We found 12 carriers (Fig. 1). Risk rose.
    </AbstractText>
  </Abstract>
</Article></MedlineCitation></PubmedArticle>
<PubmedArticle><MedlineCitation><PMID>2</PMID><Article>
  <ArticleTitle>A title with no abstract.</ArticleTitle>
</Article></MedlineCitation></PubmedArticle>
<PubmedArticle><MedlineCitation><PMID>3</PMID><Article>
  <ArticleTitle>Second paper.</ArticleTitle>
  <Abstract><AbstractText>One sentence of H<sub>2</sub>O. Another one.
  </AbstractText></Abstract>
</Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>
"""


def test_pubmed_xml_to_text_shards(tmp_path):
  xml_dir = tmp_path / "xml"
  xml_dir.mkdir()
  with gzip.open(xml_dir / "pubmed24n0001.xml.gz", "wt", encoding="utf-8") as f:
    f.write(PUBMED_XML)
  out_dir = tmp_path / "text"
  stats = pubmed.convert_pubmed_xml(str(xml_dir / "pubmed*.xml.gz"),
                                    str(out_dir))
  assert stats.articles == 3 and stats.documents == 2
  assert stats.skipped_no_abstract == 1
  out = out_dir / "pubmed24n0001.txt"
  docs = _docs([str(out)])
  assert docs == [
      ["BRCA1 mutations in familial breast cancer.",
       "Mutations in BRCA1, e.g. 185delAG, are common.",
       "Their penetrance is 0.65 by age 70.",
       "We found 12 carriers (Fig. 1).", "Risk rose."],
      ["Second paper.", "One sentence of H2O.", "Another one."]]
  # A rerun keeps the finished shard; no temporary file is left behind.
  again = pubmed.convert_pubmed_xml(str(xml_dir / "*.gz"), str(out_dir))
  assert again.files_skipped_existing == 1
  assert sorted(p.name for p in out_dir.iterdir()) == ["pubmed24n0001.txt"]


def test_pubmed_bad_xml_is_named(tmp_path):
  path = tmp_path / "pubmed_bad.xml"
  path.write_text(PUBMED_XML[:400] + "<<<", "utf-8")
  with pytest.raises(corpus.CorpusError,
                     match=r"pubmed_bad.xml:\d+: not valid"):
    pubmed.convert_pubmed_xml(str(path), str(tmp_path / "out"))
  assert not list((tmp_path / "out").iterdir())
