"""Evaluation metrics of the BLUE / BLURB biomedical tasks.

Every score is a fraction in [0, 1] (Pearson in [-1, 1]); reports multiply by
100 where the papers print points.

  * `entity_scores`       NER: entity-level exact match, conlleval semantics
                          (BIO, BIOES; an I- after O or after another type
                          opens an entity, as conlleval does).
  * `relation_scores`     relation extraction: micro P/R/F1 over the positive
                          classes (the negative class, if any, is excluded, as
                          BLUE's ChemProt / DDI evaluation does) + per class.
  * `word_level_scores`   EBM PICO: word-level P/R/F1 per PICO label, and
                          their macro average (BLURB's metric).
  * `classification_scores`  accuracy and macro-F1 (PubMedQA, single label).
  * `multilabel_scores`   micro / macro / example-based F1 (HoC).
  * `document_multilabel_scores`  HoC at abstract level: sentence labels
                          pooled per document, then BLURB's micro-F1
                          (LinkBERT's utils_hoc) and BLUE's example-based F1
                          (BLUE_Benchmark blue/hoc/eval_hoc.py).
  * `pearson`, `spearman` sentence similarity (BIOSSES: Pearson); Spearman
                          ranks ties by their average rank (scipy's rule).
  * `squad_scores`        extractive QA: Model Garden's copies of the official
                          SQuAD v1.1 / v2.0 evaluation scripts.
  * `merge_nbest`, `decode_list_answers`  BioASQ: BioBERT's n-best merging
                          per question (biocodes/transform_n2b_*.py), both on
                          one merge rule (`merge_equal_answers`).
  * `bioasq_factoid_scores`, `bioasq_list_scores`, `bioasq_yesno_scores`: the
                          official BioASQ Task B measures
                          (BioASQ/Evaluation-Measures,
                          QuestionAnswerEvaluator.java).
"""
import collections
import re
import string
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

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


def group(pairs: Iterable[Tuple[str, Any]]) -> Dict[str, list]:
  """{key: its values, in order} of (key, value) pairs, keys in the order
  first seen (rows per document, snippets or answers per question)."""
  groups = {}
  for key, value in pairs:
    groups.setdefault(key, []).append(value)
  return groups


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


def _sentence_pairs(gold: Sequence[Sequence[str]],
                    predicted: Sequence[Sequence[str]]):
  """(gold tags, predicted tags) of each sentence; all checked first, a
  ValueError naming the first sentence whose lengths differ."""
  if len(gold) != len(predicted):
    raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} "
                     "predicted")
  for i, (g, p) in enumerate(zip(gold, predicted)):
    if len(g) != len(p):
      raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} "
                       "predicted")
  return list(zip(gold, predicted))


def entity_scores(gold: Sequence[Sequence[str]],
                  predicted: Sequence[Sequence[str]]) -> Dict[str, object]:
  """Entity-level exact-match precision / recall / F1 over sentences.

  Args:
    gold, predicted: one tag list per sentence, same lengths.

  Returns:
    {'precision', 'recall', 'f1', 'num_gold', 'num_predicted', 'accuracy'
    (token level), 'per_type': {type: {precision, recall, f1, support}}}.
  """
  counts = collections.defaultdict(lambda: [0, 0, 0])  # correct, pred, gold
  tokens = tokens_right = 0
  for g, p in _sentence_pairs(gold, predicted):
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


