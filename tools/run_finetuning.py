"""Fine-tune and evaluate a checkpoint on a biomedical task (BLUE / BLURB).

  python -m tools.run_finetuning --task=ner \
      --data_dir=../shared/data/ncbi-disease \
      --init_checkpoint=biobert_v1.1/model.ckpt-1000000 \
      --output_dir=out/ncbi --recipe=biobert-ner --seeds=1,2,3

The vocabulary and its casing come with the checkpoint: vocab.txt or
spiece.model in its directory (a Hugging Face directory, one of ours, or an
original TF1 checkpoint with vocab.txt beside it), the casing from its
tokenizer_config.json / biom_model.json or the vocabulary itself; a
`--do_lower_case` that contradicts it is an error. Writes
output_dir/eval_results.json (per seed devel/test scores, mean, std; scores
are fractions, as printed), per-example predictions and the fine-tuned model
of each seed; into an existing output_dir, earlier seeds are kept and a
rerun seed is replaced. Flags given on the command line win over
`--recipe`, which wins over the defaults.

The originals' commands keep working: google-research/bert
`run_classifier.py`, dmis-lab/biobert `run_ner.py`/`run_re.py` and
ncbi-nlp/bluebert flags are accepted with their meaning (`--task_name`,
`--bert_config_file`, `--do_train`/`--do_eval`/`--do_predict`, `--use_tpu`,
`--master`, `--num_tpu_cores`, `--predict_batch_size`, ...).
"""
import os

from absl import flags
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

from biom_tf import configs
from biom_tf import recipes as pretraining_recipes
from biom_tf import tasks
from biom_tf.tasks import recipes
from biom_tf.training import finetune
from tools import cli

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
flags.DEFINE_enum("model_family", None, list(configs.FAMILIES),
                  "Model family of the config and checkpoint (default: "
                  "albert with --albert_config_file, else bert).")
flags.DEFINE_string("vocab_file", None, "WordPiece vocab.txt (default: the "
                    "one in --init_checkpoint's directory).")
flags.DEFINE_string("spm_model_file", None, "SentencePiece model (ALBERT; "
                    "default: the one in --init_checkpoint's directory).")
flags.DEFINE_bool("do_lower_case", None, "Lower-case input (uncased models). "
                  "Default: the checkpoint's casing (its tokenizer config, "
                  "else its vocabulary); a contradicting value is an error.")
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
flags.DEFINE_enum("strategy", None,
                  ["default", "tpu", "mirrored", "multi_worker", "cpu"],
                  "tf.distribute strategy (default: tpu with --use_tpu, else "
                  "default).")
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
flags.DEFINE_enum("train_split", "train", ["train", "train_dev"], "NER: the "
                  "training file; train_dev (train_dev.tsv) is BioBERT's "
                  "protocol.")

# The originals' flags (google-research/bert run_classifier.py, albert,
# dmis-lab/biobert run_ner.py / run_re.py, ncbi-nlp/bluebert), same meaning.
flags.DEFINE_string("task_name", None, "The originals' task name (BERT, "
                    "BioBERT, BlueBERT): ner, bc5cdr, chemprot, ddi13, gad, "
                    "euadr, sts, hoc, ...; mapped to --task.")
flags.DEFINE_string("bert_config_file", None, "Same as --config_file.")
flags.DEFINE_string("albert_config_file", None, "Same as --config_file, with "
                    "--model_family=albert.")
flags.DEFINE_bool("do_train", None, "Train. The originals' --do_train / "
                  "--do_eval / --do_predict: when none is given, all three; "
                  "when any is given, only those that are true.")
flags.DEFINE_bool("do_eval", None, "Score the devel (dev) split.")
flags.DEFINE_bool("do_predict", None, "Predict and score the test split.")
flags.DEFINE_bool("do_test", None, "Same as --do_predict (BlueBERT's "
                  "run_ncbi_sts.py).")
flags.DEFINE_bool("do_prepare", None, "Accepted for BlueBERT's NER command; "
                  "the data are read and encoded on every run.")
