"""Small file helpers on `tf.io.gfile` (local paths, gs://, ram://)."""
import json
import uuid

import tensorflow as tf


def write_atomic(path: str, text: str):
  """Writes `text` under a temporary name next to `path`, then renames it
  over `path`: a reader sees the old file or the new one, never a part."""
  tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
  with tf.io.gfile.GFile(tmp, "w") as f:
    f.write(text)
  tf.io.gfile.rename(tmp, path, overwrite=True)


def write_json(path: str, value):
  """`value` as indented, key-sorted JSON, written atomically."""
  write_atomic(path, json.dumps(value, indent=2, sort_keys=True) + "\n")
