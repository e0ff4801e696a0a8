"""PubMed XML (baseline and update files) → corpus text shards.

Each `PubmedArticle` with an English abstract becomes one document: its
title and abstract (the `AbstractText` sections of `Article/Abstract`,
inline markup kept as text; `OtherAbstract`, the abstracts in other
languages, is left out), split into sentences one per line
(`tfrecords.sentences`), then a blank line. Articles without an abstract
are skipped and counted (a title alone is one sentence, useless for
next-sentence or sentence-order prediction).

Baseline and update files are one corpus, read in file-name order
(`pubmed25n0001` ... `pubmed25n1274` baseline, then the update files, as
NLM numbers them):
  * a record of a PMID replaces the earlier records of that PMID (a revised
    citation), unless it carries a lower `Version` (versioned citations:
    the highest version is kept, and among equal versions the latest);
  * a `DeleteCitation` removes the earlier records of its PMIDs.
So a PMID appears at most once in the output, as its latest version.

Two phases, each file a unit of work (`num_workers` processes):
  1. parse: each XML file (read incrementally with `iterparse`, elements
     freed as they are done) → its documents and an index of its records
     (PMID, version, has a document) and deletions, kept in
     `<output_dir>/.pubmed_parts/` (a hidden folder: corpus globs skip
     it). A parse whose input has not changed is reused by a rerun, so a
     crash costs only the unfinished files, and adding update files later
     parses only them;
  2. write: the kept documents of each file → `<output_dir>/<name>.txt`
     (`pubmed25n0001.xml.gz` → `pubmed25n0001.txt[.gz]`).
Every file is written under a temporary name and renamed when complete.
The output is the same for any number of workers. Progress (files, MB,
articles, rate, ETA) goes to a stream if given.
"""
import collections
import concurrent.futures
import dataclasses
import gzip
import json
import multiprocessing
import os
import xml.etree.ElementTree as ElementTree
import zlib
from typing import Dict, List, Sequence, Union

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import numpy as np

from biom_tf import errors
from biom_tf import fileio
from biom_tf.lazy_tf import tf
from tfrecords import corpus
from tfrecords import sentences
from tfrecords import writer
from tfrecords.progress import ProgressLine

PARTS_DIR = ".pubmed_parts"
PARTS_FORMAT = "biom_tf.pubmed_parts.v1"
# Modules the fork server imports before it forks workers: not TensorFlow
# (biom_tf.lazy_tf), which parsing and local files do not need, so the
# workers start in a fraction of a second.
_WORKER_PRELOAD = ["tfrecords.pubmed"]


@dataclasses.dataclass
class PubmedStats:
  files: int = 0
  # Files whose parse an earlier run left (inputs unchanged), not redone.
  files_skipped_existing: int = 0
  articles: int = 0
  documents: int = 0
  sentences: int = 0
  # Latest versions without an (English) abstract.
  skipped_no_abstract: int = 0
  # Records replaced by a later record of their PMID.
  superseded: int = 0
  # Records removed by a DeleteCitation.
  deleted: int = 0
  # The shard of every input file, in name order.
  outputs: List[str] = dataclasses.field(default_factory=list)

  def to_dict(self) -> Dict[str, object]:
    return dataclasses.asdict(self)


def article_text(article) -> List[str]:
  """The sentences of one PubmedArticle element: title, then the English
  abstract (`MedlineCitation/Article/Abstract/AbstractText`).

  Returns [] when it has no abstract text.
  """
  abstract = [" ".join("".join(a.itertext()).split())
              for a in article.iterfind(
                  "MedlineCitation/Article/Abstract/AbstractText")]
  abstract = [a for a in abstract if a]
  if not abstract:
    return []
  lines = []
  title = article.find("MedlineCitation/Article/ArticleTitle")
  if title is not None:
    lines += sentences.split_sentences("".join(title.itertext()))
  for section in abstract:
    lines += sentences.split_sentences(section)
  return [line for line in lines if line]