flags.DEFINE_integer("predict_batch_size", None, "Same as --eval_batch_size.")
flags.DEFINE_bool("use_tpu", False, "Same as --strategy=tpu.")
flags.DEFINE_string("master", None, "TPU master address (grpc://IP:8470); "
                    "the TPU to use when --tpu_name is not given.")
flags.DEFINE_integer("num_tpu_cores", None, "TPU cores to use: checked "
                     "against the TPU's (the strategy uses all of them).")
flags.DEFINE_string("tpu_zone", None, "Cloud TPU zone.")
flags.DEFINE_string("gcp_project", None, "Cloud project of the TPU.")
flags.DEFINE_integer("save_checkpoints_steps", None, "Accepted for the "
                     "originals' commands; fine-tuning saves the final model "
                     "of each seed (--save_model).")
flags.DEFINE_integer("iterations_per_loop", None, "Accepted for the "
                     "originals' commands; one step per host call here.")

_RECIPE_FLAGS = ("learning_rate", "train_batch_size", "max_seq_length",
                 "num_train_epochs", "warmup_proportion", "weight_decay_rate",
                 "layerwise_lr_decay", "seeds", "doc_stride")

# --task_name of the original scripts (lower-cased, as they do) → --task and
# the options that give it the original's meaning.
TASK_NAMES = {
    # dmis-lab/biobert run_ner.py ("NER"); ncbi-nlp/bluebert NER tasks.
    "ner": ("ner", {}), "bc5cdr": ("ner", {}), "clefe": ("ner", {}),
    # dmis-lab/biobert run_re.py: binary relation sets, label "1" a relation
    # and "0" none (scored as precision / recall / F1 of the relations).
    "gad": ("gad", {}), "euadr": ("euadr", {}),
    "polysearch": ("relation", {"negative_label": "0"}),
    "mirnadisease": ("relation", {"negative_label": "0"}),
    # ChemProt and DDI (BioBERT run_re.py, BlueBERT), i2b2 2010 (BlueBERT).
    "chemprot": ("chemprot", {}), "ddi13": ("ddi", {}), "ddi": ("ddi", {}),
    "ddi2013": ("ddi", {}), "i2b2_2010": ("relation", {}),
    # BlueBERT sentence similarity (BIOSSES), HoC, MedNLI.
    "sts": ("biosses", {}), "biosses": ("biosses", {}), "hoc": ("hoc", {}),
    "mednli": ("classification", {}),
    "pubmedqa": ("pubmedqa", {}), "bioasq": ("bioasq", {}),
    "squad": ("squad", {}),
}


class FlagError(finetune.FinetuneError):
  """Flags that do not fit together."""


def _task():
  """--task, or the originals' --task_name mapped to it; (task, options)."""
  if not FLAGS.task_name:
    return FLAGS.task, {}
  name = FLAGS.task_name.strip().lower()
  if name not in TASK_NAMES:
    raise FlagError(f"--task_name={FLAGS.task_name}: expected one of "
                    f"{', '.join(sorted(TASK_NAMES))} (or use --task)")
  task, options = TASK_NAMES[name]
  if FLAGS.task and FLAGS.task != task:
    raise FlagError(f"--task={FLAGS.task} contradicts --task_name="
                    f"{FLAGS.task_name} (which is --task={task})")
  return task, options


def _config_file():
  given = [(f, FLAGS[f].value) for f in ("config_file", "bert_config_file",
                                         "albert_config_file") if FLAGS[f].value]
  if len({v for _, v in given}) > 1:
    raise FlagError(f"--{given[0][0]}={given[0][1]} and --{given[1][0]}="
                    f"{given[1][1]}: give one config file")
  return given[0][1] if given else None


def _model_config() -> configs.ModelConfig:
  """--config_file, else the config that comes with --init_checkpoint."""
  return cli.model_config(_config_file(), FLAGS.init_checkpoint,
                          cli.model_family(FLAGS.model_family,
                                           FLAGS.albert_config_file))


def _phases():
  """(do_train, do_eval, do_predict): all three unless any is given."""
  predict = FLAGS.do_predict
  if predict is None:
    predict = FLAGS.do_test
  elif FLAGS.do_test is not None and FLAGS.do_test != predict:
    raise FlagError(f"--do_test={FLAGS.do_test} contradicts --do_predict="
                    f"{predict}")
  given = [FLAGS.do_train, FLAGS.do_eval, predict]
  if all(v is None for v in given):
    return True, True, True
  return tuple(bool(v) for v in given)