def word_level_scores(gold: Sequence[Sequence[str]],
                      predicted: Sequence[Sequence[str]],
                      labels: Optional[Sequence[str]] = None
                      ) -> Dict[str, object]:
  """Word-level P/R/F1 per label and their macro average (EBM PICO, BLURB).

  Each word counts once, as the type of its tag ('I-PAR' and 'B-PAR' are
  'PAR'; the B/I prefix and entity boundaries play no part): for label L,
  precision = words predicted L that are gold L / words predicted L, recall
  = the same / words gold L. `macro_f1` is the mean F1 over the labels, 'O'
  excluded (BLURB: "macro-averaged word-level F1" over the PICO elements).

  Args:
    gold, predicted: one tag list per sentence, same lengths.
    labels: the types to average over (default: every non-O type in gold or
      predicted; pass the task's types so a never-predicted one scores 0).

  Returns:
    {'macro_precision', 'macro_recall', 'macro_f1', 'micro_f1' (over the
    non-O words), 'accuracy', 'per_type': {type: {precision, recall, f1,
    support}}}.
  """
  counts = collections.defaultdict(lambda: [0, 0, 0])  # correct, pred, gold
  words = words_right = 0
  for g, p in _sentence_pairs(gold, predicted):
    for gold_tag, pred_tag in zip(g, p):
      gold_type = split_tag(gold_tag)[1] if gold_tag != "O" else None
      pred_type = split_tag(pred_tag)[1] if pred_tag != "O" else None
      if gold_type is not None:
        counts[gold_type][2] += 1
      if pred_type is not None:
        counts[pred_type][1] += 1
      if gold_type is not None and gold_type == pred_type:
        counts[gold_type][0] += 1
      words += 1
      words_right += gold_type == pred_type
  types = sorted(labels) if labels is not None else sorted(counts)
  types = [t for t in types if t != "O"]
  per_type = {t: dict(_prf(*counts[t]), support=counts[t][2]) for t in types}
  def mean(key):
    return (float(np.mean([v[key] for v in per_type.values()]))
            if per_type else 0.0)
  micro = _prf(*(sum(counts[t][k] for t in types) for k in range(3)))
  return {"macro_precision": mean("precision"), "macro_recall": mean("recall"),
          "macro_f1": mean("f1"), "micro_f1": micro["f1"],
          "accuracy": words_right / words if words else 0.0,
          "per_type": per_type}


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


def document_id(example_id: str) -> str:
  """The document an example id belongs to: the part before the first '_'
  ('12553062_s3' → '12553062'), as BLURB's and BLUE's HoC scripts cut it."""
  return str(example_id).split("_")[0]


def document_multilabel_scores(example_ids: Sequence[str], gold: np.ndarray,
                               predicted: np.ndarray) -> Dict[str, object]:
  """HoC at abstract level: each document's labels are the union of its
  sentences' labels (gold and predicted alike), then

  * BLURB (LinkBERT src/seqcls/utils_hoc.py): micro P/R/F1 over the
    documents x labels matrix: `doc_micro_precision/recall/f1`;
  * BLUE (BLUE_Benchmark blue/hoc/eval_hoc.py): per document precision
    |g & p| / |p| (0 when nothing is predicted) and recall |g & p| / |g|,
    each averaged over documents, F1 = their harmonic mean:
    `doc_example_precision/recall/f1`. BLUE's script cannot score a document
    without gold labels (division by zero; its test set has none): such
    documents are left out of these three and counted in
    `doc_example_skipped`.

  Args:
    example_ids: one id per row, 'PMID_sN' (see `document_id`).
    gold, predicted: 0/1 matrices [num_examples, L].
  """
  gold = np.asarray(gold, dtype=bool)
  predicted = np.asarray(predicted, dtype=bool)
  if gold.shape != predicted.shape or gold.ndim != 2 or (
      len(example_ids) != gold.shape[0]):
    raise ValueError(f"{len(example_ids)} ids, gold {gold.shape} and predicted "
                     f"{predicted.shape} must describe the same rows")
  order = group((document_id(example_id), row)
                for row, example_id in enumerate(example_ids))
  doc_gold = np.array([gold[rows].any(axis=0) for rows in order.values()])
  doc_pred = np.array([predicted[rows].any(axis=0) for rows in order.values()])
  doc_gold = doc_gold.reshape(len(order), gold.shape[1])
  doc_pred = doc_pred.reshape(len(order), gold.shape[1])
  micro = _prf(int((doc_gold & doc_pred).sum()), int(doc_pred.sum()),
               int(doc_gold.sum()))
  precisions, recalls, skipped = [], [], 0
  for g, p in zip(doc_gold, doc_pred):
    if not g.any():
      skipped += 1
      continue
    hits = int((g & p).sum())
    precisions.append(hits / p.sum() if p.any() else 0.0)
    recalls.append(hits / g.sum())
  mean_p = float(np.mean(precisions)) if precisions else 0.0
  mean_r = float(np.mean(recalls)) if recalls else 0.0
  return {"doc_micro_precision": micro["precision"],
          "doc_micro_recall": micro["recall"], "doc_micro_f1": micro["f1"],
          "doc_example_precision": mean_p, "doc_example_recall": mean_r,
          "doc_example_f1": _f1(mean_p, mean_r),
          "doc_example_skipped": skipped, "num_documents": len(order)}


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