def _pmid(element, path: str):
  """(pmid, version) of a PMID element; CorpusError naming `path` if bad."""
  text = (element.text or "").strip() if element is not None else ""
  if not text.isdigit():
    raise corpus.CorpusError(
        f"{path}: a record has PMID {text!r}: expected a number")
  version = (element.get("Version") or "1").strip()
  return int(text), int(version) if version.isdigit() else 1


def iter_records(path: str):
  """Yields ("article", pmid, version, lines) for each PubmedArticle and
  ("delete", pmid, 0, None) for each PMID of a DeleteCitation, in order."""
  f = corpus.open_binary(path)
  try:
    # "end" events only (half the events of "start" and "end"); a finished
    # record is cleared, leaving an empty element (~100 bytes) in the tree.
    for _, element in ElementTree.iterparse(f, events=("end",)):
      if element.tag == "PubmedArticle":
        pmid, version = _pmid(element.find("MedlineCitation/PMID"), path)
        yield "article", pmid, version, article_text(element)
      elif element.tag == "DeleteCitation":
        for pmid_element in element.iterfind("PMID"):
          yield ("delete", _pmid(pmid_element, path)[0], 0, None)
      else:
        continue
      element.clear()
  except ElementTree.ParseError as e:
    line, _ = e.position
    raise corpus.CorpusError(
        f"{path}:{line}: not valid PubMed XML: {e}") from None
  except (OSError, EOFError, zlib.error, tf.errors.OpError) as e:
    # (TensorFlow is imported here only if a read failed: gs:// files.)
    raise corpus.CorpusError(
        f"{path}: cannot read: {errors.reason(e, path)}") from None
  finally:
    f.close()


def output_name(path: str, gzip_output: bool = False) -> str:
  """pubmed24n0001.xml.gz → pubmed24n0001.txt (or .txt.gz)."""
  name = os.path.basename(path)
  for suffix in (".gz", ".xml"):
    if name.endswith(suffix):
      name = name[:-len(suffix)]
  return name + (".txt.gz" if gzip_output else ".txt")


# ------------------------------------------------------------ phase 1: parse
def _part_paths(parts_dir: str, path: str):
  name = output_name(path)[:-len(".txt")]
  return (os.path.join(parts_dir, name + ".txt"),
          os.path.join(parts_dir, name + ".index.json"))


def _read_index(parts_dir: str, source: str, size: int):
  """The index of a parse of `source` (of `size` bytes) in `parts_dir`, its
  columns as numpy arrays (about 25 bytes a record: 0.9 GB for all of
  PubMed, not Python lists), or None if there is none that fits."""
  index = fileio.read_json(_part_paths(parts_dir, source)[1])
  if not (index and index.get("format") == PARTS_FORMAT and
          index.get("source_name") == os.path.basename(source) and
          index.get("source_bytes") == size):
    return None
  for name, dtype in (("pmids", np.int64), ("versions", np.int64),
                      ("has_document", bool), ("seqs", np.int64),
                      ("deletes", np.int64)):
    index[name] = np.asarray(index[name], dtype)
  return index


def parse_file(path: str, parts_dir: str, size: int) -> dict:
  """Phase 1 for one XML file: writes its documents and index; returns the
  index (records: pmid, version, has a document, sequence number; deletes:
  pmid, sequence number)."""
  text_path, index_path = _part_paths(parts_dir, path)
  pmids, versions, has_doc, seqs, deletes = [], [], [], [], []
  counts = collections.Counter()
  with fileio.atomic_file(text_path) as out:
    for seq, (kind, pmid, version, lines) in enumerate(iter_records(path)):
      if kind == "delete":
        deletes.append([pmid, seq])
        continue
      counts["articles"] += 1
      pmids.append(pmid)
      versions.append(version)
      seqs.append(seq)
      has_doc.append(1 if lines else 0)
      if lines:
        out.write(("\n".join(lines) + "\n\n").encode("utf-8"))
  index = {"format": PARTS_FORMAT, "source_name": os.path.basename(path),
           "source_bytes": size, "articles": counts["articles"],
           "pmids": pmids, "versions": versions, "has_document": has_doc,
           "seqs": seqs, "deletes": deletes}
  with fileio.atomic_file(index_path, "w") as f:
    f.write(json.dumps(index, separators=(",", ":")))
  return index


