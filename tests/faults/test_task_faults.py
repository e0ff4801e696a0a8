"""Damaged or mismatched task data: one line naming the file (and line),
never a traceback or a silently wrong score (issue 13 item 8, issue 14)."""
import json
import os
import shutil

import biom_tf  # noqa: F401
import pytest

from biom_tf.tasks import DataError
from biom_tf.tasks import get_task
from tests.conftest import shared_path
from tests.tasks.conftest import one_line
from tests.tasks.conftest import write_files


def _jsonl(rows):
  return "".join(json.dumps(r) + "\n" for r in rows)


@pytest.mark.parametrize("text,found", [
    ("<< aspirin >> inhibits COX", 1),          # protein unmarked
    ("aspirin inhibits [[ COX ]]", 1),          # chemical unmarked
    ("aspirin inhibits COX", 0),
])
def test_chemprot_example_without_both_markers(tmp_path, text, found):
  good = {"text": "<< a >> x [[ b ]]", "label": "INHIBITOR"}
  directory = write_files(tmp_path / "chemprot", {
      "train.txt": _jsonl([good, {"text": text, "label": "INHIBITOR"}]),
      "dev.txt": _jsonl([good]), "test.txt": _jsonl([good])})
  with pytest.raises(DataError) as error:
    get_task("chemprot").read(directory)
  message = one_line(error, os.path.join(directory, "train.txt") + ":2: ")
  assert f"no entity markers for both entities ({found} of 2" in message


def test_ddi_tsv_with_one_mask(tmp_path):
  rows = "index\tsentence\tlabel\n1\t@DRUG$ and @DRUG$ .\tDDI-false\n"
  directory = write_files(tmp_path / "ddi", {
      "train.tsv": rows + "2\t@DRUG$ and aspirin .\tDDI-effect\n",
      "dev.tsv": rows, "test.tsv": rows})
  with pytest.raises(DataError) as error:
    get_task("ddi").read(directory)
  one_line(error, os.path.join(directory, "train.tsv") + ":3: no entity")


def _copy_hoc(tmp_path, pmids):
  source = shared_path("data", "blurb", "hoc")
  target = tmp_path / "hoc"
  for sub in ("text", "labels", "blurb-split"):
    (target / sub).mkdir(parents=True)
  for pmid in pmids:
    for sub in ("text", "labels"):
      shutil.copy(os.path.join(source, sub, pmid + ".txt"), target / sub)
  for stem in ("train", "dev", "test"):
    (target / "blurb-split" / f"{stem}_pmid.tsv").write_text(
        ",".join(p + ".txt" for p in pmids))
  return str(target)


def test_hoc_label_file_out_of_step(tmp_path):
  directory = _copy_hoc(tmp_path, ["11724768"])
  label_path = os.path.join(directory, "labels", "11724768.txt")
  with open(label_path) as f:
    line = f.read()
  with open(label_path, "w") as f:
    f.write(line.rstrip("< \n"))  # one sentence's group lost
  with pytest.raises(DataError) as error:
    get_task("hoc").read(directory)
  message = one_line(error, label_path + ":1: ")
  assert "label groups for 6 sentences" in message


def test_hoc_unknown_hallmark(tmp_path):
  directory = _copy_hoc(tmp_path, ["11724768"])
  label_path = os.path.join(directory, "labels", "11724768.txt")
  with open(label_path, "w") as f:
    f.write("< < < <Sustained angiogenesis--x< < ")
  with pytest.raises(DataError) as error:
    get_task("hoc").read(directory)
  one_line(error, label_path + ":1: sentence 3: 'Sustained angiogenesis'")