def average_ranks(values) -> np.ndarray:
  """1-based ranks, tied values sharing their average rank
  (scipy.stats.rankdata's default 'average' method)."""
  values = np.asarray(values, dtype=np.float64)
  order = np.argsort(values, kind="stable")
  ranks = np.empty(len(values), dtype=np.float64)
  sorted_values = values[order]
  start = 0
  while start < len(values):
    end = start + 1
    while end < len(values) and sorted_values[end] == sorted_values[start]:
      end += 1
    ranks[order[start:end]] = (start + 1 + end) / 2  # mean of start+1 .. end
    start = end
  return ranks


def spearman(gold: Sequence[float], predicted: Sequence[float]) -> float:
  """Spearman's rho: Pearson's r of the average ranks (as
  scipy.stats.spearmanr computes it); 0.0 when either side is constant."""
  return pearson(average_ranks(gold), average_ranks(predicted))


def similarity_scores(gold, predicted) -> Dict[str, float]:
  """Pearson (BIOSSES' metric), Spearman and mean squared error."""
  gold = np.asarray(gold, dtype=np.float64)
  predicted = np.asarray(predicted, dtype=np.float64)
  return {"pearson": pearson(gold, predicted),
          "spearman": spearman(gold, predicted),
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


# ------------------------------------------------------------------ BioASQ
_QUESTION_SUFFIX = re.compile(r"_\d+$")


def question_id(row_id: str) -> str:
  """The BioASQ question of a snippet-level id: BioBERT's BioASQ files number
  each (question, snippet) pair '<24-hex question id>_<NNN>'; the suffix is
  dropped ('55031181e9bde69634000014_001' → '55031181e9bde69634000014')."""
  return _QUESTION_SUFFIX.sub("", str(row_id))


def _strip_answer(text: str) -> str:
  """BioBERT's clean-up of an answer (biocodes `textrip`): one trailing ',',
  '.' or ' ' goes; '(x)' loses its brackets; an unbalanced bracket voids it."""
  if not text:
    return text
  if text[-1] in ",. ":
    return text[:-1]
  if (len(text) > 2 and text[0] == "(" and text[-1] == ")" and
      text.count("(") == 1 and text.count(")") == 1):
    return text[1:-1]
  if ("(" in text) != (")" in text):
    return ""
  return text


def merge_equal_answers(candidates: Iterable[dict]) -> List[dict]:
  """Candidates equal up to case merged into one, in the order first seen.

  The one merged candidate is the first one's fields (its spelling) with
  `probability` the sum of theirs (as floats, in order) and `merged` how many
  were merged. The one rule of BioBERT's biocodes for factoid answers of a
  question and list answers of a snippet and of a question.

  Args:
    candidates: [{'text', 'probability', ...}, ...].
  """
  merged = {}
  for candidate in candidates:
    key = candidate["text"].lower()
    if key in merged:
      merged[key]["probability"] += float(candidate["probability"])
      merged[key]["merged"] += 1
    else:
      merged[key] = dict(candidate, merged=1,
                         probability=float(candidate["probability"]))
  return list(merged.values())


def merge_nbest(nbest: Dict[str, List[dict]], top_k: int = 5,
                max_answer_chars: int = 100) -> Dict[str, List[str]]:
  """Per-question answer lists from per-snippet n-best lists (BioBERT's
  biocodes/transform_n2b_factoid.py rule).

  All candidates of a question's snippets are pooled and sorted by
  probability; each is cleaned (`_strip_answer`), empty ones and ones longer
  than `max_answer_chars` are dropped, and candidates equal up to case are
  merged, their probabilities summed (the first spelling is kept). The
  `top_k` highest sums are the question's answers.

  Args:
    nbest: snippet-level id → [{'text', 'probability'}, ...].
  Returns:
    question id (see `question_id`) → up to top_k answers, best first.
  """
  answers = {}
  for qid, snippets in group((question_id(row_id), candidates)
                             for row_id, candidates in nbest.items()).items():
    ranked = sorted((c for candidates in snippets for c in candidates),
                    key=lambda c: -float(c["probability"]))
    cleaned = ({"text": _strip_answer(c["text"]),
                "probability": c["probability"]} for c in ranked)
    merged = merge_equal_answers(
        c for c in cleaned if c["text"] and len(c["text"]) <= max_answer_chars)
    best = sorted(merged, key=lambda c: -c["probability"])[:top_k]
    answers[qid] = [c["text"] for c in best]
  return answers


_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven",
                 "eight")


