"""Sentence(-pair) classification, single-label or multi-label (HoC-style).

Data: `train`, `dev`/`devel`, `test` files in either form

  * TSV with a header naming the columns: a text column (`sentence`, `text`,
    `sentence1`/`text_a`, optionally `sentence2`/`text_b`), a label column
    (`label` or `labels`) and optionally `index`/`id`. Without a header: two
    columns `text<TAB>label` or three `id<TAB>text<TAB>label`.
  * JSON lines with the same keys (`text`, `label`, ...).

Multi-label labels are a JSON list of label names, a 0/1 vector (a JSON list
of the integers 0 and 1, as LinkBERT's BLURB files hold them: label j is
present where entry j is 1), or a comma-separated string; BLUE's / BLURB's
HoC form `name_1,other_0` (label `name` present, `other` absent) is
understood. Vector and `_0/_1` forms declare every label, present or not, so
the label set is complete even where a label never occurs in training.

Single-label: softmax head, accuracy and macro-F1. Multi-label: one sigmoid
per label, predicted where p > 0.5; micro, macro and example-based F1, and
the same at document level (ids `PMID_sN` pooled per PMID:
`metrics.document_multilabel_scores`).

HoC (task=hoc): the 10 top-level hallmarks (`HOC_LABELS`; BLURB's label
indices 0..9 name them in this order), read from BLURB's TSV
(`labels<TAB>sentence<TAB>index`), LinkBERT's JSON lines, or the
Hallmarks-of-Cancer release itself (`text/<PMID>.txt`, `labels/<PMID>.txt`
and BLURB's `blurb-split/{train,dev,test}_pmid.tsv`). Its headline score is
BLURB's: micro-F1 at abstract level (`doc_micro_f1`).
"""
import dataclasses
import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from biom_tf.tasks import base
from biom_tf.tasks import data
from biom_tf.tasks import metrics

_TEXT_A = ("sentence", "text", "sentence1", "text_a", "question")
_TEXT_B = ("sentence2", "text_b", "context")
_LABEL = ("label", "labels", "score", "gold_label", "mean")
_ID = ("index", "id", "guid", "pmid")
_INDICATOR = re.compile(r"^(.+)_([01])$")

# The 10 top-level hallmarks of cancer in BLURB's / BLUE's label order
# (LinkBERT src/seqcls/utils_hoc.py, BLUE_Benchmark blue/hoc/eval_hoc.py).
HOC_LABELS = ("activating invasion and metastasis",
              "avoiding immune destruction", "cellular energetics", "enabling replicative immortality",
              "evading growth suppressors", "genomic instability and mutation",
              "inducing angiogenesis", "resisting cell death",
              "sustaining proliferative signaling",
              "tumor promoting inflammation")


@dataclasses.dataclass
class TextExample:
  """A text (pair) and its label: str, list[str] (multi-label) or float."""
  guid: str
  text_a: str
  text_b: Optional[str]
  label: Any
  path: str = ""
  line: int = 0
  declared: Optional[List[str]] = None  # multi-label: every label named


def _is_vector(value) -> bool:
  """A JSON list of the integers 0 and 1 (not strings, not floats)."""
  return (isinstance(value, list) and bool(value) and
          all(type(v) is int and v in (0, 1) for v in value))  # noqa: E721


def declared_labels(value) -> Optional[List[str]]:
  """Every label a multi-label value names, present or absent: a 0/1 vector
  declares '0'..'L-1', 'a_1,b_0' declares a and b; None for plain lists."""
  if _is_vector(value):
    return [str(j) for j in range(len(value))]
  if isinstance(value, str):
    items = [v.strip() for v in value.split(",") if v.strip()]
    matches = [_INDICATOR.match(v) for v in items]
    if items and all(matches):
      return sorted({m.group(1) for m in matches})
  return None


def label_order(labels) -> List[str]:
  """Sorted, numerically where every label is a number ('2' before '10')."""
  labels = set(labels)
  if labels and all(l.isdigit() for l in labels):
    return sorted(labels, key=int)
  return sorted(labels)


