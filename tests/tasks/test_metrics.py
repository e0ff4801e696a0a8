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


# ------------------------------------------------------- EBM PICO (BLURB)
def test_word_level_scores_hand_computed():
  # BLURB scores EBM PICO by macro-averaged word-level F1 over P, I, O.
  gold = [["I-PAR", "I-PAR", "O", "I-INT"], ["I-OUT", "O"]]
  pred = [["B-PAR", "O", "I-INT", "I-INT"], ["O", "I-OUT"]]
  scores = metrics.word_level_scores(gold, pred, labels=["INT", "OUT", "PAR"])
  # PAR: 1 right of 1 predicted, 2 gold → F1 2/3 (B-/I- both mean PAR).
  # INT: 1 right of 2 predicted, 1 gold → F1 2/3.  OUT: 0 right → F1 0.
  assert scores["per_type"]["PAR"]["precision"] == 1.0
  assert scores["per_type"]["PAR"]["recall"] == 0.5
  assert scores["per_type"]["INT"]["f1"] == pytest.approx(2 / 3)
  assert scores["per_type"]["OUT"]["f1"] == 0.0
  assert scores["macro_f1"] == pytest.approx(4 / 9)
  # Entity level would differ: the two-word PAR span is not matched.
  assert metrics.entity_scores(gold, pred)["f1"] != pytest.approx(4 / 9)
  sk = pytest.importorskip("sklearn.metrics")
  flat = lambda tags: [t.split("-")[-1] for s in tags for t in s]  # noqa: E731
  assert scores["macro_f1"] == pytest.approx(sk.f1_score(
      flat(gold), flat(pred), labels=["INT", "OUT", "PAR"], average="macro"))


def test_word_level_scores_match_sklearn_random():
  sk = pytest.importorskip("sklearn.metrics")
  rng = random.Random(5)
  tags = ["O", "I-PAR", "I-INT", "I-OUT"]
  gold = [[rng.choice(tags) for _ in range(rng.randint(1, 30))]
          for _ in range(40)]
  pred = [[g if rng.random() < 0.5 else rng.choice(tags) for g in s]
          for s in gold]
  scores = metrics.word_level_scores(gold, pred, labels=["PAR", "INT", "OUT"])
  def flat(sentences):
    return [t[2:] if t != "O" else "O" for s in sentences for t in s]
  assert scores["macro_f1"] == pytest.approx(sk.f1_score(
      flat(gold), flat(pred), labels=["PAR", "INT", "OUT"], average="macro"))
  assert scores["micro_f1"] == pytest.approx(sk.f1_score(
      flat(gold), flat(pred), labels=["PAR", "INT", "OUT"], average="micro"))