def test_ddi_damaged_xml_and_missing_file(tmp_path):
  (tmp_path / "ddi" / "DDICorpus" / "Train" / "MedLine").mkdir(parents=True)
  (tmp_path / "ddi" / "blurb-split").mkdir()
  bad = tmp_path / "ddi" / "DDICorpus" / "Train" / "MedLine" / "1.xml"
  bad.write_text('<document id="d"><sentence text="x">\n<entity')
  for stem in ("train", "dev", "test"):
    (tmp_path / "ddi" / "blurb-split" / f"{stem}_files.tsv").write_text(
        "train_dataset/MedLine/1.xml\n")
  with pytest.raises(DataError) as error:
    get_task("ddi").read(str(tmp_path / "ddi"))
  one_line(error, f"{bad}:2: not valid XML")
  (tmp_path / "ddi" / "blurb-split" / "train_files.tsv").write_text(
      "train_dataset/MedLine/2.xml\n")
  with pytest.raises(DataError) as error:
    get_task("ddi").read(str(tmp_path / "ddi"))
  message = one_line(error, str(tmp_path / "ddi" / "blurb-split" /
                                "train_files.tsv") + ":1: ")
  assert "2.xml: file not found" in message


def test_bioasq_test_without_gold(tmp_path):
  qa = {"id": "q1_001", "question": "which cells ?"}
  answer = dict(qa, answers=[{"text": "cells", "answer_start": 0}])
  data = lambda q: json.dumps({"data": [{"paragraphs": [  # noqa: E731
      {"context": "cells had a gene .", "qas": [q]}]}]})
  directory = write_files(tmp_path / "bioasq", {"train.json": data(answer),
                                                "dev.json": data(answer),
                                                "test.json": data(qa)})
  with pytest.raises(DataError) as error:
    get_task("bioasq").read(directory)
  message = one_line(error, os.path.join(directory, "test.json") + ": ")
  assert "no gold answers" in message and "test_golden.json" in message
  golden = os.path.join(directory, "golden.json")
  with open(golden, "w") as f:
    f.write('{"questions": [{"id": "q9", "type": "factoid"}]}')
  with pytest.raises(DataError) as error:
    get_task("bioasq").read(directory)
  one_line(error, golden + ": question q9 (factoid) has no 'exact_answer'")
  with open(golden, "w") as f:
    json.dump({"questions": [{"id": "q9", "type": "factoid",
                              "exact_answer": [["x"]]}]}, f)
  with pytest.raises(DataError) as error:
    get_task("bioasq").read(directory)
  one_line(error, golden + ": 1 gold question(s) have no snippet")


def test_bioasq_yesno_bad_rows(tmp_path):
  good = "q1\tIs it ?\tIt is .\tyes\nq2\tIs it ?\tNo .\tno\n"
  directory = write_files(tmp_path / "yn", {
      "train.tsv": good, "dev.tsv": good,
      "test.tsv": good + "q3\tIs it ?\tx\n"})
  with pytest.raises(DataError) as error:
    get_task("bioasq_yesno").read(directory)
  one_line(error, os.path.join(directory, "test.tsv") + ":3: expected 'id")
  write_files(directory, {"test.tsv": good + "q3\tIs it ?\tx\tmaybe\n"})
  with pytest.raises(DataError) as error:
    get_task("bioasq_yesno").read(directory)
  one_line(error, os.path.join(directory, "test.tsv") + ":3: label 'maybe'")


def test_pubmedqa_reordered_or_partial_release(tmp_path):
  source = shared_path("data", "pubmedqa")
  with open(os.path.join(source, "ori_pqal.json")) as f:
    questions = json.load(f)
  shutil.copy(os.path.join(source, "test_ground_truth.json"), tmp_path)
  # Another order draws another test half than test_ground_truth.json's.
  reordered = dict(sorted(questions.items()))
  (tmp_path / "ori_pqal.json").write_text(json.dumps(reordered))
  with pytest.raises(DataError) as error:
    get_task("pubmedqa").read(str(tmp_path))
  message = one_line(error, str(tmp_path / "test_ground_truth.json") + ": ")
  assert "not the test half" in message