def parse_label_list(value, where: str) -> List[str]:
  """Multi-label labels from a JSON list (names or a 0/1 vector) or 'a,b' /
  HoC 'a_1,b_0' text."""
  if _is_vector(value):
    return [str(j) for j, v in enumerate(value) if v == 1]
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
  example = TextExample(guid, text_a, text_b, label, path, number)
  if label_kind == "multi":
    example.declared = declared_labels(value)
  return example


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
      self.labels = label_order({l for e in splits["train"] for l in e.label} |
                                {l for e in splits["train"]
                                 for l in (e.declared or [])})
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
      scores.update(metrics.document_multilabel_scores(
          [e.guid for e in examples], gold, predicted))
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


# -------------------------------------------------------------------- HoC
def read_hoc_release(data_dir: str) -> Dict[str, List[TextExample]]:
  """Sentences of the Hallmarks-of-Cancer release in BLURB's abstract split.

  `text/<PMID>.txt` holds one sentence a line; `labels/<PMID>.txt` one line
  in which each sentence's labels follow a '<' (text before the first '<' is
  ignored), joined by 'AND'; a label is a taxonomy path 'Top level--sub
  level', of which the top level is kept ('NULL' means none). The split lists
  `blurb-split/{train,dev,test}_pmid.tsv` name the files ('PMID.txt,...').
  Each sentence becomes an example with id 'PMID_sN' (N from 0), as in
  BLURB's TSV, labelled with its top-level hallmarks (`HOC_LABELS` names).
  """
  known = {name.lower(): name for name in HOC_LABELS}
  splits = {}
  for split, stem in (("train", "train"), ("devel", "dev"), ("test", "test")):
    list_path = os.path.join(data_dir, "blurb-split", f"{stem}_pmid.tsv")
    names = [n.strip() for line in data.read_lines(list_path)
             for n in line.split(",") if n.strip()]
    examples = []
    for name in names:
      pmid = name[:-len(".txt")] if name.endswith(".txt") else name
      text_path = os.path.join(data_dir, "text", pmid + ".txt")
      label_path = os.path.join(data_dir, "labels", pmid + ".txt")
      sentences = data.read_lines(text_path)
      label_text = " ".join(data.read_lines(label_path))
      parts = label_text.split("<")[1:]
      if len(parts) != len(sentences):
        raise data.DataError(
            f"{label_path}:1: {len(parts)} '<'-separated label groups for "
            f"{len(sentences)} sentences in {text_path}")
      for number, (sentence, part) in enumerate(zip(sentences, parts)):
        labels = set()
        for label in part.split("AND"):
          top = label.split("--")[0].strip()
          if not top or top == "NULL":
            continue
          if top.lower() not in known:
            raise data.DataError(
                f"{label_path}:1: sentence {number}: {top!r} is not one of the "
                f"10 hallmarks ({'; '.join(HOC_LABELS)})")
          labels.add(known[top.lower()])
        examples.append(TextExample(f"{pmid}_s{number}", sentence, None,
                                    sorted(labels), text_path, number + 1,
                                    list(HOC_LABELS)))
    splits[split] = data.require_examples(examples, list_path)
  return splits


def is_hoc_release(data_dir: str) -> bool:
  return all(tf.io.gfile.isdir(os.path.join(data_dir, d))
             for d in ("text", "labels", "blurb-split"))


class HocTask(ClassificationTask):
  """HoC: 10 hallmarks per sentence, scored per abstract (BLURB)."""

  def __init__(self, name: str = "hoc", threshold: float = 0.5):
    super().__init__(multilabel=True, name=name, threshold=threshold)
    self.main_metric = "doc_micro_f1"

  def read(self, data_dir: str) -> Dict[str, List[TextExample]]:
    if is_hoc_release(data_dir):
      splits = read_hoc_release(data_dir)
    else:
      splits = super().read(data_dir)
      # BLURB's TSV and LinkBERT's vectors number the hallmarks 0..9.
      numbered = [str(j) for j in range(len(HOC_LABELS))]
      if set(self.labels) <= set(numbered):
        names = dict(zip(numbered, HOC_LABELS))
        for examples in splits.values():
          for e in examples:
            e.label = sorted(names[l] for l in e.label)
            e.declared = list(HOC_LABELS)
    labels = {l for e in splits["train"] for l in e.label}
    labels |= {l for e in splits["train"] for l in (e.declared or [])}
    self.labels = sorted(labels)
    for split in ("devel", "test"):
      check_known_labels(splits[split], self.labels, data_dir)
    return splits
