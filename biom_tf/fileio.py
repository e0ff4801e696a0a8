"""Small file helpers on `tf.io.gfile` (local paths, gs://, ram://).

Input globs (`--input_file` of every tool), atomic text and JSON writes,
reading a file's bytes, text or JSON with a one-line error in the caller's
error type (`read_bytes`, `read_text`, `read_json_value`,
`read_json_object`), and a
lenient `read_json` for manifests and indexes. TensorFlow is imported at the first call, not with
this module: `tfrecords`' text readers and writers (the PubMed conversion's
worker processes) import it without starting TensorFlow.
"""
import concurrent.futures
import json
import uuid
from typing import List, Optional, Sequence, Type, Union

from biom_tf import errors

# The temporary name of an output written in pieces
# (`tfrecords.writer.AtomicFile`: shards, vocabularies, text files):
# `<path>.incomplete`, renamed to `path` when complete. Readers skip it.
INCOMPLETE_SUFFIX = ".incomplete"


def _tf():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf


def split_patterns(patterns: Union[str, Sequence[str]]) -> List[str]:
  """Comma-separated paths or globs (or a list) → the non-empty, stripped."""
  if isinstance(patterns, str):
    patterns = patterns.split(",")
  return [p.strip() for p in patterns if p and p.strip()]


def expand_patterns(patterns: Union[str, Sequence[str]],
                    error: Type[Exception] = ValueError) -> List[str]:
  """Comma-separated globs (or a list of them) → the files, in order.

  Each pattern's matches are sorted; directories are left out; a file
  matched twice is kept at its first place. A pattern without wildcards
  names one file. No pattern, a pattern that cannot be listed, or one that
  matches no file is `error` with one line naming it.
  """
  tf = _tf()
  patterns = split_patterns(patterns)
  if not patterns:
    raise error("input_file: expected one or more paths or globs, got none")
  files = {}  # an ordered set
  for pattern in patterns:
    try:
      matches = sorted(tf.io.gfile.glob(pattern))
      # One file-system call a match: in parallel, for remote file systems.
      with concurrent.futures.ThreadPoolExecutor(16) as pool:
        directories = list(pool.map(tf.io.gfile.isdir, matches))
    except tf.errors.OpError as e:
      raise error(f"{pattern}: cannot list: {errors.reason(e)}") from None
    found = [m for m, directory in zip(matches, directories) if not directory]
    if not found:
      what = "only directories" if matches else "nothing"
      raise error(f"{pattern}: no such file (the pattern matches {what})")
    files.update(dict.fromkeys(found))
  return list(files)


def remove_if_exists(path: str):
  """Deletes `path` if it is there (best effort: errors are ignored)."""
  tf = _tf()
  try:
    if tf.io.gfile.exists(path):
      tf.io.gfile.remove(path)
  except tf.errors.OpError:
    pass


def write_atomic(path: str, text: str):
  """Writes `text` under a temporary name next to `path`, then renames it
  over `path`: a reader sees the old file or the new one, never a part. A
  failed write leaves `path` as it was and no temporary file."""
  tf = _tf()
  tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
  try:
    with tf.io.gfile.GFile(tmp, "w") as f:
      f.write(text)
    tf.io.gfile.rename(tmp, path, overwrite=True)
  except BaseException:
    remove_if_exists(tmp)
    raise


def write_json(path: str, value, indent: Optional[int] = 2,
               sort_keys: bool = True, ensure_ascii: bool = True):
  """`value` as JSON (indented, keys sorted unless told otherwise; non-ASCII
  characters escaped, or written as UTF-8 with ensure_ascii=False) and a
  newline, written atomically."""
  write_atomic(path, json.dumps(value, indent=indent, sort_keys=sort_keys,
                                ensure_ascii=ensure_ascii) + "\n")


def _hinted(message: str, hint: str) -> str:
  return f"{message}; {hint}" if hint else message


def read_bytes(path: str, error: Type[Exception], what: str = "file",
               hint: str = "") -> bytes:
  """The bytes of `path`; a missing or unreadable file is `error`, one line:

    PATH: WHAT not found
    PATH: cannot read WHAT (reason)

  `hint`, if given, ends the message after "; " (what to do about it).
  """
  tf = _tf()
  try:
    with tf.io.gfile.GFile(path, "rb") as f:
      return f.read()
  except tf.errors.NotFoundError:
    message = f"{path}: {what} not found"
  except (tf.errors.OpError, OSError) as e:
    reason = errors.reason(e)
    if reason.startswith(path):  # TensorFlow's "PATH; Is a directory"
      reason = reason[len(path):].lstrip(";: ") or reason
    message = f"{path}: cannot read {what} ({reason})"
  raise error(_hinted(message, hint)) from None


def read_text(path: str, error: Type[Exception], what: str = "file",
              hint: str = "") -> str:
  """The UTF-8 text of `path`; the errors of `read_bytes`, and

    PATH: not UTF-8 text (byte N)
  """
  data = read_bytes(path, error, what, hint)
  try:
    return data.decode("utf-8")
  except UnicodeDecodeError as e:
    raise error(_hinted(f"{path}: not UTF-8 text (byte {e.start})", hint)
                ) from None


def read_json_value(path: str, error: Type[Exception],
                    what: str = "JSON file", hint: str = ""):
  """The JSON value in `path` (any type); the errors of `read_text`, and

    PATH: not valid JSON (line N: msg)
  """
  text = read_text(path, error, what, hint)
  try:
    return json.loads(text)
  except json.JSONDecodeError as e:
    raise error(_hinted(f"{path}: not valid JSON (line {e.lineno}: {e.msg})",
                        hint)) from None


def read_json_object(path: str, error: Type[Exception],
                     what: str = "JSON file", hint: str = "") -> dict:
  """The JSON object in `path`; the errors of `read_json_value`, and

    PATH: not a JSON object (got TYPE)
  """
  value = read_json_value(path, error, what, hint)
  if not isinstance(value, dict):
    raise error(_hinted(f"{path}: not a JSON object (got "
                        f"{type(value).__name__})", hint))
  return value


def read_json(path: str) -> Optional[dict]:
  """The JSON object at `path`; None if it is absent, unreadable or not an
  object (manifests and indexes, rewritten when unusable)."""
  try:
    return read_json_object(path, ValueError)
  except ValueError:
    return None
