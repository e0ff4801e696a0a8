"""Small file helpers on `tf.io.gfile` (local paths, gs://, ram://).

  * Input globs: `expand_patterns`, the one meaning of every tool's
    `--input_file`.
  * Atomic writes: `AtomicFile` / `atomic_file` (a file written in pieces:
    shards, vocabularies, text), `write_atomic` and `write_json` (a whole
    text or bytes value). A failure is `errors.OutputError`, one line naming
    the file.
  * Reads with a one-line error in the caller's error type: `read_bytes`,
    `read_text`, `read_json_value`, `read_json_object`; and a lenient
    `read_json` for manifests and indexes.

TensorFlow is imported at its first use (`biom_tf.lazy_tf`), not with this
module, and local files are written with Python's own files: `tfrecords`'
text readers and writers (the PubMed conversion's worker processes) use
this module without starting TensorFlow.
"""
import concurrent.futures
import contextlib
import io
import json
import os
from typing import List, Optional, Sequence, Type, Union

from biom_tf import errors
from biom_tf.lazy_tf import tf

# The temporary name of an output being written (`AtomicFile`):
# `<path>.incomplete`, renamed to `path` when complete. Readers skip it; the
# next write of `path` (a rerun) overwrites it.
INCOMPLETE_SUFFIX = ".incomplete"


def split_patterns(patterns: Union[str, Sequence[str]]) -> List[str]:
  """Comma-separated paths or globs (or a list) → the non-empty, stripped."""
  if isinstance(patterns, str):
    patterns = patterns.split(",")
  return [p.strip() for p in patterns if p and p.strip()]


def expand_patterns(patterns: Union[str, Sequence[str]],
                    error: Type[Exception] = ValueError,
                    name: str = "input_file") -> List[str]:
  """Comma-separated globs (or a list of them) → the files, in order.

  Each pattern's matches are sorted; directories are left out; a file
  matched twice is kept at its first place. A pattern without wildcards
  names one file. No pattern (`name`: the flag that gave them), a pattern
  that cannot be listed, or one that matches no file is `error` with one
  line naming it.
  """
  patterns = split_patterns(patterns)
  if not patterns:
    raise error(f"{name}: expected one or more paths or globs, got none")
  files = {}  # an ordered set
  # One file-system call a match: in parallel, for remote file systems.
  with concurrent.futures.ThreadPoolExecutor(16) as pool:
    for pattern in patterns:
      try:
        matches = sorted(tf.io.gfile.glob(pattern))
        directories = list(pool.map(tf.io.gfile.isdir, matches))
      except tf.errors.OpError as e:
        raise error(f"{pattern}: cannot list: {errors.reason(e)}") from None
      found = [m for m, directory in zip(matches, directories)
               if not directory]
      if not found:
        what = "only directories" if matches else "nothing"
        raise error(f"{pattern}: no such file (the pattern matches {what})")
      files.update(dict.fromkeys(found))
  return list(files)


def remove_if_exists(path: str):
  """Deletes `path` if it is there (best effort: errors are ignored)."""
  try:
    if tf.io.gfile.exists(path):
      tf.io.gfile.remove(path)
  except tf.errors.OpError:
    pass


def _is_op_error(e: BaseException) -> bool:
  """A TensorFlow OpError, without importing TensorFlow for other errors."""
  return (type(e).__module__.startswith("tensorflow") and
          isinstance(e, tf.errors.OpError))