def expected_answer_count(question: str, check_words: int = 4
                          ) -> Optional[int]:
  """How many answers a list question asks for, if it says so in its first
  words ('Name three genes ...' → 3; 'one'..'eight' or '1'..'8', not after
  'phase'): BioBERT's `find_num` with its default check_num_len=4."""
  words = question.split()
  for i, word in enumerate(words):
    for names in (_NUMBER_WORDS, [str(n + 1) for n in range(8)]):
      if word in names and (i == 0 or words[i - 1] != "phase"):
        return names.index(word) + 1
    if i >= check_words:
      break
  return None


def _incomplete(text: str) -> bool:
  """BioBERT's `filter_incomplete`: an unbalanced bracket or a trailing
  punctuation mark."""
  if ("(" in text) != (")" in text):
    return True
  stripped = text.strip()
  return not stripped or stripped[-1] in string.punctuation


def _resolve_a_and_b(answers: List[str]) -> List[str]:
  """BioBERT's `resolve_a_and_b`: with 3+ answers, 'A and B' (or 'A, B',
  'A/B') goes when A and B are answers themselves."""
  if len(answers) < 3:
    return answers
  present = set(answers)
  kept = []
  for answer in answers:
    for delimiter in (" and ", ", ", "/"):
      cut = answer.find(delimiter)
      if cut >= 0:
        a, b = answer[:cut].strip(), answer[cut + len(delimiter):].strip()
        if a and b and a in present and b in present:
          break
        kept.append(answer)
        break
    else:
      kept.append(answer)
  return kept or answers


def _without_line_separators(text: str) -> str:
  return text.replace("\u2028", "").replace("\u2029", "")


def decode_list_answers(nbest: Dict[str, List[dict]],
                        questions: Dict[str, str],
                        threshold: float = 0.42) -> Dict[str, List[str]]:
  """Per-question answer lists of list questions from per-snippet n-best
  lists (BioBERT's biocodes/transform_n2b_list.py with its defaults: no
  softmax, threshold 0.42, check_num_len 4).

  Per snippet, incomplete candidates (`_incomplete`) are dropped and equal
  ones (up to case) merged: probabilities summed, `freq` counted. Across a
  question's snippets equal candidates are merged again (probabilities
  summed). If the question asks for N answers (`expected_answer_count`), the
  answers are the first N distinct candidates by probability above the
  threshold; otherwise every candidate whose probability / freq exceeds the
  threshold. With none, the most probable candidate is the answer. Finally
  `_resolve_a_and_b`.

  Args:
    nbest: snippet-level id → [{'text', 'probability'}, ...].
    questions: question id → its text.
  """
  # Per snippet: freq = how many of its candidates were merged; per
  # question: the first snippet's freq is kept, the probabilities summed.
  per_question = group(
      (question_id(row_id),
       [dict(c, freq=c["merged"]) for c in merge_equal_answers(
           {"text": c["text"], "probability": c["probability"]}
           for c in candidates if not _incomplete(c["text"]))])
      for row_id, candidates in nbest.items())
  answers = {}
  for qid, snippets in per_question.items():
    pooled = merge_equal_answers(c for merged in snippets for c in merged)
    ranked = sorted(pooled, key=lambda p: -p["probability"])
    count = expected_answer_count(questions.get(qid, ""))
    if count is not None:  # the `count` most probable not at or below it
      # `not <=` rather than `>`: a NaN probability is kept, as before.
      picked = [p for p in ranked if not p["probability"] <= threshold]
    else:
      picked = [p for p in pooled if p["probability"] / p["freq"] > threshold]
    chosen = [p["text"] for p in merge_equal_answers(
        dict(p, text=_without_line_separators(p["text"])) for p in picked)]
    chosen = chosen[:count]
    if not chosen and ranked:
      chosen = [_without_line_separators(ranked[0]["text"])]
    answers[qid] = _resolve_a_and_b([t for t in chosen if t != " "])
  return answers


