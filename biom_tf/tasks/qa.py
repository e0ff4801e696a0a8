"""Question answering: PubMedQA (yes / no / maybe) and extractive SQuAD-form QA.

PubMedQA, reasoning-required setting: the question and its abstract (the
`CONTEXTS`, without the long answer) → yes / no / maybe; accuracy and
macro-F1. Read from the PQA-L release: `ori_pqal.json` (1,000 questions) and
`test_ground_truth.json`, whose 500 ids are the official test set. The other
500 are split 450 train / 50 devel as PubMedQA's preprocess/split_dataset.py
splits them (`pubmedqa_official_split`): label-stratified halves, then ten
label-stratified folds, all drawn from one `random.seed(0)` stream; fold f
(`pqal_fold<f>`, BLURB uses fold 0) is the devel set and the other nine
train. The reproduced test half is checked against test_ground_truth.json.

Extractive QA in SQuAD v1.1 / v2.0 JSON, the form BioBERT distributes the
BioASQ factoid sets in: `train*.json`, `dev*.json` (or `devel`), `test*.json`.
Reading, doc-stride windows and answer-span decoding are Model Garden's
`official.nlp.data.squad_lib` (google-research/bert's `run_squad.py` logic);
scores are the official SQuAD scripts (`metrics.squad_scores`), where the
file holds answers.

BioASQ factoid (task=bioasq), BioBERT's protocol: the same span model reads
each (question, snippet) pair, whose ids are `<question id>_<NNN>`; the
n-best answers of all snippets of a question are merged (`metrics.merge_nbest`,
BioBERT's biocodes rule) into five ranked answers, scored by the official
BioASQ measures: strict accuracy, lenient accuracy and MRR (headline: MRR).
Gold answers come from a BioASQ golden file beside the split
(`test_golden.json` / `test-golden.json`, `dev_golden.json`, or `golden.json`
for test: `{"questions": [{"id", "type", "exact_answer"}]}`) or else from the
split's own SQuAD answers (each question's answer texts as synonyms).

BioASQ list (task=bioasq_list): the same reading and gold files (type
"list"); each question's answers are chosen from its snippets' n-best lists
by BioBERT's biocodes/transform_n2b_list.py rule (`metrics.
decode_list_answers`) and scored by the official list measures: mean
precision, recall and F1 (headline: `list_f1`).

BioASQ yes/no (task=bioasq_yesno, BLURB): `id<TAB>question<TAB>context<TAB>
yes|no` TSV (BLURB's files have no header; a header naming question /
context / label is understood too) or JSON lines with those keys; accuracy
(BLURB's metric), with the official F1 of yes, of no, and their mean.
"""
import collections
import math
import os
import random
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
def _stratified_parts(questions: Dict[str, dict], parts: int,
                      rng: random.Random) -> List[List[str]]:
  """PubMedQA's `split(dataset, fold)`: the ids of each answer (yes, no,
  maybe, in that order) are shuffled and cut into `parts` runs of
  ceil(n / parts); part i joins the i-th runs. If the last part comes out a
  different size from the first, one random id of each other part moves to
  the last one."""
  by_label = {label: [] for label in PUBMEDQA_LABELS}
  for pmid, entry in questions.items():
    by_label[entry["final_decision"]].append(pmid)
  runs = {}
  for label, pmids in by_label.items():
    rng.shuffle(pmids)
    size = math.ceil(len(pmids) / parts)
    runs[label] = [pmids[i * size:(i + 1) * size] if i < parts - 1
                   else pmids[i * size:] for i in range(parts)]
  output = [[pmid for label in PUBMEDQA_LABELS for pmid in runs[label][i]]
            for i in range(parts)]
  if len(output[-1]) != len(output[0]):
    for i in range(parts - 1):
      picked = rng.choice(output[i])
      output[i].remove(picked)
      output[-1].append(picked)
  return output


def pubmedqa_official_split(questions: Dict[str, dict], fold: int = 0
                            ) -> Tuple[List[str], List[str], List[str]]:
  """(train, devel, test) ids of `pqal_fold<fold>`, from the questions in
  their ori_pqal.json order (PubMedQA preprocess/split_dataset.py pqal)."""
  if not 0 <= fold < 10:
    raise data.DataError(f"pubmedqa fold={fold}: expected 0..9")
  rng = random.Random(0)
  cross_validation, test = _stratified_parts(questions, 2, rng)
  folds = _stratified_parts({p: questions[p] for p in cross_validation}, 10,
                            rng)
  train = [p for f in range(10) if f != fold for p in folds[f]]
  return train, folds[fold], test


