"""Serialized `tf.train.Example`s for a whole block of instances, in numpy.

Building one `tf.train.Example` proto per instance costs more than all the
rest of the data generation. The wire format of an Example of fixed-length
int64/float features is simple, so we write it directly, for all rows of a
block at once:

  Example   = 0x0A len(Features) Features                 (field 1)
  Features  = for each feature: 0x0A len(Entry) Entry     (map entry, field 1)
  Entry     = 0x0A len(key) key 0x12 len(Feature) Feature (key 1, value 2)
  Feature   = 0x1A len(List) List (int64_list, field 3)
            | 0x12 len(List) List (float_list, field 2)
  List      = 0x0A len(values) values (packed repeated field 1: varints,
              or little-endian float32)

Every length is a varint. `tf.io.parse_example` reads these records like any
other (tests check it, and compare with protos built by `tf.train.Example`).
"""
import functools
from typing import List, Sequence, Tuple

import numpy as np

_MAX_VARINT_BYTES = 10
# Varints of values below _MAX_TABLE (ids, positions, lengths) are looked up
# in a table; larger ones are computed. Values of 2**28 or more (five-byte
# varints) never occur in pretraining records and are refused.
_MAX_TABLE = 1 << 20
_MAX_VALUE = 1 << 28


@functools.lru_cache(maxsize=16)
def _varint_table(size: int) -> np.ndarray:
  """Varints of 0..size-1 (size <= 2**28), four bytes per value.

  Returns uint32[size]: viewed as uint8, the varint of v is the first k
  bytes of table[v] (little-endian), and its other bytes are 0.
  """
  values = np.arange(size, dtype=np.int64)
  nbytes = _varint_len(values)
  data = np.zeros(size, np.uint32)
  for k in range(4):
    group = (values >> (7 * k)) & 0x7F
    more = (nbytes > k + 1).astype(np.int64) << 7
    present = nbytes > k
    data |= ((group | more) * present).astype(np.uint32) << np.uint32(8 * k)
  return data if np.little_endian else data.byteswap()


# A column of serialized bytes is either "plain" (every byte is written) or
# "slots" (4 bytes per varint: the varint, then zeros). In a slot, byte 0 is
# always part of the varint, and a later byte is iff it is not zero: the
# bytes after the first of a varint are never zero (each but the last has
# the continuation bit; the last holds the value's nonzero top bits).
_PLAIN, _SLOTS = False, True


def _varint_bytes(values: np.ndarray):
  """Varints of non-negative ints, one row per record.

  Args:
    values: int[N, L] (all >= 0, below 2**28).

  Returns:
    (bytes uint8[N, L] or uint8[N, 4 L], kind, lengths int64[N]): kind is
    _PLAIN (every value below 128: one byte each) or _SLOTS; lengths[r] is
    the total size of row r's varints.
  """
  n, width = values.shape
  top = int(values.max(initial=0))
  if top < 128:  # masks, segment ids, short positions: one byte each
    return values.astype(np.uint8), _PLAIN, np.full(n, width, np.int64)
  lengths = _varint_len(values).sum(axis=1)
  return _varint_column(values), _SLOTS, lengths


def _varint_column(values: np.ndarray) -> np.ndarray:
  """Varint slots of int[N] or int[N, L]: uint8[N, 4 L]."""
  top = int(values.max(initial=0))
  if top >= _MAX_VALUE:
    raise ValueError(f"value {top}: expected values below {_MAX_VALUE}")
  n = values.shape[0]
  if top < _MAX_TABLE:
    # Table sizes are powers of two, so that the cached tables are reused.
    table = _varint_table(1 << max(7, top.bit_length()))
    return np.take(table, values).view(np.uint8).reshape(n, -1)
  values = values.astype(np.int64)[..., None]
  k = np.arange(4)
  nbytes = _varint_len(values)
  group = (values >> (7 * k)) & 0x7F
  more = (nbytes > k + 1).astype(np.int64) << 7
  return (group | more).astype(np.uint8).reshape(n, -1)


