"""Pretrain or continue pretraining BERT, ALBERT or ELECTRA under tf.distribute.

The original run_pretraining.py flags, plus ours:

  python -m tools.run_pretraining --recipe=bluebert_base \
      --input_file='gs://bucket/pubmed/*.tfrecord' --output_dir=gs://bucket/out \
      --init_checkpoint=uncased_L-12_H-768_A-12/bert_model.ckpt \
      --do_train --strategy=tpu --tpu_name=my-tpu

  python -m tools.run_pretraining --model_family=bert \
      --bert_config_file=tiny/bert_config.json --input_file='data/*.tfrecord' \
      --output_dir=out --train_batch_size=32 --num_train_steps=1000 --do_train

Flags given on the command line win over `--recipe`, which wins over the
defaults; with --albert_config_file (or --model_family=albert) the defaults
are google-research/albert run_pretraining.py's (LAMB, learning rate
0.00176, batch 4096, sequence 512, 125K steps, 3,125 warmup, a checkpoint
every 5,000 steps, --do_train on), else google-research/bert's. The
originals' `--master` (the TPU's grpc:// address when --tpu_name is not
given) and `--num_tpu_cores` (checked against the TPU found) are accepted.

The run resumes from the newest readable checkpoint in --output_dir.
Nothing is written there before every check has passed; errors, disk full
and SIGTERM / Ctrl-C give one line and leave no partial checkpoint.
"""
import signal
import sys
from typing import Dict, Optional

from absl import flags
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from biom_tf import configs
from biom_tf import recipes
from biom_tf.training import optimizers
from biom_tf.training import pretrain
from biom_tf.training import strategy as strategy_lib
from tools import cli

FLAGS = flags.FLAGS

# The original flags (google-research/bert and albert run_pretraining.py).
flags.DEFINE_string("bert_config_file", None,
                    "bert_config.json of the model (BERT, or ELECTRA's "
                    "discriminator config with --model_family=electra).")
flags.DEFINE_string("albert_config_file", None, "albert_config.json (ALBERT).")
flags.DEFINE_string("input_file", None,
                    "TFRecord file(s) of pretraining examples: comma-separated "
                    "globs.")
flags.DEFINE_string("output_dir", None,
                    "Where checkpoints, TensorBoard logs and results go.")
flags.DEFINE_string("init_checkpoint", None,
                    "Weights to start from (continued pretraining): an "
                    "original TF1 checkpoint, a Hugging Face directory or one "
                    "of ours.")
flags.DEFINE_integer("max_seq_length", 128, "Tokens per sequence (as written "
                     "in the TFRecords).")
flags.DEFINE_integer("max_predictions_per_seq", 20, "Masked positions per "
                     "sequence (as written in the TFRecords).")
flags.DEFINE_integer("train_batch_size", 32, "Global batch of one update.")
flags.DEFINE_integer("eval_batch_size", 8, "Global evaluation batch.")
flags.DEFINE_float("learning_rate", 5e-5, "Peak learning rate.")
flags.DEFINE_integer("num_train_steps", 100000, "Optimizer updates.")
flags.DEFINE_integer("num_warmup_steps", 10000, "Linear warmup steps.")
flags.DEFINE_integer("save_checkpoints_steps", 1000, "Checkpoint every N "
                     "steps.")
flags.DEFINE_integer("iterations_per_loop", 1000, "Steps per host call "
                     "(one tf.function runs them; summaries between calls).")
flags.DEFINE_integer("max_eval_steps", 100, "Evaluation batches.")
flags.DEFINE_bool("do_train", False, "Train.")
flags.DEFINE_bool("do_eval", False, "Evaluate the latest checkpoint.")
flags.DEFINE_bool("use_tpu", False, "Same as --strategy=tpu.")
flags.DEFINE_string("tpu_name", None, "Cloud TPU name (or 'local' on a TPU "
                    "VM).")
flags.DEFINE_string("tpu_zone", None, "Cloud TPU zone.")
flags.DEFINE_string("gcp_project", None, "Cloud project of the TPU.")
flags.DEFINE_string("master", None, "The original's TensorFlow master URL: "
                    "with --use_tpu and no --tpu_name, the TPU's grpc:// "
                    "address.")
