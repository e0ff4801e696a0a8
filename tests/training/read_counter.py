"""Counts the records the training input pipeline reads from its files.

`biom_tf.training.inputs._record_dataset` is the one place the pipeline opens
a TFRecord file; `ReadCounter` wraps it so that every record it yields (also
those passed over by a skip) adds one to a Python counter.
"""
import threading

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.training import inputs


class ReadCounter:
  """with ReadCounter() as c: ...; c.count is the records read since."""

  def __init__(self):
    self.count = 0
    self._lock = threading.Lock()
    self._original = None

  def _add(self, record):
    with self._lock:
      self.count += 1
    return record

  def __enter__(self):
    self._original = inputs._record_dataset  # pylint: disable=protected-access
    original = self._original

    def counting(path, compression):
      return original(path, compression).map(
          lambda r: tf.ensure_shape(
              tf.py_function(self._add, [r], tf.string), []))

    inputs._record_dataset = counting  # pylint: disable=protected-access
    return self

  def __exit__(self, *exc):
    inputs._record_dataset = self._original  # pylint: disable=protected-access
    return False
