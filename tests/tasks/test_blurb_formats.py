"""Every BLURB dataset format: real files from ../shared where present
(counts against their READMEs), tiny fixtures in the official formats for the
rest, and the task-level scoring paths (HoC per abstract, PICO word level,
BioASQ per question, GAD's negative class)."""
import functools
import json
import math
import os
import random

import biom_tf  # noqa: F401
import numpy as np
import pytest

from biom_tf.tasks import DataError
from biom_tf.tasks import get_task
from biom_tf.tasks import metrics
from biom_tf.tasks.classification import HOC_LABELS
from tests.conftest import shared_path
from tests.tasks.conftest import write_files
from tests.tasks.conftest import write_jsonl
from tests.tasks.conftest import write_ner


def _mentions(sentences):
  return sum(t == "B" or t.startswith("B-") for s in sentences for t in s.tags)


def _perfect_token_outputs(task, encoded):
  """Logits that predict each word's gold tag."""
  outputs = []
  for labels in encoded.labels:
    logits = np.zeros((len(labels), len(task.labels)), np.float32)
    for i, label in enumerate(labels):
      if label >= 0:
        logits[i, label] = 5.0
    outputs.append(logits)
  return outputs


# ------------------------------------------------------------------- NER
@pytest.mark.parametrize("name,splits,counts,mentions,labels", [
    ("bc2gm", ("train", "devel", "test"), [12574, 2519, 5038],
     [15197, 3061, 6325], ["O", "B-GENE", "I-GENE"]),
    ("jnlpba", ("train", "devel", "test"), [16807, 1739, 3856],
     [46750, 4551, 8662], ["O", "B", "I"]),
])
def test_blurb_ner_releases(name, splits, counts, mentions, labels):
  task = get_task("ner")
  data = task.read(shared_path("data", "blurb", name))
  assert [len(data[s]) for s in splits] == counts
  assert [_mentions(data[s]) for s in splits] == mentions
  assert task.labels == labels
  # JNLPBA's '-DOCSTART- <PMID>' lines are not tokens.
  assert not any(w.startswith("-DOCSTART-") for s in data["train"]
                 for w in s.words)


BC5_CHEM = [[("Selegiline", "B-Chemical"), ("-", "O"), ("induced", "O"),
             ("postural", "B-Disease"), ("hypotension", "I-Disease")],
            [("Naloxone", "B-Chemical"), ("reverses", "O")]]


def test_bc5cdr_tsv_and_train_dev(tmp_path):
  # BC5-chem / BC5-disease come in NCBI-disease's TSV (MTL-2016 layout);
  # BioBERT's NER protocol trains on train_dev.tsv when asked.
  directory = write_ner(tmp_path / "BC5CDR-chem", {
      "train.tsv": BC5_CHEM[:1], "devel.tsv": BC5_CHEM[1:],
      "test.tsv": BC5_CHEM, "train_dev.tsv": BC5_CHEM})
  plain = get_task("ner").read(directory)
  assert len(plain["train"]) == 1
  task = get_task("ner", train_split="train_dev")
  data = task.read(directory)
  assert len(data["train"]) == 2 and data["train"][0].path.endswith(
      "train_dev.tsv")
  assert task.labels == ["O", "B-Chemical", "B-Disease", "I-Disease"]
  os.remove(os.path.join(directory, "train_dev.tsv"))
  with pytest.raises(DataError, match=r"no train split \(train_dev.tsv"):
    get_task("ner", train_split="train_dev").read(directory)
  with pytest.raises(DataError, match="train_split='dev': expected one of"):
    get_task("ner", train_split="dev")
  with pytest.raises(DataError, match="applies to the NER tasks"):
    get_task("chemprot", train_split="train_dev")


PICO = """-DOCSTART- (100)

Aspirin\tI-INT
for\tO
fever\tI-PAR
patients\tI-PAR
.\tO

pain\tI-OUT
relief\tI-OUT

"""


