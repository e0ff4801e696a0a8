r"""PubMed conversion benchmark: tools/pubmed_to_text with 1 and 2 workers.

A synthetic PubMed distribution built from real abstracts (the shared
corpora, `shared/data/corpus/*.txt`: each document's first line is the
title, the rest the abstract): `--files` baseline files of
`--articles_per_file` articles each, gzip-compressed as NLM ships them, each
article with the metadata a real record carries (journal, authors, MeSH
headings, an OtherAbstract for one in ten), plus one update file that
revises 5% of the PMIDs and deletes 1%. Every run converts all files from
scratch (--overwrite), in a fresh process; runs alternate between worker
counts. Times exclude the Python/TensorFlow import (in the main process;
the workers do not import TensorFlow).

  python -m benchmarks.pubmed --output_dir=/tmp/pubmed_bench
"""
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import time
from xml.sax.saxutils import escape

from absl import app
from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", "/tmp/biom_pubmed_bench", "Scratch dir.")
flags.DEFINE_string("shared_dir", None,
                    "The shared data directory (default: BIOM_SHARED_DIR or "
                    "../shared beside the repository).")
flags.DEFINE_integer("files", 6, "Baseline files.")
flags.DEFINE_integer("articles_per_file", 1500, "Articles per file.")
flags.DEFINE_list("workers", ["1", "2"], "--num_workers values.")
flags.DEFINE_integer("repeats", 3, "Runs per worker count (median kept).")
flags.DEFINE_string("child", None, "Internal: one run (JSON arguments).")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _documents(shared_dir):
  docs = []
  corpus_dir = os.path.join(shared_dir, "data", "corpus")
  for name in sorted(os.listdir(corpus_dir)):
    with open(os.path.join(corpus_dir, name), encoding="utf-8") as f:
      for doc in f.read().split("\n\n"):
        lines = [l.strip() for l in doc.splitlines() if l.strip()]
        if len(lines) >= 2:
          docs.append(lines)
  return docs


def _article(pmid, doc, rng, version=1):
  title, abstract = doc[0], " ".join(doc[1:])
  authors = "".join(
      f"<Author ValidYN=\"Y\"><LastName>Name{rng.randint(1, 999)}</LastName>"
      f"<ForeName>A</ForeName><Initials>A</Initials></Author>"
      for _ in range(rng.randint(2, 8)))
  mesh = "".join(
      f"<MeshHeading><DescriptorName UI=\"D{rng.randint(1, 99999):06d}\" "
      f"MajorTopicYN=\"N\">Heading {rng.randint(1, 999)}</DescriptorName>"
      "</MeshHeading>" for _ in range(rng.randint(5, 15)))
  other = ("<OtherAbstract Type=\"Publisher\" Language=\"spa\"><AbstractText>"
           f"{escape(abstract[:400])}</AbstractText></OtherAbstract>"
           if rng.random() < 0.1 else "")
  return (
      f"<PubmedArticle><MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\">"
      f"<PMID Version=\"{version}\">{pmid}</PMID><DateCompleted><Year>2020"
      "</Year><Month>01</Month><Day>01</Day></DateCompleted>"
      "<Article PubModel=\"Print\"><Journal><ISSN IssnType=\"Print\">"
      "0000-0000</ISSN><JournalIssue CitedMedium=\"Print\"><Volume>1</Volume>"
      "<Issue>1</Issue><PubDate><Year>2020</Year></PubDate></JournalIssue>"
      "<Title>Journal of Synthetic Benchmarks</Title></Journal>"
      f"<ArticleTitle>{escape(title)}</ArticleTitle><Pagination><MedlinePgn>"
      "1-10</MedlinePgn></Pagination><Abstract><AbstractText>"
      f"{escape(abstract)}</AbstractText></Abstract>"
      f"<AuthorList CompleteYN=\"Y\">{authors}</AuthorList><Language>eng"
      "</Language></Article>"
      f"{other}<MeshHeadingList>{mesh}</MeshHeadingList></MedlineCitation>"
      "<PubmedData><PublicationStatus>ppublish</PublicationStatus>"
      f"<ArticleIdList><ArticleId IdType=\"pubmed\">{pmid}</ArticleId>"
      "</ArticleIdList></PubmedData></PubmedArticle>\n")


def _write(path, articles, deleted=()):
  with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n')
    for article in articles:
      f.write(article)
    if deleted:
      f.write("<DeleteCitation>" + "".join(
          f'<PMID Version="1">{p}</PMID>' for p in deleted) +
              "</DeleteCitation>\n")
    f.write("</PubmedArticleSet>\n")