# ------------------------------------------------------------ HoC (BLURB)
def test_document_multilabel_scores_hand_computed():
  ids = ["1_s0", "1_s1", "2_s0", "3_s0"]
  gold = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]])
  pred = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]])
  scores = metrics.document_multilabel_scores(ids, gold, pred)
  # Pooled per PMID: doc 1 gold {0, 1} pred {0, 2}; doc 2 gold {2} pred {};
  # doc 3 gold {} pred {1}. BLURB micro: 1 right of 3 predicted, 3 gold.
  assert scores["num_documents"] == 3
  assert scores["doc_micro_precision"] == pytest.approx(1 / 3)
  assert scores["doc_micro_recall"] == pytest.approx(1 / 3)
  assert scores["doc_micro_f1"] == pytest.approx(1 / 3)
  # BLUE: doc 1 P 1/2 R 1/2, doc 2 P 0 (nothing predicted) R 0; doc 3 has no
  # gold label (BLUE's script cannot score it) → mean P = mean R = 1/4.
  assert scores["doc_example_precision"] == pytest.approx(0.25)
  assert scores["doc_example_recall"] == pytest.approx(0.25)
  assert scores["doc_example_f1"] == pytest.approx(0.25)
  assert scores["doc_example_skipped"] == 1
  sk = pytest.importorskip("sklearn.metrics")
  doc_gold = [[1, 1, 0], [0, 0, 1], [0, 0, 0]]
  doc_pred = [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
  assert scores["doc_micro_f1"] == pytest.approx(
      sk.f1_score(doc_gold, doc_pred, average="micro"))


def test_blue_example_f1_is_f_of_mean_p_and_r():
  # BLUE's eval_hoc: F = 2 * mean(P) * mean(R) / (mean(P) + mean(R)), not the
  # mean of per-document F1s. doc a: P 1, R 1/3; doc b: P 1/2, R 1.
  ids = ["a_s0", "b_s0"]
  gold = np.array([[1, 1, 1], [1, 0, 0]])
  pred = np.array([[1, 0, 0], [1, 1, 0]])
  scores = metrics.document_multilabel_scores(ids, gold, pred)
  p, r = (1 + 0.5) / 2, (1 / 3 + 1) / 2
  assert scores["doc_example_f1"] == pytest.approx(2 * p * r / (p + r))


# --------------------------------------------------------------- BIOSSES
def test_spearman_average_ranks_for_ties():
  # Ranks with ties averaged: (1, 2.5, 2.5, 4) and (1.5, 1.5, 3, 4);
  # deviations (-1.5, 0, 0, 1.5), (-1, -1, .5, 1.5): 3.75 / 4.5.
  assert metrics.spearman([1, 2, 2, 3], [1, 1, 2, 3]) == pytest.approx(5 / 6)
  np.testing.assert_allclose(metrics.average_ranks([3, 1, 3, 2, 3]),
                             [4, 1, 4, 2, 4])


def test_spearman_matches_scipy_with_ties():
  stats = pytest.importorskip("scipy.stats")
  rng = np.random.RandomState(1)
  for _ in range(5):
    gold = rng.randint(0, 5, size=60).astype(float)   # BIOSSES-like ties
    pred = gold + rng.randint(-2, 3, size=60)
    expected = stats.spearmanr(gold, pred).correlation
    assert metrics.similarity_scores(gold, pred)["spearman"] == (
        pytest.approx(expected, abs=1e-12))
    np.testing.assert_allclose(metrics.average_ranks(pred),
                               stats.rankdata(pred))


# ---------------------------------------------------------------- BioASQ
def test_merge_nbest_biobert_rule():
  nbest = {
      "q_001": [{"text": "IL-2.", "probability": 0.5},
                {"text": "(IL-2)", "probability": 0.1},
                {"text": "p53", "probability": 0.4}],
      "q_002": [{"text": "il-2", "probability": 0.3},
                {"text": "p53 (", "probability": 0.6},   # unbalanced: void
                {"text": "x" * 101, "probability": 0.9}],  # too long
      "r_001": [{"text": "a", "probability": 0.2}],
  }
  merged = metrics.merge_nbest(nbest)
  # IL-2: 0.5 + 0.3 + 0.1 (trailing '.', brackets and case merged) > p53.
  assert merged == {"q": ["IL-2", "p53"], "r": ["a"]}
  assert metrics.merge_nbest(
      {"q_001": [{"text": t, "probability": 1 / (i + 1)}
                 for i, t in enumerate("abcdefg")]})["q"] == list("abcde")


def test_bioasq_factoid_scores_hand_computed():
  gold = {"q1": [["IL-2", "interleukin 2"]], "q2": ["BRCA1"], "q3": [["x"]],
          "q4": [["y"]]}
  predicted = {"q1": ["Interleukin 2", "IL2"],          # right at rank 1
               "q2": ["a", "b", "brca1"],               # rank 3
               "q3": ["a", "b", "c", "d", "e", "x"]}    # rank 6: not counted
  scores = metrics.bioasq_factoid_scores(gold, predicted)
  assert scores["strict_accuracy"] == pytest.approx(1 / 4)
  assert scores["lenient_accuracy"] == pytest.approx(2 / 4)
  assert scores["mrr"] == pytest.approx((1 + 1 / 3) / 4)


def test_bioasq_list_scores_hand_computed():
  gold = {"q1": [["a", "a1"], ["b"], ["c"]], "q2": [["x"]]}
  predicted = {"q1": ["A1", "b", "z", "a"]}
  scores = metrics.bioasq_list_scores(gold, predicted)
  # q1: A1 and b right (entity a counted once: the later 'a' is wrong),
  # P 2/4, R 2/3, F 4/7; q2: no answer → 0, 0, 0.
  assert scores["precision"] == pytest.approx(0.25)
  assert scores["recall"] == pytest.approx(1 / 3)
  assert scores["f1"] == pytest.approx(2 / 7)


def test_bioasq_yesno_scores():
  gold = ["yes", "yes", "no", "no"]
  pred = ["yes", "yes", "yes", "no"]
  scores = metrics.bioasq_yesno_scores(gold, pred)
  assert scores["accuracy"] == 0.75
  assert scores["f1_yes"] == pytest.approx(0.8)
  assert scores["f1_no"] == pytest.approx(2 / 3)
  assert scores["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
  sk = pytest.importorskip("sklearn.metrics")
  assert scores["f1_no"] == pytest.approx(sk.f1_score(gold, pred,
                                                      pos_label="no"))


def test_expected_answer_count_and_a_and_b():
  assert metrics.expected_answer_count("List two genes of breast cancer") == 2
  assert metrics.expected_answer_count("Name 3 drugs") == 3
  assert metrics.expected_answer_count("Which phase 3 trials ran?") is None
  # Only the first five words are looked at (BioBERT's check_num_len=4).
  assert metrics.expected_answer_count(
      "What are the genes involved in five cancers") is None
  assert metrics._resolve_a_and_b(["A", "B", "A and B", "C"]) == ["A", "B",
                                                                   "C"]
  assert metrics._resolve_a_and_b(["A", "A and B"]) == ["A", "A and B"]
  assert metrics._resolve_a_and_b(["A", "B", "A/Z"]) == ["A", "B", "A/Z"]


def test_decode_list_answers_biobert_rule():
  nbest = {
      "q_001": [{"text": "BRCA1", "probability": 0.5},
                {"text": "brca1", "probability": 0.1},
                {"text": "TP53.", "probability": 0.3},    # trailing '.'
                {"text": "p21", "probability": 0.05}],
      "q_002": [{"text": "BRCA2", "probability": 0.45},
                {"text": "BRCA1", "probability": 0.2},
                {"text": "(KRAS", "probability": 0.3}],   # unbalanced
      "r_001": [{"text": t, "probability": p} for t, p in
                (("A", 0.9), ("B", 0.5), ("C", 0.43), ("D", 0.2))],
      "s_001": [{"text": "x", "probability": 0.3},
                {"text": "y", "probability": 0.2}],
  }
  questions = {"q": "Which genes are mutated in breast cancer?",
               "r": "List two genes of colon cancer", "s": "Which drugs?"}
  answers = metrics.decode_list_answers(nbest, questions)
  # q: BRCA1 pools 0.5 + 0.1 (freq 2 in its snippet) + 0.2 = 0.8, and
  # 0.8 / 2 = 0.4 is not above 0.42; BRCA2 0.45 / 1 is; p21 is not.
  assert answers["q"] == ["BRCA2"]
  # r asks for two: the two most probable above 0.42.
  assert answers["r"] == ["A", "B"]
  # s: none above the threshold → the most probable one.
  assert answers["s"] == ["x"]
