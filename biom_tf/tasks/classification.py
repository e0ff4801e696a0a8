"""Sentence(-pair) classification, single-label or multi-label (HoC-style).

Data: `train`, `dev`/`devel`, `test` files in either form

  * TSV with a header naming the columns: a text column (`sentence`, `text`,
    `sentence1`/`text_a`, optionally `sentence2`/`text_b`), a label column
    (`label` or `labels`) and optionally `index`/`id`. Without a header: two
    columns `text<TAB>label` or three `id<TAB>text<TAB>label`.
  * JSON lines with the same keys (`text`, `label`, ...).

Multi-label labels are a JSON list, or a comma-separated string; BLUE's HoC
form `name_1,other_0` (label `name` present, `other` absent) is understood.

Single-label: softmax head, accuracy and macro-F1. Multi-label: one sigmoid
per label, predicted where p > 0.5; micro, macro and example-based F1.
"""
import dataclasses
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from biom_tf.tasks import base
from biom_tf.tasks import data
from biom_tf.tasks import metrics

_TEXT_A = ("sentence", "text", "sentence1", "text_a", "question")
_TEXT_B = ("sentence2", "text_b", "context")
_LABEL = ("label", "labels", "score", "gold_label", "mean")
_ID = ("index", "id", "guid", "pmid")
_INDICATOR = re.compile(r"^(.+)_([01])$")


@dataclasses.dataclass
class TextExample:
  """A text (pair) and its label: str, list[str] (multi-label) or float."""
  guid: str
  text_a: str
  text_b: Optional[str]
  label: Any
  path: str = ""
  line: int = 0


def parse_label_list(value, where: str) -> List[str]:
  """Multi-label labels from a JSON list or 'a,b' / HoC 'a_1,b_0' text."""
  if isinstance(value, list):
    items = [str(v).strip() for v in value]
  elif isinstance(value, str):
    items = [v.strip() for v in value.split(",")]
  else:
    raise data.DataError(f"{where}: labels {value!r}: expected a list or a "
                         "comma-separated string")
  items = [v for v in items if v]
  matches = [_INDICATOR.match(v) for v in items]
  if items and all(matches):
    return sorted({m.group(1) for m in matches if m.group(2) == "1"})
  return sorted(set(items))


def _pick(row: Dict[str, Any], keys: Sequence[str]):
  for key in keys:
    if key in row:
      return key
  return None


def _example_from_row(row: Dict[str, Any], where: str, number: int, path: str,
                      label_kind: str) -> TextExample:
  """A TextExample from a dict of named columns (TSV header or JSON keys)."""
  a_key, b_key = _pick(row, _TEXT_A), _pick(row, _TEXT_B)
  label_key, id_key = _pick(row, _LABEL), _pick(row, _ID)
  if a_key is None or label_key is None:
    raise data.DataError(
        f"{where}: expected a text field ({'/'.join(_TEXT_A)}) and a label "
        f"field ({'/'.join(_LABEL)}); found {sorted(row)}")
  text_a = row[a_key]
  if not isinstance(text_a, str) or not text_a.strip():
    raise data.DataError(f"{where}: empty or non-text {a_key!r}")
  text_b = row[b_key] if b_key else None
  value = row[label_key]
  if label_kind == "multi":
    label = parse_label_list(value, where)
  elif label_kind == "float":
    try:
      label = float(value)
    except (TypeError, ValueError):
      raise data.DataError(f"{where}: score {value!r} is not a number") from None
  else:
    if isinstance(value, (list, dict)) or value is None or str(value) == "":
      raise data.DataError(f"{where}: label {value!r}: expected one label")
    label = str(value).strip()
  guid = str(row[id_key]) if id_key else str(number)
  return TextExample(guid, text_a, text_b, label, path, number)


def read_text_examples(path: str, label_kind: str = "single",
                       row_check=None) -> List[TextExample]:
  """Examples of a TSV or JSON-lines file (format from the extension/content).

  Args:
    path: the file.
    label_kind: 'single' (a string), 'multi' (a label list) or 'float'.
    row_check: optional function(example, where) raising DataError for data
      that does not fit the task (e.g. relation text without entity markers).
  """
  examples = []
  lines = data.read_lines(path)
  first_index = next((i for i, line in enumerate(lines) if line.strip()), 0)
  first = lines[first_index] if lines else ""
  if path.endswith((".jsonl", ".json")) or first.lstrip().startswith("{"):
    for number, row in data.read_jsonl(path):
      examples.append(_example_from_row(row, f"{path}:{number}", number, path,
                                        label_kind))
  else:
    header = None
    names = [c.strip().lower() for c in first.split("\t")]
    if _pick(dict.fromkeys(names), _LABEL) and _pick(dict.fromkeys(names),
                                                     _TEXT_A):
      header = names
    for number, line in enumerate(lines, start=1):
      if not line.strip() or (header and number == first_index + 1):
        continue
      fields = line.split("\t")
      where = f"{path}:{number}"
      if header:
        if len(fields) != len(header):
          raise data.DataError(f"{where}: {len(fields)} tab-separated fields, "
                               f"the header has {len(header)} ({header})")
        row = dict(zip(header, fields))
      elif len(fields) == 2:
        row = {"text": fields[0], "label": fields[1]}
      elif len(fields) == 3:
        row = {"id": fields[0], "text": fields[1], "label": fields[2]}
      else:
        raise data.DataError(
            f"{where}: expected 'text<TAB>label' or 'id<TAB>text<TAB>label' "
            f"(or a header line), got {len(fields)} field(s): {line[:80]!r}")
      examples.append(_example_from_row(row, where, number, path, label_kind))
  for example in examples:
    if row_check:
      row_check(example, f"{path}:{example.line}")
  return data.require_examples(examples, path)


