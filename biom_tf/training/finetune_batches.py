"""Fine-tuning batches from encoded rows: shuffled, padded per batch.

Rows are encoded once, unpadded (`tasks.Encoded`); each batch is padded to
its longest row, rounded up to `pad_to_multiple_of` (fewer distinct shapes
to trace), and carries the head's loss `weights`
(`heads.Head.loss_weights`: each loss unit's share of the global batch mean).
"""
import math

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import numpy as np

from biom_tf import tasks as tasks_lib
from biom_tf.models import heads


def round_up(n: int, multiple: int) -> int:
  """`n` rounded up to a multiple of `multiple` (`n` itself for 0 or 1)."""
  return int(math.ceil(n / multiple) * multiple) if multiple > 1 else n


def steps_per_epoch(num_rows: int, batch_size: int) -> int:
  return int(math.ceil(num_rows / batch_size))


def num_train_steps(num_rows: int, batch_size: int,
                    num_train_epochs: float) -> int:
  """Training steps for `num_train_epochs` over `num_rows` (at least 1)."""
  return max(int(round(steps_per_epoch(num_rows, batch_size)
                       * num_train_epochs)), 1)


def training_batches(encoded: tasks_lib.Encoded, batch_size: int,
                     num_steps: int, seed: int, head: str,
                     pad_to_multiple_of: int = 1):
  """`num_steps` shuffled batches; a new permutation every pass over the data.

  Each batch: the inputs, `labels` and `weights` (`heads.HEADS[head]
  .batch_spec()`). The last batch of a pass may be smaller (every example is
  used once per epoch, as the Hugging Face Trainer does).
  """
  spec = heads.head_spec(head)
  rng = np.random.RandomState(seed)
  lengths = encoded.lengths()
  produced = 0
  while True:
    order = rng.permutation(len(encoded))
    for start in range(0, len(order), batch_size):
      if produced == num_steps:
        return
      rows = order[start:start + batch_size]
      width = round_up(int(lengths[rows].max()), pad_to_multiple_of)
      batch = encoded.batch(rows, length=width)
      batch["weights"] = spec.loss_weights(batch["labels"])
      yield batch
      produced += 1