def _strategy() -> str:
  if FLAGS.strategy:
    if FLAGS.use_tpu and FLAGS.strategy != "tpu":
      raise FlagError(f"--use_tpu contradicts --strategy={FLAGS.strategy}")
    return FLAGS.strategy
  return "tpu" if FLAGS.use_tpu else "default"


class _Progress:
  """Prints a line about every tenth of a seed's training steps."""

  def __call__(self, p):
    every = max(1, p["num_steps"] // 10)
    if p["step"] % every == 0 or p["step"] == p["num_steps"]:
      print(f"seed {p['seed']}: step {p['step']}/{p['num_steps']} (epoch "
            f"{p['epoch']:.1f}/{p['num_epochs']:g}) loss {p['loss']:.4f}",
            flush=True)


def settings_from_flags() -> finetune.FinetuneSettings:
  task, task_options = _task()
  if not task:
    raise finetune.FinetuneError("--task is required (or the originals' "
                                 "--task_name)")
  cli.require(FLAGS.flag_values_dict(), ("data_dir", "output_dir"),
              finetune.FinetuneError)
  recipe_values = {}
  if FLAGS.recipe:
    recipe = recipes.get_recipe(FLAGS.recipe, task)
    recipe_values = recipe.flags()
    print(f"recipe {recipe.name} ({recipe.source})", flush=True)
  config = _model_config()
  values = pretraining_recipes.flag_values_with(
      recipe_values, FLAGS, list(FLAGS), recipe_names=_RECIPE_FLAGS)
  seeds = cli.seeds(values["seeds"], finetune.FinetuneError)
  do_train, do_eval, do_predict = _phases()
  eval_batch_size = FLAGS.eval_batch_size
  if FLAGS.predict_batch_size and not FLAGS["eval_batch_size"].present:
    eval_batch_size = FLAGS.predict_batch_size
  negative_label = FLAGS.negative_label
  if negative_label is None:
    negative_label = task_options.get("negative_label")
  return pretraining_recipes.settings_from(
      finetune.FinetuneSettings, values, task=task, config=config,
      seeds=seeds, do_train=do_train, do_eval=do_eval, do_predict=do_predict,
      eval_batch_size=eval_batch_size, strategy=_strategy(),
      tpu_name=FLAGS.tpu_name or FLAGS.master, negative_label=negative_label,
      progress=_Progress(), report=lambda line: print(line, flush=True))


def _unit(metric: str) -> str:
  return ("coefficient, -1 to 1" if metric in ("pearson", "spearman")
          else "fraction, 0 to 1")


def summary_lines(results) -> list:
  """One line per scored split: the main metric, as in eval_results.json
  (a fraction, not a percentage), with its unit."""
  metric = results["main_metric"]
  lines = []
  for split in ("devel", "test"):
    if split not in results["mean"]:
      continue
    mean = results["mean"][split].get(metric, float("nan"))
    std = results["std"][split].get(metric, float("nan"))
    lines.append(f"{results['task']} {split} {metric} = {mean:.4f} ± "
                 f"{std:.4f} ({_unit(metric)}; mean ± std over "
                 f"{len(results['runs'])} seed(s))")
  return lines


def main(argv):
  status = cli.no_arguments("run_finetuning", argv)
  if status is not None:
    return status
  try:
    settings = finetune.resolve_tokenizer(settings_from_flags())
    print(f"vocabulary {settings.vocab_file or settings.spm_model_file}, "
          f"do_lower_case={str(settings.do_lower_case).lower()}", flush=True)
    results = finetune.run_finetuning(settings)
  except ValueError as e:  # every library error is a ValueError subclass
    return cli.error("run_finetuning", e)
  for line in summary_lines(results):
    print(line)
  print(f"wrote {os.path.join(FLAGS.output_dir, finetune.RESULTS_FILE)}")
  return 0


def run():
  cli.run(main)


if __name__ == "__main__":
  run()
