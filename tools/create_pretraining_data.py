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
a crash to write only the missing shards.
"""
import sys

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from absl import app
from absl import flags

from tfrecords import pipeline

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
flags.DEFINE_enum("model_family", "bert", ["bert", "albert", "electra"],
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
flags.DEFINE_integer("block_bytes", 1 << 20,
                     "Text per unit of work (changes the output): memory per "
                     "worker and the pool random next sentences come from.")


def main(argv):
  del argv
  options = pipeline.DataOptions(
      model_family=FLAGS.model_family,
      do_lower_case=FLAGS.do_lower_case,
      do_whole_word_mask=FLAGS.do_whole_word_mask,
      max_seq_length=FLAGS.max_seq_length,
      max_predictions_per_seq=FLAGS.max_predictions_per_seq,
      random_seed=FLAGS.random_seed,
      dupe_factor=FLAGS.dupe_factor,
      masked_lm_prob=FLAGS.masked_lm_prob,
      short_seq_prob=FLAGS.short_seq_prob,
      ngram=FLAGS.ngram,
      favor_shorter_ngram=FLAGS.favor_shorter_ngram,
      random_next_sentence=FLAGS.random_next_sentence,
      electra_offline_masks=FLAGS.electra_offline_masks,
      num_output_shards=FLAGS.num_output_shards,
      gzip=FLAGS.gzip,
      block_bytes=FLAGS.block_bytes,
      invalid_utf8=FLAGS.invalid_utf8)
  try:
    summary = pipeline.create_pretraining_data(
        FLAGS.input_file, FLAGS.output_file, vocab_file=FLAGS.vocab_file,
        spm_model_file=FLAGS.spm_model_file, options=options,
        num_workers=FLAGS.num_workers)
  except ValueError as e:
    print(f"create_pretraining_data: error: {e}", file=sys.stderr)
    return 1
  for path in summary.outputs:
    print(path)
  print(f"{summary.instances} instances from {summary.documents} documents "
        f"({summary.shards_written} shards written, {summary.shards_skipped} "
        f"already complete); manifest: {summary.manifest_path}")
  return 0


def run():
  flags.mark_flag_as_required("input_file")
  flags.mark_flag_as_required("output_file")
  app.run(main)


if __name__ == "__main__":
  run()
