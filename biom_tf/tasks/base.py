"""The contract between a task (data, labels, metric) and the fine-tuning loop.

A `Task` reads its data directory into examples, encodes examples into
`Encoded` model inputs (one row per model input; a long NER sentence or QA
context gives several rows), and turns the model's outputs for those rows
back into per-example predictions and metrics. The loop in
`biom_tf/training/finetune.py` knows nothing else about the task.

Heads (`biom_tf.models.heads.HEADS`), and the labels each one trains on:
  token       int32 [len] per row, -1 where no label (subword tails, specials)
  sequence    int32 [N]            (single-label classification / relations)
  multilabel  float32 [N, L]       (0/1 per label, sigmoid)
  regression  float32 [N]          (similarity scores)
  span        int32 [N, 2]         (start, end token of the answer; 0, 0 = none)
"""
import abc
import dataclasses
import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np


@dataclasses.dataclass
class Encoded:
  """Unpadded model inputs of one split.

  Attributes:
    input_ids: int32 [len_i] per row: [CLS] ... [SEP] (... [SEP]).
    type_ids: int32 [len_i] per row (segment ids).
    labels: what the task's head trains on (see module docstring); None for
      rows that are only predicted.
    meta: whatever the task needs to map rows back to examples.
    pad_id: the tokenizer's [PAD] id.
  """
  input_ids: List[np.ndarray]
  type_ids: List[np.ndarray]
  labels: Any = None
  meta: Any = None
  pad_id: int = 0

  def __len__(self) -> int:
    return len(self.input_ids)

  def lengths(self) -> np.ndarray:
    return np.array([len(x) for x in self.input_ids], dtype=np.int64)

  def batch(self, rows: Sequence[int], with_labels: bool = True,
            length: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Rows padded to the longest of them (or to `length`).

    Returns input_word_ids, input_mask, input_type_ids int32 [B, S] and, with
    labels, `labels` shaped per head (token labels padded with -1).
    """
    rows = list(rows)
    width = length or max(len(self.input_ids[i]) for i in rows)
    ids = np.full((len(rows), width), self.pad_id, dtype=np.int32)
    types = np.zeros((len(rows), width), dtype=np.int32)
    mask = np.zeros((len(rows), width), dtype=np.int32)
    for b, i in enumerate(rows):
      n = len(self.input_ids[i])
      ids[b, :n] = self.input_ids[i]
      types[b, :n] = self.type_ids[i]
      mask[b, :n] = 1
    out = {"input_word_ids": ids, "input_mask": mask, "input_type_ids": types}
    if with_labels and self.labels is not None:
      if isinstance(self.labels, list):  # token labels, one array per row
        labels = np.full((len(rows), width), -1, dtype=np.int32)
        for b, i in enumerate(rows):
          labels[b, :len(self.labels[i])] = self.labels[i]
        out["labels"] = labels
      else:
        out["labels"] = self.labels[rows]
    return out


def truncate_pair(tokens_a: list, tokens_b: Optional[list], max_tokens: int):
  """Shortens the longer of two token lists one token at a time (BERT's rule)."""
  tokens_a = list(tokens_a)
  tokens_b = list(tokens_b) if tokens_b is not None else None
  while len(tokens_a) + len(tokens_b or []) > max_tokens:
    if tokens_b and len(tokens_b) > len(tokens_a):
      tokens_b.pop()
    else:
      tokens_a.pop()
  return tokens_a, tokens_b


def encode_texts(tokenizer, texts_a: Sequence[str],
                 texts_b: Optional[Sequence[str]],
                 max_seq_length: int) -> Tuple[List[np.ndarray], List[np.ndarray]]:
  """[CLS] a [SEP] (b [SEP]) ids and segment ids for each text (pair).

  Tokenizes each list in one batch; over-long inputs are truncated by
  `truncate_pair` (the longer text loses its tail first).
  """
  ids_a = [tokenizer.convert_tokens_to_ids(t)
           for t in tokenizer.tokenize_batch(list(texts_a))]
  ids_b = ([tokenizer.convert_tokens_to_ids(t)
            for t in tokenizer.tokenize_batch(list(texts_b))]
           if texts_b is not None else [None] * len(ids_a))
  input_ids, type_ids = [], []
  for a, b in zip(ids_a, ids_b):
    a, b = truncate_pair(a, b, max_seq_length - (3 if b is not None else 2))
    ids = [tokenizer.cls_id] + a + [tokenizer.sep_id]
    types = [0] * len(ids)
    if b is not None:
      ids += b + [tokenizer.sep_id]
      types += [1] * (len(b) + 1)
    input_ids.append(np.array(ids, dtype=np.int32))
    type_ids.append(np.array(types, dtype=np.int32))
  return input_ids, type_ids


class Task(abc.ABC):
  """One fine-tuning task: its reader, labels, encoding and metric.

  Subclasses set `name`, `head` and `main_metric` (the key of the headline
  score in `evaluate`'s metrics) and implement `read`, `encode`, `evaluate`.
  """
  name = ""
  head = ""
  main_metric = ""

  def __init__(self):
    self.labels: List[str] = []

  # ------------------------------------------------------------- data
  @abc.abstractmethod
  def read(self, data_dir: str) -> Dict[str, list]:
    """{'train': [...], 'devel': [...], 'test': [...]} examples."""

  def folds(self, splits: Dict[str, list]) -> List[Dict[str, list]]:
    """Train/devel/test sets to run; one unless the task cross-validates."""
    return [splits]

  @property
  def num_outputs(self) -> int:
    """Width of the head's output (labels; 1 for regression; 2 for spans)."""
    return len(self.labels)

  def label_map(self) -> Dict[str, Any]:
    """What a saved model needs to turn outputs into labels (label_map.json)."""
    return {"task": self.name, "head": self.head, "labels": list(self.labels)}

  # ----------------------------------------------------- model inputs
  @abc.abstractmethod
  def encode(self, examples: list, tokenizer, max_seq_length: int,
             training: bool) -> Encoded:
    """Model inputs (and labels) of `examples`."""

  @abc.abstractmethod
  def evaluate(self, examples: list, encoded: Encoded,
               outputs: list) -> Tuple[Dict[str, Any], List[dict]]:
    """(metrics, one JSON-able prediction per example) from per-row outputs.

    `outputs[i]` is the head's output for row i, float32: [len_i, C] for
    token heads, [len_i, 2] for spans, [C] otherwise.
    """

  def format_predictions(self, predictions: List[dict]) -> Tuple[str, str]:
    """(file extension, text) of the per-example predictions: JSON lines."""
    return ".jsonl", "".join(json.dumps(p, sort_keys=True) + "\n"
                             for p in predictions)