def _synonym_sets(value) -> List[set]:
  """Gold/system exact answers as lowercased synonym sets: 'a' → [{a}];
  ['a', 'b'] → [{a}, {b}]; [['a', 'A1'], ['b']] → [{a, a1}, {b}]."""
  if value is None:
    return []
  if isinstance(value, str):
    return [{value.lower()}]
  sets = []
  for item in value:
    if isinstance(item, str):
      sets.append({item.lower()})
    else:
      sets.append({str(s).lower() for s in item})
  return sets


def bioasq_factoid_scores(gold: Dict[str, object],
                          predicted: Dict[str, Sequence],
                          top_k: int = 5) -> Dict[str, float]:
  """BioASQ Task B factoid measures (BioASQ 3+ rules): strict accuracy (the
  first answer is right), lenient accuracy (one of the first `top_k` is
  right), MRR (1 / rank of the first right answer, 0 if none), averaged over
  the gold questions. An answer is right when, lowercased, it equals one of
  the synonyms of a gold answer. A question with no prediction scores 0.

  Args:
    gold: question id → exact_answer (a string, a list of synonyms, or a
      list of synonym lists).
    predicted: question id → ranked answers (strings or synonym lists).
  """
  strict = lenient = reciprocal = 0.0
  for qid, gold_answer in gold.items():
    synonyms = set().union(*_synonym_sets(gold_answer or []))
    ranked = _synonym_sets(list(predicted.get(qid) or [])[:top_k])
    for rank, answer in enumerate(ranked, start=1):
      if answer & synonyms:
        strict += rank == 1
        lenient += 1
        reciprocal += 1 / rank
        break
  n = len(gold)
  return {"strict_accuracy": strict / n if n else 0.0,
          "lenient_accuracy": lenient / n if n else 0.0,
          "mrr": reciprocal / n if n else 0.0, "num_questions": n}


def bioasq_list_scores(gold: Dict[str, object],
                       predicted: Dict[str, Sequence]) -> Dict[str, float]:
  """BioASQ Task B list measures: per question, precision = right answers /
  answers given, recall = gold entities found / gold entities (each gold
  entity, a synonym set, is matched at most once), F1 their harmonic mean
  (0 if either is 0); each averaged over the gold questions. A question with
  no answers scores 0 on all three (the official evaluator's rule)."""
  sums = np.zeros(3)
  for qid, gold_answer in gold.items():
    answers = _synonym_sets(list(predicted.get(qid) or []))
    if not answers:
      continue
    gold_left = _synonym_sets(gold_answer)
    tp = fp = 0
    for answer in answers:
      hit = next((i for i, g in enumerate(gold_left) if g & answer), None)
      if hit is None:
        fp += 1
      else:
        tp += 1
        del gold_left[hit]
    answers_left = list(answers)
    fn = 0
    for g in gold_left:
      hit = next((j for j, a in enumerate(answers_left) if a & g), None)
      if hit is None:
        fn += 1
      else:
        del answers_left[hit]
    precision = tp / (tp + fp)
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = (2 * precision * recall / (precision + recall)
          if precision and recall else 0.0)
    sums += (precision, recall, f1)
  n = len(gold)
  mean = sums / n if n else sums
  return {"precision": float(mean[0]), "recall": float(mean[1]),
          "f1": float(mean[2]), "num_questions": n}


def bioasq_yesno_scores(gold: Sequence[str],
                        predicted: Sequence[str]) -> Dict[str, object]:
  """BioASQ yes/no: accuracy (BLURB's metric), F1 of 'yes' and of 'no' and
  their mean (the official macro F1)."""
  scores = classification_scores(gold, predicted)
  per_class = _per_class(gold, predicted, ["yes", "no"])
  scores["f1_yes"] = per_class["yes"]["f1"]
  scores["f1_no"] = per_class["no"]["f1"]
  scores["macro_f1"] = (per_class["yes"]["f1"] + per_class["no"]["f1"]) / 2
  return scores
