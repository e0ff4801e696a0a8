r"""Masked-LM pretraining TFRecords for BERT, ALBERT or ELECTRA.

The flags of google-research/bert's create_pretraining_data.py (same names
and defaults), of google-research/albert's (--spm_model_file, --ngram,
--favor_shorter_ngram, --random_next_sentence), and ours for scale.

  python -m tools.create_pretraining_data \
    --input_file='corpus/*.txt.gz' --output_file=out/pubmed.tfrecord \
    --vocab_file=vocab.txt --model_family=bert \
    --max_seq_length=128 --max_predictions_per_seq=20 --dupe_factor=5 \
    --num_workers=8 --num_output_shards=64

Outputs: the shards, and <output_file>.manifest.json (flags, vocabulary
hash, per-shard record counts, skipped input). Rerun the same command after
a crash to write only the missing shards. A rerun with another
--num_output_shards removes the earlier run's shards first.

--dupe_factor keeps the original's default, 10 (every document used ten
times, with different masks): the opening line says which value is used.
ELECTRA records are written without masks unless --electra_offline_masks
(pretraining then masks online and needs --vocab_file); the opening line
says so.

Apache Beam (`pip install -e '.[beam]'`): the same flags with --runner
give the same bytes and the same manifest as the local runner (the
default, --runner=local). Beam's own pipeline options go after a bare `--`,
or in one --pipeline_options string (both may be used):

  python -m tools.create_pretraining_data --runner=DataflowRunner \
    --input_file='gs://b/corpus/*.txt' --output_file=gs://b/tf/pubmed \
    --vocab_file=gs://b/vocab.txt --num_output_shards=256 \
    -- --project=my-project --region=us-central1 \
    --temp_location=gs://b/tmp --setup_file=./setup.py

--num_workers is for the local runner; a Beam runner sizes itself from its
own options (e.g. --direct_num_workers, --max_num_workers).
"""
import logging
import shlex
import sys

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from absl import flags

from biom_tf import configs
from biom_tf import errors
from biom_tf import recipes
from tfrecords import pipeline
from tools import cli

FLAGS = flags.FLAGS

# google-research/bert
flags.DEFINE_string("input_file", None,
                    "Input raw text file (or comma-separated list of files or "
                    "globs; .gz read as gzip; any tf.io.gfile path).")
flags.DEFINE_string("output_file", None,
                    "Output TF example file (or comma-separated list of files, "
                    "one per shard). With --num_output_shards=N>1, shards are "
                    "<output_file>-00000-of-0000N.")
flags.DEFINE_string("vocab_file", None,
                    "The vocabulary file that the model was trained on.")
flags.DEFINE_bool("do_lower_case", True,
                  "Whether to lower case the input text. Should be True for "
                  "uncased models and False for cased models.")
flags.DEFINE_bool("do_whole_word_mask", None,
                  "Whether to use whole word masking rather than per-WordPiece "
                  "masking. Default: False for bert/electra (google-research/"
                  "bert), True for albert (google-research/albert).")
flags.DEFINE_integer("max_seq_length", 128, "Maximum sequence length.")
flags.DEFINE_integer("max_predictions_per_seq", 20,
                     "Maximum number of masked LM predictions per sequence.")
flags.DEFINE_integer("random_seed", 12345, "Random seed for data generation.")
flags.DEFINE_integer("dupe_factor", 10,
                     "Number of times to duplicate the input data (with "
                     "different masks). The original ELECTRA builder writes "
                     "each text once: use 1 for ELECTRA.")
flags.DEFINE_float("masked_lm_prob", 0.15, "Masked LM probability.")
flags.DEFINE_float("short_seq_prob", 0.1,
                   "Probability of creating sequences which are shorter than "
                   "the maximum length.")
# google-research/albert
flags.DEFINE_string("spm_model_file", None,
                    "The model file for sentence piece tokenization (ALBERT).")
flags.DEFINE_integer("ngram", 3, "Maximum number of ngrams to mask (ALBERT).")
flags.DEFINE_bool("favor_shorter_ngram", True,
                  "Whether to set higher probabilities for sampling shorter "
                  "ngrams (ALBERT).")
