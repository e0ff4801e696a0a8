"""Question answering: PubMedQA (yes / no / maybe) and extractive SQuAD-form QA.

PubMedQA, reasoning-required setting: the question and its abstract (the
`CONTEXTS`, without the long answer) → yes / no / maybe; accuracy and
macro-F1. Read from the PQA-L release: `ori_pqal.json` (1,000 questions) and
`test_ground_truth.json`, whose 500 ids are the official test set. The other
500 are split 450 train / 50 devel by a fixed shuffle (PubMedQA's own code
cross-validates over ten such splits; `dev_seed` picks one).

Extractive QA in SQuAD v1.1 / v2.0 JSON, the form BioBERT distributes the
BioASQ factoid sets in: `train*.json`, `dev*.json` (or `devel`), `test*.json`.
Reading, doc-stride windows and answer-span decoding are Model Garden's
`official.nlp.data.squad_lib` (google-research/bert's `run_squad.py` logic);
scores are the official SQuAD scripts (`metrics.squad_scores`).
"""
import collections
import os
from typing import Dict, List, Tuple

import numpy as np
import tensorflow as tf
from official.nlp.data import squad_lib

from biom_tf.tasks import base
from biom_tf.tasks import classification
from biom_tf.tasks import data
from biom_tf.tasks import metrics

PUBMEDQA_LABELS = ("yes", "no", "maybe")


# ---------------------------------------------------------------- PubMedQA
def read_pubmedqa(data_dir: str, dev_size: int = 50, dev_seed: int = 0
                  ) -> Dict[str, List[classification.TextExample]]:
  """train / devel / test examples of PubMedQA's labelled set (PQA-L)."""
  path = os.path.join(data_dir, "ori_pqal.json")
  truth_path = os.path.join(data_dir, "test_ground_truth.json")
  for p in (path, truth_path):
    if not tf.io.gfile.exists(p):
      raise data.DataError(
          f"{p}: not found; task=pubmedqa reads ori_pqal.json and "
          "test_ground_truth.json (the PubMedQA PQA-L release)")
  questions, truth = data.read_json(path), data.read_json(truth_path)
  if not isinstance(questions, dict) or not isinstance(truth, dict):
    raise data.DataError(f"{data_dir}: ori_pqal.json and test_ground_truth.json"
                         " must map question ids to entries")
  examples = {}
  for pmid, entry in questions.items():
    where = f"{path}: question {pmid}"
    if not isinstance(entry, dict) or not {"QUESTION", "CONTEXTS",
                                           "final_decision"} <= set(entry):
      raise data.DataError(f"{where}: expected QUESTION, CONTEXTS and "
                           "final_decision")
    if entry["final_decision"] not in PUBMEDQA_LABELS:
      raise data.DataError(f"{where}: final_decision "
                           f"{entry['final_decision']!r} is not yes/no/maybe")
    examples[pmid] = classification.TextExample(
        pmid, entry["QUESTION"], " ".join(entry["CONTEXTS"]),
        entry["final_decision"], path, 0)
  for pmid, answer in truth.items():
    if pmid not in examples:
      raise data.DataError(f"{truth_path}: test id {pmid} is not in {path}")
    if answer != examples[pmid].label:
      raise data.DataError(f"{truth_path}: test id {pmid} answers {answer!r}, "
                           f"{path} says {examples[pmid].label!r}")
  rest = sorted(set(examples) - set(truth))
  if len(rest) <= dev_size:
    raise data.DataError(f"{path}: {len(rest)} questions outside the test "
                         f"set, too few for a devel split of {dev_size}")
  order = np.random.RandomState(dev_seed).permutation(len(rest))
  devel = sorted(rest[i] for i in order[:dev_size])
  train = sorted(rest[i] for i in order[dev_size:])
  return {"train": [examples[i] for i in train],
          "devel": [examples[i] for i in devel],
          "test": [examples[i] for i in sorted(truth)]}


class PubMedQATask(classification.ClassificationTask):
  """question + abstract → yes / no / maybe."""

  def __init__(self, dev_size: int = 50, dev_seed: int = 0):
    super().__init__(multilabel=False, name="pubmedqa")
    self.dev_size, self.dev_seed = dev_size, dev_seed

  def read(self, data_dir):
    splits = read_pubmedqa(data_dir, self.dev_size, self.dev_seed)
    self.labels = list(PUBMEDQA_LABELS)
    return splits


# ----------------------------------------------------------- extractive QA
class SquadSplit(list):
  """squad_lib.SquadExample list of one file, with its raw `data` list."""

  def __init__(self, examples, path: str, dataset: list):
    super().__init__(examples)
    self.path = path
    self.dataset = dataset


def _check_squad_json(path: str, training: bool) -> Tuple[list, bool]:
  """The file's `data` list, and whether it has unanswerable questions."""
  value = data.read_json(path)
  if not isinstance(value, dict) or not isinstance(value.get("data"), list):
    raise data.DataError(f"{path}: expected SQuAD JSON {{'data': [{{"
                         "'paragraphs': [...]}}]}}")
  impossible = False
  num_questions = 0
  for a, article in enumerate(value["data"]):
    for p, paragraph in enumerate(article.get("paragraphs", [])):
      where = f"{path}: data[{a}].paragraphs[{p}]"
      if not isinstance(paragraph.get("context"), str):
        raise data.DataError(f"{where}: no 'context' text")
      for qa in paragraph.get("qas", []):
        if not {"id", "question"} <= set(qa):
          raise data.DataError(f"{where}: a question without 'id'/'question'")
        impossible |= bool(qa.get("is_impossible", False))
        answers = qa.get("answers", [])
        if training and not qa.get("is_impossible") and len(answers) != 1:
          raise data.DataError(f"{where}: training question {qa['id']} has "
                               f"{len(answers)} answers; expected exactly 1")
        for answer in answers:
          if not {"text", "answer_start"} <= set(answer):
            raise data.DataError(f"{where}: question {qa['id']}: answers need "
                                 "'text' and 'answer_start'")
        num_questions += 1
  if not num_questions:
    raise data.DataError(f"{path}: no questions (empty split)")
  return value["data"], impossible


