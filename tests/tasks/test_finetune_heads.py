"""End to end with tiny models: the sentence-level, multi-label and span heads."""
import json
import random

import biom_tf  # noqa: F401

from biom_tf.training import finetune
from tests.tasks.conftest import tiny_config
from tests.tasks.conftest import write_jsonl
from tests.tasks.conftest import write_squad


def _run(tokenizer, *args, **kw):
  return finetune.run_finetuning(_settings(*args, **kw), tokenizer=tokenizer)


def _settings(task, data_dir, out, vocab_file, family="bert", **kw):
  values = dict(task=task, data_dir=data_dir, output_dir=out,
                config=tiny_config(family), vocab_file=vocab_file,
                max_seq_length=32, train_batch_size=8, learning_rate=1e-3,
                num_train_epochs=1, seeds=(1,), save_model=False,
                log_every=0)
  values.update(kw)
  return finetune.FinetuneSettings(**values)


def test_relation_head_negative_class(tmp_path, vocab_file, tokenizer):
  verbs = {"inhibits": "INHIBITOR", "activates": "ACTIVATOR", "and": "false"}
  rng = random.Random(1)

  def rows(n):
    out = []
    for _ in range(n):
      verb = rng.choice(list(verbs))
      out.append({"text": f"the << drug >> {verb} [[ protein ]] .",
                  "label": verbs[verb]})
    return out
  directory = tmp_path / "rel"
  for split, n in (("train", 96), ("dev", 12), ("test", 12)):
    write_jsonl(str(directory / f"{split}.txt"), rows(n))
  results = _run(
      tokenizer, "chemprot", str(directory), str(tmp_path / "out"), vocab_file,
      family="electra", num_train_epochs=4)
  test = results["runs"]["seed_1"]["test"]
  assert test["negative_label"] == "false"
  assert set(test["per_class"]) <= {"ACTIVATOR", "INHIBITOR", "false"}
  assert 0.0 <= test["f1"] <= 1.0
  with open(tmp_path / "out" / "seed_1" / "test_predictions.jsonl") as f:
    predictions = [json.loads(line) for line in f]
  assert len(predictions) == 12
  assert set(predictions[0]["probabilities"]) == {"ACTIVATOR", "INHIBITOR",
                                                 "false"}


def test_similarity_k_fold_regression(tmp_path, vocab_file, tokenizer):
  directory = tmp_path / "biosses"
  directory.mkdir()
  lines = ["id\tsentence1\tsentence2\tmean"] + [
      f"{i}\tthe cell\t{'the cell' if i % 2 else 'a gene'}\t{4.0 * (i % 2)}"
      for i in range(15)]
  (directory / "pairs.tsv").write_text("\n".join(lines) + "\n")
  results = _run(
      tokenizer, "biosses", str(directory), str(tmp_path / "out"), vocab_file,
      family="albert", num_folds=3, num_train_epochs=2)
  assert results["num_folds"] == 3
  assert set(results["runs"]["seed_1"]["test"]) == {"pearson", "spearman",
                                                    "mse"}
  with open(tmp_path / "out" / "seed_1" / "test_predictions.jsonl") as f:
    ids = sorted(json.loads(line)["id"] for line in f)
  assert ids == sorted(str(i) for i in range(15))  # each pair tested once


def test_multilabel_head(tmp_path, vocab_file, tokenizer):
  directory = tmp_path / "hoc"
  rng = random.Random(2)
  words = {"growth": "cell", "death": "gene"}

  def rows(n):
    out = []
    for _ in range(n):
      labels = [l for l in words if rng.random() < 0.5]
      text = " ".join(["the"] + [words[l] for l in labels])
      out.append({"text": text, "labels": labels})
    return out
  for split, n in (("train", 32), ("dev", 8), ("test", 8)):
    write_jsonl(str(directory / f"{split}.jsonl"), rows(n))
  results = _run(
      tokenizer, "hoc", str(directory), str(tmp_path / "out"), vocab_file)
  test = results["runs"]["seed_1"]["test"]
  assert {"micro_f1", "macro_f1", "example_f1"} <= set(test)
  assert set(test["per_label"]) == {"death", "growth"}


def test_extractive_qa_span_head(tmp_path, vocab_file, tokenizer):
  directory = write_squad(str(tmp_path / "squad"))
  results = _run(
      tokenizer, "squad", directory, str(tmp_path / "out"), vocab_file,
      max_seq_length=16, doc_stride=4, num_train_epochs=2)
  test = results["runs"]["seed_1"]["test"]
  assert set(test) == {"exact_match", "f1"}
  with open(tmp_path / "out" / "seed_1" / "test_predictions.jsonl") as f:
    predictions = {p["id"]: p for p in map(json.loads, f)}
  assert set(predictions) == {"test1", "test2"}
  context = "The breast cancer cells had a mutation of the gene ."
  assert all(p["predicted"] in context for p in predictions.values())


def test_pubmedqa_release_smoke(tmp_path, vocab_file, tokenizer, shared):
  directory = shared("data", "pubmedqa")
  results = _run(
      tokenizer, "pubmedqa", directory, str(tmp_path / "out"), vocab_file,
      train_batch_size=32, num_train_epochs=0.15)
  run = results["runs"]["seed_1"]
  assert run["train"]["steps"] == 2
  assert {"accuracy", "macro_f1"} <= set(run["test"])
  with open(tmp_path / "out" / "seed_1" / "test_predictions.jsonl") as f:
    assert sum(1 for _ in f) == 500
