r"""PubMed baseline XML → corpus text shards (one sentence per line).

  python -m tools.pubmed_to_text \
    --input_file='baseline/pubmed*.xml.gz' --output_dir=corpus --gzip

Each `PubmedArticle` with an abstract becomes a document (title, then the
abstract, split into sentences keeping abbreviations such as "e.g.",
"et al.", "i.v.", "Fig. 2" and decimals whole); articles without an abstract
are skipped and counted. One output shard per input file
(`pubmed24n0001.xml.gz` → `<output_dir>/pubmed24n0001.txt[.gz]`), written
under a temporary name and renamed when complete; shards that exist are
kept, so rerunning after a crash converts only the rest. Progress goes to
stderr; the shards written and the counts to stdout.
"""
import sys

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from absl import app
from absl import flags

from tfrecords import pubmed

FLAGS = flags.FLAGS

flags.DEFINE_string("input_file", None,
                    "PubMed XML files: comma-separated files or globs, e.g. "
                    "'baseline/pubmed*.xml.gz' (.gz read as gzip; any "
                    "tf.io.gfile path).")
flags.DEFINE_string("output_dir", None,
                    "Where the text shards go (created if needed).")
flags.DEFINE_bool("gzip", False, "Write .txt.gz shards.")
flags.DEFINE_bool("overwrite", False,
                  "Convert again the files whose shard exists (else kept).")
flags.DEFINE_float("progress_interval", 10.0,
                   "Seconds between progress lines within a file.")


def main(argv):
  del argv
  try:
    stats = pubmed.convert_pubmed_xml(
        FLAGS.input_file, FLAGS.output_dir, gzip_output=FLAGS.gzip,
        overwrite=FLAGS.overwrite, progress=sys.stderr,
        progress_interval=FLAGS.progress_interval)
  except ValueError as e:
    print(f"pubmed_to_text: error: {e}", file=sys.stderr)
    return 1
  for path in stats.outputs:
    print(path)
  print(f"{stats.documents} documents ({stats.sentences} sentences) from "
        f"{stats.articles} articles in {stats.files} files; "
        f"{stats.skipped_no_abstract} articles without an abstract skipped, "
        f"{stats.files_skipped_existing} files kept as already converted")
  return 0


def run():
  flags.mark_flag_as_required("input_file")
  flags.mark_flag_as_required("output_dir")
  app.run(main)


if __name__ == "__main__":
  run()