class AtomicFile:
  """A file written under a temporary name (`<path>.incomplete`) and renamed
  to `path` by `commit()`, so `path` is complete or absent (or, if it was
  there, the old file); `abort()` deletes the temporary. Errors are
  `errors.OutputError` naming `path`. Local paths use Python's own files (no
  TensorFlow needed); others (`gs://`, `ram://`, ...) tf.io.gfile.

  The temporary name is fixed, not unique, so that a killed run's temporary
  is overwritten by the next run, not left behind. Two processes writing the
  same `path` at once would share it; every output has one writer (a
  pretraining run's files: its chief, the other workers write under
  `worker-N/`; data creation: one process or Beam task per shard, the
  driver writes the manifest).
  """

  def __init__(self, path: str, mode: str = "wb"):
    self.path = path
    self.temp_path = path + INCOMPLETE_SUFFIX
    self._local = "://" not in path
    self.file = None
    try:
      if self._local:
        self.file = open(  # pylint: disable=consider-using-with
            self.temp_path, mode, encoding=None if "b" in mode else "utf-8")
      else:
        # A killed run's temporary goes first: ram:// appends to a file
        # that is there.
        remove_if_exists(self.temp_path)
        self.file = tf.io.gfile.GFile(self.temp_path, mode)
        # GFile creates the file at the first write: create it now, so an
        # empty output exists and an unwritable path fails here.
        self.file.write(b"" if "b" in mode else "")
    except BaseException as e:
      self._raise("write", e)

  def _raise(self, doing: str, e: BaseException):
    """Raises a file system's error `e` as an OutputError naming `path`
    once; re-raises other errors."""
    if (isinstance(e, OSError) and not isinstance(e, errors.OutputError) or
        _is_op_error(e)):
      raise errors.OutputError(
          f"{self.path}: cannot {doing}: "
          f"{errors.reason(e, (self.path, self.temp_path))}") from None
    raise e

  def write(self, data: Union[str, bytes]):
    try:
      self.file.write(data)
    except BaseException as e:
      self._raise("write", e)

  def commit(self) -> int:
    """Flushes, renames to the final name; returns the file size in bytes."""
    try:
      self.file.close()
      self.file = None
      if self._local:
        os.replace(self.temp_path, self.path)
        return os.path.getsize(self.path)
      tf.io.gfile.rename(self.temp_path, self.path, overwrite=True)
      return tf.io.gfile.stat(self.path).length
    except BaseException as e:
      self.abort()
      self._raise("finish", e)

  def abort(self):
    """Closes and deletes the temporary file (best effort)."""
    if self.file is not None:
      try:
        self.file.close()
      except Exception:  # pylint: disable=broad-except
        pass  # OSError, or an OpError of a remote file system
      self.file = None
    if self._local:
      try:
        os.remove(self.temp_path)
      except OSError:
        pass
    else:
      remove_if_exists(self.temp_path)


@contextlib.contextmanager
def atomic_file(path: str, mode: str = "wb"):
  """`with atomic_file(path) as f: f.write(...)`: an AtomicFile committed
  when the block ends, aborted if it raises (a file system's error as an
  `errors.OutputError` naming `path`)."""
  out = AtomicFile(path, mode)
  try:
    yield out
  except BaseException as e:
    out.abort()
    out._raise("write", e)  # pylint: disable=protected-access
  out.commit()


def write_atomic(path: str, data: Union[str, bytes]):
  """Writes `data` (text as UTF-8, or bytes) under a temporary name next to
  `path`, then renames it over `path`: a reader sees the old file or the new
  one, never a part. A failed write is `errors.OutputError` naming `path`;
  it leaves `path` as it was and no temporary file."""
  with atomic_file(path, "wb" if isinstance(data, bytes) else "w") as f:
    f.write(data)


def write_png(path: str, figure, dpi: int = 100):
  """A matplotlib `figure` as a PNG file at `path`, written atomically."""
  data = io.BytesIO()
  figure.savefig(data, format="png", dpi=dpi)
  write_atomic(path, data.getvalue())


def write_json(path: str, value, indent: Optional[int] = 2,
               sort_keys: bool = True, ensure_ascii: bool = True):
  """`value` as JSON (indented, keys sorted unless told otherwise; non-ASCII
  characters escaped, or written as UTF-8 with ensure_ascii=False) and a
  newline, written atomically (`write_atomic`)."""
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
  try:
    with tf.io.gfile.GFile(path, "rb") as f:
      return f.read()
  except tf.errors.NotFoundError:
    message = f"{path}: {what} not found"
  except (tf.errors.OpError, OSError) as e:
    message = f"{path}: cannot read {what} ({errors.reason(e, path)})"
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
