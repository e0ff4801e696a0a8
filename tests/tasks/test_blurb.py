"""BLURB: the table arithmetic, finding datasets, resume, and the tool end to
end with a tiny random model."""
import json
import os
import random
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import biom_tf  # noqa: F401
import numpy as np
import pytest

from biom_tf.training import blurb
from biom_tf.tasks.data import DataError
from tests.tasks.conftest import tiny_config
from tests.tasks.conftest import toy_sentence
from tests.tasks.conftest import write_jsonl
from tests.tasks.conftest import write_ner
from tests.conftest import REPO_ROOT


# ------------------------------------------------------------ arithmetic
HAND = {"bc5-chem": {1: 0.80, 2: 0.90}, "ncbi-disease": {1: 0.70, 2: 0.70},
        "chemprot": {1: 0.60, 2: 0.40}, "biosses": {1: 0.50, 2: 0.70}}


def test_blurb_score_is_the_macro_over_task_types_of_dataset_means():
  table = blurb.blurb_table(HAND, skipped=["hoc", "gad"])
  # Dataset means 0.85, 0.70, 0.50, 0.60; NER = (0.85 + 0.70) / 2 = 0.775,
  # relation extraction 0.50, sentence similarity 0.60; BLURB = (0.775 +
  # 0.50 + 0.60) / 3 = 0.625 (a plain mean over datasets would be 0.6625).
  assert table["datasets"]["bc5-chem"]["mean"] == pytest.approx(0.85)
  assert table["datasets"]["bc5-chem"]["std"] == pytest.approx(0.05)
  assert table["datasets"]["ncbi-disease"]["std"] == pytest.approx(0.0)
  assert table["task_types"]["ner"]["mean"] == pytest.approx(0.775)
  assert table["task_types"]["relation"]["mean"] == pytest.approx(0.50)
  assert table["task_types"]["similarity"]["mean"] == pytest.approx(0.60)
  assert set(table["task_types"]) == {"ner", "relation", "similarity"}
  score = table["blurb_score"]
  assert score["mean"] == pytest.approx(0.625)
  assert (score["task_types"], score["complete"]) == (3, False)
  # Seed-wise: seed 1 (0.75 + 0.60 + 0.50) / 3, seed 2 (0.80 + 0.40 + 0.70)
  # / 3 → spread |0.63333 - 0.61667| / 2.
  assert score["std"] == pytest.approx(0.0083333, abs=1e-6)
  assert table["skipped"] == ["gad", "hoc"]  # BLURB's order
  text = blurb.table_markdown(table)
  assert "**BLURB score: 62.50 ± 0.83**" in text
  assert "3 of 6 task types" in text
  assert "| BC5-chem | Named entity recognition | entity-level F1 | 2 | " \
         "85.00 ± 5.00 |" in text
  assert "Skipped (not found): GAD, HoC" in text


def test_all_six_types_make_a_complete_score():
  scores = {d.key: {1: 0.5} for d in blurb.DATASETS}
  scores["pubmedqa"] = {1: 0.9}     # QA = (0.9 + 0.5) / 2 = 0.7
  table = blurb.blurb_table(scores)
  assert table["blurb_score"]["complete"]
  assert table["blurb_score"]["mean"] == pytest.approx((0.5 * 5 + 0.7) / 6)


# ---------------------------------------------------------------- finding
def test_datasets_are_found_by_their_usual_names(tmp_path):
  for name in ("BC5CDR-chem-IOB", "NCBI-disease", "blurb/hoc", "blurb/DDI",
               "ChemProt", "unrelated", "pubmedqa"):
    os.makedirs(tmp_path / name)
  (tmp_path / "BIOSSES").write_text("a file, not a dataset directory")
  found, skipped = blurb.find_datasets(str(tmp_path))
  assert {k: os.path.relpath(v, tmp_path) for k, v in found.items()} == {
      "bc5-chem": "BC5CDR-chem-IOB", "ncbi-disease": "NCBI-disease",
      "chemprot": "ChemProt", "ddi": os.path.join("blurb", "DDI"),
      "hoc": os.path.join("blurb", "hoc"), "pubmedqa": "pubmedqa"}
  assert skipped == ["bc5-disease", "bc2gm", "jnlpba", "ebm-pico", "gad",
                     "biosses", "bioasq"]
  found, skipped = blurb.find_datasets(str(tmp_path), ["NCBI-disease", "gad"])
  assert list(found) == ["ncbi-disease"] and skipped == ["gad"]
  with pytest.raises(blurb.BlurbError, match="unknown BLURB dataset 'conll'"):
    blurb.find_datasets(str(tmp_path), ["conll"])
  with pytest.raises(blurb.BlurbError, match="directory not found"):
    blurb.find_datasets(str(tmp_path / "none"))


