"""Readers of every task format, and their one-line errors on bad input."""
import json
import os

import biom_tf  # noqa: F401
import pytest

from biom_tf.tasks import DataError
from biom_tf.tasks import get_task
from biom_tf.tasks import metrics
from biom_tf.tasks import qa
from tests.conftest import shared_path
from tests.tasks.conftest import one_line
from tests.tasks.conftest import write_jsonl
from tests.tasks.conftest import squad_json
from tests.tasks.conftest import write_squad
from tests.tasks.conftest import write_ner

S1 = [("the", "O"), ("breast", "B-Disease"), ("cancer", "I-Disease")]
S2 = [("no", "O"), ("fever", "B-Disease")]


def _ner_dir(tmp_path, devel=None, test=None):
  return write_ner(tmp_path / "ner", {
      "train.tsv": [S1, S2], "devel.tsv": devel or [S2], "test.tsv": test or [S1]})


# --------------------------------------------------------------------- NER
def test_ner_reads_splits_and_labels(tmp_path):
  task = get_task("ner")
  splits = task.read(_ner_dir(tmp_path))
  assert task.labels == ["O", "B-Disease", "I-Disease"]
  assert [len(splits[s]) for s in ("train", "devel", "test")] == [2, 1, 1]
  assert splits["train"][0].words == ["the", "breast", "cancer"]
  assert splits["train"][1].lines == [5, 6]


def test_ner_bioes_label_order(tmp_path):
  sentence = [("a", "S-Chem"), ("b", "B-Dis"), ("c", "E-Dis"), ("d", "I-Dis")]
  task = get_task("ner")
  task.read(write_ner(tmp_path / "d", {"train.tsv": [sentence],
                                       "dev.tsv": [sentence],
                                       "test.tsv": [sentence]}))
  assert task.labels == ["O", "S-Chem", "B-Dis", "I-Dis", "E-Dis"]


def test_ner_tag_outside_training_labels(tmp_path):
  directory = _ner_dir(tmp_path, test=[[("x", "O"), ("aspirin", "B-Chemical")]])
  with pytest.raises(DataError) as error:
    get_task("ner").read(directory)
  message = one_line(error, os.path.join(directory, "test.tsv") + ":2:")
  assert "'B-Chemical'" in message


def test_ner_malformed_line(tmp_path):
  directory = _ner_dir(tmp_path)
  with open(os.path.join(directory, "devel.tsv"), "a") as f:
    f.write("cancer\n")
  with pytest.raises(DataError, match=r"devel.tsv:4: expected 'token<TAB>tag'"):
    get_task("ner").read(directory)


def test_ner_bad_tag_scheme(tmp_path):
  directory = write_ner(tmp_path / "d", {"train.tsv": [[("a", "X-Dis")]],
                                         "devel.tsv": [S1], "test.tsv": [S1]})
  with pytest.raises(DataError, match=r"train.tsv:1: tag 'X-Dis' is not BIO"):
    get_task("ner").read(directory)


def test_ner_empty_split(tmp_path):
  directory = _ner_dir(tmp_path)
  open(os.path.join(directory, "devel.tsv"), "w").write("\n\n")
  with pytest.raises(DataError, match=r"devel.tsv: no sentences \(empty split\)"):
    get_task("ner").read(directory)


def test_ner_missing_split(tmp_path):
  directory = _ner_dir(tmp_path)
  os.remove(os.path.join(directory, "test.tsv"))
  with pytest.raises(DataError, match="no test split"):
    get_task("ner").read(directory)


def test_ner_on_relation_data_is_a_clear_error(tmp_path):
  directory = tmp_path / "chemprot"
  for split in ("train", "dev", "test"):
    write_jsonl(str(directory / f"{split}.txt"),
                [{"text": "<< a >> binds [[ b ]]", "label": "X"}])
  with pytest.raises(DataError, match=r"train.txt:1: tag .* is not BIO"):
    get_task("ner").read(str(directory))


def test_ncbi_disease_counts_match_the_release():
  directory = shared_path("data", "ncbi-disease")
  task = get_task("ner")
  splits = task.read(directory)
  # The shared README's sentence and mention counts of this release.
  assert [len(splits[s]) for s in ("train", "devel", "test")] == [5424, 923, 940]
  mentions = [sum(len(metrics.extract_entities(s.tags)) for s in splits[k])
              for k in ("train", "devel", "test")]
  assert mentions == [5134, 787, 960]


# ---------------------------------------------------------------- relations
def _relation_dir(tmp_path, rows_by_split, ext=".txt"):
  directory = tmp_path / "rel"
  for split, rows in rows_by_split.items():
    write_jsonl(str(directory / f"{split}{ext}"), rows)
  return str(directory)


def test_chemprot_jsonl(tmp_path):
  row = {"text": "<< aspirin >> inhibits [[ COX ]]", "label": "INHIBITOR",
         "metadata": []}
  other = dict(row, label="SUBSTRATE")
  task = get_task("chemprot")
  splits = task.read(_relation_dir(tmp_path, {"train": [row, other],
                                              "dev": [row], "test": [other]}))
  assert task.labels == ["INHIBITOR", "SUBSTRATE"]
  assert task.negative_label is None
  assert splits["train"][0].text_a.startswith("<< aspirin >>")