flags.DEFINE_bool("random_next_sentence", False,
                  "ALBERT: use a random next sentence from another document "
                  "(NSP) rather than swapped segments (sentence order).")
# Ours
flags.DEFINE_enum("model_family", "bert", list(configs.FAMILIES),
                  "bert: NSP records; albert: SOP records with n-gram masking "
                  "and token_boundary; electra: packed sequences "
                  "(input_ids, input_mask, segment_ids).")
flags.DEFINE_bool("electra_offline_masks", False,
                  "ELECTRA: also write masked_lm_positions/ids/weights, so "
                  "pretraining can use offline masks.")
flags.DEFINE_integer("num_workers", 1,
                     "Worker processes. The output does not depend on it.")
flags.DEFINE_integer("num_output_shards", 1, "Output files.")
flags.DEFINE_bool("gzip", False,
                  "Write GZIP-compressed TFRecord files (read them with "
                  "compression_type='GZIP').")
flags.DEFINE_enum("invalid_utf8", "fail", ["fail", "skip"],
                  "A line that is not UTF-8: stop with its file and line, or "
                  "skip it (counted in the manifest).")
flags.DEFINE_enum("runner", "local", ["local", "DirectRunner",
                                        "DataflowRunner", "FlinkRunner",
                                        "SparkRunner"],
                  "local: this machine's processes (--num_workers); else the "
                  "Apache Beam runner (the `beam` extra), same output bytes.")
flags.DEFINE_string("pipeline_options", None,
                    "With a Beam --runner: Beam pipeline options as one "
                    "string, e.g. '--project=p --region=r "
                    "--temp_location=gs://b/tmp' (also: after a bare `--`).")
flags.DEFINE_integer("block_bytes", 1 << 20,
                     "Text per unit of work (changes the output): memory per "
                     "worker and the pool random next sentences come from.")


def main(argv):
  pipeline_args = shlex.split(FLAGS.pipeline_options or "") + list(argv[1:])
  if FLAGS.runner == "local" and pipeline_args:
    print("create_pretraining_data: error: Beam pipeline options "
          f"{' '.join(pipeline_args)!r} given without a Beam --runner "
          "(e.g. --runner=DirectRunner)", file=sys.stderr)
    return 1
  options = recipes.settings_from(pipeline.DataOptions,
                                  FLAGS.flag_values_dict())
  try:
    if FLAGS.runner == "local":
      summary = pipeline.create_pretraining_data(
          FLAGS.input_file, FLAGS.output_file, vocab_file=FLAGS.vocab_file,
          spm_model_file=FLAGS.spm_model_file, options=options,
          num_workers=FLAGS.num_workers)
    else:
      summary = _run_beam(options, pipeline_args)
  except ValueError as e:
    return cli.error("create_pretraining_data", e)
  return cli.done(
      summary.outputs,
      f"{summary.instances} instances from {summary.documents} documents "
      f"({summary.shards_written} shards written, {summary.shards_skipped} "
      f"already complete); manifest: {summary.manifest_path}")


def _run_beam(options, pipeline_args):
  # Beam's import-time warnings (optional cloud clients) and its log of a
  # failing step's traceback stay out of the terminal unless --verbosity is
  # raised: the failure itself comes back here and is printed in one line.
  if FLAGS.verbosity < 1:
    logging.getLogger().setLevel(logging.CRITICAL)
  try:
    from tfrecords import beam as beam_data  # pylint: disable=g-import-not-at-top
  except ImportError:
    raise errors.DataError(
        f"--runner={FLAGS.runner} needs Apache Beam: pip install -e "
        "'.[beam]' (or biom_tf[beam])") from None
  if FLAGS.num_workers != 1:
    print(f"create_pretraining_data: --num_workers={FLAGS.num_workers} is "
          f"for --runner=local; {FLAGS.runner} takes its own options "
          "(e.g. -- --direct_num_workers=N)", file=sys.stderr)
  return beam_data.run_pipeline(
      FLAGS.input_file, FLAGS.output_file, vocab_file=FLAGS.vocab_file,
      spm_model_file=FLAGS.spm_model_file, options=options,
      runner=FLAGS.runner, pipeline_args=pipeline_args)


def run():
  cli.run(main, required=("input_file", "output_file"))


if __name__ == "__main__":
  run()
