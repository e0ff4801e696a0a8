"""Evaluation metrics of the BLUE / BLURB biomedical tasks.

Every score is a fraction in [0, 1] (Pearson in [-1, 1]); reports multiply by
100 where the papers print points.

  * `entity_scores`       NER: entity-level exact match, conlleval semantics
                          (BIO, BIOES; an I- after O or after another type
                          opens an entity, as conlleval does).
  * `relation_scores`     relation extraction: micro P/R/F1 over the positive
                          classes (the negative class, if any, is excluded, as
                          BLUE's ChemProt / DDI evaluation does) + per class.
  * `classification_scores`  accuracy and macro-F1 (PubMedQA, single label).
  * `multilabel_scores`   micro / macro / example-based F1 (HoC).
  * `pearson`             sentence similarity (BIOSSES).
  * `squad_scores`        extractive QA: Model Garden's copies of the official
                          SQuAD v1.1 / v2.0 evaluation scripts.
"""
import collections
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from official.nlp.tools import squad_evaluate_v1_1
from official.nlp.tools import squad_evaluate_v2_0


def _f1(precision: float, recall: float) -> float:
  if precision + recall == 0:
    return 0.0
  return 2 * precision * recall / (precision + recall)


def _prf(correct: int, predicted: int, gold: int) -> Dict[str, float]:
  precision = correct / predicted if predicted else 0.0
  recall = correct / gold if gold else 0.0
  return {"precision": precision, "recall": recall,
          "f1": _f1(precision, recall)}


# ------------------------------------------------------------------- NER
def split_tag(tag: str) -> Tuple[str, str]:
  """'B-Disease' → ('B', 'Disease'); 'O' → ('O', ''); 'B' → ('B', '')."""
  if tag == "O":
    return "O", ""
  prefix, _, entity_type = tag.partition("-")
  return prefix, entity_type


def _chunk_ends(prev_prefix, prefix, prev_type, entity_type) -> bool:
  """True if an entity ends after the previous token (conlleval's rule)."""
  if prev_prefix in ("E", "S"):
    return True
  if prev_prefix in ("B", "I") and prefix in ("B", "S", "O"):
    return True
  return prev_prefix != "O" and prev_type != entity_type


def _chunk_starts(prev_prefix, prefix, prev_type, entity_type) -> bool:
  """True if an entity starts at the current token (conlleval's rule)."""
  if prefix in ("B", "S"):
    return True
  if prev_prefix in ("E", "S", "O") and prefix in ("E", "I"):
    return True
  return prefix != "O" and prev_type != entity_type


def extract_entities(tags: Sequence[str]) -> List[Tuple[str, int, int]]:
  """Entities of one sentence as (type, first token, last token inclusive).

  Example: ['B-D', 'I-D', 'O', 'I-D'] → [('D', 0, 1), ('D', 3, 3)].
  """
  entities = []
  prev_prefix, prev_type, start = "O", "", None
  for i, tag in enumerate(list(tags) + ["O"]):
    prefix, entity_type = split_tag(tag)
    if start is not None and _chunk_ends(prev_prefix, prefix, prev_type,
                                         entity_type):
      entities.append((prev_type, start, i - 1))
      start = None
    if _chunk_starts(prev_prefix, prefix, prev_type, entity_type):
      start = i
    prev_prefix, prev_type = prefix, entity_type
  return entities


def entity_scores(gold: Sequence[Sequence[str]],
                  predicted: Sequence[Sequence[str]]) -> Dict[str, object]:
  """Entity-level exact-match precision / recall / F1 over sentences.

  Args:
    gold, predicted: one tag list per sentence, same lengths.

  Returns:
    {'precision', 'recall', 'f1', 'num_gold', 'num_predicted', 'accuracy'
    (token level), 'per_type': {type: {precision, recall, f1, support}}}.
  """
  if len(gold) != len(predicted):
    raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} "
                     "predicted")
  counts = collections.defaultdict(lambda: [0, 0, 0])  # correct, pred, gold
  tokens = tokens_right = 0
  for i, (g, p) in enumerate(zip(gold, predicted)):
    if len(g) != len(p):
      raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} "
                       "predicted")
    gold_entities = set(extract_entities(g))
    pred_entities = set(extract_entities(p))
    for entity in gold_entities:
      counts[entity[0]][2] += 1
    for entity in pred_entities:
      counts[entity[0]][1] += 1
    for entity in gold_entities & pred_entities:
      counts[entity[0]][0] += 1
    tokens += len(g)
    tokens_right += sum(a == b for a, b in zip(g, p))
  correct, num_pred, num_gold = (sum(c[k] for c in counts.values())
                                 for k in range(3))
  result = _prf(correct, num_pred, num_gold)
  result.update(num_gold=num_gold, num_predicted=num_pred,
                accuracy=tokens_right / tokens if tokens else 0.0)
  result["per_type"] = {
      t: dict(_prf(*c), support=c[2]) for t, c in sorted(counts.items())}
  return result


# ---------------------------------------------------- single-label classes
def _per_class(gold, predicted, labels):
  report = {}
  for label in labels:
    tp = sum(1 for g, p in zip(gold, predicted) if g == p == label)
    n_pred = sum(1 for p in predicted if p == label)
    n_gold = sum(1 for g in gold if g == label)
    report[label] = dict(_prf(tp, n_pred, n_gold), support=n_gold)
  return report


