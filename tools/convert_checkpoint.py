"""Convert a BERT / ALBERT / ELECTRA checkpoint between formats.

  python -m tools.convert_checkpoint --model_family=bert \
      --input=biobert_v1.1/model.ckpt-1000000 --input_format=tf1 \
      --config_file=biobert_v1.1/bert_config.json \
      --vocab_file=biobert_v1.1/vocab.txt --do_lower_case=false \
      --output=out/biobert-hf --output_format=hf

Formats: tf1 (original google-research checkpoints), hf (Hugging Face
directory with model.safetensors), savedmodel (TF Hub BERT conventions; output
only), biom (our object-based checkpoint, or a `run_pretraining` output
directory: its latest checkpoint and config file). Prints the output
directory; on bad input, a damaged checkpoint, or a location that cannot be
written (read-only, full, a failing gs://) prints one line and exits 1,
leaving no output behind. SIGTERM, as TPU and cluster schedulers send it,
is handled as Ctrl-C: the partial output is removed, exit status 128 + the
signal number.
"""
import signal
import sys

from absl import flags
import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

from biom_tf.checkpoints import convert
from biom_tf import configs
import tensorflow as tf
from tools import cli

FLAGS = flags.FLAGS

flags.DEFINE_enum("model_family", None, list(configs.FAMILIES),
                  "Model family of the checkpoint.")
flags.DEFINE_string("input", None, "Checkpoint prefix or directory to read.")
flags.DEFINE_enum("input_format", "tf1", list(convert.INPUT_FORMATS),
                  "Format of --input.")
flags.DEFINE_string("output", None, "Directory to write (must not exist, or "
                    "be empty).")
flags.DEFINE_enum("output_format", "hf", list(convert.OUTPUT_FORMATS),
                  "Format to write.")
flags.DEFINE_string("config_file", None, "bert_config.json / albert_config.json"
                    " / ELECTRA config; default: the one beside --input.")
flags.DEFINE_string("vocab_file", None, "WordPiece vocab.txt; default: the one "
                    "beside --input.")
flags.DEFINE_string("spm_model_file", None, "SentencePiece model (ALBERT).")
flags.DEFINE_bool("do_lower_case", None, "Lower-case input text; default: the "
                  "input's tokenizer_config.json, else true.")
flags.mark_flags_as_required(["model_family", "input", "output"])


class _Interrupted(KeyboardInterrupt):
  """SIGTERM, raised where Python is, so that `finally` blocks clean up."""

  def __init__(self, signum):
    super().__init__(signal.Signals(signum).name)
    self.signum = signum


def _on_sigterm(signum, frame):
  del frame
  raise _Interrupted(signum)


def main(argv):
  del argv
  signal.signal(signal.SIGTERM, _on_sigterm)
  try:
    path = convert.export(
        FLAGS.model_family, FLAGS.input, FLAGS.input_format, FLAGS.output,
        FLAGS.output_format, config_file=FLAGS.config_file,
        vocab_file=FLAGS.vocab_file, spm_model_file=FLAGS.spm_model_file,
        do_lower_case=FLAGS.do_lower_case)
  except (ValueError, OSError, tf.errors.OpError) as e:
    # Every library error is a ValueError subclass; file systems (local,
    # gs://) raise OSError or tf.errors.OpError.
    return cli.error("convert_checkpoint", e)
  except KeyboardInterrupt as e:
    signum = getattr(e, "signum", signal.SIGINT)
    print(f"convert_checkpoint: interrupted ({signal.Signals(signum).name}); "
          f"nothing was written at {FLAGS.output}", file=sys.stderr)
    return 128 + signum
  print(path)
  return 0


def run():
  cli.run(main)


if __name__ == "__main__":
  run()
