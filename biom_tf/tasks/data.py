"""What every task's reader shares: the error type, split files, line readers.

Splits are named `train`, `devel` and `test` (the MTL-2016 names); a data
directory may spell the middle one `dev`, `devel`, `valid` or `validation`.
The training file may be another one when asked (`train_split`): BioBERT's
NER protocol trains on `train_dev.tsv` (train + devel) and reports test.
"""
import json
import os
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import tensorflow as tf

from biom_tf import fileio
from biom_tf.errors import DataError

SPLITS = ("train", "devel", "test")
_SPLIT_STEMS = {"train": ("train",),
                "devel": ("devel", "dev", "valid", "validation"),
                "test": ("test",)}


TRAIN_SPLITS = ("train", "train_dev")


def check_train_split(train_split: str) -> str:
  """`train_split` if it is a known training file stem, else a DataError."""
  if train_split not in TRAIN_SPLITS:
    raise DataError(f"train_split={train_split!r}: expected one of "
                    f"{', '.join(TRAIN_SPLITS)}")
  return train_split


def find_split_file(data_dir: str, split: str,
                    extensions: Sequence[str],
                    train_split: str = "train") -> Optional[str]:
  """`data_dir/<stem><ext>` for the first stem of `split` and extension found
  (the train split's stem is `train_split`)."""
  stems = (train_split,) if split == "train" else _SPLIT_STEMS[split]
  for stem in stems:
    for ext in extensions:
      path = os.path.join(data_dir, stem + ext)
      if tf.io.gfile.exists(path):
        return path
  return None


def split_files(data_dir: str, extensions: Sequence[str],
                what: str, train_split: str = "train") -> Dict[str, str]:
  """The train / devel / test files of a data directory; all three required.

  Args:
    data_dir: directory of the task data.
    extensions: accepted file extensions, in order of preference ('.tsv').
    what: a description of the expected format for the error message.
    train_split: the stem of the training file ('train' or 'train_dev').
  """
  if not tf.io.gfile.isdir(data_dir):
    raise DataError(f"{data_dir}: data directory not found")
  files = {}
  for split in SPLITS:
    path = find_split_file(data_dir, split, extensions, train_split)
    if path is None:
      stems = (train_split,) if split == "train" else _SPLIT_STEMS[split]
      names = " or ".join(s + e for s in stems for e in extensions)
      present = ", ".join(sorted(tf.io.gfile.listdir(data_dir))[:8]) or "nothing"
      raise DataError(f"{data_dir}: no {split} split ({names}) for {what}; "
                      f"the directory holds {present}")
    files[split] = path
  return files


def read_lines(path: str) -> List[str]:
  """The file's lines without line terminators; a missing file is an error."""
  return fileio.read_text(path, DataError).splitlines()


def read_jsonl(path: str) -> Iterator[Tuple[int, dict]]:
  """(line number, object) for each non-blank line of a JSON-lines file."""
  for number, line in enumerate(read_lines(path), start=1):
    if not line.strip():
      continue
    try:
      value = json.loads(line)
    except json.JSONDecodeError as e:
      raise DataError(f"{path}:{number}: not a JSON object ({e.msg})") from None
    if not isinstance(value, dict):
      raise DataError(f"{path}:{number}: expected a JSON object, got "
                      f"{type(value).__name__}")
    yield number, value


def read_json(path: str):
  """The JSON value of a task file (any type: the reader checks its shape)."""
  return fileio.read_json_value(path, DataError, "file")


def require_examples(examples: list, path: str, what: str = "examples"):
  """An empty split is an error naming the file."""
  if not examples:
    raise DataError(f"{path}: no {what} (empty split)")
  return examples