def relation_scores(gold: Sequence[str], predicted: Sequence[str],
                    negative_label: Optional[str] = None) -> Dict[str, object]:
  """Micro P/R/F1 over the positive relation classes, plus a per-class report.

  A prediction of the negative class (e.g. BLUE's 'false', DDI's 'DDI-false')
  is "no relation": it counts neither as a predicted nor as a gold relation.
  With `negative_label=None` every class is positive (micro-F1 = accuracy).
  """
  if len(gold) != len(predicted):
    raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predicted")
  positive = lambda label: label != negative_label  # noqa: E731
  tp = sum(1 for g, p in zip(gold, predicted) if g == p and positive(g))
  n_pred = sum(1 for p in predicted if positive(p))
  n_gold = sum(1 for g in gold if positive(g))
  result = _prf(tp, n_pred, n_gold)
  labels = sorted(set(gold) | set(predicted))
  result["accuracy"] = (sum(g == p for g, p in zip(gold, predicted)) /
                        len(gold) if gold else 0.0)
  result["negative_label"] = negative_label
  result["per_class"] = _per_class(gold, predicted, labels)
  return result


def classification_scores(gold: Sequence[str],
                          predicted: Sequence[str]) -> Dict[str, object]:
  """Accuracy and macro-F1 (mean over the classes seen in gold or predicted,
  as scikit-learn's f1_score(average='macro') counts them)."""
  if len(gold) != len(predicted):
    raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predicted")
  labels = sorted(set(gold) | set(predicted))
  per_class = _per_class(gold, predicted, labels)
  return {
      "accuracy": (sum(g == p for g, p in zip(gold, predicted)) / len(gold)
                   if gold else 0.0),
      "macro_f1": (float(np.mean([c["f1"] for c in per_class.values()]))
                   if labels else 0.0),
      "per_class": per_class,
  }


# ------------------------------------------------------------- multi-label
def multilabel_scores(gold: np.ndarray, predicted: np.ndarray,
                      labels: Sequence[str]) -> Dict[str, object]:
  """Micro, macro and example-based F1 of 0/1 matrices [num_examples, L].

  Macro averages the per-label F1 over all L labels (a label never gold nor
  predicted scores 0, as scikit-learn's default does); example-based F1 is
  the mean over examples of F1(gold set, predicted set), 1 when both empty.
  """
  gold = np.asarray(gold, dtype=bool)
  predicted = np.asarray(predicted, dtype=bool)
  if gold.shape != predicted.shape or gold.ndim != 2:
    raise ValueError(f"gold {gold.shape} and predicted {predicted.shape} must "
                     "be equal-shaped matrices")
  tp = (gold & predicted).sum(axis=0)
  n_pred = predicted.sum(axis=0)
  n_gold = gold.sum(axis=0)
  micro = _prf(int(tp.sum()), int(n_pred.sum()), int(n_gold.sum()))
  per_label = {label: dict(_prf(int(tp[j]), int(n_pred[j]), int(n_gold[j])),
                           support=int(n_gold[j]))
               for j, label in enumerate(labels)}
  example_f1 = []
  for g, p in zip(gold, predicted):
    if not g.any() and not p.any():
      example_f1.append(1.0)
    else:
      example_f1.append(2 * (g & p).sum() / (g.sum() + p.sum()))
  return {
      "micro_precision": micro["precision"], "micro_recall": micro["recall"],
      "micro_f1": micro["f1"],
      "macro_f1": float(np.mean([v["f1"] for v in per_label.values()])),
      "example_f1": float(np.mean(example_f1)) if example_f1 else 0.0,
      "per_label": per_label,
  }


# --------------------------------------------------------------- similarity
def pearson(gold: Sequence[float], predicted: Sequence[float]) -> float:
  """Pearson's r; 0.0 when either side is constant (r undefined)."""
  x = np.asarray(gold, dtype=np.float64)
  y = np.asarray(predicted, dtype=np.float64)
  if x.shape != y.shape or x.size < 2:
    raise ValueError(f"pearson needs two equal-length series of >= 2 values, "
                     f"got {x.shape} and {y.shape}")
  x = x - x.mean()
  y = y - y.mean()
  denominator = np.sqrt((x * x).sum() * (y * y).sum())
  return float((x * y).sum() / denominator) if denominator > 0 else 0.0


def similarity_scores(gold, predicted) -> Dict[str, float]:
  """Pearson (BIOSSES' metric), Spearman and mean squared error."""
  rank = lambda v: np.argsort(np.argsort(v, kind="stable"), kind="stable")  # noqa: E731
  gold = np.asarray(gold, dtype=np.float64)
  predicted = np.asarray(predicted, dtype=np.float64)
  return {"pearson": pearson(gold, predicted),
          "spearman": pearson(rank(gold), rank(predicted)),
          "mse": float(np.mean((gold - predicted) ** 2))}


# ---------------------------------------------------------------------- QA
def squad_scores(dataset: list, predictions: Dict[str, str],
                 version_2_with_negative: bool = False) -> Dict[str, float]:
  """EM / F1 by the official SQuAD scripts (Model Garden's copies).

  Args:
    dataset: the `data` list of a SQuAD-format JSON file.
    predictions: question id → answer text ('' for "no answer" in v2.0).
  Returns:
    {'exact_match', 'f1'} as fractions (+ HasAns / NoAns parts for v2.0).
  """
  if not version_2_with_negative:
    scores = squad_evaluate_v1_1.evaluate(dataset, predictions)
    return {"exact_match": scores["exact_match"], "f1": scores["final_f1"]}
  scores = squad_evaluate_v2_0.evaluate(dataset, predictions)
  result = {"exact_match": scores["exact"] / 100, "f1": scores["f1"] / 100}
  for key in ("HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1"):
    if key in scores:
      result[key.lower()] = scores[key] / 100
  return result
