"""Fine-tune and evaluate a checkpoint on a biomedical task (BLUE / BLURB).

  python -m tools.run_finetuning --task=ner \
      --data_dir=../shared/data/ncbi-disease \
      --init_checkpoint=biobert_v1.1/model.ckpt-1000000 \
      --vocab_file=biobert_v1.1/vocab.txt --do_lower_case=false \
      --output_dir=out/ncbi --recipe=biobert-ner --seeds=1,2,3

Writes output_dir/eval_results.json (per seed devel/test scores, mean, std),
per-example predictions and the fine-tuned model of each seed. Flags given
on the command line win over `--recipe`, which wins over the defaults.
"""
import os
import sys

from absl import app
from absl import flags
from absl import logging
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

from biom_tf import configs
from biom_tf import tasks
from biom_tf.tasks import recipes
from biom_tf.training import finetune
from biom_tf.training import init_checkpoint

FLAGS = flags.FLAGS

flags.DEFINE_enum("task", None, list(tasks.TASK_NAMES), "Task to fine-tune on.")
flags.DEFINE_string("data_dir", None, "Directory of the task data.")
flags.DEFINE_string("output_dir", None, "Where results and models go.")
flags.DEFINE_string("init_checkpoint", None,
                    "Checkpoint to start from: an original TF1 checkpoint, a "
                    "Hugging Face directory or one of ours. None: random init.")
flags.DEFINE_string("config_file", None,
                    "bert_config.json / albert_config.json; default: the one "
                    "next to --init_checkpoint.")
flags.DEFINE_enum("model_family", "bert", list(configs.FAMILIES),
                  "Model family of the config and checkpoint.")
flags.DEFINE_string("vocab_file", None, "WordPiece vocab.txt.")
flags.DEFINE_string("spm_model_file", None, "SentencePiece model (ALBERT).")
flags.DEFINE_bool("do_lower_case", True, "Lower-case input (uncased models).")
flags.DEFINE_string("recipe", None,
                    "Published hyperparameters to start from: "
                    + ", ".join(sorted(recipes.RECIPES)))
flags.DEFINE_integer("max_seq_length", 128, "Tokens per input, specials "
                     "included; longer NER sentences and QA contexts are "
                     "windowed, longer texts are truncated.")
flags.DEFINE_integer("train_batch_size", 32, "Global training batch.")
flags.DEFINE_integer("eval_batch_size", 64, "Prediction batch.")
flags.DEFINE_float("learning_rate", 5e-5, "Peak learning rate.")
flags.DEFINE_float("num_train_epochs", 3.0, "Passes over the training data.")
flags.DEFINE_float("warmup_proportion", 0.1,
                   "Fraction of steps of linear warmup.")
flags.DEFINE_float("weight_decay_rate", 0.01, "AdamW decoupled weight decay.")
flags.DEFINE_float("layerwise_lr_decay", 1.0,
                   "ELECTRA's layer-wise learning-rate decay (1.0: none).")
flags.DEFINE_list("seeds", ["1"], "Seeds; results give each and mean / std.")
flags.DEFINE_float("head_dropout", 0.1, "Dropout before the task head.")
flags.DEFINE_enum("strategy", "default",
                  ["default", "tpu", "mirrored", "multi_worker", "cpu"],
                  "tf.distribute strategy.")
flags.DEFINE_string("tpu_name", None, "TPU name (strategy=tpu).")
flags.DEFINE_bool("save_model", True, "Save each seed's fine-tuned model.")
flags.DEFINE_bool("jit_compile", False, "Compile the training step with XLA "
                  "(once per padded batch shape; see --pad_to_multiple_of).")
flags.DEFINE_integer("pad_to_multiple_of", 8, "Pad each batch's length to a "
                     "multiple of this.")
flags.DEFINE_integer("window_stride", None, "NER: subwords between window "
                     "starts for long sentences (default half a window).")
flags.DEFINE_string("negative_label", None, "Relations: the no-relation "
                    "class (default: detect 'false', 'DDI-false', ...; '' for "
                    "none).")