flags.DEFINE_integer("num_tpu_cores", 8, "The original's TPU core count "
                     "(with --use_tpu): if given, the TPU found must have "
                     "this many cores.")

# Ours.
flags.DEFINE_string("vocab_file", None, "WordPiece vocab.txt; needed only "
                    "for ELECTRA records without masks (masked on the fly, "
                    "as the original ELECTRA).")
flags.DEFINE_string("spm_model_file", None, "SentencePiece model, as "
                    "--vocab_file.")
flags.DEFINE_enum("model_family", None, list(configs.FAMILIES),
                  "bert, albert or electra (default: albert with "
                  "--albert_config_file, else bert).")
flags.DEFINE_string("preset", None, "Named architecture instead of a config "
                    "file: " + ", ".join(sorted(configs.PRESETS)))
flags.DEFINE_string("recipe", None, "Published pretraining recipe: "
                    + ", ".join(sorted(recipes.RECIPES)))
flags.DEFINE_enum("optimizer", "adamw", list(optimizers.OPTIMIZER_TYPES),
                  "adamw (BERT, ELECTRA) or lamb (ALBERT).")
flags.DEFINE_float("weight_decay_rate", 0.01, "Decoupled weight decay.")
flags.DEFINE_enum("strategy", None, list(strategy_lib.STRATEGIES),
                  "tf.distribute strategy (default: tpu with --use_tpu, "
                  "else the default strategy).")
flags.DEFINE_enum("mixed_precision", "none", list(strategy_lib.PRECISIONS),
                  "bf16, fp16 (with loss scaling), auto (bf16 on TPU, fp16 "
                  "on GPU, none on CPU) or none.")
flags.DEFINE_integer("gradient_accumulation_steps", 1,
                     "Split each update's batch into this many micro-batches.")
flags.DEFINE_bool("jit_compile", None, "XLA-compile the training step "
                  "(default: on TPU and GPU, off on CPU).")
flags.DEFINE_integer("keep_checkpoint_max", 5, "Checkpoints kept.")
flags.DEFINE_string("eval_input_file", None, "Evaluation TFRecords (default: "
                    "--input_file, as the originals).")
flags.DEFINE_integer("seed", 12345, "Seed of initialization, data order, "
                     "dropout and ELECTRA's sampling.")
flags.DEFINE_integer("stop_after_steps", None, "Stop (as if preempted) once "
                     "this many steps are done; the next run resumes.")
flags.DEFINE_float("mask_prob", None, "ELECTRA records without masks: "
                   "fraction of tokens masked on the fly (default: 0.15, "
                   "0.25 for Large, as google-research/electra).")

# The flags a --recipe may set.
_RECIPE_FLAGS = ("max_seq_length", "max_predictions_per_seq",
                 "train_batch_size", "num_train_steps", "learning_rate",
                 "num_warmup_steps", "optimizer", "model_family", "preset",
                 "mask_prob")

# google-research/albert run_pretraining.py's defaults, where they differ
# from google-research/bert's (which are this tool's).
ALBERT_DEFAULTS = dict(max_seq_length=512, max_predictions_per_seq=20,
                       train_batch_size=4096, eval_batch_size=64,
                       optimizer="lamb", learning_rate=0.00176,
                       num_train_steps=125000, num_warmup_steps=3125,
                       save_checkpoints_steps=5000, do_train=True)


def _family(values) -> Optional[str]:
  """--model_family, else albert with --albert_config_file, else the
  --preset's family; None when none of them says."""
  family = cli.model_family(values["model_family"],
                           values["albert_config_file"], default=None)
  if family is None and values["preset"] in configs.PRESETS:
    family = configs.get_preset(values["preset"]).config.family
  return family


def flag_values() -> Dict[str, object]:
  """{flag: value}: the command line's, else --recipe's, else (an ALBERT
  model) ALBERT_DEFAULTS', else this tool's default. FLAGS stay as parsed."""
  recipe_values = {}
  if FLAGS.recipe:
    recipe = recipes.get_recipe(FLAGS.recipe)
    print(recipe.describe(), flush=True)
    recipe_values = recipe.flags()
  family = _family(recipes.flag_values_with(
      recipe_values, FLAGS, ("model_family", "albert_config_file", "preset"),
      recipe_names=_RECIPE_FLAGS))
  return recipes.flag_values_with(
      recipe_values, FLAGS, list(FLAGS), recipe_names=_RECIPE_FLAGS,
      defaults=ALBERT_DEFAULTS if family == "albert" else None)