def _parse_task(path: str, parts_dir: str, size: int) -> dict:
  index = parse_file(path, parts_dir, size)
  return {"articles": index["articles"]}


# ------------------------------------------------------------ the kept set
def kept_documents(indexes: Sequence[dict]):
  """Which documents of each file to write.

  Returns (keep, counts): keep[f] is a bool array over file f's documents
  (its records with a document, in order); counts has `superseded`,
  `deleted` and `no_abstract` (kept latest versions without a document).
  """
  def column(name, dtype):
    arrays = [np.asarray(ix[name], dtype) for ix in indexes]
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype)
  sizes = [len(ix["pmids"]) for ix in indexes]
  pmid = column("pmids", np.int64)
  version = column("versions", np.int64)
  has_doc = column("has_document", bool)
  # Order of records and deletions: (file number, sequence number in it).
  key = (np.repeat(np.arange(len(indexes), dtype=np.int64), sizes) << 32 |
         column("seqs", np.int64))
  deletes = [np.asarray(ix["deletes"], np.int64).reshape(-1, 2)
             for ix in indexes]
  del_pmid = np.concatenate([d[:, 0] for d in deletes]) if deletes else (
      np.zeros(0, np.int64))
  del_key = np.concatenate(
      [(np.int64(f) << 32) | d[:, 1] for f, d in enumerate(deletes)]
  ) if deletes else np.zeros(0, np.int64)
  # A record is deleted by a later DeleteCitation of its PMID.
  alive = np.ones(len(pmid), bool)
  if len(del_pmid):
    order = np.lexsort((del_key, del_pmid))
    last = np.r_[del_pmid[order][1:] != del_pmid[order][:-1], True]
    latest_pmid, latest_key = del_pmid[order][last], del_key[order][last]
    at = np.searchsorted(latest_pmid, pmid)
    found = (at < len(latest_pmid)) & (
        latest_pmid[np.minimum(at, len(latest_pmid) - 1)] == pmid)
    alive = ~(found & (latest_key[np.minimum(at, len(latest_pmid) - 1)] >
                       key))
  # Of the rest, the highest version of each PMID, then the latest record.
  candidates = np.flatnonzero(alive)
  order = candidates[np.lexsort((key[candidates], version[candidates],
                                 pmid[candidates]))]
  last = np.r_[pmid[order][1:] != pmid[order][:-1], True] if len(order) else (
      np.zeros(0, bool))
  winner = np.zeros(len(pmid), bool)
  winner[order[last]] = True
  counts = {"deleted": int((~alive).sum()),
            "superseded": int((alive & ~winner).sum()),
            "no_abstract": int((winner & ~has_doc).sum())}
  keep = []
  starts = np.cumsum([0] + sizes)
  for f in range(len(indexes)):
    records = slice(starts[f], starts[f + 1])
    keep.append(winner[records][has_doc[records]])
  return keep, counts


