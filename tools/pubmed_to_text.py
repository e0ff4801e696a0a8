r"""PubMed XML (baseline and update files) → corpus text shards.

  python -m tools.pubmed_to_text \
    --input_file='baseline/pubmed*.xml.gz,updatefiles/pubmed*.xml.gz' \
    --output_dir=corpus --gzip --num_workers=8

Each `PubmedArticle` with an English abstract becomes a document (title,
then the abstract of `Article/Abstract`, split into sentences keeping
abbreviations such as "e.g.", "et al.", "i.v.", "Fig. 2" and decimals
whole); `OtherAbstract` (other languages) is left out; articles without an
abstract are skipped and counted. Files are read in name order as one
corpus: a later record of a PMID replaces the earlier one (the highest
`Version` wins), and `DeleteCitation` removes the PMIDs it lists, so each
PMID appears once, as its latest version.

One output shard per input file (`pubmed25n0001.xml.gz` →
`<output_dir>/pubmed25n0001.txt[.gz]`), written under a temporary name and
renamed when complete. Each file's parse is kept in
`<output_dir>/.pubmed_parts/`, so a rerun after a crash, or with new update
files, parses only the files not parsed yet (--overwrite parses all). The
output is the same for any --num_workers. Progress (with an ETA) goes to
stderr; the shards written and the counts to stdout.
"""
import sys

import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from absl import flags

from tfrecords import pubmed
from tools import cli

FLAGS = flags.FLAGS

flags.DEFINE_string("input_file", None,
                    "PubMed XML files: comma-separated files or globs, e.g. "
                    "'baseline/pubmed*.xml.gz,updatefiles/pubmed*.xml.gz' "
                    "(.gz read as gzip; any tf.io.gfile path); read in file "
                    "name order.")
flags.DEFINE_string("output_dir", None,
                    "Where the text shards go (created if needed).")
flags.DEFINE_bool("gzip", False, "Write .txt.gz shards.")
flags.DEFINE_bool("overwrite", False,
                  "Parse every file again (else an earlier run's parse of "
                  "an unchanged file is reused).")
flags.DEFINE_integer("num_workers", 1,
                     "Processes parsing files in parallel. The output does "
                     "not depend on it.")
flags.DEFINE_float("progress_interval", 10.0,
                   "Seconds between progress lines.")


def main(argv):
  del argv
  try:
    stats = pubmed.convert_pubmed_xml(
        FLAGS.input_file, FLAGS.output_dir, gzip_output=FLAGS.gzip,
        overwrite=FLAGS.overwrite, progress=sys.stderr,
        progress_interval=FLAGS.progress_interval,
        num_workers=FLAGS.num_workers)
  except ValueError as e:
    return cli.error("pubmed_to_text", e)
  return cli.done(
      stats.outputs,
      f"{stats.documents} documents ({stats.sentences} sentences) from "
      f"{stats.articles} articles in {stats.files} files; "
      f"{stats.skipped_no_abstract} articles without an abstract skipped, "
      f"{stats.superseded} replaced by a later version, {stats.deleted} "
      f"deleted; {stats.files_skipped_existing} files parsed by an earlier "
      "run")


def run():
  cli.run(main, required=("input_file", "output_dir"))


if __name__ == "__main__":
  run()
