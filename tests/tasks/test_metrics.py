"""Metrics against hand-computed cases and independent implementations
(seqeval for conlleval-style entities, scikit-learn for F1 averages)."""
import random

import biom_tf  # noqa: F401
import numpy as np
import pytest

from biom_tf.tasks import metrics


# --------------------------------------------------------------------- NER
@pytest.mark.parametrize("tags, entities", [
    (["B-D", "I-D", "O", "B-D"], [("D", 0, 1), ("D", 3, 3)]),
    # conlleval: an I- after O opens an entity.
    (["O", "I-D", "I-D", "O"], [("D", 1, 2)]),
    # A type change splits the entity.
    (["B-A", "I-B", "I-B"], [("A", 0, 0), ("B", 1, 2)]),
    # BIOES.
    (["B-D", "I-D", "E-D", "S-D", "O"], [("D", 0, 2), ("D", 3, 3)]),
    (["B-D", "E-D", "I-D"], [("D", 0, 1), ("D", 2, 2)]),
    # Two B- in a row are two entities; an entity may end the sentence.
    (["B-D", "B-D", "I-D"], [("D", 0, 0), ("D", 1, 2)]),
    (["O", "O"], []),
])
def test_extract_entities_hand_cases(tags, entities):
  assert metrics.extract_entities(tags) == entities


def test_entity_scores_hand_computed():
  gold = [["B-D", "I-D", "O", "B-D"], ["O", "B-D"]]
  pred = [["B-D", "I-D", "O", "O"], ["O", "B-D"]]
  # gold 3 entities, predicted 2, both correct.
  scores = metrics.entity_scores(gold, pred)
  assert scores["num_gold"] == 3 and scores["num_predicted"] == 2
  assert scores["precision"] == 1.0
  assert scores["recall"] == pytest.approx(2 / 3)
  assert scores["f1"] == pytest.approx(0.8)
  assert scores["accuracy"] == pytest.approx(5 / 6)


def test_entity_scores_partial_match_is_wrong():
  # Exact match: a predicted entity one token short counts as wrong.
  scores = metrics.entity_scores([["B-D", "I-D", "I-D"]],
                                 [["B-D", "I-D", "O"]])
  assert scores["precision"] == 0.0 and scores["recall"] == 0.0
  assert scores["f1"] == 0.0


def test_entity_scores_per_type():
  gold = [["B-Chem", "O", "B-Dis", "I-Dis"]]
  pred = [["B-Chem", "O", "B-Dis", "O"]]
  per_type = metrics.entity_scores(gold, pred)["per_type"]
  assert per_type["Chem"]["f1"] == 1.0
  assert per_type["Dis"]["f1"] == 0.0 and per_type["Dis"]["support"] == 1


@pytest.mark.parametrize("scheme", ["BIO", "BIOES"])
def test_entity_scores_match_seqeval(scheme):
  seqeval_metrics = pytest.importorskip("seqeval.metrics")
  rng = random.Random(7)
  prefixes = "BI" if scheme == "BIO" else "BIES"
  tags = ["O"] + [f"{p}-{t}" for p in prefixes for t in ("Dis", "Chem")]
  gold = [[rng.choice(tags) for _ in range(rng.randint(1, 15))]
          for _ in range(300)]
  pred = [[t if rng.random() < 0.7 else rng.choice(tags) for t in s]
          for s in gold]
  ours = metrics.entity_scores(gold, pred)
  assert ours["precision"] == pytest.approx(
      seqeval_metrics.precision_score(gold, pred))
  assert ours["recall"] == pytest.approx(
      seqeval_metrics.recall_score(gold, pred))
  assert ours["f1"] == pytest.approx(seqeval_metrics.f1_score(gold, pred))


def test_entity_scores_length_mismatch():
  with pytest.raises(ValueError, match="sentence 0"):
    metrics.entity_scores([["O", "O"]], [["O"]])


# --------------------------------------------------------------- relations
GOLD = ["A", "B", "false", "false", "A"]
PRED = ["A", "false", "B", "false", "B"]