# ------------------------------------------------------------ phase 2: write
def write_shard(text_path: str, out_path: str, keep: np.ndarray,
                gzip_output: bool) -> dict:
  """Copies the kept documents of one parsed file to its shard."""
  written = collections.Counter()
  keep = keep.tolist()
  with fileio.atomic_file(out_path) as out:
    sink = (gzip.GzipFile(fileobj=out.file, mode="wb", mtime=0)
            if gzip_output else out)
    document, number = [], 0
    f = corpus.open_binary(text_path)
    try:
      for line in f:
        if line.strip():
          document.append(line)
          continue
        if document:
          if number < len(keep) and keep[number]:
            sink.write(b"".join(document) + b"\n")
            written["documents"] += 1
            written["sentences"] += len(document)
          number += 1
          document = []
    finally:
      f.close()
    if gzip_output:
      sink.close()
  if number != len(keep):
    raise corpus.CorpusError(f"{text_path}: {number} documents where its "
                             f"index lists {len(keep)}; rerun with "
                             "--overwrite")
  return dict(written)


def _write_task(text_path, out_path, keep, gzip_output):
  return write_shard(text_path, out_path, keep, gzip_output)


# ------------------------------------------------------------------ the run
class _Progress:
  """Lines for phase 1: files and MB parsed, articles, rate and ETA."""

  def __init__(self, stream, interval, sizes):
    self.line = ProgressLine(stream, interval)
    self.total_bytes = sum(sizes)
    self.files = len(sizes)
    self.done_files = self.done_bytes = self.articles = 0

  def update(self, size, articles, note="", force=False):
    self.done_files += 1
    self.done_bytes += size
    self.articles += articles
    self.write(note, force)

  def write(self, note, force=False):
    def text(elapsed):
      rate = self.done_bytes / elapsed
      eta = (self.total_bytes - self.done_bytes) / rate if rate else 0.0
      return (f"pubmed_to_text: parsed {self.done_files}/{self.files} files "
              f"({self.done_bytes / 1e6:,.1f}/{self.total_bytes / 1e6:,.1f} "
              f"MB), {self.articles:,} articles, {rate / 1e6:,.2f} MB/s, "
              f"{elapsed:.0f}s, ETA {eta:.0f}s{note}")
    self.line.write(text, force=force)


class _Workers:
  """Runs tasks here (one worker) or in a process pool, started at first
  use and shared by both phases. Workers fork from a fork server that has
  imported `_WORKER_PRELOAD` (the parser, not TensorFlow) once."""

  def __init__(self, num_workers):
    self.num_workers = num_workers
    self._pool = None

  def pool(self):
    if self._pool is None:
      context = multiprocessing.get_context("forkserver")
      context.set_forkserver_preload(_WORKER_PRELOAD)
      self._pool = concurrent.futures.ProcessPoolExecutor(
          self.num_workers, mp_context=context)
    return self._pool

  def close(self):
    if self._pool is not None:
      self._pool.shutdown(cancel_futures=True)


def convert_pubmed_xml(input_patterns: Union[str, Sequence[str]],
                       output_dir: str, gzip_output: bool = False,
                       overwrite: bool = False, progress=None,
                       progress_interval: float = 10.0,
                       num_workers: int = 1) -> PubmedStats:
  """Converts PubMed XML files (baseline and updates) to text shards.

  Args:
    input_patterns: comma-separated globs (or a list) of XML files
      (plain or .gz; any tf.io.gfile path); read in file-name order.
    output_dir: where `<name>.txt` shards go (created if needed), and the
      parses, in `<output_dir>/.pubmed_parts/`.
    gzip_output: write `.txt.gz`.
    overwrite: parse every file again (else an earlier run's parse of an
      unchanged file is reused).
    progress: a stream for progress lines (None for silence).
    progress_interval: seconds between progress lines.
    num_workers: processes (1: this one). The output does not depend on it;
      with more than one, call this under `if __name__ == "__main__":`.

  Returns:
    PubmedStats (articles seen, documents written, skipped, ...).
  """
  if not isinstance(num_workers, int) or num_workers < 1:
    raise ValueError(f"--num_workers={num_workers!r}: expected a positive "
                     "integer")
  paths = corpus.expand_patterns(input_patterns)
  paths.sort(key=lambda p: (os.path.basename(p), p))
  names = [output_name(p) for p in paths]
  for a, b in zip(names, names[1:]):
    if a == b:
      clash = [p for p, n in zip(paths, names) if n == a]
      raise corpus.CorpusError(
          f"{clash[0]} and {clash[1]}: two inputs with one name (each file's "
          f"shard is named after it: {a})")
  sizes = [corpus.file_size(p) for p in paths]
  parts_dir = os.path.join(output_dir, PARTS_DIR)
  try:
    tf.io.gfile.makedirs(parts_dir)
  except tf.errors.OpError as e:
    raise writer.OutputError(
        f"{output_dir}: cannot create: {errors.reason(e, parts_dir)}"
    ) from None
  stats = PubmedStats(files=len(paths))

  # Phase 1: parse what no earlier run parsed. The indexes of earlier
  # parses are read here, once.
  indexes = [None if overwrite else _read_index(parts_dir, path, size)
             for path, size in zip(paths, sizes)]
  todo = [i for i, index in enumerate(indexes) if index is None]
  stats.files_skipped_existing = len(paths) - len(todo)
  report = _Progress(progress, progress_interval, [sizes[i] for i in todo])
  workers = _Workers(min(num_workers, len(paths)))
  try:
    return _convert(paths, sizes, indexes, todo, parts_dir, output_dir,
                    gzip_output, stats, report, workers, progress)
  finally:
    workers.close()