flags.DEFINE_integer("num_folds", 10, "Similarity: folds of the k-fold "
                     "evaluation of a single-file data set.")
flags.DEFINE_integer("doc_stride", 128, "Extractive QA: context window stride.")
flags.DEFINE_integer("max_query_length", 64, "Extractive QA: question tokens.")

_RECIPE_FLAGS = ("learning_rate", "train_batch_size", "max_seq_length",
                 "num_train_epochs", "warmup_proportion", "weight_decay_rate",
                 "layerwise_lr_decay", "seeds", "doc_stride")


def _value(name, recipe_values):
  """The flag's value unless only the recipe sets it."""
  if name in recipe_values and not FLAGS[name].present:
    return recipe_values[name]
  return FLAGS[name].value


def _model_config() -> configs.ModelConfig:
  """--config_file, else the config that comes with --init_checkpoint."""
  if FLAGS.config_file:
    return configs.ModelConfig.from_json_file(FLAGS.config_file,
                                              FLAGS.model_family)
  config = None
  if FLAGS.init_checkpoint:
    config = init_checkpoint.checkpoint_config(FLAGS.init_checkpoint,
                                               FLAGS.model_family)
  if config is None:
    raise finetune.FinetuneError(
        "--config_file is required (no config file next to --init_checkpoint)")
  return config


def settings_from_flags() -> finetune.FinetuneSettings:
  for name in ("task", "data_dir", "output_dir"):
    if not FLAGS[name].value:
      raise finetune.FinetuneError(f"--{name} is required")
  recipe_values = {}
  if FLAGS.recipe:
    recipe = recipes.get_recipe(FLAGS.recipe, FLAGS.task)
    recipe_values = recipe.flag_values()
    logging.info("recipe %s (%s)", recipe.name, recipe.source)
  config = _model_config()
  try:
    seeds = [int(s) for s in _value("seeds", recipe_values)]
  except ValueError:
    raise finetune.FinetuneError(
        f"--seeds={','.join(FLAGS.seeds)}: expected integers") from None
  values = {name: _value(name, recipe_values) for name in _RECIPE_FLAGS}
  values["seeds"] = seeds
  return finetune.FinetuneSettings(
      task=FLAGS.task, data_dir=FLAGS.data_dir, output_dir=FLAGS.output_dir,
      config=config, vocab_file=FLAGS.vocab_file,
      spm_model_file=FLAGS.spm_model_file, do_lower_case=FLAGS.do_lower_case,
      init_checkpoint=FLAGS.init_checkpoint,
      eval_batch_size=FLAGS.eval_batch_size, head_dropout=FLAGS.head_dropout,
      strategy=FLAGS.strategy, tpu_name=FLAGS.tpu_name,
      save_model=FLAGS.save_model, jit_compile=FLAGS.jit_compile,
      pad_to_multiple_of=FLAGS.pad_to_multiple_of,
      window_stride=FLAGS.window_stride,
      negative_label=FLAGS.negative_label, num_folds=FLAGS.num_folds,
      max_query_length=FLAGS.max_query_length, **values)


def main(argv):
  if len(argv) > 1:
    print(f"run_finetuning: error: unexpected arguments {argv[1:]}",
          file=sys.stderr)
    return 2
  try:
    results = finetune.run_finetuning(settings_from_flags())
  except ValueError as e:  # every library error is a ValueError subclass
    print(f"run_finetuning: error: {e}", file=sys.stderr)
    return 1
  metric = results["main_metric"]
  for split in ("devel", "test"):
    mean = results["mean"].get(split, {}).get(metric, float("nan"))
    std = results["std"].get(split, {}).get(metric, float("nan"))
    print(f"{results['task']} {split} {metric}: {100 * mean:.2f} ± "
          f"{100 * std:.2f} over {len(results['runs'])} seed(s)")
  print(f"wrote {os.path.join(FLAGS.output_dir, 'eval_results.json')}")
  return 0


def run():
  app.run(lambda argv: sys.exit(main(argv)))


if __name__ == "__main__":
  run()
