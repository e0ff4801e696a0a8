"""The pretraining loop on real PubMed records: learning, accumulation, XLA."""
import dataclasses

import numpy as np
import pytest

import biom_tf  # noqa: F401
import tensorflow as tf

from biom_tf.training import pretrain
from tests.training.conftest import PREDICTIONS
from tests.training.conftest import SEQ
from tests.training.conftest import tiny_config


def _config(records, family, output_dir, **overrides):
  values = dict(
      model_config=tiny_config(family, records["vocab_size"]),
      output_dir=str(output_dir), input_file=records[family],
      max_seq_length=SEQ, max_predictions_per_seq=PREDICTIONS,
      train_batch_size=32, eval_batch_size=32, learning_rate=2e-3,
      num_train_steps=80, num_warmup_steps=10, save_checkpoints_steps=80,
      iterations_per_loop=40, max_eval_steps=4)
  values.update(overrides)
  return pretrain.PretrainingConfig(**values)


def _weights(trainer):
  return [v.numpy() for v in trainer.model.trainable_variables]


def test_bert_loss_falls_and_mlm_accuracy_rises_on_pubmed(pubmed_records,
                                                          tmp_path):
  trainer = pretrain.Trainer(_config(pubmed_records, "bert", tmp_path))
  before = trainer.evaluate()
  trainer.train()
  after = trainer.evaluate()
  # Untrained: ~ln(vocab) = 6.0 and chance accuracy; after 80 steps the
  # model predicts frequent words (the, of, ",", ...).
  assert before["mlm_loss"] > 5.5, before
  assert after["mlm_loss"] < before["mlm_loss"] - 1.0, (before, after)
  assert after["mlm_accuracy"] > before["mlm_accuracy"] + 0.04, (before, after)
  assert after["global_step"] == 80
  assert (tmp_path / "ckpt-80.index").exists()
  assert (tmp_path / "eval_results.txt").exists()
  assert list((tmp_path / "train").iterdir()), "no TensorBoard events"


def test_gradient_accumulation_equals_the_large_batch(pubmed_records, tmp_path):
  # 4 micro-batches of 4 == one batch of 16, update for update (no dropout).
  runs = []
  for k in (1, 4):
    cfg = _config(pubmed_records, "bert", tmp_path / f"k{k}",
                  model_config=tiny_config("bert", pubmed_records["vocab_size"],
                                           hidden_dropout_prob=0.0,
                                           attention_probs_dropout_prob=0.0),
                  train_batch_size=16, gradient_accumulation_steps=k,
                  num_train_steps=3, iterations_per_loop=3)
    trainer = pretrain.Trainer(cfg)
    initial = _weights(trainer)
    metrics = trainer.train()
    runs.append((_weights(trainer), metrics))
  (w1, m1), (w4, m4) = runs
  assert m1["mlm_loss"] == pytest.approx(m4["mlm_loss"], rel=1e-5)
  for a, b in zip(w1, w4):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
  # And the updates were real: weights moved from their initial values.
  assert max(np.abs(a - b).max() for a, b in zip(w1, initial)) > 1e-3


def test_train_step_compiles_with_xla(pubmed_records, tmp_path):
  cfg = _config(pubmed_records, "bert", tmp_path,
                model_config=tiny_config("bert", pubmed_records["vocab_size"],
                                         hidden_dropout_prob=0.0,
                                         attention_probs_dropout_prob=0.0),
                train_batch_size=8, num_train_steps=1, iterations_per_loop=1,
                jit_compile=True)
  trainer = pretrain.Trainer(cfg)
  trainer.train()  # one XLA-compiled update
  assert trainer.global_step == 1
  batch = next(iter(trainer._dataset(cfg.input_file, 8, True)))  # pylint: disable=protected-access
  totals = {k: tf.reduce_sum(v) for k, v in dict(
      mlm_weight=batch["masked_lm_weights"],
      examples=tf.ones([8]), tokens=tf.cast(batch["input_mask"], tf.float32)).items()}
  seed = tf.constant([1, 2], tf.int64)
  # The gradient function is XLA-compiled: it has an HLO module ...
  hlo = trainer._gradients_fn.experimental_get_compiler_ir(  # pylint: disable=protected-access
      batch, totals, seed)(stage="hlo")
  assert "HloModule" in hlo
  # ... and computes what the same function computes without XLA.
  with_xla, stats_xla = trainer._gradients_fn(batch, totals, seed)  # pylint: disable=protected-access
  without, stats = tf.function(trainer._gradients)(batch, totals, seed)  # pylint: disable=protected-access
  assert float(stats_xla["mlm_loss_sum"]) == pytest.approx(
      float(stats["mlm_loss_sum"]), rel=1e-5)
  for a, b in zip(with_xla, without):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3,
                               atol=1e-5 * float(tf.reduce_max(tf.abs(b))) + 1e-9)