def test_ebm_pico_format_and_word_level_score(tmp_path, tokenizer):
  directory = write_files(tmp_path / "ebmnlp", {
      "train.tsv": PICO, "dev.tsv": PICO, "test.tsv": PICO})
  task = get_task("pico")
  data = task.read(directory)
  assert task.main_metric == "macro_f1"
  assert task.labels == ["O", "I-INT", "I-OUT", "I-PAR"]
  assert [s.words[0] for s in data["test"]] == ["Aspirin", "pain"]
  encoded = task.encode(data["test"], tokenizer, 32, training=False)
  scores, _ = task.evaluate(data["test"], encoded,
                            _perfect_token_outputs(task, encoded))
  assert scores["macro_f1"] == 1.0 and scores["entity_f1"] == 1.0
  # Everything predicted PAR: PAR P 2/7 R 1 → F1 4/9; INT, OUT 0 → 4/27.
  par = task.labels.index("I-PAR")
  outputs = [np.eye(len(task.labels), dtype=np.float32)[[par] * len(ids)]
             for ids in encoded.input_ids]
  scores, _ = task.evaluate(data["test"], encoded, outputs)
  assert scores["per_type"]["PAR"]["f1"] == pytest.approx(4 / 9)
  assert scores["macro_f1"] == pytest.approx(4 / 27)


# -------------------------------------------------------------- relations
GAD_TRAIN = "\n".join([  # BioBERT's GAD train.tsv: no header
    "@GENE$ variants raise @DISEASE$ risk .\t1",
    "@GENE$ is not linked to @DISEASE$ .\t0"]) + "\n"
GAD_TEST = "\n".join([  # BLURB / BioBERT test.tsv: header
    "index\tsentence\tlabel",
    "0\t@GENE$ variants raise @DISEASE$ risk .\t1",
    "1\t@GENE$ is not linked to @DISEASE$ .\t0"]) + "\n"


@pytest.mark.parametrize("name", ["gad", "euadr", "relation"])
def test_gad_negative_class_is_zero(tmp_path, name):
  directory = write_files(tmp_path / "GAD", {"train.tsv": GAD_TRAIN,
                                             "dev.tsv": GAD_TEST,
                                             "test.tsv": GAD_TEST})
  task = get_task(name)
  data = task.read(directory)
  assert task.labels == ["0", "1"] and task.negative_label == "0"
  assert data["test"][1].guid == "1"
  # F1 of the relation class (BioBERT / BLURB), not accuracy: 1 of 2
  # predicted relations right, 1 gold → P 1/2, R 1, F1 2/3 (accuracy 1/2).
  scores = task.score(["1", "0"], ["1", "1"])
  assert scores["f1"] == pytest.approx(2 / 3)
  assert scores["accuracy"] == pytest.approx(0.5)


def test_ddi_corpus_with_blurb_split():
  task = get_task("ddi")
  data = task.read(shared_path("data", "blurb", "ddi"))
  assert [len(data[s]) for s in ("train", "devel", "test")] == [25296, 2496,
                                                               5716]
  assert task.labels == ["DDI-advise", "DDI-effect", "DDI-false", "DDI-int",
                         "DDI-mechanism"]
  assert task.negative_label == "DDI-false"
  positives = sum(e.label != "DDI-false" for s in ("train", "devel")
                  for e in data[s])
  assert positives == 4021 - 1  # README: 4,021, one of them typeless
  assert sum(e.label != "DDI-false" for e in data["test"]) == 979
  assert all(e.text_a.count("@DRUG$") == 2 or "@DRUG-DRUG$" in e.text_a
             for s in data.values() for e in s)


def test_ddi_mask_pair():
  from biom_tf.tasks import ddi
  text = "Aspirin increases warfarin levels."
  assert ddi.mask_pair(text, (18, 26), (0, 7)) == (
      "@DRUG$ increases @DRUG$ levels.")
  assert ddi.mask_pair("calcium carbonate", (0, 7), (0, 17)) == "@DRUG-DRUG$"


# -------------------------------------------------------------------- HoC
@pytest.fixture(scope="module")
def hoc_release():
  task = get_task("hoc")
  return task, task.read(shared_path("data", "blurb", "hoc"))


