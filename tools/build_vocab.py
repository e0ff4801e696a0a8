r"""Learns a vocabulary from corpus shards: WordPiece or SentencePiece.

  # BERT / ELECTRA / LitBERT style WordPiece vocab.txt (uncased):
  python -m tools.build_vocab --vocab_type=wordpiece \
    --input_file='corpus/*.txt.gz' --output=vocab.txt --vocab_size=30522

  # ALBERT style SentencePiece model (writes spm.model and spm.vocab):
  python -m tools.build_vocab --vocab_type=sentencepiece \
    --input_file='corpus/*.txt.gz' --output=spm --vocab_size=30000
"""
import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from absl import flags

from tfrecords import vocab
from tools import cli

FLAGS = flags.FLAGS

flags.DEFINE_string("input_file", None,
                    "Corpus shards: comma-separated files or globs (.gz read "
                    "as gzip; any tf.io.gfile path).")
flags.DEFINE_string("output", None,
                    "wordpiece: the vocab.txt to write; sentencepiece: the "
                    "model prefix (<output>.model and <output>.vocab).")
flags.DEFINE_enum("vocab_type", "wordpiece", ["wordpiece", "sentencepiece"],
                  "WordPiece (BERT, ELECTRA) or SentencePiece (ALBERT).")
flags.DEFINE_integer("vocab_size", None,
                     "Vocabulary size (default: 30522 for wordpiece, 30000 "
                     "for sentencepiece).")
flags.DEFINE_bool("do_lower_case", True, "An uncased vocabulary.")
flags.DEFINE_integer("num_unused", 100,
                     "wordpiece: [unusedN] tokens to reserve.")
flags.DEFINE_integer("max_sentences", None,
                     "Read at most this many sentences (wordpiece: default "
                     "all; sentencepiece: a sample of at most 10,000,000).")
flags.DEFINE_bool("overwrite", False,
                  "Replace an existing vocabulary (else refused, naming the "
                  "file).")
flags.DEFINE_enum("invalid_utf8", "fail", ["fail", "skip"],
                  "A line that is not UTF-8: stop with its file and line, or "
                  "skip it.")


def main(argv):
  del argv
  try:
    if FLAGS.vocab_type == "wordpiece":
      summary = vocab.learn_wordpiece_vocab(
          FLAGS.input_file, FLAGS.output,
          vocab_size=FLAGS.vocab_size or 30522,
          do_lower_case=FLAGS.do_lower_case, num_unused=FLAGS.num_unused,
          max_sentences=FLAGS.max_sentences, invalid_utf8=FLAGS.invalid_utf8,
          overwrite=FLAGS.overwrite)
    else:
      summary = vocab.train_sentencepiece(
          FLAGS.input_file, FLAGS.output,
          vocab_size=FLAGS.vocab_size or 30000,
          do_lower_case=FLAGS.do_lower_case,
          max_sentences=FLAGS.max_sentences or 10_000_000,
          invalid_utf8=FLAGS.invalid_utf8, overwrite=FLAGS.overwrite)
  except ValueError as e:
    return cli.error("build_vocab", e)
  return cli.done(summary.outputs, f"{summary.vocab_size} tokens learned "
                  f"from {summary.sentences} sentences")


def run():
  cli.run(main, required=("input_file", "output"))


if __name__ == "__main__":
  run()