def check_known_labels(examples: List[TextExample], labels: Sequence[str],
                       train_path: str):
  """A devel/test label never seen in training is an error naming the line."""
  known = set(labels)
  for example in examples:
    values = example.label if isinstance(example.label, list) else [example.label]
    for value in values:
      if value not in known:
        raise data.DataError(
            f"{example.path}:{example.line}: label {value!r} does not occur in "
            f"the training split {train_path} (labels: {', '.join(labels)})")


class ClassificationTask(base.Task):
  """Single-label (softmax) or multi-label (sigmoid) text classification."""

  def __init__(self, multilabel: bool = False, name: Optional[str] = None,
               threshold: float = 0.5):
    super().__init__()
    self.multilabel = multilabel
    self.name = name or ("multilabel" if multilabel else "classification")
    self.head = "multilabel" if multilabel else "sequence"
    self.main_metric = "micro_f1" if multilabel else "accuracy"
    self.threshold = threshold

  # Subclasses (relations) change how files are found and checked.
  extensions = (".tsv", ".jsonl", ".json", ".txt")
  format_description = ("task=classification (TSV with text and label "
                        "columns, or JSON lines)")

  def check_example(self, example: TextExample, where: str):
    """Hook: raise DataError for an example that does not fit the task."""

  def read(self, data_dir: str) -> Dict[str, List[TextExample]]:
    files = data.split_files(data_dir, self.extensions, self.format_description)
    kind = "multi" if self.multilabel else "single"
    splits = {split: read_text_examples(path, kind, self.check_example)
              for split, path in files.items()}
    if self.multilabel:
      self.labels = sorted({l for e in splits["train"] for l in e.label})
    else:
      self.labels = sorted({e.label for e in splits["train"]})
    if not self.labels:
      raise data.DataError(f"{files['train']}: no labels in the training split")
    for split in ("devel", "test"):
      check_known_labels(splits[split], self.labels, files["train"])
    return splits

  def encode(self, examples: List[TextExample], tokenizer, max_seq_length: int,
             training: bool) -> base.Encoded:
    has_b = any(e.text_b is not None for e in examples)
    input_ids, type_ids = base.encode_texts(
        tokenizer, [e.text_a for e in examples],
        [e.text_b or "" for e in examples] if has_b else None, max_seq_length)
    index = {label: i for i, label in enumerate(self.labels)}
    if self.multilabel:
      labels = np.zeros((len(examples), len(self.labels)), dtype=np.float32)
      for row, example in enumerate(examples):
        for label in example.label:
          labels[row, index[label]] = 1.0
    else:
      labels = np.array([index.get(e.label, -1) for e in examples],
                        dtype=np.int32)
    return base.Encoded(input_ids, type_ids, labels, None, tokenizer.pad_id)

  def evaluate(self, examples, encoded, outputs) -> Tuple[dict, List[dict]]:
    logits = np.stack(outputs).astype(np.float64)
    if self.multilabel:
      probabilities = 1 / (1 + np.exp(-logits))
      predicted = probabilities > self.threshold
      gold = np.array([[l in e.label for l in self.labels] for e in examples])
      scores = metrics.multilabel_scores(gold, predicted, self.labels)
      predictions = [
          {"id": e.guid, "gold": e.label,
           "predicted": [l for l, p in zip(self.labels, row) if p],
           "probabilities": dict(zip(self.labels, map(float, prob)))}
          for e, row, prob in zip(examples, predicted, probabilities)]
      return scores, predictions
    predicted = [self.labels[i] for i in logits.argmax(axis=-1)]
    scores = self.score([e.label for e in examples], predicted)
    probabilities = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    predictions = [{"id": e.guid, "gold": e.label, "predicted": p,
                    "probabilities": dict(zip(self.labels, map(float, prob)))}
                   for e, p, prob in zip(examples, predicted, probabilities)]
    return scores, predictions

  def score(self, gold: List[str], predicted: List[str]) -> dict:
    return metrics.classification_scores(gold, predicted)