def test_hoc_release_with_blurb_split(hoc_release):
  task, data = hoc_release
  assert [len(data[s]) for s in ("train", "devel", "test")] == [12119, 1798,
                                                               3547]
  assert [len({metrics.document_id(e.guid) for e in data[s]})
          for s in ("train", "devel", "test")] == [1295, 186, 371]
  assert task.labels == list(HOC_LABELS)
  assert task.main_metric == "doc_micro_f1"
  labelled = [e for e in data["train"] if e.label]
  assert labelled and all(set(e.label) <= set(HOC_LABELS) for e in labelled)


# Label indices of sentences in BLURB's own HoC test.tsv (the BLURB
# data-generation output, as held in hieunguyen7337/KeBioLM data/HoC/test.tsv).
BLURB_HOC_TEST = {"12553062_s0": [], "12553062_s5": [4], "19815061_s4": [9],
                  "19815061_s5": [7], "23271730_s6": [4, 8],
                  "23271730_s7": [0, 4], "22951839_s8": [0, 3],
                  "23168911_s10": [], "22842522_s10": [2]}


def test_hoc_release_gives_blurb_sentence_labels(hoc_release):
  _, data = hoc_release
  test = {e.guid: e for e in data["test"]}
  for guid, indices in BLURB_HOC_TEST.items():
    assert test[guid].label == [HOC_LABELS[j] for j in indices], guid


def _vector(*present):
  return [int(j in present) for j in range(10)]


def test_hoc_blurb_tsv_and_linkbert_vectors(tmp_path):
  def indicator(*p):
    return ",".join(f"{j}_{int(j in p)}" for j in range(10))
  tsv = "labels\tsentence\tindex\n" + "".join(
      f"{indicator(*p)}\t{t}\t{i}\n" for p, t, i in [
          ((4,), "a cell", "11_s0"), ((), "the gene", "11_s1"),
          ((7, 9), "a tumor", "12_s0")])
  directory = write_files(tmp_path / "hoc", {"train.tsv": tsv, "dev.tsv": tsv})
  write_jsonl(os.path.join(directory, "test.jsonl"), [
      {"id": "21_s0", "sentence": "a cell", "label": _vector(0, 1)},
      {"id": "21_s1", "sentence": "the gene", "label": _vector()}])
  task = get_task("hoc")
  data = task.read(directory)
  # All 10 hallmarks, named in BLURB's index order, though 3 occur.
  assert task.labels == list(HOC_LABELS)
  assert data["train"][0].label == [HOC_LABELS[4]]
  assert data["train"][2].label == [HOC_LABELS[7], HOC_LABELS[9]]
  # LinkBERT's [0, 1, ...] vectors are multi-hot, not the labels '0' / '1'.
  assert data["test"][0].label == [HOC_LABELS[0], HOC_LABELS[1]]
  assert data["test"][1].label == []
  generic = get_task("multilabel")
  generic.read(directory)
  assert generic.labels == [str(j) for j in range(10)]


def test_hoc_evaluate_per_abstract(tmp_path):
  tsv = "labels\tsentence\tindex\n" + "".join(
      f"{','.join(f'{j}_{int(j in p)}' for j in range(10))}\tx\t{i}\n"
      for p, i in [((0,), "1_s0"), ((1,), "1_s1"), ((2,), "2_s0")])
  task = get_task("hoc")
  data = task.read(write_files(tmp_path / "hoc", {
      "train.tsv": tsv, "dev.tsv": tsv, "test.tsv": tsv}))
  # Predict hallmark 0 for every sentence: per abstract, doc 1 gold {0, 1}
  # pred {0}; doc 2 gold {2} pred {0}: 1 right of 2 predicted, 3 gold.
  logits = np.full((3, 10), -5.0, np.float32)
  logits[:, 0] = 5.0
  scores, _ = task.evaluate(data["test"], None, list(logits))
  assert scores["doc_micro_precision"] == pytest.approx(1 / 2)
  assert scores["doc_micro_recall"] == pytest.approx(1 / 3)
  assert scores["doc_micro_f1"] == pytest.approx(0.4)
  # Sentence level: 1 right of 3 predicted, 3 gold.
  assert scores["micro_f1"] == pytest.approx(1 / 3)


