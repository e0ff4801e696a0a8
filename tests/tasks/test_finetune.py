"""End to end with tiny models: run_finetuning and the tool, on every head."""
import functools
import json
import os
import random

from absl import flags
from absl.testing import flagsaver
import biom_tf  # noqa: F401
import numpy as np
import pytest
import tensorflow as tf

from biom_tf.models import heads
from biom_tf.tasks import get_task
from biom_tf.tasks import metrics
from biom_tf.training import finetune
from biom_tf.training import finetune_results
from tests.conftest import run_absl_tool
from tests.tasks import conftest as tasks_conftest
from tests.tasks.conftest import tiny_config
from tests.tasks.conftest import write_ner
from tools import run_finetuning

FLAGS = flags.FLAGS
ENTITIES = {"breast cancer": ["B-Disease", "I-Disease"],
            "carcinoma": ["B-Disease"], "fever": ["B-Disease"],
            "colon tumors": ["B-Disease", "I-Disease"]}
toy_sentence = functools.partial(tasks_conftest.toy_sentence,
                                 entities=ENTITIES)


@pytest.fixture(scope="module")
def ner_dir(tmp_path_factory):
  rng = random.Random(0)
  test = [toy_sentence(rng) for _ in range(20)]
  test.append(toy_sentence(rng, 40, 40))  # longer than max_seq_length=32
  return write_ner(tmp_path_factory.mktemp("ner"), {
      "train.tsv": [toy_sentence(rng) for _ in range(160)],
      "devel.tsv": [toy_sentence(rng) for _ in range(20)],
      "test.tsv": test})


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
  path = str(tmp_path_factory.mktemp("cfg") / "bert_config.json")
  tiny_config().to_json_file(path)
  return path


run_tool = functools.partial(run_absl_tool, run_finetuning)


