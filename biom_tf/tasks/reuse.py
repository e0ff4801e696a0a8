"""One read and one encoding of a dataset for several fine-tuning runs.

`biom_tf.training.finetune.run_finetuning` asks `tasks.get_task` for its
task, reads the data directory and encodes each split with the tokenizer;
none of that depends on the seed (`max_train_examples` subsamples with a
fixed seed of its own). A driver that fine-tunes one dataset once per seed
(`tasks.blurb.run_blurb`) wraps those runs in

    with reuse.shared_tasks():
      for seed in seeds:
        run_finetuning(...)

and inside it `get_task` hands out one task object per set of options,
whose `read` reads each directory once and whose `encode` encodes each list
of examples once (the same example objects with the same tokenizer object,
length and mode). Outside such a block every call reads and encodes afresh.
"""
import contextlib
from typing import Callable, Dict, Hashable, Optional

from biom_tf.tasks import base

# Options → task, inside `shared_tasks()`; None outside.
_shared: Optional[Dict[Hashable, base.Task]] = None


@contextlib.contextmanager
def shared_tasks():
  """Within: `get_task` reuses its tasks, and they their reads and encodings
  (freed when the block ends)."""
  global _shared
  previous, _shared = _shared, {}
  try:
    yield
  finally:
    _shared = previous


def task_for(options: Hashable, make: Callable[[], base.Task]) -> base.Task:
  """`make()`; inside `shared_tasks()`, made once per `options`."""
  if _shared is None:
    return make()
  if options not in _shared:
    _shared[options] = _read_and_encode_once(make())
  return _shared[options]


def _read_and_encode_once(task: base.Task) -> base.Task:
  """`task`, its `read` and `encode` remembering their results."""
  read, encode = task.read, task.encode
  reads, encodings = {}, {}

  def read_once(data_dir):
    if data_dir not in reads:
      reads[data_dir] = read(data_dir)
    return dict(reads[data_dir])  # a caller may replace a split (subsample)

  def encode_once(examples, tokenizer, max_seq_length, training):
    key = (type(examples), tuple(map(id, examples)), id(tokenizer),
           max_seq_length, training)
    if key not in encodings:
      # Examples and tokenizer are held with it, so their ids stay theirs.
      encodings[key] = (encode(examples, tokenizer, max_seq_length, training),
                        examples, tokenizer)
    return encodings[key][0]

  task.read, task.encode = read_once, encode_once
  return task