_FLAG_PROBE = """
import dataclasses
import json
import sys
from absl import flags
from tools import run_pretraining as tool
names = ("max_seq_length", "max_predictions_per_seq", "train_batch_size",
         "eval_batch_size", "optimizer", "learning_rate", "num_train_steps",
         "num_warmup_steps", "save_checkpoints_steps", "iterations_per_loop",
         "max_eval_steps", "keep_checkpoint_max", "do_train")
build = sys.argv[2] == "config"
for argv in json.loads(sys.argv[1]):
  flags.FLAGS.unparse_flags()
  flags.FLAGS(["run_pretraining"] + argv)
  values = tool.flag_values()
  row = [{n: values[n] for n in names}, tool._tpu_address()]
  if build:
    config = tool.settings_from_flags(values)
    row = [{f.name: getattr(config, f.name)
            for f in dataclasses.fields(config) if f.name != "model_config"},
           config.model_config.family,
           {n: flags.FLAGS[n].value for n in names + ("model_family",)}]
  print("PROBE " + json.dumps(row))
"""


def _probe_flags(*argvs, config=False):
  """Per argv, in one process (the tool's flags are global): (flag values,
  TPU address) after the tool's recipe and defaults; with `config`, (the
  PretrainingConfig's fields but model_config, its family, the FLAGS as
  parsed)."""
  import json  # pylint: disable=g-import-not-at-top
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  from tests.conftest import REPO_ROOT  # pylint: disable=g-import-not-at-top
  proc = subprocess.run(
      [sys.executable, "-c", _FLAG_PROBE, json.dumps(list(argvs)),
       "config" if config else "values"],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
  assert proc.returncode == 0, proc.stderr[-2000:]
  return [json.loads(line[len("PROBE "):])
          for line in proc.stdout.splitlines() if line.startswith("PROBE ")]


def test_run_pretraining_keeps_the_originals_defaults_and_tpu_flags():
  """google-research/albert run_pretraining.py's defaults with an ALBERT
  config (flags given still win); google-research/bert's otherwise. The
  originals' --master is the TPU address when --tpu_name is absent."""
  (albert, address), (bert, bert_address) = _probe_flags(
      ["--albert_config_file=a.json", "--learning_rate=1e-4",
       "--master=grpc://10.0.0.2:8470"],
      ["--bert_config_file=b.json", "--tpu_name=t",
       "--master=grpc://10.0.0.2:8470"])
  assert albert == dict(
      max_seq_length=512, max_predictions_per_seq=20, train_batch_size=4096,
      eval_batch_size=64, optimizer="lamb", learning_rate=1e-4,
      num_train_steps=125000, num_warmup_steps=3125,
      save_checkpoints_steps=5000, iterations_per_loop=1000,
      max_eval_steps=100, keep_checkpoint_max=5, do_train=True)
  assert address == "grpc://10.0.0.2:8470"
  assert bert == dict(
      max_seq_length=128, max_predictions_per_seq=20, train_batch_size=32,
      eval_batch_size=8, optimizer="adamw", learning_rate=5e-5,
      num_train_steps=100000, num_warmup_steps=10000,
      save_checkpoints_steps=1000, iterations_per_loop=1000,
      max_eval_steps=100, keep_checkpoint_max=5, do_train=False)
  assert bert_address == "t"


_EVERY_CONFIG_FLAG = ["--model_family=electra", "--preset=electra-small", "--output_dir=o",
       "--input_file=i", "--eval_input_file=e", "--init_checkpoint=c",
       "--vocab_file=v", "--spm_model_file=s", "--max_seq_length=64",
       "--max_predictions_per_seq=10", "--train_batch_size=16",
       "--eval_batch_size=4", "--learning_rate=0.001",
       "--num_train_steps=50", "--num_warmup_steps=5",
       "--save_checkpoints_steps=7", "--iterations_per_loop=3",
       "--max_eval_steps=2", "--keep_checkpoint_max=2", "--optimizer=lamb",
       "--weight_decay_rate=0.02", "--gradient_accumulation_steps=2",
       "--jit_compile", "--mixed_precision=bf16", "--seed=7",
       "--stop_after_steps=9", "--mask_prob=0.2", "--do_train"]
_ALBERT_RECIPE = ["--recipe=biom_albert_xxlarge", "--train_batch_size=64",
                  "--output_dir=o", "--input_file=i"]
_BERT_RECIPE = ["--recipe=bluebert_base", "--num_warmup_steps=7",
                "--output_dir=o"]


@pytest.fixture(scope="module")
def probed_configs():
  """The configs of the three command lines above, from one process."""
  return _probe_flags(_EVERY_CONFIG_FLAG, _ALBERT_RECIPE, _BERT_RECIPE,
                      config=True)


def test_run_pretraining_flags_reach_the_config_by_name(probed_configs):
  """Every flag named as a PretrainingConfig field arrives in it (the tool
  builds the config by field name, not flag by flag)."""
  fields, family, _ = probed_configs[0]
  assert family == "electra"
  assert fields == dict(
      output_dir="o", input_file="i", eval_input_file="e",
      init_checkpoint="c", vocab_file="v", spm_model_file="s",
      max_seq_length=64, max_predictions_per_seq=10, train_batch_size=16,
      eval_batch_size=4, learning_rate=0.001, num_train_steps=50,
      num_warmup_steps=5, save_checkpoints_steps=7, iterations_per_loop=3,
      max_eval_steps=2, keep_checkpoint_max=2, optimizer="lamb",
      weight_decay_rate=0.02, gradient_accumulation_steps=2,
      jit_compile=True, mixed_precision="bf16", seed=7,
      # Not flags: the dataclass's defaults (google-research/electra's).
      generator_weight=1.0, discriminator_weight=50.0, temperature=1.0,
      stop_after_steps=9, mask_prob=0.2)


def test_run_pretraining_precedence_flag_recipe_albert_default(
    probed_configs):
  """A flag given wins over --recipe, which wins over ALBERT's defaults,
  which win over the tool's; the FLAGS themselves stay as parsed."""
  (albert, albert_family, albert_flags), (bert, bert_family, _) = (
      probed_configs[1:])
  assert albert_family == "albert"
  assert {k: albert[k] for k in (
      "train_batch_size", "max_seq_length", "num_train_steps",
      "learning_rate", "num_warmup_steps", "optimizer", "eval_batch_size",
      "save_checkpoints_steps")} == dict(
          train_batch_size=64,              # the flag
          max_seq_length=512, num_train_steps=264_000, learning_rate=0.00176,
          num_warmup_steps=3125, optimizer="lamb",  # the recipe
          eval_batch_size=64, save_checkpoints_steps=5000)  # ALBERT's
  assert albert_flags["max_seq_length"] == 128     # FLAGS: as parsed
  assert albert_flags["model_family"] is None
  assert albert_flags["train_batch_size"] == 64
  assert bert_family == "bert"
  assert {k: bert[k] for k in (
      "num_warmup_steps", "max_seq_length", "train_batch_size",
      "num_train_steps", "learning_rate", "eval_batch_size",
      "save_checkpoints_steps")} == dict(
          num_warmup_steps=7,               # the flag
          max_seq_length=128, train_batch_size=256,
          num_train_steps=5_000_000, learning_rate=2e-5,  # the recipe
          eval_batch_size=8, save_checkpoints_steps=1000)  # the tool's


def test_electra_run_config_file_is_the_table_name_and_old_runs_resume(
    pubmed_records, tmp_path, capsys):
  """A run writes its config under configs.CONFIG_FILE_NAMES (ELECTRA:
  electra_config.json, as the TF1 export); a run directory written before,
  with bert_config.json, still resumes and its config is still read."""
  from biom_tf import configs  # pylint: disable=g-import-not-at-top
  from biom_tf.checkpoints import detect  # pylint: disable=g-import-not-at-top
  cfg = _config(pubmed_records, "electra", tmp_path,
                model_config=tiny_config("electra",
                                         pubmed_records["vocab_size"],
                                         num_hidden_layers=1),
                train_batch_size=4, num_train_steps=1,
                save_checkpoints_steps=1, iterations_per_loop=1,
                jit_compile=False)
  pretrain.Trainer(cfg).train()
  names = sorted(p.name for p in tmp_path.glob("*_config.json"))
  assert names == ["electra_config.json"]
  assert configs.CONFIG_FILE_NAMES["electra"] == "electra_config.json"
  expected = cfg.model_config.to_original_dict()
  # As an earlier version left it: the same run, its config as
  # bert_config.json.
  (tmp_path / "electra_config.json").rename(tmp_path / "bert_config.json")
  assert detect.checkpoint_config(
      str(tmp_path), "electra").to_original_dict() == expected
  capsys.readouterr()
  resumed = pretrain.Trainer(dataclasses.replace(cfg, num_train_steps=2))
  resumed.train()
  assert resumed.global_step == 2
  assert f"resumed from {tmp_path}/ckpt-1 at step 1" in capsys.readouterr().out
  for name in ("bert_config.json", "electra_config.json"):
    assert configs.ModelConfig.from_json_file(
        str(tmp_path / name), "electra").to_original_dict() == expected, name


def test_resumed_electra_run_reads_its_electra_config(tmp_path):
  """An ELECTRA output dir written by an older version holds bert_config.json;
  resumed now it also holds electra_config.json, the one to read."""
  from biom_tf import configs  # pylint: disable=g-import-not-at-top
  for name in ("bert_config.json", "electra_config.json", "config.json"):
    (tmp_path / name).write_text("{}")
  assert configs.find_config_file(str(tmp_path)) == str(
      tmp_path / "electra_config.json")
  assert configs.find_config_file(str(tmp_path), "bert") == str(
      tmp_path / "bert_config.json")
  (tmp_path / "electra_config.json").unlink()
  (tmp_path / "bert_config.json").unlink()
  assert configs.find_config_file(str(tmp_path)) == str(
      tmp_path / "config.json")
  (tmp_path / "config.json").unlink()
  assert configs.find_config_file(str(tmp_path)) is None
