"""One read and one encoding of a dataset for several fine-tuning runs.

`biom_tf.training.finetune.run_finetuning` asks `tasks.get_task` for its
task, reads the data directory and encodes each split with the tokenizer;
none of that depends on the seed (`max_train_examples` subsamples with a
fixed seed of its own). A driver that fine-tunes one dataset once per seed
(`training.blurb.run_blurb`) wraps those runs in

    with reuse.shared_tasks():
      for seed in seeds:
        run_finetuning(...)

and inside it `get_task` hands out one task object per set of options,
whose `read` reads a directory once and whose `encode` encodes each list of
examples once (the same example objects, tokenizer object, length and mode).
Outside such a block every call reads and encodes afresh.

`read` sets state on the task (its labels; QA's `encode` its casing), so a
shared task remembers one data directory and one tokenizer at a time: a
read of another directory, or an encoding with another tokenizer, forgets
what it remembered and reads (encodes) afresh, leaving the task's state
that of what it remembers. The block's end frees all of it.
"""
import contextlib
from typing import Callable, Dict, Hashable, Optional

from biom_tf.tasks import base

# Options → remembering task, inside `shared_tasks()`; None outside.
_shared: Optional[Dict[Hashable, "_Remembering"]] = None


@contextlib.contextmanager
def shared_tasks():
  """Within: `get_task` reuses its tasks, and they their reads and encodings
  (freed when the block ends)."""
  global _shared
  previous, _shared = _shared, {}
  try:
    yield
  finally:
    for shared in _shared.values():
      shared.forget()
    _shared = previous


def task_for(options: Hashable, make: Callable[[], base.Task]) -> base.Task:
  """`make()`; inside `shared_tasks()`, made once per `options`."""
  if _shared is None:
    return make()
  if options not in _shared:
    _shared[options] = _Remembering(make())
  return _shared[options].task


class _Remembering:
  """A task whose `read` and `encode` remember their last results: one data
  directory's splits, their encodings with one tokenizer."""

  def __init__(self, task: base.Task):
    self.task = task
    self._read, self._encode = task.read, task.encode
    self.data_dir, self.splits = None, None
    self.tokenizer, self.encodings = None, {}
    task.read, task.encode = self.read, self.encode

  def read(self, data_dir):
    if self.splits is None or data_dir != self.data_dir:
      self.splits, self.encodings = None, {}  # the task's state changes
      self.splits, self.data_dir = self._read(data_dir), data_dir
    return dict(self.splits)  # a caller may replace a split (subsample)

  def encode(self, examples, tokenizer, max_seq_length, training):
    if tokenizer is not self.tokenizer:
      self.tokenizer, self.encodings = tokenizer, {}
    key = (type(examples), tuple(map(id, examples)), max_seq_length, training)
    if key not in self.encodings:
      # The examples are held with it, so their ids stay theirs.
      self.encodings[key] = (
          self._encode(examples, tokenizer, max_seq_length, training),
          tuple(examples))
    return self.encodings[key][0]

  def forget(self):
    """The task's own `read` and `encode` again; everything remembered freed
    (the wrappers and the task refer to each other)."""
    del self.task.read, self.task.encode
    self._read = self._encode = None
    self.splits, self.encodings, self.tokenizer = None, {}, None