class _CachedTokenizer:
  """Our tokenizer behind the per-string `tokenize` squad_lib calls.

  squad_lib tokenizes each whitespace token of each context on its own; here
  every distinct string is tokenized once, in one batch.
  """

  def __init__(self, tokenizer, texts):
    self._tokenizer = tokenizer
    texts = sorted(set(texts))
    self._cache = dict(zip(texts, tokenizer.tokenize_batch(texts)))

  def tokenize(self, text):
    if text not in self._cache:
      self._cache[text] = self._tokenizer.tokenize(text)
    return self._cache[text]

  def convert_tokens_to_ids(self, tokens):
    return self._tokenizer.convert_tokens_to_ids(tokens)


class ExtractiveQATask(base.Task):
  """SQuAD v1.1 / v2.0-form QA (BioASQ factoid): start/end span head."""
  name = "squad"
  head = "span"
  main_metric = "f1"

  def __init__(self, doc_stride: int = 128, max_query_length: int = 64,
               n_best_size: int = 20, max_answer_length: int = 30,
               name: str = "squad"):
    super().__init__()
    self.name = name
    self.doc_stride = doc_stride
    self.max_query_length = max_query_length
    self.n_best_size = n_best_size
    self.max_answer_length = max_answer_length
    self.version_2_with_negative = False
    self.do_lower_case = True
    self.labels = ["start", "end"]

  def read(self, data_dir: str) -> Dict[str, SquadSplit]:
    files = data.split_files(data_dir, (".json",),
                             "task=squad (SQuAD v1.1/v2.0 JSON)")
    raw = {split: _check_squad_json(path, split == "train")
           for split, path in files.items()}
    self.version_2_with_negative = any(impossible for _, impossible in
                                       raw.values())
    if self.version_2_with_negative:
      for article in raw["train"][0]:
        for paragraph in article["paragraphs"]:
          for qa in paragraph.get("qas", []):
            if "is_impossible" not in qa:
              raise data.DataError(
                  f"{files['train']}: question {qa['id']} has no "
                  "'is_impossible' (SQuAD v2.0 training data needs it)")
    splits = {}
    for split, path in files.items():
      examples = squad_lib.read_squad_examples(
          path, is_training=(split == "train"),
          version_2_with_negative=self.version_2_with_negative)
      splits[split] = SquadSplit(
          data.require_examples(examples, path, "usable questions"), path,
          raw[split][0])
    return splits

  def label_map(self):
    return dict(super().label_map(),
                version_2_with_negative=self.version_2_with_negative,
                doc_stride=self.doc_stride,
                max_query_length=self.max_query_length)

  def encode(self, examples: SquadSplit, tokenizer, max_seq_length: int,
             training: bool) -> base.Encoded:
    """One row per doc-stride window: [CLS] question [SEP] context [SEP]."""
    self.do_lower_case = getattr(tokenizer, "do_lower_case", True)
    texts = [e.question_text for e in examples]
    texts += [t for e in examples for t in e.doc_tokens]
    cached = _CachedTokenizer(tokenizer, texts)
    longest = max(min(len(cached.tokenize(e.question_text)),
                      self.max_query_length) for e in examples)
    if max_seq_length - longest - 3 < 1 or self.doc_stride < 1:
      raise data.DataError(
          f"{examples.path}: max_seq_length={max_seq_length} leaves no room "
          f"for context after a {longest}-token question (and doc_stride="
          f"{self.doc_stride} must be >= 1); raise max_seq_length or lower "
          "max_query_length")
    features = []
    squad_lib.convert_examples_to_features(
        examples=list(examples),
        tokenizer=cached,
        max_seq_length=max_seq_length,
        doc_stride=self.doc_stride,
        max_query_length=self.max_query_length,
        is_training=training,
        output_fn=lambda feature, is_padding=False: features.append(feature),
        batch_size=1)
    input_ids, type_ids = [], []
    for f in features:
      n = int(sum(f.input_mask))
      input_ids.append(np.array(f.input_ids[:n], dtype=np.int32))
      type_ids.append(np.array(f.segment_ids[:n], dtype=np.int32))
    labels = np.array([[f.start_position, f.end_position] for f in features],
                      dtype=np.int32).reshape(-1, 2)
    return base.Encoded(input_ids, type_ids, labels, features, tokenizer.pad_id)

  def evaluate(self, examples: SquadSplit, encoded, outputs):
    result = collections.namedtuple("RawResult",
                                    ["unique_id", "start_logits", "end_logits"])
    results = [result(f.unique_id, [float(x) for x in o[:, 0]],
                      [float(x) for x in o[:, 1]])
               for f, o in zip(encoded.meta, outputs)]
    answers, _, null_odds = squad_lib.postprocess_output(
        list(examples), encoded.meta, results, self.n_best_size,
        self.max_answer_length, self.do_lower_case,
        version_2_with_negative=self.version_2_with_negative)
    scores = metrics.squad_scores(examples.dataset, dict(answers),
                                  self.version_2_with_negative)
    predictions = [{"id": e.qas_id, "question": e.question_text,
                    "predicted": answers.get(e.qas_id, "")}
                   for e in examples]
    if self.version_2_with_negative:
      for p in predictions:
        p["null_score_diff"] = float(null_odds.get(p["id"], 0.0))
    return scores, predictions
