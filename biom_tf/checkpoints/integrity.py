"""One checked way to read a checkpoint's files.

TensorFlow reports a truncated or bit-flipped `.data` shard, or a damaged or
missing `.index`, with an exception (or an `IndexError` from its Python
reader) that names no file and comes from deep inside the restore. Every
loader in biom_tf reads through the functions here instead, which turn any
such error into one line:

    `PREFIX: damaged checkpoint (WHAT)`

raised as `CheckpointError` (a `ValueError`, so the tools print it and exit).

  * `open_reader(prefix)` opens the index (TensorFlow's checkpoint reader);
  * `check_readable(prefix)` reads every tensor once and discards it (one at a
    time, so memory stays at the largest tensor): for loaders that then
    restore through `tf.train.Checkpoint`, which would otherwise fail halfway
    with a traceback;
  * `assign_checked(where, family, rows, missing)`: the TF1 and Hugging Face
    loaders' one way of assigning, every shape checked and every tensor read
    before the first assignment.
"""
from typing import Callable, List, NamedTuple

import numpy as np
import tensorflow as tf

from biom_tf import errors

# The Python wrapper of TensorFlow's bundle reader raises these for damaged
# files besides `tf.errors.OpError` (e.g. "IndexError: Read less bytes than
# requested" for a truncated shard).
_READ_ERRORS = (tf.errors.OpError, IndexError, ValueError, RuntimeError,
                OSError, UnicodeDecodeError)


class CheckpointError(ValueError):
  """A checkpoint that cannot be used: names the path and what is wrong."""


def short_line(error: BaseException) -> str:
  """The first line of `error`, short enough for a one-line message."""
  line = errors.first_line(error)
  return line if len(line) <= 200 else line[:197] + "..."


def damaged(prefix: str, what) -> CheckpointError:
  """The error for a damaged checkpoint; `what` is a string or exception."""
  if isinstance(what, BaseException):
    what = short_line(what)
  return CheckpointError(f"{prefix}: damaged checkpoint ({what})")


class CheckedReader:
  """A `tf.train.CheckpointReader` whose reads raise `CheckpointError`."""

  def __init__(self, prefix: str, reader):
    self.prefix = prefix
    self._reader = reader

  def get_variable_to_shape_map(self):
    return self._reader.get_variable_to_shape_map()

  def get_variable_to_dtype_map(self):
    return self._reader.get_variable_to_dtype_map()

  def has_tensor(self, name: str) -> bool:
    return self._reader.has_tensor(name)

  def get_tensor(self, name: str) -> np.ndarray:
    try:
      return self._reader.get_tensor(name)
    except _READ_ERRORS as e:
      raise damaged(self.prefix, f"tensor {name!r}: {short_line(e)}") from None


def open_reader(prefix: str) -> CheckedReader:
  """Opens checkpoint `prefix` (a prefix, not a directory) for checked reads.

  Raises `CheckpointError` when the index is missing or damaged, or a data
  shard it lists is missing.
  """
  if not tf.io.gfile.exists(prefix + ".index"):
    raise damaged(prefix, f"missing {prefix}.index")
  try:
    # Not `tf.train.load_checkpoint`: it first asks whether `prefix` is a
    # directory, which `ram://` answers yes for any path.
    reader = tf.compat.v1.train.NewCheckpointReader(prefix)
  except _READ_ERRORS as e:
    raise damaged(prefix, e) from None
  return CheckedReader(prefix, reader)


def check_readable(prefix: str) -> None:
  """Reads every tensor of checkpoint `prefix` once; raises `CheckpointError`.

  Catches a truncated or bit-flipped `.data` shard (TensorFlow checks each
  tensor's CRC32C when it is read), a missing shard and a damaged index.
  """
  reader = open_reader(prefix)
  for name, dtype in sorted(reader.get_variable_to_dtype_map().items()):
    if dtype == tf.variant:  # e.g. a saved iterator: no numpy form
      _read_variant(prefix, name)
    else:
      reader.get_tensor(name)


def _read_variant(prefix: str, name: str):
  """Reads a DT_VARIANT tensor with the restore op (checksum checked)."""
  try:
    tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=[name],
                         shape_and_slices=[""], dtypes=[tf.variant])
  except _READ_ERRORS as e:
    raise damaged(prefix, f"tensor {name!r}: {short_line(e)}") from None


class Row(NamedTuple):
  """One tensor a loader found for one variable of the model."""
  variable: tf.Variable
  name: str                        # the tensor's name (key) in the file
  shape: List[int]                 # its shape there
  expected: List[int]              # the shape the model needs, same layout
  read: Callable[[], np.ndarray]   # its value in our layout (TF1: checksum
                                   # checked)


def assign_checked(where: str, family: str, rows: List[Row],
                   missing: List[str]):
  """Checks, then assigns: the one way the TF1 and Hugging Face loaders
  write into a model, nothing unless everything is right.

  `rows`: one per tensor found; `missing`: the names not found. A shape that
  differs, or anything missing, is one `CheckpointError` line naming
  `where`, raised before any tensor is assigned; then every value is read
  (and converted) before the first is assigned.
  """
  mismatched = [f"{r.name} has shape {list(r.shape)}, expected "
                f"{list(r.expected)}" for r in rows
                if list(r.shape) != list(r.expected)]
  if mismatched:
    raise CheckpointError(
        f"{where}: {len(mismatched)} tensor(s) do not match the "
        f"{family} config: {mismatched[0]}"
        + (f" (and {len(mismatched) - 1} more)" if len(mismatched) > 1 else ""))
  if missing:
    raise CheckpointError(f"{where}: {len(missing)} tensor(s) of the "
                          f"{family} model missing, e.g. {missing[0]!r}")
  values = [(r.variable, r.read()) for r in rows]
  for variable, value in values:
    variable.assign(value)