# ---------------------------------------------------------------- PubMedQA
def _split_dataset_py(questions):
  """PubMedQA preprocess/split_dataset.py (pqal), restated for the test."""
  rng = random.Random(0)

  def split(dataset, fold):
    by_label = {"yes": [], "no": [], "maybe": []}
    for pmid, info in dataset.items():
      by_label[info["final_decision"]].append(pmid)
    parts = {}
    for label, pmids in by_label.items():
      rng.shuffle(pmids)
      n = math.ceil(len(pmids) / fold)
      parts[label] = [pmids[i * n:] if i == fold - 1 else
                      pmids[i * n:(i + 1) * n] for i in range(fold)]
    output = []
    for i in range(fold):
      pmids = functools.reduce(lambda a, b: a + b,
                               [v[i] for v in parts.values()])
      output.append({pmid: dataset[pmid] for pmid in pmids})
    if len(output[-1]) != len(output[0]):
      for i in range(fold - 1):
        picked = rng.choice(list(output[i]))
        output[-1][picked] = output[i].pop(picked)
    return output

  cv, test = split(questions, 2)
  return split(cv, 10), test


def test_pubmedqa_official_fold0():
  directory = shared_path("data", "pubmedqa")
  with open(os.path.join(directory, "ori_pqal.json")) as f:
    questions = json.load(f)
  with open(os.path.join(directory, "test_ground_truth.json")) as f:
    truth = json.load(f)
  folds, test = _split_dataset_py(questions)
  # The algorithm and seed are right: they give exactly the official test ids.
  assert set(test) == set(truth)
  task = get_task("pubmedqa")
  data = task.read(directory)
  assert {e.guid for e in data["devel"]} == set(folds[0])
  assert {e.guid for e in data["train"]} == {p for f in folds[1:] for p in f}
  assert [len(data[s]) for s in ("train", "devel", "test")] == [450, 50, 500]
  # Label-stratified: devel keeps the answers' proportions.
  devel = [e.label for e in data["devel"]]
  rest = [q["final_decision"] for q in questions.values()]
  for label in ("yes", "no", "maybe"):
    assert abs(devel.count(label) / 50 - rest.count(label) / 1000) < 0.03
  fold3 = get_task("pubmedqa", pubmedqa_fold=3).read(directory)
  assert {e.guid for e in fold3["devel"]} == set(folds[3])


# ------------------------------------------------------------------ BioASQ
YESNO = ("5c58a74e86df2b917400000d\tIs aspirin a drug?\tAspirin is a drug."
         "\tyes\n"
         "5be44bef133db5eb78000014\tIs a cell a gene?\tA cell is no gene."
         "\tno\n")


def test_bioasq_yesno_blurb_tsv(tmp_path):
  directory = write_files(tmp_path / "BioASQ", {"train.tsv": YESNO,
                                                "dev.tsv": YESNO,
                                                "test.tsv": YESNO})
  task = get_task("bioasq_yesno")
  data = task.read(directory)
  assert task.labels == ["yes", "no"] and task.main_metric == "accuracy"
  assert data["test"][1].guid == "5be44bef133db5eb78000014"
  assert data["test"][0].text_b == "Aspirin is a drug."
  assert task.score(["yes", "no"], ["yes", "yes"])["accuracy"] == 0.5


def _bioasq_json(qas):
  return {"version": "BioASQ6b", "data": [{"title": "t", "paragraphs": [
      {"context": context, "qas": [dict(q) for q in questions]}
      for context, questions in qas]}]}


BIOASQ_CONTEXT = "The breast cancer cells had a mutation of the gene ."