def test_relation_scores_exclude_negative_class():
  scores = metrics.relation_scores(GOLD, PRED, negative_label="false")
  # Positives: 1 correct (#0) of 3 predicted (#0, #2, #4) and 3 gold (#0, #1,
  # #4); the agreeing 'false' pair (#3) earns nothing.
  assert scores["precision"] == pytest.approx(1 / 3)
  assert scores["recall"] == pytest.approx(1 / 3)
  assert scores["f1"] == pytest.approx(1 / 3)
  assert scores["accuracy"] == pytest.approx(2 / 5)
  assert scores["per_class"]["A"] == {"precision": 1.0, "recall": 0.5,
                                      "f1": pytest.approx(2 / 3), "support": 2}
  # Without a negative class, 'false' is a class like the others.
  all_positive = metrics.relation_scores(GOLD, PRED, negative_label=None)
  assert all_positive["f1"] == pytest.approx(2 / 5)


def test_relation_scores_match_sklearn_micro_over_positive_labels():
  sk = pytest.importorskip("sklearn.metrics")
  rng = random.Random(3)
  labels = ["CPR:3", "CPR:4", "CPR:5", "CPR:6", "CPR:9", "false"]
  gold = [rng.choice(labels) for _ in range(500)]
  pred = [g if rng.random() < 0.6 else rng.choice(labels) for g in gold]
  ours = metrics.relation_scores(gold, pred, negative_label="false")
  expected = sk.f1_score(gold, pred, labels=labels[:-1], average="micro")
  assert ours["f1"] == pytest.approx(expected)


# ----------------------------------------------------------- classification
def test_classification_scores_hand_computed():
  gold = ["yes", "no", "maybe", "yes"]
  pred = ["yes", "yes", "maybe", "no"]
  scores = metrics.classification_scores(gold, pred)
  assert scores["accuracy"] == 0.5
  # F1 yes 0.5, no 0, maybe 1 → macro 0.5.
  assert scores["macro_f1"] == pytest.approx(0.5)
  sk = pytest.importorskip("sklearn.metrics")
  assert scores["macro_f1"] == pytest.approx(
      sk.f1_score(gold, pred, average="macro"))


def test_multilabel_scores_hand_computed():
  gold = np.array([[1, 0], [1, 1], [0, 0]])
  pred = np.array([[1, 1], [1, 0], [0, 0]])
  scores = metrics.multilabel_scores(gold, pred, ["a", "b"])
  assert scores["micro_f1"] == pytest.approx(2 / 3)
  assert scores["macro_f1"] == pytest.approx(0.5)
  assert scores["example_f1"] == pytest.approx(7 / 9)
  sk = pytest.importorskip("sklearn.metrics")
  assert scores["micro_f1"] == pytest.approx(sk.f1_score(gold, pred,
                                                         average="micro"))
  assert scores["macro_f1"] == pytest.approx(sk.f1_score(gold, pred,
                                                         average="macro"))


# --------------------------------------------------------------- similarity
def test_pearson_hand_and_numpy():
  assert metrics.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
  assert metrics.pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
  # Deviations (-1.5, -.5, .5, 1.5) and (-1.5, .5, -.5, 1.5): 4 / sqrt(5 * 5).
  assert metrics.pearson([0, 1, 2, 3], [1, 3, 2, 4]) == pytest.approx(0.8)
  rng = np.random.RandomState(0)
  x, y = rng.rand(50), rng.rand(50)
  assert metrics.pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])
  assert metrics.pearson([1, 1, 1], [1, 2, 3]) == 0.0
  scores = metrics.similarity_scores([0, 1, 2, 3], [0, 10, 20, 35])
  assert scores["spearman"] == pytest.approx(1.0)


# ----------------------------------------------------------------------- QA
def test_squad_scores_hand_computed():
  dataset = [{"paragraphs": [{"context": "...", "qas": [
      {"id": "q1", "question": "?", "answers": [{"text": "The tumor",
                                                 "answer_start": 0}]},
      {"id": "q2", "question": "?", "answers": [
          {"text": "breast cancer cells", "answer_start": 0}]}]}]}]
  # q1: exact after normalization (article, case); q2: 2 of 3 tokens shared.
  scores = metrics.squad_scores(dataset, {"q1": "tumor",
                                          "q2": "cancer cells today"})
  assert scores["exact_match"] == pytest.approx(0.5)
  assert scores["f1"] == pytest.approx((1 + 2 / 3) / 2)
  v2 = metrics.squad_scores(dataset, {"q1": "tumor",
                                      "q2": "cancer cells today"},
                            version_2_with_negative=True)
  assert v2["exact_match"] == pytest.approx(0.5)
  assert v2["f1"] == pytest.approx((1 + 2 / 3) / 2)
