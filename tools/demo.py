"""`make demo`: the whole pipeline, small, on a CPU, in a few minutes.

On the demo corpus bundled with the package (biom_tf/demo/*.txt: short
biomedical-style documents, one sentence per line):

  1. learn a WordPiece vocabulary            (tfrecords.vocab)
  2. write BERT pretraining TFRecords       (tfrecords.pipeline; NSP +
                                             offline masks)
  3. pretrain a tiny BERT from scratch      (biom_tf.training.pretrain)
  4. evaluate it                            (on the training records, as
                                             the original run_pretraining)
  5. export it: original TF1 checkpoint, and SavedModel / Hugging Face
     where those exporters are installed    (biom_tf.checkpoints.convert)
  6. plot the loss curve next to the TensorBoard logs

and prints where everything is: its own progress lines, without
TensorFlow's and absl's INFO lines (`--verbosity=0` shows them; see
`tools/__init__.py`). Run again, it resumes from the last checkpoint (delete
--output_dir to start over).
"""
import glob
import json
import os
import time

from absl import flags
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from biom_tf import fileio

from tools import cli

FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", "demo_output", "Where everything goes.")
flags.DEFINE_integer("num_train_steps", 400, "Pretraining steps.")
flags.DEFINE_integer("vocab_size", 600, "WordPiece vocabulary size.")
flags.DEFINE_integer("max_seq_length", 64, "Tokens per sequence.")
flags.DEFINE_integer("train_batch_size", 32, "Sequences per step.")
flags.DEFINE_string("corpus", None, "Text files (globs) instead of the "
                    "bundled demo corpus.")

DEMO_DIR = os.path.join(os.path.dirname(os.path.abspath(biom_tf.__file__)),
                        "demo")


def _step(title):
  print(f"\n== {title}", flush=True)


