"""TFRecord bytes, output files that are complete or absent, the manifest.

  * `tfrecord_bytes` frames a block's serialized records as a TFRecord file
    (length, masked CRC-32C, data, CRC), gzip-compressed if asked. Workers do
    this, so that the process writing a shard only appends bytes: TFRecord
    files concatenate, and so do gzip members (TensorFlow's GZIP reader reads
    a multi-member file through).
  * A shard is written under a temporary name (`<shard>.incomplete`:
    `biom_tf.fileio.AtomicFile`) and renamed to its final name when its last
    block is written, so a crash never leaves a final-named, half-written
    shard.
  * The manifest (`<output>.manifest.json`) records the flags, the vocabulary
    hash, the inputs and, per shard, its record count and size. It is
    rewritten (atomically: `biom_tf.fileio`) after every completed shard, so
    a rerun with the same flags and inputs can tell which shards are done
    and redo only the others.
"""
import gzip
import itertools
import os
from typing import Optional

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from biom_tf import errors
from biom_tf import fileio
from biom_tf.lazy_tf import tf
import numpy as np

# TensorFlow's own GZIP TFRecord writer uses zlib's default level.
GZIP_LEVEL = 6
_scratch_names = itertools.count()


# An output path that cannot be written; the message names it (one class for
# data creation and `biom_tf.fileio`'s atomic writes).
OutputError = errors.OutputError


def _cannot(path: str, doing: str, e: BaseException) -> OutputError:
  return OutputError(f"{path}: cannot {doing}: {errors.reason(e, path)}")


def tfrecord_bytes(data: bytes, offsets: np.ndarray,
                   compress: bool = False) -> bytes:
  """Records data[offsets[i]:offsets[i + 1]] as the bytes of a TFRecord file.

  The framing (and its CRC-32C) is TensorFlow's: the records are written
  with tf.io.TFRecordWriter to an in-memory (ram://) file and read back.
  With `compress`, the bytes are one gzip member (deterministic: no time
  stamp).
  """
  path = f"ram://biom_tf_tfrecords/{os.getpid()}-{next(_scratch_names)}"
  with tf.io.TFRecordWriter(path) as out:
    # One call per record: call the (pybind) base class's `write` directly,
    # not TFRecordWriter's Python wrapper around it.
    write = super(tf.io.TFRecordWriter, out).write
    bounds = offsets.tolist()
    for begin, end in zip(bounds[:-1], bounds[1:]):
      write(data[begin:end])
  # One read op for the whole file (GFile.read reads it in pieces).
  framed = tf.io.read_file(path).numpy()
  tf.io.gfile.remove(path)
  if compress:
    return gzip.compress(framed, compresslevel=GZIP_LEVEL, mtime=0)
  return framed


class ShardWriter:
  """A shard file written under a temporary name, renamed by `close()`."""

  def __init__(self, path: str):
    self.path = path
    self._file = fileio.AtomicFile(path)
    self.temp_path = self._file.temp_path
    self.records = 0

  def write_block(self, data: bytes, records: int):
    """Appends `tfrecord_bytes` output holding `records` records."""
    self._file.write(data)
    self.records += records

  def close(self) -> int:
    """Flushes, renames to the final name; returns the file size in bytes."""
    return self._file.commit()

  def abort(self):
    """Closes and deletes the temporary file (best effort)."""
    self._file.abort()


def write_manifest(path: str, manifest: dict):
  """Writes `manifest` atomically, in the one format of both runners (the
  local and the Beam runner write the same bytes); a failure is an
  OutputError naming `path`."""
  fileio.write_json(path, manifest, indent=1, sort_keys=False)


def file_size_or_none(path: str) -> Optional[int]:
  try:
    return tf.io.gfile.stat(path).length
  except tf.errors.OpError:
    return None


def refuse_existing(paths, flag: str = "--overwrite"):
  """OutputError naming the first of `paths` that exists (and `flag`)."""
  for path in paths:
    try:
      found = tf.io.gfile.exists(path)
    except tf.errors.OpError as e:
      raise _cannot(path, "check", e) from None
    if found:
      raise OutputError(f"{path} exists; pass {flag} to replace it")


def make_parent_dirs(path: str):
  """Creates the directory `path` goes in (not a bucket: gs://bucket/x)."""
  parent = path.rsplit("/", 1)[0] if "/" in path else ""
  if "://" in parent and "/" not in parent.split("://", 1)[1]:
    return
  if parent:
    try:
      tf.io.gfile.makedirs(parent)
    except tf.errors.OpError as e:
      raise _cannot(path, "create its directory", e) from None