def _bioasq_dir(directory, test, golden):
  """A BioBERT-form BioASQ directory: train = dev = one answered question
  on BIOASQ_CONTEXT; test.json and test_golden.json as given."""
  train = _bioasq_json([(BIOASQ_CONTEXT, [{
      "id": "t1_001", "question": "which cells ?",
      "answers": [{"text": "breast cancer cells", "answer_start": 4}]}])])
  return write_files(directory, {
      "train.json": json.dumps(train), "dev.json": json.dumps(train),
      "test.json": json.dumps(test), "test_golden.json": json.dumps(golden)})


def _span_logits(examples, encoded, start_word, end_word):
  """Span outputs of each row: start at `start_word`, end at `end_word`."""
  outputs = []
  for feature, ids in zip(encoded.meta, encoded.input_ids):
    words = examples[feature.example_index].doc_tokens
    logits = np.zeros((len(ids), 2), np.float32)
    for position, word in feature.token_to_orig_map.items():
      logits[position, 0] += 8.0 * (words[word] == start_word)
      logits[position, 1] += 8.0 * (words[word] == end_word)
    outputs.append(logits)
  return outputs


def test_bioasq_factoid_golden_file_and_per_question_scores(tmp_path,
                                                            tokenizer):
  context2 = "breast cancer cells had a fever ."
  # BioBERT's test files carry no answers: they are in the golden file.
  test = _bioasq_json([
      (BIOASQ_CONTEXT, [{"id": "q1_001", "question": "which cells ?"}]),
      (context2, [{"id": "q1_002", "question": "which cells ?"}]),
      (context2, [{"id": "q2_001", "question": "what mutation ?"}])])
  golden = {"questions": [
      {"id": "q1", "type": "factoid",
       "exact_answer": [["Breast cancer cells"]]},
      {"id": "q2", "type": "factoid", "exact_answer": [["a mutation"]]},
      {"id": "q3", "type": "yesno", "exact_answer": "yes"}]}
  directory = _bioasq_dir(tmp_path / "bioasq", test, golden)
  task = get_task("bioasq")
  data = task.read(directory)
  assert task.main_metric == "mrr"
  assert data["test"].gold == {"q1": [["Breast cancer cells"]],
                               "q2": [["a mutation"]]}
  assert data["devel"].gold == {"t1": [["breast cancer cells"]]}
  encoded = task.encode(data["test"], tokenizer, 48, training=False)
  outputs = _span_logits(data["test"], encoded, "breast", "cells")
  scores, predictions = task.evaluate(data["test"], encoded, outputs)
  # q1 (two snippets merged) answers 'breast cancer cells' first: right;
  # q2's gold is nowhere in its snippet.
  assert predictions[0]["id"] == "q1"
  assert predictions[0]["answers"][0] == "breast cancer cells"
  assert len(predictions[0]["answers"]) == 5
  assert scores["strict_accuracy"] == 0.5
  assert scores["lenient_accuracy"] == 0.5
  assert scores["mrr"] == 0.5
  assert "snippet_f1" not in scores  # no answers in test.json: no KeyError


def test_bioasq_list_questions(tmp_path, tokenizer):
  test = _bioasq_json([
      (BIOASQ_CONTEXT, [{"id": f"q1_00{n}",
                         "question": "which cells or genes ?"}])
      for n in (1, 2)])
  golden = {"questions": [{"id": "q1", "type": "list", "exact_answer": [
      ["breast cancer cells", "BC cells"], ["the gene"]]}]}
  directory = _bioasq_dir(tmp_path / "bioasq_list", test, golden)
  task = get_task("bioasq_list")
  data = task.read(directory)
  assert task.main_metric == "list_f1"
  assert data["test"].gold == {"q1": [["breast cancer cells", "BC cells"],
                                      ["the gene"]]}
  encoded = task.encode(data["test"], tokenizer, 48, training=False)
  outputs = _span_logits(data["test"], encoded, "breast", "cells")
  scores, predictions = task.evaluate(data["test"], encoded, outputs)
  # One of the two gold entities found, nothing wrong: P 1, R 1/2, F1 2/3.
  assert predictions[0]["answers"] == ["breast cancer cells"]
  assert scores["list_precision"] == 1.0
  assert scores["list_recall"] == 0.5
  assert scores["list_f1"] == pytest.approx(2 / 3)