def plot_losses(metrics_file: str, png_path: str) -> str:
  """MLM / NSP / total loss and MLM accuracy against steps, as a PNG."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top
  with open(metrics_file) as f:
    rows = [json.loads(line) for line in f if line.strip()]
  steps = [r["step"] for r in rows]
  figure, (left, right) = pyplot.subplots(1, 2, figsize=(10, 4))
  for key in ("loss", "mlm_loss", "nsp_loss"):
    left.plot(steps, [r[key] for r in rows], label=key)
  left.set_xlabel("step")
  left.set_ylabel("training loss")
  left.legend()
  right.plot(steps, [r["mlm_accuracy"] for r in rows], label="mlm_accuracy")
  right.plot(steps, [r["nsp_accuracy"] for r in rows], label="nsp_accuracy")
  right.set_xlabel("step")
  right.set_ylabel("training accuracy")
  right.legend()
  figure.tight_layout()
  fileio.write_png(png_path, figure)
  pyplot.close(figure)
  return png_path


def _export(model, config, vocab_file, export_dir):
  """TF1 checkpoint always; SavedModel and Hugging Face where available.

  An export already there (a run again) is kept, as it is.
  """
  from biom_tf import tokenization  # pylint: disable=g-import-not-at-top
  from biom_tf.checkpoints import convert  # pylint: disable=g-import-not-at-top
  written = {}
  # The casing comes with the vocabulary (learned lower-cased above).
  do_lower_case = tokenization.infer_do_lower_case(vocab_file=vocab_file)
  loaded = convert.LoadedModel(model=model, config=config,
                               vocab_file=vocab_file,
                               do_lower_case=do_lower_case is not False)
  for fmt, what in (("tf1", "TF1 checkpoint (google-research/bert names)"),
                    ("savedmodel", "SavedModel (TF Hub BERT signatures)"),
                    ("hf", "Hugging Face directory")):
    out = os.path.join(export_dir, fmt)
    if os.path.exists(out):
      written[what] = out
      continue
    try:
      convert.write(loaded, out, fmt)
      written[what] = out
    except ImportError as e:  # e.g. transformers, a test-only dependency
      print(f"note: {what} export skipped: {e}")
  return written


def run_demo(output_dir: str, num_train_steps: int, vocab_size: int,
             max_seq_length: int, train_batch_size: int, corpus=None):
  """Runs the demo; returns dict of what was written where."""
  from biom_tf.configs import ModelConfig  # pylint: disable=g-import-not-at-top
  from biom_tf.training import pretrain  # pylint: disable=g-import-not-at-top
  from tfrecords import pipeline  # pylint: disable=g-import-not-at-top
  from tfrecords import vocab as vocab_lib  # pylint: disable=g-import-not-at-top
  started = time.time()
  corpus = corpus or os.path.join(DEMO_DIR, "*.txt")
  files = sorted(glob.glob(corpus))
  if not files:
    raise ValueError(f"demo corpus {corpus}: no files")
  os.makedirs(output_dir, exist_ok=True)
  where = {"corpus": corpus}

  _step(f"1/5 vocabulary from {len(files)} corpus files")
  vocab_file = os.path.join(output_dir, "vocab.txt")
  if not os.path.exists(vocab_file):
    summary = vocab_lib.learn_wordpiece_vocab(files, vocab_file,
                                              vocab_size=vocab_size,
                                              num_unused=0)
    print(f"{summary.vocab_size} tokens from {summary.sentences} sentences "
          f"({summary.distinct_words} distinct words)")
  with open(vocab_file) as f:
    actual_vocab_size = sum(1 for _ in f)
  where["vocabulary"] = vocab_file

  _step("2/5 pretraining TFRecords (BERT: NSP + masked LM, masks offline)")
  max_predictions = max(1, round(max_seq_length * 0.15))
  records = os.path.join(output_dir, "tfrecords", "demo.tfrecord")
  if not os.path.exists(records):
    summary = pipeline.create_pretraining_data(
        files, records, vocab_file=vocab_file, progress=None,
        options=pipeline.DataOptions(
            model_family="bert", max_seq_length=max_seq_length,
            max_predictions_per_seq=max_predictions, dupe_factor=5))
    print(f"{summary.instances} instances from {summary.documents} documents")
  where["TFRecords"] = records

  _step("3/5 pretraining a tiny BERT on the CPU")
  model_config = ModelConfig(
      family="bert", vocab_size=actual_vocab_size, hidden_size=64,
      num_hidden_layers=2, num_attention_heads=2, intermediate_size=256,
      max_position_embeddings=max_seq_length)
  model_dir = os.path.join(output_dir, "pretrain")
  config = pretrain.PretrainingConfig(
      model_config=model_config, output_dir=model_dir, input_file=records,
      max_seq_length=max_seq_length, max_predictions_per_seq=max_predictions,
      train_batch_size=train_batch_size, eval_batch_size=train_batch_size,
      learning_rate=1e-3, num_train_steps=num_train_steps,
      num_warmup_steps=max(1, num_train_steps // 10),
      save_checkpoints_steps=max(1, num_train_steps // 2),
      iterations_per_loop=max(1, num_train_steps // 20), max_eval_steps=20)
  trainer = pretrain.Trainer(config)
  trainer.train()
  where["checkpoints and TensorBoard logs"] = model_dir

  _step("4/5 evaluation")
  results = trainer.evaluate()
  print(", ".join(f"{k}={v:.4g}" for k, v in results.items()))
  where["evaluation results"] = os.path.join(model_dir, "eval_results.txt")

  _step("5/5 export")
  where.update(_export(trainer.model, model_config, vocab_file,
                       os.path.join(output_dir, "export")))
  where["loss curve"] = plot_losses(
      os.path.join(model_dir, pretrain.METRICS_FILE),
      os.path.join(model_dir, "loss_curve.png"))

  print(f"\nDemo finished in {time.time() - started:.0f} s. Where things are:")
  for what, path in where.items():
    print(f"  {what:48s} {path}")
  print(f"  {'TensorBoard':48s} tensorboard --logdir {model_dir}")
  return where


def main(argv) -> int:
  del argv
  try:
    run_demo(FLAGS.output_dir, FLAGS.num_train_steps, FLAGS.vocab_size,
             FLAGS.max_seq_length, FLAGS.train_batch_size, FLAGS.corpus)
  except ValueError as e:  # every library error is a ValueError subclass
    return cli.error("demo", e)
  return 0


def run():
  cli.run(main)


if __name__ == "__main__":
  run()