def test_ner_end_to_end_through_the_tool(ner_dir, config_file, vocab_file,
                                         tokenizer, tmp_path, capsys):
  out = str(tmp_path / "out")
  rc, stdout, stderr = run_tool([
      "--task=ner", f"--data_dir={ner_dir}", f"--output_dir={out}",
      f"--config_file={config_file}", f"--vocab_file={vocab_file}",
      "--max_seq_length=32", "--train_batch_size=16", "--learning_rate=2e-3",
      "--num_train_epochs=4", "--warmup_proportion=0.1", "--seeds=1,2"],
      capsys)
  assert rc == 0, stderr
  with open(os.path.join(out, "eval_results.json")) as f:
    results = json.load(f)
  # The printed score is the JSON's, in the same unit, and says which.
  assert results["unit"] == "fraction"
  line = [l for l in stdout.splitlines() if l.startswith("ner test f1 = ")]
  assert len(line) == 1 and "(fraction, 0 to 1;" in line[0], stdout
  printed = float(line[0].split(" = ")[1].split(" ± ")[0])
  assert printed == round(results["mean"]["test"]["f1"], 4)
  # Its own progress lines, and which vocabulary and casing it used.
  assert f"vocabulary {vocab_file}, do_lower_case=true" in stdout
  assert "seed 2: step 40/40 (epoch 4.0/4) loss " in stdout
  assert f"seed 2: devel f1={results['runs']['seed_2']['devel']['f1']:.4f}" \
      in stdout
  assert set(results["runs"]) == {"seed_1", "seed_2"}
  tests = [results["runs"][s]["test"]["f1"] for s in ("seed_1", "seed_2")]
  # The toy task is learnable: a tiny model from scratch gets it right.
  assert min(tests) > 0.9
  assert results["mean"]["test"]["f1"] == pytest.approx(np.mean(tests))
  assert results["std"]["test"]["f1"] == pytest.approx(np.std(tests))
  assert results["runs"]["seed_1"]["train"]["steps"] == 40
  # conlleval-format predictions; the 40-word sentence is predicted whole.
  with open(os.path.join(out, "seed_1", "test_predictions.txt")) as f:
    blocks = f.read().strip().split("\n\n")
  assert len(blocks) == 21 and len(blocks[-1].splitlines()) >= 40
  gold = [[line.split()[1] for line in b.splitlines()] for b in blocks]
  pred = [[line.split()[2] for line in b.splitlines()] for b in blocks]
  assert metrics.entity_scores(gold, pred)["f1"] == pytest.approx(tests[0])
  model_dir = os.path.join(out, "seed_1", "model")
  assert sorted(os.listdir(model_dir)) == sorted([
      "biom_model.json", "checkpoint", "ckpt-1.data-00000-of-00001",
      "ckpt-1.index", "finetune_config.json", "label_map.json", "vocab.txt"])
  with open(os.path.join(model_dir, "label_map.json")) as f:
    assert json.load(f) == {"task": "ner", "head": "token",
                            "labels": ["O", "B-Disease", "I-Disease"]}
  with open(os.path.join(model_dir, "finetune_config.json")) as f:
    assert json.load(f)["hf_architecture"] == "BertForTokenClassification"
  # The saved checkpoint restores the model: same predictions as written.
  restored = heads.build_finetuning_model(tiny_config(), "token", 3)
  tf.train.Checkpoint(model=restored).read(
      os.path.join(model_dir, "ckpt-1")).assert_existing_objects_matched()
  task = get_task("ner")
  splits = task.read(ner_dir)
  encoded = task.encode(splits["test"], tokenizer, 32, training=False)
  _, again = task.evaluate(splits["test"], encoded,
                           finetune.predict(restored, encoded, 8))
  assert [p["predicted"] for p in again] == pred
  # As --init_checkpoint, it gives a new model its encoder, not its head.
  fresh = heads.build_finetuning_model(tiny_config(), "token", 3)
  line = finetune.initialize_encoder(fresh.encoder, model_dir, tiny_config())
  assert "model/encoder" in line
  for a, b in zip(fresh.encoder.variables, restored.encoder.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  assert not np.array_equal(fresh.classifier.kernel.numpy(),
                            restored.classifier.kernel.numpy())
  # The originals' flags: --do_train=false --do_predict scores the
  # fine-tuned model as it is (BioBERT's run_ner.py --task_name=NER), the
  # test split only; its vocabulary and casing come from the model's
  # directory.
  scored = str(tmp_path / "scored")
  rc, _, stderr = run_tool([
      "--task_name=NER", f"--data_dir={ner_dir}", f"--output_dir={scored}",
      f"--init_checkpoint={model_dir}", "--do_train=false",
      "--do_predict=true", "--max_seq_length=32", "--predict_batch_size=8"],
      capsys)
  assert rc == 0, stderr
  with open(os.path.join(scored, "eval_results.json")) as f:
    rescored = json.load(f)
  assert set(rescored["runs"]["seed_1"]) == {"test"}
  assert rescored["runs"]["seed_1"]["test"]["f1"] == pytest.approx(tests[0])
  assert rescored["settings"]["do_lower_case"] is True


def test_bad_input_is_one_line_and_writes_nothing(ner_dir, config_file,
                                                  vocab_file, tmp_path, capsys):
  bad = write_ner(tmp_path / "bad", {
      "train.tsv": [[("the", "O"), ("fever", "B-Disease")]],
      "devel.tsv": [[("the", "O")]],
      "test.tsv": [[("the", "O"), ("aspirin", "B-Chemical")]]})
  malformed = write_ner(tmp_path / "malformed", {
      "train.tsv": [[("the", "O"), ("fever", "B-Disease")]],
      "devel.tsv": [[("the", "O")]], "test.tsv": [[("the", "O")]]})
  with open(os.path.join(malformed, "train.tsv"), "a") as f:
    f.write("fever\n")  # no tag
  empty = write_ner(tmp_path / "empty", {
      "train.tsv": [[("the", "O"), ("fever", "B-Disease")]],
      "devel.tsv": [[("the", "O")]], "test.tsv": []})
  common = [f"--config_file={config_file}", f"--vocab_file={vocab_file}",
            "--max_seq_length=32"]
  cases = [
      (["--task=ner", f"--data_dir={bad}"], "test.tsv:2: tag 'B-Chemical'"),
      (["--task=ner", f"--data_dir={malformed}"],
       "train.tsv:4: expected 'token<TAB>tag'"),
      (["--task=ner", f"--data_dir={empty}"],
       "test.tsv: no sentences (empty split)"),
      (["--task=pubmedqa", f"--data_dir={ner_dir}"], "ori_pqal.json: not found"),
      (["--task=chemprot", f"--data_dir={ner_dir}"], "no entity markers"),
      (["--task=ner", f"--data_dir={ner_dir}", "--seeds=1,x"],
       "--seeds=1,x: expected integers"),
      (["--task=ner", f"--data_dir={ner_dir}", "--recipe=biom-electra-large-squad"],
       "is for task=squad"),
  ]
  for argv, expected in cases:
    out = str(tmp_path / "never")
    rc, _, stderr = run_tool(argv + common + [f"--output_dir={out}"], capsys)
    assert rc == 1
    assert stderr.startswith("run_finetuning: error: ") and expected in stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert not os.path.exists(out)  # nothing written: no empty seed_1/


def test_config_found_beside_the_checkpoint(tmp_path, vocab_file):
  """--init_checkpoint=<a model saved here> needs no --config_file."""
  config = tiny_config()
  model = heads.build_finetuning_model(config, "token", 3)
  task = get_task("ner")
  task.labels = ["O", "B-D", "I-D"]
  directory = finetune.save_finetuned_model(
      model, str(tmp_path / "m"), task, finetune.FinetuneSettings(
          task="ner", data_dir="", output_dir="", config=config,
          vocab_file=vocab_file))
  with flagsaver.flagsaver():
    FLAGS(["run_finetuning", "--task=ner", "--data_dir=x", "--output_dir=y",
           f"--init_checkpoint={directory}", f"--vocab_file={vocab_file}"])
    settings = run_finetuning.settings_from_flags()
  assert settings.config == config


def test_recipe_fills_unset_flags_only(ner_dir, config_file, vocab_file):
  with flagsaver.flagsaver():
    FLAGS(["run_finetuning", "--task=ner", f"--data_dir={ner_dir}",
           "--output_dir=/tmp/unused", f"--config_file={config_file}",
           f"--vocab_file={vocab_file}", "--recipe=biobert-ner",
           "--num_train_epochs=2"])
    settings = run_finetuning.settings_from_flags()
  assert settings.learning_rate == 5e-5 and settings.max_seq_length == 192
  assert settings.num_train_epochs == 2  # given explicitly: wins
  assert settings.weight_decay_rate == 0.0 and list(settings.seeds) == [1]


def test_loss_weights_average_over_the_global_batch():
  weights = heads.HEADS["token"].loss_weights(
      np.array([[0, -1, 1], [-1, -1, 2]]))
  np.testing.assert_allclose(weights, [[1 / 3, 0, 1 / 3], [0, 0, 1 / 3]])
  np.testing.assert_allclose(
      heads.HEADS["sequence"].loss_weights(np.array([1, 0, 2, 1])), [0.25] * 4)


def _log_softmax(x):
  x = x - x.max(-1, keepdims=True)
  return x - np.log(np.exp(x).sum(-1, keepdims=True))


def test_head_losses_match_their_definitions():
  """Each head's batch loss against numpy written from the definitions:
  softmax CE (token: labelled tokens only), sigmoid CE averaged over labels,
  squared error, span: mean of start and end CE; all a mean over the batch."""
  rng = np.random.default_rng(0)
  token_logits = rng.normal(size=(2, 3, 4))
  token_labels = np.array([[0, -1, 3], [-1, -1, 2]])
  nll = -_log_softmax(token_logits)
  row_logits = rng.normal(size=(3, 4))
  row_labels = np.array([2, 0, 3])
  multi = (rng.random((3, 4)) < 0.5).astype(np.float32)
  sigmoid_ce = (np.maximum(row_logits, 0) - row_logits * multi +
                np.log1p(np.exp(-np.abs(row_logits))))
  span_logits = rng.normal(size=(3, 5, 2))
  spans = np.array([[0, 1], [2, 4], [3, 3]])
  span_nll = -_log_softmax(np.moveaxis(span_logits, 1, 2))  # [B, 2, S]
  cases = {
      "token": (token_logits, token_labels,
                (nll[0, 0, 0] + nll[0, 2, 3] + nll[1, 2, 2]) / 3),
      "sequence": (row_logits, row_labels, np.mean(
          -_log_softmax(row_logits)[np.arange(3), row_labels])),
      "multilabel": (row_logits, multi, sigmoid_ce.mean()),
      "regression": (row_logits[:, :1], row_logits[:, 1].astype(np.float32),
                     np.mean((row_logits[:, 0] - row_logits[:, 1]) ** 2)),
      "span": (span_logits, spans, np.mean(
          [(span_nll[b, 0, s] + span_nll[b, 1, e]) / 2
           for b, (s, e) in enumerate(spans)])),
  }
  for name, (logits, labels, expected) in cases.items():
    head = heads.HEADS[name]
    spec = head.batch_spec()
    labels = labels.astype(spec["labels"].dtype.as_numpy_dtype)
    weights = head.loss_weights(labels)
    assert spec["labels"].shape.is_compatible_with(labels.shape), name
    assert spec["weights"].shape.is_compatible_with(weights.shape), name
    got = head.weighted_loss(tf.constant(logits, tf.float32),
                             tf.constant(labels), tf.constant(weights))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5,
                               err_msg=name)