def _tpu_address():
  """--tpu_name, else the original's --master (a grpc:// TPU address)."""
  return FLAGS.tpu_name or FLAGS.master


def _check_tpu_cores(strategy):
  if FLAGS["num_tpu_cores"].present and strategy_lib.is_tpu(strategy):
    found = strategy.num_replicas_in_sync
    if found != FLAGS.num_tpu_cores:
      raise strategy_lib.StrategyError(
          f"--num_tpu_cores={FLAGS.num_tpu_cores}, but the TPU "
          f"{_tpu_address()!r} has {found} cores")


def _sigterm_as_interrupt(signum, frame):
  del signum, frame
  raise KeyboardInterrupt("SIGTERM")


def _model_config(values) -> configs.ModelConfig:
  family = cli.model_family(values["model_family"],
                           values["albert_config_file"])
  path = values["albert_config_file"] or values["bert_config_file"]
  if path:
    return configs.ModelConfig.from_json_file(path, family)
  if values["preset"]:
    config = configs.get_preset(values["preset"]).config
    if values["model_family"] and config.family != values["model_family"]:
      raise configs.ConfigError(f"--preset={values['preset']} is a "
                                f"{config.family} model, not --model_family="
                                f"{family}")
    return config
  raise configs.ConfigError("give --bert_config_file, --albert_config_file, "
                            "--preset or --recipe")


def settings_from_flags(values) -> pretrain.PretrainingConfig:
  """The run's settings from `flag_values()`, checked."""
  if not values["output_dir"]:
    raise pretrain.PretrainingError("--output_dir is required")
  if values["do_train"] and not values["input_file"]:
    raise pretrain.PretrainingError("--do_train needs --input_file")
  if values["do_eval"] and not (values["input_file"] or
                                values["eval_input_file"]):
    raise pretrain.PretrainingError("--do_eval needs --input_file or "
                                    "--eval_input_file")
  config = recipes.settings_from(
      pretrain.PretrainingConfig, values, model_config=_model_config(values),
      input_file=values["input_file"] or "",
      eval_input_file=values["eval_input_file"] or "")
  config.validate()
  return config


def main(argv) -> int:
  del argv
  try:
    values = flag_values()
    config = settings_from_flags(values)
    name = FLAGS.strategy or ("tpu" if FLAGS.use_tpu else "default")
    if FLAGS.master and name != "tpu":
      print(f"run_pretraining: --master={FLAGS.master} ignored: without a "
            "TPU there is no session master in TensorFlow 2 (multi-worker "
            "runs take the cluster from TF_CONFIG)", file=sys.stderr)
    strategy = strategy_lib.resolve_strategy(
        name, tpu_name=_tpu_address(), tpu_zone=FLAGS.tpu_zone,
        gcp_project=FLAGS.gcp_project)
    _check_tpu_cores(strategy)
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    _, train_metrics, eval_metrics = pretrain.run_pretraining(
        config, strategy, do_train=values["do_train"],
        do_eval=values["do_eval"])
  except (ValueError, tf.errors.OpError) as e:
    # Every library error is a ValueError subclass; OpError: a file system
    # (gs://, permissions, ...).
    return cli.error("run_pretraining", e)
  except KeyboardInterrupt:
    print(f"run_pretraining: interrupted; nothing partial was kept in "
          f"{FLAGS.output_dir}; rerun the same command to resume from the "
          "last checkpoint", file=sys.stderr)
    return 130
  if train_metrics:
    print("train: " + ", ".join(f"{k}={v:.4g}" for k, v in train_metrics.items()))
  if eval_metrics:
    print("eval: " + ", ".join(f"{k}={v:.4g}" for k, v in eval_metrics.items()))
  print(f"checkpoints and TensorBoard logs: {FLAGS.output_dir}")
  return 0


def run():
  cli.run(main)


if __name__ == "__main__":
  run()