def test_blue_tsv_with_negative_class(tmp_path):
  directory = tmp_path / "blue"
  directory.mkdir()
  lines = ["index\tsentence\tlabel",
           "1\t@CHEMICAL$ inhibits @GENE$ .\tCPR:4",
           "2\t@CHEMICAL$ and @GENE$ .\tfalse"]
  for split in ("train", "dev", "test"):
    (directory / f"{split}.tsv").write_text("\n".join(lines) + "\n")
  task = get_task("chemprot")
  splits = task.read(str(directory))
  assert task.labels == ["CPR:4", "false"]
  assert task.negative_label == "false"
  assert splits["test"][1].guid == "2"
  every_class = get_task("ddi", negative_label="")
  every_class.read(str(directory))
  assert every_class.negative_label is None
  with pytest.raises(DataError, match="negative_label='none' is not a label"):
    get_task("chemprot", negative_label="none").read(str(directory))


@pytest.mark.parametrize("task_name,name,text", [
    ("chemprot", "test.txt", ""),
    ("chemprot", "dev.txt", "\n\n"),
    ("classification", "test.txt", ""),
])
def test_empty_split_is_one_line(tmp_path, task_name, name, text):
  row = {"text": "<< a >> x [[ b ]]", "label": "A"}
  directory = _relation_dir(tmp_path, {"train": [row], "dev": [row],
                                       "test": [row]})
  with open(os.path.join(directory, name), "w") as f:
    f.write(text)
  with pytest.raises(DataError) as error:
    get_task(task_name).read(directory)
  assert str(error.value) == (f"{os.path.join(directory, name)}: no examples "
                              "(empty split)")


def test_relation_malformed_line_is_one_line(tmp_path):
  row = {"text": "<< a >> x [[ b ]]", "label": "A"}
  directory = _relation_dir(tmp_path, {"train": [row, row], "dev": [row],
                                       "test": [row]})
  with open(os.path.join(directory, "train.txt"), "a") as f:
    f.write("{not json\n")
  with pytest.raises(DataError) as error:
    get_task("chemprot").read(directory)
  message = one_line(error, os.path.join(directory, "train.txt") + ":3: ")
  assert "not a JSON object" in message


def test_relation_on_ner_data_is_a_clear_error(tmp_path):
  with pytest.raises(DataError, match=r"train.tsv:1: no entity markers"):
    get_task("chemprot").read(_ner_dir(tmp_path))


def test_relation_label_outside_training(tmp_path):
  row = {"text": "<< a >> x [[ b ]]", "label": "A"}
  directory = _relation_dir(tmp_path, {"train": [row], "dev": [row],
                                       "test": [row, dict(row, label="Z")]})
  with pytest.raises(DataError, match=r"test.txt:2: label 'Z' does not occur"):
    get_task("chemprot").read(directory)


def test_chemprot_release():
  task = get_task("chemprot")
  splits = task.read(shared_path("data", "chemprot"))
  assert [len(splits[s]) for s in ("train", "devel", "test")] == [4169, 2427,
                                                                  3469]
  assert len(task.labels) == 13 and task.negative_label is None


# ----------------------------------------------------------- classification
def test_classification_tsv_forms(tmp_path):
  directory = tmp_path / "cls"
  directory.mkdir()
  (directory / "train.tsv").write_text("a cell\tyes\nno gene\tno\n")
  (directory / "dev.tsv").write_text("7\ta cell\tyes\n")
  (directory / "test.tsv").write_text(
      "sentence1\tsentence2\tlabel\na cell\tthe gene\tno\n")
  task = get_task("classification")
  splits = task.read(str(directory))
  assert task.labels == ["no", "yes"]
  assert splits["devel"][0].guid == "7"
  assert splits["test"][0].text_b == "the gene"


def test_classification_bad_field_count(tmp_path):
  directory = tmp_path / "cls"
  directory.mkdir()
  (directory / "train.tsv").write_text("a\tb\tc\td\n")
  (directory / "dev.tsv").write_text("a\tyes\n")
  (directory / "test.tsv").write_text("a\tyes\n")
  with pytest.raises(DataError, match=r"train.tsv:1: expected 'text<TAB>label'"):
    get_task("classification").read(str(directory))


def test_multilabel_forms(tmp_path):
  directory = tmp_path / "hoc"
  directory.mkdir()
  (directory / "train.tsv").write_text(
      "labels\tsentence\tindex\ngrowth_1,death_0\ta cell\t1\n"
      "growth_0,death_1\tthe gene\t2\n")
  write_jsonl(str(directory / "dev.jsonl"),
              [{"text": "x", "labels": ["death", "growth"]}])
  write_jsonl(str(directory / "test.jsonl"), [{"text": "y", "labels": []}])
  task = get_task("hoc")
  splits = task.read(str(directory))
  assert task.labels == ["death", "growth"]
  assert splits["train"][0].label == ["growth"]
  assert splits["devel"][0].label == ["death", "growth"]
  assert splits["test"][0].label == []


