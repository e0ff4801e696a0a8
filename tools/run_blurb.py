"""Fine-tune a checkpoint on every BLURB dataset present and write its table.

  python -m tools.run_blurb --init_checkpoint=run \
      --vocab_file=vocab.txt --data_dir=blurb_data --output_dir=blurb \
      --seeds=1,2,3,4,5

`--data_dir` holds any of the thirteen BLURB datasets under their usual
directory names (BC5CDR-chem, BC5CDR-disease, NCBI-disease, BC2GM, JNLPBA,
ebmnlp, chemprot, DDI, GAD, BIOSSES, HoC, pubmedqa, BioASQ), directly or one
level down (`data/blurb/hoc`); the others are listed as skipped. Each is
fine-tuned with its `blurb-<dataset>` recipe (biom_tf/tasks/recipes.py) once
per seed. Writes output_dir/blurb_results.{json,md} (per dataset mean ± std
over seeds, per task type, the BLURB score = macro average over task types)
and a chart (blurb_scores.png, or .svg without matplotlib). Rerunning with
the same output_dir keeps the finished (dataset, seed) runs
(blurb_runs.json) and runs only the rest.

--max_train_examples, --num_train_epochs, --max_seq_length, --learning_rate,
--train_batch_size override every recipe (CI-sized runs).
"""
import os
import sys

from absl import flags
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

from biom_tf import configs
from biom_tf import recipes
from biom_tf.training import blurb
from biom_tf.training import finetune
from tools import cli

FLAGS = flags.FLAGS

flags.DEFINE_string("data_dir", None, "Directory holding BLURB datasets.")
flags.DEFINE_string("output_dir", None, "Where the table and runs go.")
flags.DEFINE_string("init_checkpoint", None,
                    "Checkpoint to fine-tune: an original TF1 checkpoint, a "
                    "Hugging Face directory or one of ours. None: random "
                    "init.")
flags.DEFINE_string("config_file", None,
                    "bert_config.json / albert_config.json; default: the one "
                    "next to --init_checkpoint.")
flags.DEFINE_enum("model_family", "bert", list(configs.FAMILIES),
                  "Model family of the config and checkpoint.")
flags.DEFINE_string("vocab_file", None, "WordPiece vocab.txt (default: the "
                    "one next to --init_checkpoint).")
flags.DEFINE_string("spm_model_file", None, "SentencePiece model (ALBERT).")
flags.DEFINE_bool("do_lower_case", None, "Lower-case input; default: the "
                  "checkpoint's casing.")
flags.DEFINE_list("datasets", None, "Only these datasets (keys: " +
                  ", ".join(d.key for d in blurb.DATASETS) + ").")
flags.DEFINE_list("seeds", ["1", "2", "3", "4", "5"],
                  "Seeds; BLURB reports the mean over five.")
flags.DEFINE_integer("max_train_examples", None, "Train on a fixed random "
                     "subset of this many examples per dataset.")
flags.DEFINE_float("num_train_epochs", None, "Override every recipe's "
                   "epochs.")
flags.DEFINE_integer("max_seq_length", None, "Override every recipe's "
                     "sequence length.")
flags.DEFINE_float("learning_rate", None, "Override every recipe's peak "
                   "learning rate.")
flags.DEFINE_integer("train_batch_size", None, "Override every recipe's "
                     "batch.")
flags.DEFINE_integer("eval_batch_size", 64, "Prediction batch.")
flags.DEFINE_enum("strategy", "default",
                  ["default", "tpu", "mirrored", "multi_worker", "cpu"],
                  "tf.distribute strategy.")
flags.DEFINE_string("tpu_name", None, "TPU name (strategy=tpu).")
flags.DEFINE_bool("save_models", False, "Keep each fine-tuned model.")
flags.DEFINE_bool("jit_compile", False, "XLA-compile the training step.")


def settings_from_flags() -> blurb.BlurbSettings:
  values = FLAGS.flag_values_dict()
  cli.require(values, ("data_dir", "output_dir"), blurb.BlurbError)
  seeds = cli.seeds(FLAGS.seeds, blurb.BlurbError)
  config = cli.model_config(FLAGS.config_file, FLAGS.init_checkpoint,
                            FLAGS.model_family)
  # The vocabulary and casing as fine-tuning finds them: the flags, else the
  # files next to --init_checkpoint, checked against each other.
  # (Only its tokenizer fields are read.)
  tokenizer = finetune.resolve_tokenizer(recipes.settings_from(
      finetune.FinetuneSettings, values, task="ner", config=config))
  return recipes.settings_from(
      blurb.BlurbSettings, values,
      renamed={"save_model": "save_models"},
      config=config, seeds=seeds, vocab_file=tokenizer.vocab_file,
      spm_model_file=tokenizer.spm_model_file,
      do_lower_case=tokenizer.do_lower_case)


def main(argv) -> int:
  status = cli.no_arguments("run_blurb", argv)
  if status is not None:
    return status
  try:
    settings = settings_from_flags()
    table = blurb.run_blurb(settings,
                            write=lambda line: print(line, flush=True))
  except ValueError as e:  # every library error is a ValueError subclass
    return cli.error("run_blurb", e)
  print()
  print(blurb.table_markdown(table), end="")
  print(f"\nwrote {os.path.join(FLAGS.output_dir, blurb.RESULTS_FILE)}, "
        f"{os.path.join(FLAGS.output_dir, blurb.TABLE_FILE)}"
        + (f", {table['chart']}" if table.get("chart") else ""))
  for key, message in table["failed"].items():
    print(f"run_blurb: error: {blurb.DATASETS_BY_KEY[key].name}: {message}",
          file=sys.stderr)
  return 1 if table["failed"] else 0


def run():
  cli.run(main)


if __name__ == "__main__":
  run()
