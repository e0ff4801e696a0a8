"""PubMed baseline XML (`pubmed*.xml.gz`) → corpus text shards.

Each `PubmedArticle` with an abstract becomes one document: its title and
abstract (all `AbstractText` sections, inline markup kept as text), split
into sentences one per line (`tfrecords.sentences`), then a blank line.
Articles without an abstract are skipped and counted (a title alone is one
sentence, useless for next-sentence or sentence-order prediction).

The XML is read incrementally (`iterparse`, elements freed as they are
done), so a 200 MB baseline file needs little memory. One output shard per
input file, written under a temporary name and renamed when complete; an
existing output is kept (rerun after a crash to finish the rest).
Progress (files, articles, documents, rate) goes to a stream if given.
"""
import dataclasses
import gzip
import os
import xml.etree.ElementTree as ElementTree
import zlib
from typing import Dict, List, Sequence, Union

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import tensorflow as tf

from tfrecords import corpus
from tfrecords import sentences
from tfrecords import writer
from tfrecords.progress import ProgressLine


@dataclasses.dataclass
class PubmedStats:
  files: int = 0
  files_skipped_existing: int = 0
  articles: int = 0
  documents: int = 0
  sentences: int = 0
  skipped_no_abstract: int = 0
  # The shard of every input file, in input order (written or kept).
  outputs: List[str] = dataclasses.field(default_factory=list)

  def to_dict(self) -> Dict[str, object]:
    return dataclasses.asdict(self)


def article_text(article) -> List[str]:
  """The sentences of one PubmedArticle element: title, then abstract.

  Returns [] when it has no abstract text.
  """
  abstract = [" ".join("".join(a.itertext()).split())
              for a in article.iter("AbstractText")]
  abstract = [a for a in abstract if a]
  if not abstract:
    return []
  lines = []
  title = article.find(".//ArticleTitle")
  if title is not None:
    lines += sentences.split_sentences("".join(title.itertext()))
  for section in abstract:
    lines += sentences.split_sentences(section)
  return lines


def iter_articles(path: str):
  """Yields the sentence list of each PubmedArticle of one XML file."""
  f = corpus.open_binary(path)
  try:
    context = ElementTree.iterparse(f, events=("start", "end"))
    root = None
    for event, element in context:
      if root is None and event == "start":
        root = element
      if event == "end" and element.tag == "PubmedArticle":
        yield article_text(element)
        element.clear()
        if root is not None:
          root.clear()  # drop the finished articles
  except ElementTree.ParseError as e:
    line, _ = e.position
    raise corpus.CorpusError(
        f"{path}:{line}: not valid PubMed XML: {e}") from None
  except (OSError, EOFError, zlib.error) as e:
    raise corpus.CorpusError(f"{path}: cannot read: {e}") from None
  finally:
    f.close()


def output_name(path: str, gzip_output: bool = False) -> str:
  """pubmed24n0001.xml.gz → pubmed24n0001.txt (or .txt.gz)."""
  name = os.path.basename(path)
  for suffix in (".gz", ".xml"):
    if name.endswith(suffix):
      name = name[:-len(suffix)]
  return name + (".txt.gz" if gzip_output else ".txt")


def _report(line: ProgressLine, stats: PubmedStats, total_files: int,
            note: str, done: bool = False):
  """A progress line: after each file, and every interval within one."""
  line.write(lambda elapsed: (
      f"pubmed_to_text: {stats.files}/{total_files} files ({note}), "
      f"{stats.articles:,} articles, {stats.documents:,} documents, "
      f"{stats.skipped_no_abstract:,} without abstract, "
      f"{stats.articles / elapsed:,.0f} articles/s, {elapsed:.0f}s"),
      force=done)


def convert_pubmed_xml(input_patterns: Union[str, Sequence[str]],
                       output_dir: str, gzip_output: bool = False,
                       overwrite: bool = False, progress=None,
                       progress_interval: float = 10.0) -> PubmedStats:
  """Converts PubMed XML files to text shards in `output_dir`.

  Args:
    input_patterns: comma-separated globs (or a list) of XML files
      (plain or .gz; any tf.io.gfile path).
    output_dir: where `<name>.txt` shards go (created if needed).
    gzip_output: write `.txt.gz`.
    overwrite: redo shards that already exist (else they are kept).
    progress: a stream for progress lines (None for silence).
    progress_interval: seconds between progress lines within a file.

  Returns:
    PubmedStats (articles seen, documents written, skipped, ...).
  """
  stats = PubmedStats()
  paths = corpus.expand_patterns(input_patterns)
  progress_line = ProgressLine(progress, progress_interval)
  try:
    tf.io.gfile.makedirs(output_dir)
  except tf.errors.OpError as e:
    raise writer.OutputError(f"{output_dir}: cannot create: {e.message}"
                             ) from None
  for path in paths:
    stats.files += 1
    out_path = os.path.join(output_dir, output_name(path, gzip_output))
    stats.outputs.append(out_path)
    if not overwrite and tf.io.gfile.exists(out_path):
      stats.files_skipped_existing += 1
      _report(progress_line, stats, len(paths), f"kept existing {out_path}",
              done=True)
      continue
    temp = out_path + writer.INCOMPLETE_SUFFIX
    try:
      with tf.io.gfile.GFile(temp, "wb") as raw:
        f = (gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if gzip_output
             else raw)
        for lines in iter_articles(path):
          stats.articles += 1
          if not lines:
            stats.skipped_no_abstract += 1
            continue
          stats.documents += 1
          stats.sentences += len(lines)
          f.write(("\n".join(lines) + "\n\n").encode("utf-8"))
          _report(progress_line, stats, len(paths), f"reading {path}")
        if gzip_output:
          f.close()
      tf.io.gfile.rename(temp, out_path, overwrite=True)
      _report(progress_line, stats, len(paths), f"wrote {out_path}",
              done=True)
    except tf.errors.OpError as e:
      writer.remove_if_exists(temp)
      raise writer.OutputError(f"{out_path}: cannot write: {e.message}"
                               ) from None
    except corpus.CorpusError:
      writer.remove_if_exists(temp)
      raise
  return stats