def _convert(paths, sizes, indexes, todo, parts_dir, output_dir, gzip_output,
             stats, report, workers, progress):
  """The two phases of `convert_pubmed_xml`; `todo`: the files i to be
  parsed (`indexes[i]` is None)."""
  if workers.num_workers == 1 or len(todo) <= 1:
    for i in todo:
      done = _parse_task(paths[i], parts_dir, sizes[i])
      report.update(sizes[i], done["articles"], note=f", parsed {paths[i]}")
  else:
    futures = {workers.pool().submit(_parse_task, paths[i], parts_dir,
                                     sizes[i]): i for i in todo}
    for future in concurrent.futures.as_completed(futures):
      i = futures[future]
      done = future.result()
      report.update(sizes[i], done["articles"], note=f", parsed {paths[i]}")
  report.write(f"; {stats.files_skipped_existing} file(s) parsed by an "
               "earlier run", force=True)

  # Which documents survive: latest versions, not deleted. The indexes of
  # this run's parses are read now.
  for i in todo:
    indexes[i] = _read_index(parts_dir, paths[i], sizes[i])
    if indexes[i] is None:
      raise writer.OutputError(f"{paths[i]}: its parse in {parts_dir} is "
                               "missing or unreadable; rerun with --overwrite")
  keep, counts = kept_documents(indexes)
  stats.articles = sum(ix["articles"] for ix in indexes)
  stats.superseded = counts["superseded"]
  stats.deleted = counts["deleted"]
  stats.skipped_no_abstract = counts["no_abstract"]
  indexes.clear()  # freed before phase 2 (the caller's list)

  # Phase 2: the shards.
  tasks = []
  for i, path in enumerate(paths):
    out_path = os.path.join(output_dir, output_name(path, gzip_output))
    stats.outputs.append(out_path)
    tasks.append((_part_paths(parts_dir, path)[0], out_path, keep[i],
                  gzip_output))
  if workers.num_workers == 1 or len(tasks) <= 1:
    results = [_write_task(*task) for task in tasks]
  else:
    results = list(workers.pool().map(_write_task, *zip(*tasks)))
  for written in results:
    stats.documents += written.get("documents", 0)
    stats.sentences += written.get("sentences", 0)
  if progress is not None:
    progress.write(
        f"pubmed_to_text: wrote {len(tasks)} shard(s): {stats.documents:,} "
        f"documents; {stats.superseded:,} records replaced by a later "
        f"version, {stats.deleted:,} deleted, "
        f"{stats.skipped_no_abstract:,} without an abstract\n")
    progress.flush()
  return stats