def test_named_labels_are_the_heads_without_a_fixed_width():
  named = {name for name, head in heads.HEADS.items() if head.named_labels}
  assert named == {"token", "sequence", "multilabel"}
  assert {name: head.num_outputs for name, head in heads.HEADS.items()
          if not head.named_labels} == {"regression": 1, "span": 2}


def test_step_clips_the_true_gradient_norm():
  """What the optimizer (and its global-norm clipping) sees of an embedding
  gradient: one slice per row, the norm that of the dense gradient."""
  model = heads.build_finetuning_model(tiny_config(), "sequence", 2)

  class Recorder:
    def apply_gradients(self, pairs):
      self.pairs = list(pairs)

  recorder = Recorder()
  ids = np.array([[2, 7, 7, 7, 3]], np.int32)  # a token three times
  batch = {"input_word_ids": ids, "input_mask": np.ones_like(ids),
           "input_type_ids": np.zeros_like(ids), "labels": np.array([1]),
           "weights": np.array([1.0], np.float32)}
  finetune.make_step_fn(model, recorder)(batch)
  gradient = [g for g, v in recorder.pairs if "word_embeddings" in v.name][0]
  assert isinstance(gradient, tf.IndexedSlices)
  assert sorted(gradient.indices.numpy().tolist()) == [2, 3, 7]
  dense = tf.convert_to_tensor(gradient).numpy()
  assert np.linalg.norm(gradient.values.numpy()) == pytest.approx(
      np.linalg.norm(dense), rel=1e-6)
  # Unmerged, the three slices of token 7 would measure differently.
  raw = tf.IndexedSlices(tf.constant([[1.0, 0.0]] * 3), tf.constant([7] * 3),
                         tf.constant([10, 2]))
  merged = finetune.merge_duplicate_rows(raw)
  assert np.linalg.norm(merged.values.numpy()) == pytest.approx(3.0)
  assert np.linalg.norm(raw.values.numpy()) == pytest.approx(np.sqrt(3.0))