def make_distribution(directory, shared_dir, files, per_file, seed=0):
  """The synthetic baseline + one update file; returns their paths."""
  rng = random.Random(seed)
  docs = _documents(shared_dir)
  os.makedirs(directory, exist_ok=True)
  paths, pmid = [], 0
  for i in range(files):
    articles = []
    for _ in range(per_file):
      pmid += 1
      articles.append(_article(pmid, docs[pmid % len(docs)], rng))
    paths.append(os.path.join(directory, f"pubmed25n{i + 1:04d}.xml.gz"))
    _write(paths[-1], articles)
  revised = rng.sample(range(1, pmid + 1), pmid // 20)
  deleted = rng.sample(range(1, pmid + 1), pmid // 100)
  paths.append(os.path.join(directory, f"pubmed25n{files + 1:04d}.xml.gz"))
  _write(paths[-1], [_article(p, docs[(p * 7) % len(docs)], rng)
                     for p in revised], deleted)
  return paths


def _child(args):
  import biom_tf  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
  import tensorflow  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
  from tfrecords import pubmed  # pylint: disable=g-import-not-at-top
  if args.get("startup"):
    # The fixed cost of worker processes: the fork server (which imports
    # TensorFlow once) and the workers, up to their first task.
    started = time.time()
    workers = pubmed._Workers(args["workers"])  # pylint: disable=protected-access
    list(workers.pool().map(abs, range(args["workers"])))
    workers.close()
    print(json.dumps({"seconds": time.time() - started}))
    return
  started = time.time()
  stats = pubmed.convert_pubmed_xml(args["inputs"], args["output_dir"],
                                    overwrite=True,
                                    num_workers=args["workers"])
  print(json.dumps({"seconds": time.time() - started,
                    "articles": stats.articles,
                    "documents": stats.documents}))


def main(argv):
  del argv
  if FLAGS.child:
    _child(json.loads(FLAGS.child))
    return
  shared_dir = FLAGS.shared_dir or os.environ.get(
      "BIOM_SHARED_DIR", os.path.join(REPO_ROOT, "..", "shared"))
  xml_dir = os.path.join(FLAGS.output_dir, "xml")
  paths = make_distribution(xml_dir, shared_dir, FLAGS.files,
                            FLAGS.articles_per_file)
  gz_mb = sum(os.path.getsize(p) for p in paths) / 1e6
  xml_mb = 0.0
  for p in paths:
    with gzip.open(p, "rb") as f:
      xml_mb += len(f.read()) / 1e6
  print(f"{len(paths)} files: {gz_mb:.1f} MB gzip, {xml_mb:.1f} MB XML")
  times = {w: [] for w in FLAGS.workers}
  result = {}
  for _ in range(FLAGS.repeats):
    for w in FLAGS.workers:
      args = {"inputs": ",".join(paths), "workers": int(w),
              "output_dir": os.path.join(FLAGS.output_dir, f"text_{w}")}
      out = subprocess.run(
          [sys.executable, "-m", "benchmarks.pubmed",
           "--child=" + json.dumps(args)], cwd=REPO_ROOT, check=True,
          capture_output=True, text=True,
          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
      result = json.loads(out.stdout.strip().splitlines()[-1])
      times[w].append(result["seconds"])
  startup = {}
  for w in FLAGS.workers:
    if int(w) > 1:
      out = subprocess.run(
          [sys.executable, "-m", "benchmarks.pubmed", "--child=" + json.dumps(
              {"startup": True, "workers": int(w)})], cwd=REPO_ROOT,
          check=True, capture_output=True, text=True,
          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
      startup[w] = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
  print(f"articles {result['articles']:,}, documents written "
        f"{result['documents']:,}")
  print("| workers | seconds (median; all) | of which worker start | "
        "MB XML/s | MB gzip/s | articles/s |")
  print("| --- | --- | --- | --- | --- | --- |")
  for w in FLAGS.workers:
    median = statistics.median(times[w])
    start = f"{startup[w]:.1f}" if w in startup else "0"
    print(f"| {w} | {median:.2f} ({', '.join(f'{t:.2f}' for t in times[w])}) "
          f"| {start} | {xml_mb / median:.1f} | {gz_mb / median:.2f} | "
          f"{result['articles'] / median:,.0f} |")
  same = [_read_dir(os.path.join(FLAGS.output_dir, f"text_{w}"))
          for w in FLAGS.workers]
  print("outputs identical across worker counts:", all(s == same[0]
                                                       for s in same))


def _read_dir(directory):
  return {name: open(os.path.join(directory, name), "rb").read()
          for name in sorted(os.listdir(directory)) if name.endswith(".txt")}


if __name__ == "__main__":
  app.run(main)