def read_pubmedqa(data_dir: str, fold: int = 0
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
  if len(examples) < 20:
    raise data.DataError(f"{path}: {len(examples)} questions, too few for "
                         "PubMedQA's 2 x 10-fold split")
  train, devel, test = pubmedqa_official_split(questions, fold)
  if set(test) != set(truth):
    raise data.DataError(
        f"{truth_path}: its {len(truth)} test ids are not the test half "
        f"that PubMedQA's split_dataset.py draws from {path} "
        f"({len(set(test) & set(truth))} in common): is ori_pqal.json "
        "complete and in its published order?")
  return {"train": [examples[i] for i in train],
          "devel": [examples[i] for i in devel],
          "test": [examples[i] for i in test]}


class PubMedQATask(classification.ClassificationTask):
  """question + abstract → yes / no / maybe."""

  def __init__(self, fold: int = 0):
    """`fold`: which of the official `pqal_fold0..9` (BLURB: 0)."""
    super().__init__(multilabel=False, name="pubmedqa")
    self.fold = fold

  def read(self, data_dir):
    splits = read_pubmedqa(data_dir, self.fold)
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


def has_answers(dataset: list) -> bool:
  """True when every question of a SQuAD `data` list carries `answers` (a
  test file of BioASQ keeps them in a separate golden file)."""
  return all("answers" in qa for article in dataset
             for paragraph in article.get("paragraphs", [])
             for qa in paragraph.get("qas", []))


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

  def _postprocess(self, examples: SquadSplit, encoded, outputs):
    """(best answer, n-best list, null odds) per question id."""
    result = collections.namedtuple("RawResult",
                                    ["unique_id", "start_logits", "end_logits"])
    results = [result(f.unique_id, [float(x) for x in o[:, 0]],
                      [float(x) for x in o[:, 1]])
               for f, o in zip(encoded.meta, outputs)]
    return squad_lib.postprocess_output(
        list(examples), encoded.meta, results, self.n_best_size,
        self.max_answer_length, self.do_lower_case,
        version_2_with_negative=self.version_2_with_negative)

  def evaluate(self, examples: SquadSplit, encoded, outputs):
    answers, _, null_odds = self._postprocess(examples, encoded, outputs)
    scores = (metrics.squad_scores(examples.dataset, dict(answers),
                                   self.version_2_with_negative)
              if has_answers(examples.dataset) else {})
    predictions = [{"id": e.qas_id, "question": e.question_text,
                    "predicted": answers.get(e.qas_id, "")}
                   for e in examples]
    if self.version_2_with_negative:
      for p in predictions:
        p["null_score_diff"] = float(null_odds.get(p["id"], 0.0))
    return scores, predictions


# ------------------------------------------------------------------ BioASQ
def read_bioasq_golden(path: str) -> Dict[str, dict]:
  """question id → {'type', 'exact_answer'} of a BioASQ golden file."""
  value = data.read_json(path)
  questions = value.get("questions") if isinstance(value, dict) else None
  if not isinstance(questions, list):
    raise data.DataError(f"{path}: expected a BioASQ golden file "
                         "{'questions': [{'id', 'type', 'exact_answer'}]}")
  gold = {}
  for i, question in enumerate(questions):
    if not isinstance(question, dict) or "id" not in question:
      raise data.DataError(f"{path}: questions[{i}] has no 'id'")
    if question.get("type", "factoid") in ("factoid", "list"):
      if "exact_answer" not in question:
        raise data.DataError(f"{path}: question {question['id']} "
                             f"({question.get('type', 'factoid')}) has no "
                             "'exact_answer'")
      gold[question["id"]] = {"type": question.get("type", "factoid"),
                              "exact_answer": question["exact_answer"]}
  return gold


def find_golden_file(path: str):
  """The golden file of a split file: <stem>_golden.json, <stem>-golden.json,
  or golden.json for the test split; None if there is none."""
  directory, name = os.path.split(path)
  stem = name[:-len(".json")] if name.endswith(".json") else name
  candidates = [f"{stem}_golden.json", f"{stem}-golden.json"]
  if stem == "test":
    candidates.append("golden.json")
  for candidate in candidates:
    candidate = os.path.join(directory, candidate)
    if tf.io.gfile.exists(candidate):
      return candidate
  return None


class BioasqFactoidTask(ExtractiveQATask):
  """BioASQ factoid (or list) questions: per-snippet spans merged per
  question, scored by the official BioASQ measures."""

  def __init__(self, doc_stride: int = 128, max_query_length: int = 64,
               n_best_size: int = 20, max_answer_length: int = 30,
               name: str = "bioasq", top_k: int = 5,
               question_type: str = "factoid", list_threshold: float = 0.42):
    super().__init__(doc_stride, max_query_length, n_best_size,
                     max_answer_length, name)
    if question_type not in ("factoid", "list"):
      raise ValueError(f"question_type={question_type!r}: factoid or list")
    self.question_type = question_type
    self.main_metric = "mrr" if question_type == "factoid" else "list_f1"
    self.top_k = top_k
    self.list_threshold = list_threshold

  def read(self, data_dir: str) -> Dict[str, SquadSplit]:
    splits = super().read(data_dir)
    for split, examples in splits.items():
      golden = find_golden_file(examples.path)
      if golden:
        entries = read_bioasq_golden(golden)
        examples.gold = {q: e["exact_answer"] for q, e in entries.items()
                         if e["type"] == self.question_type}
      else:
        # The snippets' answer texts, distinct, per question. Factoid: one
        # answer, its texts synonyms; list: each text an entity of the list.
        texts = metrics.group(
            (metrics.question_id(qa["id"]), answer["text"])
            for article in examples.dataset
            for paragraph in article["paragraphs"]
            for qa in paragraph.get("qas", [])
            for answer in qa.get("answers", []))
        examples.gold = {
            qid: ([list(dict.fromkeys(t))] if self.question_type == "factoid"
                  else [[text] for text in dict.fromkeys(t)])
            for qid, t in texts.items()}
      if split != "train" and not examples.gold:
        raise data.DataError(
            f"{examples.path}: no gold answers for task={self.name}: the "
            "questions have no 'answers' and there is no golden file "
            f"({os.path.basename(examples.path)[:-5]}_golden.json"
            f"{' or golden.json' if split == 'test' else ''})")
      asked = {metrics.question_id(e.qas_id) for e in examples}
      missing = sorted(set(examples.gold) - asked)
      if split != "train" and missing:
        raise data.DataError(
            f"{golden or examples.path}: {len(missing)} gold question(s) have "
            f"no snippet in {examples.path} (first: {missing[0]})")
    return splits

  def evaluate(self, examples: SquadSplit, encoded, outputs):
    _, nbest, _ = self._postprocess(examples, encoded, outputs)
    if self.question_type == "factoid":
      merged = metrics.merge_nbest(nbest, top_k=self.top_k)
      scores = metrics.bioasq_factoid_scores(examples.gold, merged,
                                             self.top_k)
    else:
      texts = {metrics.question_id(e.qas_id): e.question_text
               for e in examples}
      merged = metrics.decode_list_answers(nbest, texts, self.list_threshold)
      scores = {"list_" + k: v for k, v in
                metrics.bioasq_list_scores(examples.gold, merged).items()}
    if has_answers(examples.dataset):
      best = {qid: entries[0]["text"] if entries else ""
              for qid, entries in nbest.items()}
      snippet = metrics.squad_scores(examples.dataset, best,
                                     self.version_2_with_negative)
      scores.update({"snippet_" + k: v for k, v in snippet.items()})
    predictions = [{"id": qid, "answers": answers,
                    "gold": examples.gold.get(qid)}
                   for qid, answers in merged.items()]
    return scores, predictions


class BioasqYesNoTask(classification.ClassificationTask):
  """BioASQ yes/no (BLURB): question + context → yes / no; accuracy."""

  def __init__(self, name: str = "bioasq_yesno"):
    super().__init__(multilabel=False, name=name)
    self.main_metric = "accuracy"

  def _read_file(self, path):
    lines = data.read_lines(path)
    first = next((l for l in lines if l.strip()), "")
    if path.endswith((".jsonl", ".json")) or first.lstrip().startswith("{"):
      examples = classification.read_text_examples(path, "single")
    else:
      header = [c.strip().lower() for c in first.split("\t")]
      examples = []
      for number, line in enumerate(lines, start=1):
        if not line.strip():
          continue
        fields = line.split("\t")
        if "question" in header and "label" in header:
          if line == first:
            continue
          row = dict(zip(header, fields))
          fields = [row.get("id", row.get("index", str(number))),
                    row.get("question", ""),
                    row.get("context", row.get("text", "")),
                    row.get("label", "")]
        if len(fields) != 4:
          raise data.DataError(
              f"{path}:{number}: expected 'id<TAB>question<TAB>context<TAB>"
              f"yes|no', got {len(fields)} field(s): {line[:80]!r}")
        examples.append(classification.TextExample(
            fields[0], fields[1], fields[2], fields[3].strip(), path, number))
      data.require_examples(examples, path)
    for e in examples:
      if e.label not in ("yes", "no"):
        raise data.DataError(f"{path}:{e.line}: label {e.label!r}: expected "
                             "yes or no")
      if e.text_b is None or not str(e.text_b).strip():
        raise data.DataError(f"{path}:{e.line}: no context for the question")
    return examples

  def read(self, data_dir):
    files = data.split_files(
        data_dir, self.extensions,
        "task=bioasq_yesno ('id<TAB>question<TAB>context<TAB>yes|no' TSV)")
    splits = {split: self._read_file(path) for split, path in files.items()}
    self.labels = ["yes", "no"]
    return splits

  def score(self, gold, predicted):
    return metrics.bioasq_yesno_scores(gold, predicted)