def _tool_args(ner_dir, config_file, vocab_file, out, *more):
  return (["--task=ner", f"--data_dir={ner_dir}", f"--output_dir={out}",
           f"--config_file={config_file}", f"--vocab_file={vocab_file}",
           "--max_seq_length=32", "--train_batch_size=32",
           "--num_train_epochs=1", "--save_model=false"] + list(more))


@pytest.mark.slow
def test_results_merge_into_an_existing_output_dir(ner_dir, config_file,
                                                   vocab_file, tmp_path,
                                                   capsys):
  """Earlier seeds are kept, a rerun seed replaced, mean/std over all."""
  out = str(tmp_path / "out")
  path = os.path.join(out, "eval_results.json")
  rc, _, stderr = run_tool(_tool_args(ner_dir, config_file, vocab_file, out,
                                      "--seeds=1"), capsys)
  assert rc == 0, stderr
  with open(path) as f:
    first = json.load(f)
  # A stand-in for an earlier seed 2 whose score the rerun must replace.
  first["runs"]["seed_2"] = {"devel": {"f1": -1.0}, "test": {"f1": -1.0}}
  with open(path, "w") as f:
    json.dump(first, f)
  rc, stdout, stderr = run_tool(_tool_args(ner_dir, config_file, vocab_file,
                                           out, "--seeds=2"), capsys)
  assert rc == 0, stderr
  with open(path) as f:
    merged = json.load(f)
  assert list(merged["runs"]) == ["seed_1", "seed_2"]
  assert merged["runs"]["seed_1"] == first["runs"]["seed_1"]
  assert merged["runs"]["seed_2"]["test"]["f1"] >= 0
  assert merged["settings"]["seeds"] == [1, 2]
  scores = [merged["runs"][s]["test"]["f1"] for s in merged["runs"]]
  assert merged["mean"]["test"]["f1"] == pytest.approx(np.mean(scores))
  assert merged["std"]["test"]["f1"] == pytest.approx(np.std(scores))
  assert "over 2 seed(s)" in stdout
  # Seeds run with other settings are not mixed in: one line, file kept.
  rc, _, stderr = run_tool(_tool_args(ner_dir, config_file, vocab_file, out,
                                      "--seeds=4", "--learning_rate=1e-3"),
                           capsys)
  assert rc == 1 and stderr.count("\n") == 1
  assert "learning_rate=5e-05, this run has learning_rate=0.001" in stderr
  with open(path) as f:
    assert json.load(f) == merged
  assert not os.path.exists(os.path.join(out, "seed_4"))
  assert sorted(os.listdir(out)) == ["eval_results.json", "seed_1", "seed_2"]