def _varint_len(values: np.ndarray) -> np.ndarray:
  """How many bytes the varint of each (non-negative) value takes."""
  n = np.ones(np.shape(values), np.int64)
  top = int(np.max(values, initial=0))
  for k in range(1, _MAX_VARINT_BYTES):
    if top < (1 << (7 * k)):
      break
    n += values >= (1 << (7 * k))
  return n


def _constant(data: bytes, n: int):
  """The same bytes in each of n rows: a plain column uint8[n, len(data)]."""
  row = np.frombuffer(data, np.uint8)
  return np.broadcast_to(row, (n, len(row))), _PLAIN


def serialize_examples(
    features: Sequence[Tuple[str, np.ndarray]]) -> Tuple[bytes, np.ndarray]:
  """Serialized Examples of N rows.

  Args:
    features: (name, values) in the order to write them; values int[N, L]
      (non-negative; written as an int64_list) or float32[N, L] (a
      float_list).

  Returns:
    (data, offsets): record i is data[offsets[i]:offsets[i + 1]].
  """
  n = features[0][1].shape[0]
  columns: List[tuple] = []  # (bytes [N, w], kind) in output order
  features_len = np.zeros(n, np.int64)
  for name, values in features:
    key = name.encode("utf-8")
    if values.dtype.kind == "f":
      payload = np.ascontiguousarray(values, "<f4").view(np.uint8)
      payload = payload.reshape(n, -1)
      kind = _PLAIN
      payload_len = np.full(n, payload.shape[1], np.int64)
      feature_tag = b"\x12"
    else:
      if values.size and values.min() < 0:
        raise ValueError(f"feature {name}: negative values are not supported")
      payload, kind, payload_len = _varint_bytes(values)
      feature_tag = b"\x1a"
    key_part = b"\x0a" + _encode_varint(len(key)) + key + b"\x12"
    if (payload_len == payload_len[0]).all():
      # Every row has the same header: write it once.
      p = int(payload_len[0])
      lst = 1 + len(_encode_varint(p)) + p
      feat = 1 + len(_encode_varint(lst)) + lst
      entry = len(key_part) + len(_encode_varint(feat)) + feat
      header = (b"\x0a" + _encode_varint(entry) + key_part +
                _encode_varint(feat) + feature_tag + _encode_varint(lst) +
                b"\x0a" + _encode_varint(p))
      features_len += len(header) + p  # = 1 + len(varint(entry)) + entry
      columns.append(_constant(header, n))
    else:
      list_len = 1 + _varint_len(payload_len) + payload_len
      feature_len = 1 + _varint_len(list_len) + list_len
      entry_len = len(key_part) + _varint_len(feature_len) + feature_len
      features_len += 1 + _varint_len(entry_len) + entry_len
      columns += [
          _constant(b"\x0a", n), (_varint_column(entry_len), _SLOTS),
          _constant(key_part, n), (_varint_column(feature_len), _SLOTS),
          _constant(feature_tag, n), (_varint_column(list_len), _SLOTS),
          _constant(b"\x0a", n), (_varint_column(payload_len), _SLOTS),
      ]
    columns.append((payload, kind))
  columns = [_constant(b"\x0a", n), (_varint_column(features_len), _SLOTS)
             ] + columns
  data = np.concatenate([c[0] for c in columns], axis=1)
  # Which bytes of a row are written: all of a plain column; in slots, the
  # first byte of each and the nonzero others.
  always = np.concatenate([
      np.ones(c.shape[1], bool) if kind == _PLAIN else
      np.arange(c.shape[1]) % 4 == 0 for c, kind in columns])
  valid = data != 0
  valid |= always
  # Each record: the 0x0A tag, the varint of features_len, the features.
  offsets = np.zeros(n + 1, np.int64)
  np.cumsum(1 + _varint_len(features_len) + features_len, out=offsets[1:])
  return np.compress(valid.ravel(), data.ravel()).tobytes(), offsets


def _encode_varint(value: int) -> bytes:
  out = bytearray()
  while True:
    byte = value & 0x7F
    value >>= 7
    if value:
      out.append(byte | 0x80)
    else:
      out.append(byte)
      return bytes(out)