# --------------------------------------------------------------- similarity
def test_biosses_single_file_k_fold(tmp_path):
  directory = tmp_path / "biosses"
  directory.mkdir()
  rows = ["id\tsentence1\tsentence2\ta1\tmean"] + [
      f"{i}\tcell {i}\tgene {i}\t1\t{i % 5}.0" for i in range(12)]
  (directory / "pairs.tsv").write_text("\n".join(rows) + "\n")
  task = get_task("biosses", num_folds=4)
  folds = task.folds(task.read(str(directory)))
  assert len(folds) == 4
  tests = [e.guid for f in folds for e in f["test"]]
  devels = [e.guid for f in folds for e in f["devel"]]
  assert sorted(tests, key=int) == [str(i) for i in range(12)]
  assert sorted(devels) == sorted(tests)
  for fold in folds:
    ids = {k: {e.guid for e in fold[k]} for k in fold}
    assert not ids["train"] & ids["test"] and not ids["train"] & ids["devel"]
    assert not ids["devel"] & ids["test"]
    assert len(ids["train"]) == 6
  assert folds[0]["test"][0].label in (0.0, 1.0, 2.0, 3.0, 4.0)


def test_biosses_release():
  task = get_task("biosses")
  splits = task.read(shared_path("data", "biosses"))
  assert len(splits["all"]) == 100
  assert splits["all"][0].label == 4.0 and splits["all"][0].text_b


def test_biosses_needs_pairs(tmp_path):
  directory = tmp_path / "b"
  directory.mkdir()
  (directory / "x.tsv").write_text("a cell\t1.0\n" * 12)
  with pytest.raises(DataError, match="x.tsv:1: a sentence pair is needed"):
    get_task("biosses").read(str(directory))


# ------------------------------------------------------------------ PubMedQA
def test_pubmedqa_release_split():
  task = get_task("pubmedqa")
  directory = shared_path("data", "pubmedqa")
  splits = task.read(directory)
  assert [len(splits[s]) for s in ("train", "devel", "test")] == [450, 50, 500]
  with open(os.path.join(directory, "test_ground_truth.json")) as f:
    truth = json.load(f)
  assert {e.guid for e in splits["test"]} == set(truth)
  assert all(truth[e.guid] == e.label for e in splits["test"])
  assert not {e.guid for e in splits["train"]} & {e.guid for e in splits["devel"]}
  assert task.labels == ["yes", "no", "maybe"]


def test_pubmedqa_errors(tmp_path):
  with pytest.raises(DataError, match="ori_pqal.json: not found"):
    get_task("pubmedqa").read(str(tmp_path))
  entry = {"QUESTION": "q?", "CONTEXTS": ["c"], "final_decision": "yes"}
  (tmp_path / "ori_pqal.json").write_text(json.dumps({"1": entry}))
  (tmp_path / "test_ground_truth.json").write_text(json.dumps({"1": "no"}))
  with pytest.raises(DataError, match="test id 1 answers 'no'"):
    get_task("pubmedqa").read(str(tmp_path))


# ---------------------------------------------------------------- SQuAD form
def test_squad_reader(tmp_path):
  task = get_task("bioasq")
  splits = task.read(write_squad(str(tmp_path / "sq")))
  assert isinstance(splits["train"], qa.SquadSplit)
  assert splits["train"][0].orig_answer_text == "breast cancer cells"
  assert splits["test"].dataset[0]["paragraphs"][0]["qas"][1]["id"] == "test2"
  assert not task.version_2_with_negative


def test_squad_errors(tmp_path):
  directory = write_squad(str(tmp_path / "sq"))
  bad = squad_json([("t1", "q", "the gene")])
  bad["data"][0]["paragraphs"][0]["qas"][0]["answers"] *= 2
  with open(os.path.join(directory, "train.json"), "w") as f:
    json.dump(bad, f)
  with pytest.raises(DataError, match="training question t1 has 2 answers"):
    get_task("squad").read(directory)
  with open(os.path.join(directory, "train.json"), "w") as f:
    f.write("[1, 2]")
  with pytest.raises(DataError, match=r"train.json: expected SQuAD JSON"):
    get_task("squad").read(directory)
  with pytest.raises(DataError, match="no train split"):
    get_task("squad").read(_ner_dir(tmp_path))


def test_unknown_task():
  with pytest.raises(DataError, match="unknown task 'nerr'"):
    get_task("nerr")


def test_squad_window_too_small(tmp_path, tokenizer):
  task = get_task("squad", max_query_length=64)
  splits = task.read(write_squad(str(tmp_path / "sq")))
  with pytest.raises(DataError, match="max_seq_length=5 leaves no room"):
    task.encode(splits["test"], tokenizer, 5, training=False)