@pytest.mark.parametrize("text,message", [
    ("{not json", "not valid JSON (line 1: Expecting property name enclosed "
     "in double quotes)"),
    ("[1]", "not a results file (no 'runs')"),
])
def test_damaged_earlier_results_are_one_line(tmp_path, text, message):
  out = tmp_path / "out"
  out.mkdir()
  (out / "eval_results.json").write_text(text)
  settings = finetune.FinetuneSettings(
      task="ncbi-disease", data_dir=str(tmp_path), output_dir=str(out),
      config=tiny_config())
  with pytest.raises(finetune.FinetuneError) as error:
    finetune_results.previous_runs(settings)
  assert str(error.value) == (f"{out}/eval_results.json: {message}; move it "
                              "away or use another --output_dir")


def test_original_flags(ner_dir, config_file, vocab_file):
  """google-research/bert, BioBERT and BlueBERT flags, their meaning kept."""
  def settings(*argv):
    with flagsaver.flagsaver():
      FLAGS(["run_finetuning", f"--data_dir={ner_dir}", "--output_dir=/x",
             f"--vocab_file={vocab_file}"] + list(argv))
      return run_finetuning.settings_from_flags()
  s = settings("--task_name=NER", f"--bert_config_file={config_file}",
               "--do_train=true", "--do_predict=true", "--use_tpu=false",
               "--master=grpc://10.0.0.2:8470", "--num_tpu_cores=8",
               "--save_checkpoints_steps=1000", "--iterations_per_loop=1000")
  assert (s.task, s.do_train, s.do_eval, s.do_predict) == ("ner", True,
                                                           False, True)
  assert s.strategy == "default" and s.tpu_name == "grpc://10.0.0.2:8470"
  assert s.num_tpu_cores == 8
  s = settings("--task_name=GAD", f"--bert_config_file={config_file}")
  assert s.task == "gad"  # its negative class "0" is the task's own
  s = settings("--task_name=polysearch", f"--bert_config_file={config_file}")
  assert (s.task, s.negative_label) == ("relation", "0")
  assert (s.do_train, s.do_eval, s.do_predict) == (True, True, True)
  s = settings("--task_name=ddi13", f"--config_file={config_file}",
               "--use_tpu", "--tpu_name=my-tpu")
  assert (s.task, s.strategy, s.tpu_name) == ("ddi", "tpu", "my-tpu")
  s = settings("--task_name=sts", f"--albert_config_file={config_file}")
  assert s.task == "biosses" and s.config.family == "albert"
  # BlueBERT's STS command: --do_test is its --do_predict.
  s = settings("--task_name=sts", f"--bert_config_file={config_file}",
               "--do_train=true", "--do_eval=false", "--do_test=true")
  assert (s.do_train, s.do_eval, s.do_predict) == (True, False, True)
  for argv, expected in [
      (["--task_name=cola"], "--task_name=cola: expected one of"),
      (["--task_name=ner", "--task=hoc"], "--task=hoc contradicts"),
      (["--task=ner", "--use_tpu", "--strategy=mirrored"],
       "--use_tpu contradicts --strategy=mirrored")]:
    with pytest.raises(ValueError, match=expected):
      settings(f"--config_file={config_file}", *argv)
  with pytest.raises(ValueError, match="at least one of do_train"):
    finetune.run_finetuning(settings(
        "--task=ner", f"--config_file={config_file}", "--do_train=false",
        "--do_eval=false", "--max_seq_length=32"))