# ------------------------------------------------------------ the chart
def test_chart_png_and_the_svg_written_without_matplotlib(tmp_path):
  table = blurb.blurb_table(HAND)
  png = blurb.write_chart(table, str(tmp_path))
  assert png.endswith(".png")
  with open(png, "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n"
  svg = blurb.write_chart(table, str(tmp_path), use_matplotlib=False)
  root = ElementTree.parse(svg).getroot()
  ns = "{http://www.w3.org/2000/svg}"
  assert len(root.findall(f"{ns}rect")) == 4              # one bar a dataset
  assert len(root.findall(f"{ns}circle")) == 8            # one dot a seed
  labels = [t.text for t in root.findall(f"{ns}text")]
  assert "BC5-chem" in labels and "BLURB 62.50" in labels


# ------------------------------------------------- resume, with a fake run
class FakeFinetune:
  """Stands in for run_finetuning: scores from a table, calls counted."""

  def __init__(self, fail=()):
    self.calls = []
    self.fail = fail

  def __call__(self, settings, tokenizer=None):
    key = os.path.basename(settings.output_dir)
    seed = settings.seeds[0]
    self.calls.append((key, seed))
    if key in self.fail:
      raise DataError(f"{settings.data_dir}/train.tsv:3: expected "
                      "token<TAB>tag")
    settings.progress({"seed": seed, "step": 2, "num_steps": 4, "epoch": 1.0,
                       "num_epochs": 2, "loss": 0.5})
    settings.progress({"seed": seed, "step": 4, "num_steps": 4, "epoch": 2.0,
                       "num_epochs": 2, "loss": 0.25})
    score = HAND[key][seed]
    return {"main_metric": "pearson" if key == "biosses" else "f1",
            "runs": {f"seed_{seed}": {
                "devel": {"f1": score, "pearson": score},
                "test": {"f1": score, "pearson": score},
                "train": {"steps": 4}}}}


def _data_dir(tmp_path):
  for name in ("BC5CDR-chem", "NCBI-disease", "chemprot", "BIOSSES"):
    os.makedirs(tmp_path / "data" / name, exist_ok=True)
  return str(tmp_path / "data")


def _settings(tmp_path, vocab_file, **kw):
  kw.setdefault("seeds", (1, 2))
  return blurb.BlurbSettings(
      data_dir=_data_dir(tmp_path), output_dir=str(tmp_path / "out"),
      config=tiny_config(), vocab_file=vocab_file, **kw)


def test_resume_runs_only_the_missing_pairs(tmp_path, vocab_file):
  lines = []
  fake = FakeFinetune()
  table = blurb.run_blurb(_settings(tmp_path, vocab_file), lines.append, fake)
  assert len(fake.calls) == 8 and table["trained_pairs"] == 8
  assert table["blurb_score"]["mean"] == pytest.approx(0.625)
  progress = [l for l in lines if "epoch" in l]
  assert progress[0].startswith("  BC5-chem seed 1 epoch 1.0/2 step 2/4 ")
  assert all("ETA" in l for l in progress)
  runs_path = tmp_path / "out" / blurb.RUNS_FILE
  # Interrupted after some pairs: drop two of them from the record.
  state = json.loads(runs_path.read_text())
  del state["runs"]["chemprot"]["2"], state["runs"]["biosses"]["1"]
  runs_path.write_text(json.dumps(state))
  again = FakeFinetune()
  lines = []
  table = blurb.run_blurb(_settings(tmp_path, vocab_file), lines.append, again)
  assert again.calls == [("chemprot", 2), ("biosses", 1)]
  assert any("resuming: 6 finished (dataset, seed) run(s)" in l
             for l in lines)
  assert table["blurb_score"]["mean"] == pytest.approx(0.625)
  # Nothing left: a third run trains nothing and writes the same table.
  third = FakeFinetune()
  table = blurb.run_blurb(_settings(tmp_path, vocab_file), lines.append, third)
  assert third.calls == [] and table["trained_pairs"] == 0
  saved = json.loads((tmp_path / "out" / blurb.RESULTS_FILE).read_text())
  assert saved["blurb_score"]["mean"] == pytest.approx(0.625)
  assert not [n for n in os.listdir(tmp_path / "out") if ".tmp-" in n]
  # Other settings: finished runs are not mixed with new ones.
  with pytest.raises(blurb.BlurbError, match="max_train_examples: None → 10"):
    blurb.run_blurb(_settings(tmp_path, vocab_file, max_train_examples=10),
                    lines.append, FakeFinetune())


def test_a_damaged_run_record_is_one_line(tmp_path, vocab_file):
  out = tmp_path / "out"
  out.mkdir()
  (out / blurb.RUNS_FILE).write_text('{"runs": {}')
  fake = FakeFinetune()
  with pytest.raises(blurb.BlurbError) as error:
    blurb.run_blurb(_settings(tmp_path, vocab_file), [].append, fake)
  assert str(error.value) == (
      f"{out / blurb.RUNS_FILE}: not valid JSON (line 1: Expecting ',' "
      "delimiter); move it away to start over")
  assert fake.calls == []


def test_a_dataset_that_fails_to_read_is_reported_and_the_rest_run(
    tmp_path, vocab_file):
  fake = FakeFinetune(fail=("chemprot",))
  lines = []
  table = blurb.run_blurb(_settings(tmp_path, vocab_file), lines.append, fake)
  assert ("chemprot", 2) not in fake.calls   # not retried for the next seed
  assert list(table["failed"]) == ["chemprot"]
  assert "train.tsv:3" in table["failed"]["chemprot"]
  assert "relation" not in table["task_types"]
  assert "- ChemProt: " in blurb.table_markdown(table)


@pytest.mark.slow
def test_a_dataset_is_read_and_encoded_once_for_all_its_seeds(
    tmp_path, vocab_file, monkeypatch):
  """Two seeds of one NER set through the real run_finetuning: one read,
  one encoding of each split (none depends on the seed)."""
  from biom_tf.tasks import NerTask
  from biom_tf.tasks import get_task
  calls = []
  for name in ("read", "encode"):
    def counted(self, *args, _original=getattr(NerTask, name), _name=name,
                **kwargs):
      calls.append(_name)
      return _original(self, *args, **kwargs)
    monkeypatch.setattr(NerTask, name, counted)
  rng = random.Random(0)
  write_ner(str(tmp_path / "data" / "NCBI-disease"), {
      split: [toy_sentence(rng, 3, 8) for _ in range(8)]
      for split in ("train.tsv", "devel.tsv", "test.tsv")})
  settings = blurb.BlurbSettings(
      data_dir=str(tmp_path / "data"), output_dir=str(tmp_path / "out"),
      config=tiny_config(), vocab_file=vocab_file, seeds=(1, 2),
      num_train_epochs=1.0, max_seq_length=16, train_batch_size=4,
      max_train_examples=6)
  table = blurb.run_blurb(settings, lambda line: None)
  assert table["trained_pairs"] == 2
  assert table["datasets"]["ncbi-disease"]["seeds"].keys() == {"1", "2"}
  assert sorted(calls) == ["encode"] * 3 + ["read"]  # train, devel, test
  assert get_task("ner") is not get_task("ner")  # fresh again afterwards


def test_recipe_values_and_overrides(tmp_path, vocab_file):
  settings = _settings(tmp_path, vocab_file, num_train_epochs=1.0,
                       max_seq_length=48)
  values = blurb.finetune_values(blurb.DATASETS_BY_KEY["bc2gm"], settings)
  # michiyasunaga/LinkBERT run_examples_blurb_biolinkbert-base.sh, BC2GM:
  # lr 6e-5, batch 32, warmup 0.1 (epochs and length overridden here).
  assert (values["learning_rate"], values["train_batch_size"],
          values["warmup_proportion"], values["num_train_epochs"],
          values["max_seq_length"]) == (6e-5, 32, 0.1, 1.0, 48)
  # The recipe's 512 is capped at the model's 64 positions.
  values = blurb.finetune_values(blurb.DATASETS_BY_KEY["hoc"],
                                 _settings(tmp_path, vocab_file))
  assert values["max_seq_length"] == 64 and values["num_train_epochs"] == 40
  with pytest.raises(blurb.BlurbError, match="repeated seed"):
    blurb.run_blurb(_settings(tmp_path, vocab_file, seeds=(1, 1)))
  from biom_tf import tasks
  from biom_tf.tasks import recipes
  for dataset in blurb.DATASETS:   # every dataset has its task and recipe
    assert dataset.task in tasks.TASK_NAMES, dataset.key
    assert recipes.get_recipe(dataset.recipe, dataset.task).name == \
        f"blurb-{dataset.key}"
    assert blurb.finetune_values(dataset, settings)


# --------------------------------------------- the tool, with a real model
def _relation(rng, i):
  verb, label = rng.choice([("inhibits", "CPR:4"), ("activates", "CPR:3"),
                            ("with", "false")])
  return {"text": f"the << chemical >> {verb} [[ gene ]] in cells",
          "label": label, "metadata": [], "id": str(i)}


def _write_blurb_data(root):
  rng = random.Random(0)
  write_ner(os.path.join(root, "NCBI-disease"), {
      "train.tsv": [toy_sentence(rng, 3, 8) for _ in range(48)],
      "devel.tsv": [toy_sentence(rng, 3, 8) for _ in range(8)],
      "test.tsv": [toy_sentence(rng, 3, 8) for _ in range(8)]})
  for split, n in (("train", 48), ("dev", 8), ("test", 8)):
    write_jsonl(os.path.join(root, "chemprot", f"{split}.txt"),
                [_relation(rng, i) for i in range(n)])
  os.makedirs(os.path.join(root, "blurb", "BIOSSES"))
  pairs = [("the patient had fever", "the patient had mild fever", 3.5),
           ("the gene binds the protein", "the drug inhibits cells", 0.5),
           ("colon cancer cells", "colon tumor cells", 3.0),
           ("no disease today", "the disease is severe", 1.0)]
  for split, n in (("train", 24), ("dev", 4), ("test", 4)):
    with open(os.path.join(root, "blurb", "BIOSSES", f"{split}.tsv"),
              "w") as f:
      f.write("id\tsentence1\tsentence2\tscore\n")
      for i in range(n):
        a, b, score = pairs[i % len(pairs)]
        f.write(f"{split}{i}\t{a}\t{b}\t{score}\n")
  return root


def _run_tool(argv, capsys):
  """`python -m tools.run_blurb ARGV` as a user runs it (a subprocess: the
  tool's flags share names with run_finetuning's, which other tests load)."""
  del capsys
  env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
  done = subprocess.run([sys.executable, "-m", "tools.run_blurb"] + argv,
                        cwd=REPO_ROOT, env=env, capture_output=True,
                        text=True, timeout=600, check=False)
  # TensorFlow's own C++ line on a machine without a GPU is not the tool's.
  stderr = "".join(l for l in done.stderr.splitlines(keepends=True)
                   if "failed call to cuInit" not in l)
  return done.returncode, done.stdout, stderr


@pytest.mark.slow
def test_run_blurb_end_to_end_and_resume(tmp_path, vocab_file, capsys):
  data_dir = _write_blurb_data(str(tmp_path / "data"))
  config_file = str(tmp_path / "bert_config.json")
  tiny_config().to_json_file(config_file)
  out = str(tmp_path / "out")
  argv = [f"--data_dir={data_dir}", f"--output_dir={out}",
          f"--config_file={config_file}", f"--vocab_file={vocab_file}",
          "--do_lower_case=true", "--seeds=1", "--num_train_epochs=2",
          "--max_seq_length=32", "--train_batch_size=16",
          "--learning_rate=1e-3", "--max_train_examples=40"]
  rc, stdout, stderr = _run_tool(argv, capsys)
  assert rc == 0, stderr
  for name in ("NCBI-disease", "ChemProt", "BIOSSES"):
    assert f"] {name} seed 1: fine-tuning" in stdout
    assert any(l.startswith(f"  {name} seed 1 epoch 2.0/2 step ") and
               "ETA" in l for l in stdout.splitlines())
  assert "BC5-chem: not found under" in stdout
  with open(os.path.join(out, blurb.RESULTS_FILE)) as f:
    table = json.load(f)
  assert set(table["datasets"]) == {"ncbi-disease", "chemprot", "biosses"}
  assert len(table["skipped"]) == 10
  # The table's own arithmetic: BLURB = mean of the three types' means.
  means = [table["datasets"][k]["mean"] for k in ("ncbi-disease", "chemprot",
                                                  "biosses")]
  assert table["blurb_score"]["mean"] == pytest.approx(np.mean(means))
  for key, row in table["datasets"].items():
    assert -1.0 <= row["mean"] <= 1.0 and row["seeds"].keys() == {"1"}
  with open(os.path.join(out, "ncbi-disease", "eval_results.json")) as f:
    ner = json.load(f)
  assert ner["settings"]["max_train_examples"] == 40
  assert ner["runs"]["seed_1"]["test"]["f1"] == pytest.approx(
      table["datasets"]["ncbi-disease"]["mean"])
  assert os.path.exists(os.path.join(out, "blurb_scores.png"))
  assert "**BLURB score:" in stdout and "3 of 6 task types" in stdout
  runs_before = os.path.getmtime(os.path.join(out, blurb.RUNS_FILE))

  # Rerun: every pair is finished, so nothing is trained again.
  rc, stdout, stderr = _run_tool(argv, capsys)
  assert rc == 0, stderr
  assert "resuming: 3 finished (dataset, seed) run(s)" in stdout
  assert "fine-tuning" not in stdout and "epoch" not in stdout
  assert os.path.getmtime(os.path.join(out, blurb.RUNS_FILE)) == runs_before
  with open(os.path.join(out, blurb.RESULTS_FILE)) as f:
    assert json.load(f)["blurb_score"] == table["blurb_score"]


def test_tool_errors_are_one_line(tmp_path, vocab_file, capsys):
  rc, _, stderr = _run_tool([f"--output_dir={tmp_path}/out",
                             f"--vocab_file={vocab_file}"], capsys)
  assert rc == 1
  assert stderr.strip() == "run_blurb: error: --data_dir is required"
  config_file = str(tmp_path / "bert_config.json")
  tiny_config().to_json_file(config_file)
  rc, _, stderr = _run_tool([f"--data_dir={tmp_path}/none",
                             f"--output_dir={tmp_path}/out",
                             f"--config_file={config_file}",
                             f"--vocab_file={vocab_file}", "--seeds=1,x"],
                            capsys)
  assert rc == 1 and stderr.strip() == ("run_blurb: error: --seeds=1,x: "
                                        "expected integers")
  rc, _, stderr = _run_tool([f"--data_dir={tmp_path}/none",
                             f"--output_dir={tmp_path}/out",
                             f"--config_file={config_file}",
                             f"--vocab_file={vocab_file}"], capsys)
  assert rc == 1 and "none: directory not found" in stderr
  assert len(stderr.strip().splitlines()) == 1


def test_progress_lines_per_epoch_with_folds_and_an_eta():
  lines = []
  progress = blurb.Progress([("biosses", 1), ("biosses", 2)], lines.append,
                            min_interval=1e9)
  progress.start("biosses", "BIOSSES", 1)
  for fold in range(2):
    for step in range(1, 7):   # 3 steps an epoch, 2 epochs
      progress.step({"seed": 1, "step": step, "num_steps": 6,
                     "epoch": step / 3, "num_epochs": 2, "loss": 1.0 / step})
  progress.finish(0.5, "pearson")
  epochs = [l for l in lines if " epoch " in l]
  # One line per finished epoch (the last step included), per fold.
  assert [l.split(" epoch ")[1].split()[0] for l in epochs] == [
      "1.0/2", "2.0/2", "1.0/2", "2.0/2"]
  assert "fold 2" not in epochs[1]
  assert "BIOSSES seed 1 fold 2 epoch" in epochs[2]
  assert all("ETA" in l for l in epochs)
  # The pending pair's estimate is the finished pair's duration.
  assert lines[-1].startswith("  BIOSSES seed 1: test pearson 50.00 (")
  assert "ETA 0:00:00" in lines[-1]


def test_tool_refuses_a_casing_that_contradicts_the_vocabulary(
    tmp_path, vocab_file, capsys):
  config_file = str(tmp_path / "bert_config.json")
  tiny_config().to_json_file(config_file)
  rc, _, stderr = _run_tool([f"--data_dir={tmp_path}",
                             f"--output_dir={tmp_path}/out",
                             f"--config_file={config_file}",
                             f"--vocab_file={vocab_file}",
                             "--do_lower_case=false"], capsys)
  assert rc == 1 and len(stderr.strip().splitlines()) == 1
  assert "--do_lower_case=false contradicts the checkpoint" in stderr
  assert not os.path.exists(tmp_path / "out")
