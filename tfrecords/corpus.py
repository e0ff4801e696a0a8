"""Reading pretraining corpora: text shards in the original format.

The format of google-research/bert's `create_pretraining_data.py`: one
sentence per line, a blank line between documents, UTF-8. A shard may be
gzip-compressed (`.gz`). Paths are comma-separated globs on any
`tf.io.gfile` file system (local, `gs://`, `ram://`, ...).

Two deliberate, documented choices:
  * The end of a file ends a document (the original carried the last
    document of one file on into the next file when it did not end with a
    blank line; ELECTRA's builder ends it, as we do).
  * A line that is not valid UTF-8 is an error naming the file and line
    (`invalid_utf8="fail"`), or is skipped and counted
    (`invalid_utf8="skip"`). The original silently dropped the bad bytes.
"""
import dataclasses
import gzip
import zlib
from typing import Iterator, List, Sequence, Union

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from biom_tf import errors
from biom_tf import fileio
from biom_tf.lazy_tf import tf

INVALID_UTF8_MODES = ("fail", "skip")
# How many bad-line locations the manifest lists (all are counted).
MAX_REPORTED_LOCATIONS = 20


class CorpusError(ValueError):
  """An input that cannot be read as a corpus; the message names it."""


@dataclasses.dataclass
class Document:
  """One document: its stripped, non-blank lines, and where it starts."""
  path: str
  line_number: int  # 1-based line of the first sentence.
  lines: List[str]


@dataclasses.dataclass
class ReadStats:
  """What was skipped while reading, for the manifest."""
  invalid_utf8_lines: int = 0
  invalid_utf8_locations: List[str] = dataclasses.field(default_factory=list)
  empty_files: List[str] = dataclasses.field(default_factory=list)

  def to_dict(self):
    return dataclasses.asdict(self)

  def merge(self, other: "ReadStats"):
    """Adds `other` (of files read after these), as one reading would."""
    self.invalid_utf8_lines += other.invalid_utf8_lines
    room = MAX_REPORTED_LOCATIONS - len(self.invalid_utf8_locations)
    self.invalid_utf8_locations += other.invalid_utf8_locations[:max(room, 0)]
    self.empty_files += other.empty_files


def expand_patterns(patterns: Union[str, Sequence[str]]) -> List[str]:
  """`fileio.expand_patterns`, the one meaning of --input_file: comma-separated
  globs → the files, in order; a pattern that matches nothing is a
  CorpusError naming it."""
  return fileio.expand_patterns(patterns, CorpusError)


def file_size(path: str) -> int:
  try:
    return tf.io.gfile.stat(path).length
  except tf.errors.OpError as e:
    raise CorpusError(f"{path}: cannot read: {errors.reason(e)}") from None


def open_binary(path: str):
  """A binary file object for `path`: builtin open() for local paths (fast
  line iteration), tf.io.gfile otherwise; gunzipped when it ends in .gz."""
  try:
    if "://" in path:
      f = tf.io.gfile.GFile(path, "rb")
    else:
      f = open(path, "rb")
  except (tf.errors.OpError, OSError) as e:
    raise CorpusError(f"{path}: cannot read: {errors.reason(e)}") from None
  if path.endswith(".gz"):
    return gzip.GzipFile(fileobj=f, mode="rb")
  return f


def iter_lines(path: str, invalid_utf8: str = "fail",
               stats: ReadStats = None) -> Iterator[tuple]:
  """(line_number, text) for each line of `path`, decoded and stripped.

  Invalid UTF-8 raises CorpusError naming `path:line` when invalid_utf8 is
  "fail"; with "skip" the line is left out and counted in `stats`.
  """
  if invalid_utf8 not in INVALID_UTF8_MODES:
    raise CorpusError(
        f"invalid_utf8={invalid_utf8!r}: expected one of {INVALID_UTF8_MODES}")
  line_number = 0
  f = open_binary(path)
  try:
    for raw in f:
      line_number += 1
      try:
        text = raw.decode("utf-8")
      except UnicodeDecodeError as e:
        if invalid_utf8 == "fail":
          raise CorpusError(
              f"{path}:{line_number}: invalid UTF-8 ({e.reason} at byte "
              f"{e.start} of the line); fix the file or pass "
              f"--invalid_utf8=skip to skip such lines") from None
        if stats is not None:
          stats.invalid_utf8_lines += 1
          if len(stats.invalid_utf8_locations) < MAX_REPORTED_LOCATIONS:
            stats.invalid_utf8_locations.append(f"{path}:{line_number}")
        continue
      yield line_number, text.strip()
  except (OSError, EOFError, zlib.error, tf.errors.OpError) as e:
    raise CorpusError(
        f"{path}:{line_number + 1}: cannot read: {errors.reason(e)}") from None
  finally:
    f.close()


def iter_documents(paths: Sequence[str], invalid_utf8: str = "fail",
                   stats: ReadStats = None) -> Iterator[Document]:
  """The documents of the files, in order: runs of non-blank lines.

  A file with no non-blank line is recorded in `stats.empty_files`.
  """
  for path in paths:
    lines, first, found = [], 0, False
    for line_number, text in iter_lines(path, invalid_utf8, stats):
      if text:
        if not lines:
          first = line_number
        lines.append(text)
      elif lines:
        found = True
        yield Document(path, first, lines)
        lines = []
    if lines:
      found = True
      yield Document(path, first, lines)
    if not found and stats is not None:
      stats.empty_files.append(path)


def iter_sentences(paths: Sequence[str], invalid_utf8: str = "fail",
                   stats: ReadStats = None) -> Iterator[str]:
  """Every non-blank line of the files (vocabulary learning)."""
  for path in paths:
    for _, text in iter_lines(path, invalid_utf8, stats):
      if text:
        yield text