@pytest.fixture(scope="module")
def cased_checkpoints(tmp_path_factory):
  """One random tiny BERT as a Hugging Face directory (cased vocab.txt and
  tokenizer_config.json) and as a TF1 checkpoint with a cased vocab.txt and
  bert_config.json beside it: what researchers download."""
  from biom_tf import models  # pylint: disable=g-import-not-at-top
  from biom_tf.checkpoints import huggingface  # pylint: disable=g-import-not-at-top
  from biom_tf.checkpoints import tf1  # pylint: disable=g-import-not-at-top
  from tests.tasks import conftest  # pylint: disable=g-import-not-at-top
  config = tiny_config()
  vocab = (conftest.SPECIALS + sorted(set(conftest.WORDS)) + conftest.PIECES +
           ["The", "Patient", "Fever"])
  assert len(vocab) <= config.vocab_size
  model = models.build_pretrainer(config)
  root = tmp_path_factory.mktemp("checkpoints")
  hf_dir, tf1_dir = root / "hf", root / "tf1"
  hf_dir.mkdir()
  tf1_dir.mkdir()
  huggingface.save_hf_model(model, str(hf_dir), config)
  tf1.save_tf1_checkpoint(model, str(tf1_dir / "bert_model.ckpt"), config)
  config.to_json_file(str(tf1_dir / "bert_config.json"))
  for directory in (hf_dir, tf1_dir):
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n")
  (hf_dir / "tokenizer_config.json").write_text(
      json.dumps({"do_lower_case": False, "model_max_length": 64}))
  return str(hf_dir), str(tf1_dir / "bert_model.ckpt")


def test_vocabulary_and_casing_come_with_the_checkpoint(cased_checkpoints):
  hf_dir, tf1_prefix = cased_checkpoints
  tf1_dir = os.path.dirname(tf1_prefix)
  def resolve(init, **kw):
    return finetune.resolve_tokenizer(finetune.FinetuneSettings(
        task="ner", data_dir="", output_dir="", config=tiny_config(),
        init_checkpoint=init, **kw))
  s = resolve(hf_dir)
  assert s.vocab_file == os.path.join(hf_dir, "vocab.txt")
  assert s.do_lower_case is False  # tokenizer_config.json
  s = resolve(tf1_prefix)
  assert s.vocab_file == os.path.join(tf1_dir, "vocab.txt")
  assert s.do_lower_case is False  # the vocabulary has 'The'
  with pytest.raises(ValueError, match=(
      r"do_lower_case=true contradicts the checkpoint: .*tokenizer_config.json "
      r"says do_lower_case=false")):
    resolve(hf_dir, do_lower_case=True)
  with pytest.raises(ValueError, match=r"vocab.txt is cased"):
    resolve(tf1_prefix, do_lower_case=True)
  with pytest.raises(ValueError, match="no vocabulary: pass --vocab_file"):
    resolve(None)


@pytest.mark.slow
def test_finetune_from_a_hugging_face_directory(cased_checkpoints, ner_dir,
                                                tmp_path, capsys):
  """No --vocab_file, --config_file or --do_lower_case: all from the HF
  directory; a contradicting --do_lower_case is one line naming both."""
  hf_dir, _ = cased_checkpoints
  out = str(tmp_path / "out")
  argv = ["--task=ner", f"--data_dir={ner_dir}", f"--init_checkpoint={hf_dir}",
          "--max_seq_length=32", "--train_batch_size=32",
          "--num_train_epochs=1", "--save_model=false"]
  rc, _, stderr = run_tool(argv + [f"--output_dir={out}",
                                   "--do_lower_case=true"], capsys)
  assert rc == 1 and stderr.count("\n") == 1, stderr
  assert "--do_lower_case=true contradicts the checkpoint: " in stderr
  assert "tokenizer_config.json says do_lower_case=false" in stderr
  assert not os.path.exists(out)
  rc, stdout, stderr = run_tool(argv + [f"--output_dir={out}"], capsys)
  assert rc == 0, stderr
  vocab = os.path.join(hf_dir, "vocab.txt")
  assert f"vocabulary {vocab}, do_lower_case=false" in stdout
  assert f"initialized encoder from Hugging Face directory {hf_dir}" in stdout
  with open(os.path.join(out, "eval_results.json")) as f:
    settings = json.load(f)["settings"]
  assert settings["vocab_file"] == vocab
  assert settings["do_lower_case"] is False
