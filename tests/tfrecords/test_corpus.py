"""Corpus input: globs, gzip, gfile paths, documents, bad input; PubMed XML."""
import dataclasses
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
  # A rerun reuses the parse; no temporary file is left behind.
  again = pubmed.convert_pubmed_xml(str(xml_dir / "*.gz"), str(out_dir))
  assert again.files_skipped_existing == 1
  assert _docs([str(out)]) == docs
  assert sorted(p.name for p in out_dir.iterdir()) == [
      pubmed.PARTS_DIR, "pubmed24n0001.txt"]
  assert not [p for p in out_dir.rglob("*") if p.suffix == ".incomplete"]


def test_pubmed_bad_xml_is_named(tmp_path):
  path = tmp_path / "pubmed_bad.xml"
  path.write_text(PUBMED_XML[:400] + "<<<", "utf-8")
  with pytest.raises(corpus.CorpusError,
                     match=r"pubmed_bad.xml:\d+: not valid"):
    pubmed.convert_pubmed_xml(str(path), str(tmp_path / "out"))
  assert [p.name for p in (tmp_path / "out").rglob("*")] == [pubmed.PARTS_DIR]


# PubMed as NLM distributes it: baseline files, then update files that
# revise records (a later record of a PMID; a higher Version) and delete
# them (DeleteCitation); abstracts in other languages in OtherAbstract.
def _article(pmid, title, abstract=None, other=None, version="1", extra=""):
  parts = [f'<PubmedArticle><MedlineCitation><PMID Version="{version}">'
           f"{pmid}</PMID><Article><ArticleTitle>{title}</ArticleTitle>"]
  if abstract:
    parts.append(f"<Abstract><AbstractText>{abstract}</AbstractText>"
                 "</Abstract>")
  parts.append("</Article>")
  if other:
    parts.append(f'<OtherAbstract Type="Publisher" Language="fre">'
                 f"<AbstractText>{other}</AbstractText></OtherAbstract>")
  parts.append(f"{extra}</MedlineCitation></PubmedArticle>\n")
  return "".join(parts)


def _pubmed_set(*records, deleted=()):
  text = ('<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n' +
          "".join(records))
  if deleted:
    text += ("<DeleteCitation>" + "".join(
        f'<PMID Version="1">{p}</PMID>' for p in deleted) +
             "</DeleteCitation>\n")
  return text + "</PubmedArticleSet>\n"


def _write_xml(path, text):
  if str(path).endswith(".gz"):
    with gzip.open(path, "wt", encoding="utf-8") as f:
      f.write(text)
  else:
    path.write_text(text, encoding="utf-8")


PUBMED_FILES = {
    "baseline/pubmed25n0001.xml.gz": _pubmed_set(
        _article(101, "Kept title.", "English abstract. It stays.",
                 other="Un resume. Il part."),
        _article(102, "Deleted later.", "This record is deleted."),
        _article(103, "Old title.", "Old abstract text."),
        _article(104, "No abstract at all.")),
    "baseline/pubmed25n0002.xml": _pubmed_set(
        _article(105, "Cites another.", "It cites 101.",
                 extra=('<CommentsCorrectionsList><CommentsCorrections>'
                        '<PMID Version="1">101</PMID></CommentsCorrections>'
                        '</CommentsCorrectionsList>')),
        _article(106, "Versioned one.", "Version one text.")),
    "updates/pubmed25n0003.xml.gz": _pubmed_set(
        _article(103, "Revised title.", "Revised abstract text."),
        _article(106, "Versioned two.", "Version two text.", version="2"),
        _article(107, "A new paper.", "New findings."),
        deleted=[102]),
    "updates/pubmed25n0004.xml": _pubmed_set(
        _article(106, "Version one again.", "A late fix of version one."),
        _article(108, "Titre.", other="Seulement en francais.")),
}
# By hand: each PMID once, its latest version, English abstracts only.
EXPECTED_SHARDS = {
    "pubmed25n0001.txt": "Kept title.\nEnglish abstract.\nIt stays.\n\n",
    "pubmed25n0002.txt": "Cites another.\nIt cites 101.\n\n",
    "pubmed25n0003.txt": ("Revised title.\nRevised abstract text.\n\n"
                          "Versioned two.\nVersion two text.\n\n"
                          "A new paper.\nNew findings.\n\n"),
    "pubmed25n0004.txt": "",
}


def _pubmed_inputs(tmp_path, names=PUBMED_FILES):
  for name in names:
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    _write_xml(path, PUBMED_FILES[name])
  # Updates first: files are read in name order whatever the pattern order.
  return ",".join(f"{tmp_path}/{d}/*.xml*" for d in ("updates", "baseline")
                  if (tmp_path / d).exists())


def _shards(out_dir):
  return {p.name: p.read_text(encoding="utf-8")
          for p in sorted(out_dir.glob("*.txt"))}


def test_pubmed_updates_replace_and_delete_records(tmp_path):
  out_dir = tmp_path / "text"
  stats = pubmed.convert_pubmed_xml(_pubmed_inputs(tmp_path), str(out_dir))
  assert _shards(out_dir) == EXPECTED_SHARDS
  assert (stats.files, stats.articles, stats.documents) == (4, 11, 5)
  # 103 and 106 (version 1, twice) replaced, 102 deleted; 104 and 108 have
  # no English abstract.
  assert (stats.superseded, stats.deleted, stats.skipped_no_abstract) == (
      3, 1, 2)
  assert stats.outputs == [str(out_dir / n) for n in EXPECTED_SHARDS]


def test_pubmed_new_update_files_parse_only_themselves(tmp_path):
  out_dir = tmp_path / "text"
  first = pubmed.convert_pubmed_xml(
      _pubmed_inputs(tmp_path, list(PUBMED_FILES)[:2]), str(out_dir))
  assert first.documents == 5 and first.files_skipped_existing == 0
  assert _shards(out_dir)["pubmed25n0001.txt"].count("\n\n") == 3
  again = pubmed.convert_pubmed_xml(_pubmed_inputs(tmp_path), str(out_dir))
  assert again.files_skipped_existing == 2
  assert _shards(out_dir) == EXPECTED_SHARDS


def test_pubmed_gzip_shards(tmp_path):
  out_dir = tmp_path / "text"
  pubmed.convert_pubmed_xml(_pubmed_inputs(tmp_path), str(out_dir),
                            gzip_output=True)
  for name, text in EXPECTED_SHARDS.items():
    with gzip.open(out_dir / (name + ".gz"), "rt", encoding="utf-8") as f:
      assert f.read() == text


@pytest.mark.slow
def test_pubmed_output_does_not_depend_on_workers(tmp_path):
  inputs = _pubmed_inputs(tmp_path)
  one = pubmed.convert_pubmed_xml(inputs, str(tmp_path / "one"))
  two = pubmed.convert_pubmed_xml(inputs, str(tmp_path / "two"),
                                  num_workers=2)
  assert _shards(tmp_path / "two") == _shards(tmp_path / "one") == (
      EXPECTED_SHARDS)
  assert dataclasses.replace(two, outputs=[]) == dataclasses.replace(
      one, outputs=[])
